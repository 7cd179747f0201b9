"""The `platform` component package: facades derived from the specs, its schema, and Construct over gRPC.

The gRPC tests start the package's provider as the Python language host would and call it as the engine does
for a TypeScript or YAML program (camelCase names, secrets and unknowns on the wire), with stackctl's recording
monitor behind a gRPC server. What they compare: the children the provider registers and what the Python class
registers for the same arguments (type, name, parent, inputs, provider, protection); the errors an invalid input
gets and what a Python caller reads. What only the Pulumi CLI can show (`pulumi package add` generating an SDK,
the language host's virtualenv) is not tested here: docs/component-package.md says so.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import typing
from pathlib import Path

import grpc
import pulumi
import pytest
from google.protobuf import json_format

from components import EksCluster, GkeCluster, PubSubWorkQueue, SpecError, SqsWorkQueue, WorkQueueArgs
from components.cluster import EksClusterArgs, GkeClusterArgs
from components.identity import WorkloadPrincipal
from components.provider import codegen, facades
from components.provider.outputs import unknown_output
from components.provider.schema_check import schema_errors, undescribed
from components.spec import EnvironmentSpec, parse_environment
from components.spec.loading import validate_model
from components.spec.queue import ProducersSpec
from stackctl.testing import run_program
from tests.component_package_helpers import UNKNOWN, Deployment, PackageHost, output, secret, to_wire
from tests.conftest import load_stack_yaml, shipped_run, stackctl_process

REPO = Path(__file__).resolve().parents[1]
PLUGIN = REPO / "components" / "provider"
METASCHEMA = REPO.parent.parent / "shared" / "schemas" / "pulumi-package-metaschema.json"
if not METASCHEMA.exists():   # the integration checkout (/work/main) sits beside /work/shared
    METASCHEMA = Path("/work/shared/schemas/pulumi-package-metaschema.json")


# `components.provider.host` imports `pulumi.provider.server`, whose `status_pb2` cannot share a process with the
# Google Cloud clients' `google.rpc.status_pb2` (both define `google.rpc.Status`; other tests load the latter): this
# module reaches the provider only through processes of its own (the CLI, the provider host), never by import.


@functools.cache
def _printed_schema() -> str:
    result = stackctl_process("package", "schema")
    assert result.returncode == 0, result.stderr
    return result.stdout


def schema() -> dict:
    """The package schema as `stackctl package schema` prints it (a fresh copy per call)."""
    return json.loads(_printed_schema())


# -- facades: derived from the specs, and they say so ---------------------------------------------------------


def _typeddicts() -> dict[str, type]:
    return {name: value for name, value in vars(facades).items()
            if isinstance(value, type) and typing.is_typeddict(value)}


def test_facades_file_is_what_codegen_prints():
    assert (PLUGIN / "facades.py").read_text() == codegen.render(), (
        "components/provider/facades.py is stale: regenerate it with `python -m components.provider.codegen`")


def test_every_facade_has_exactly_its_models_fields_and_requiredness():
    typed = _typeddicts()
    checked = 0
    for facade in codegen.FACADES:
        generated = typed[facade.name]
        expected = set(facade.model.model_fields) - set(facade.omitted) | set(facade.extras)
        assert set(generated.__annotations__) == expected, facade.name
        required = {name for name, info in facade.model.model_fields.items()
                    if info.is_required() and name not in facade.omitted} | {
            name for name, extra in facade.extras.items() if extra.required}
        assert set(generated.__required_keys__) == required, facade.name
        checked += 1
    # Every nested spec model's TypedDict has exactly the model's fields (names are the models' own).
    from pydantic import BaseModel

    def models(model: type[BaseModel], seen: set) -> None:
        for info in model.model_fields.values():
            stack = [info.annotation]
            while stack:
                annotation = stack.pop()
                stack.extend(typing.get_args(annotation))
                if isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation not in seen:
                    seen.add(annotation)
                    models(annotation, seen)

    nested: set = set()
    for facade in codegen.FACADES:
        models(facade.model, nested)
        for reference in facade.references.values():
            nested.add(reference)
            models(reference, nested)
    for model in nested:
        assert set(typed[model.__name__].__annotations__) == set(model.model_fields), model.__name__
        checked += 1
    assert checked >= 20


def test_facades_use_enums_not_literals_and_no_unions():
    text = (PLUGIN / "facades.py").read_text()
    assert "Literal" not in text and "Union" not in text and " | " not in text
    assert list(facades.JobSpecMode) == ["schedule", "on_demand", "per_message"]
    assert [m.value for m in facades.EnvironmentSpecTier] == list(
        typing.get_args(EnvironmentSpec.model_fields["tier"].annotation))


def test_a_spec_change_reaches_the_facade(monkeypatch):
    """The generator reads the models at run time: a new spec field shows up in the facade it renders."""
    from pydantic import Field, create_model

    from components.spec.queue import QueueSpec

    extended = create_model("QueueSpec", __base__=QueueSpec, priority=(int, Field(1, description="New.")))
    monkeypatch.setattr(codegen, "FACADES", [codegen.Facade("WorkQueueArgs", extended)])
    assert "    priority: NotRequired[int]\n    \"New.\"" in codegen.render()


# -- the schema -----------------------------------------------------------------------------------------------


def test_committed_schema_is_current_valid_and_described():
    document = schema()
    committed = json.loads((PLUGIN / "schema.json").read_text())
    assert committed == document, "components/provider/schema.json is stale: stackctl package schema > it"
    assert schema_errors(document, METASCHEMA) == []
    assert undescribed(document) == []
    assert document["name"] == "platform"
    from importlib.metadata import version
    assert document["version"] == version("platform-components")
    for token in ("Environment", "WorkQueue", "Service", "BatchJob", "EksCluster", "GkeCluster"):
        resource = document["resources"][f"platform:index:{token}"]
        assert resource["isComponent"] is True
        assert resource["inputProperties"]
    environment = document["resources"]["platform:index:Environment"]
    assert environment["requiredInputs"] == ["cloud", "region", "tier"]
    assert environment["inputProperties"]["tier"]["$ref"] == "#/types/platform:index:EnvironmentSpecTier"
    assert document["types"]["platform:index:ServiceSpec"]["properties"]["maxMessageSeconds"]["type"] == "integer"


def test_stackctl_package_schema_prints_the_committed_schema():
    printed = _printed_schema()
    document = json.loads(printed)
    assert printed == (PLUGIN / "schema.json").read_text()
    assert schema_errors(document, METASCHEMA) == []
    components = {token for token, spec in document["resources"].items() if spec.get("isComponent")}
    assert components == {f"platform:index:{name}" for name in
                          ("Environment", "WorkQueue", "Service", "BatchJob", "EksCluster", "GkeCluster")}
    described = document["resources"]["platform:index:Environment"]["inputProperties"]["services"]
    assert described["description"].startswith("Long-running services keyed by name")


def test_the_metaschema_check_catches_a_broken_schema():
    document = schema()
    document["name"] = "Not A Name!"
    del document["resources"]["platform:index:WorkQueue"]["properties"]["consumerAddress"]["description"]
    assert schema_errors(document, METASCHEMA)
    assert undescribed(document) == ["platform:index:WorkQueue.properties.consumerAddress"]


def test_plugin_definition_and_dependencies():
    import tomllib

    assert (PLUGIN / "PulumiPlugin.yaml").read_text().splitlines()[-1] == "runtime: python"
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    lines = [line for line in (PLUGIN / "requirements.txt").read_text().splitlines()
             if line and not line.startswith("#")]
    project = pyproject["project"]
    both_clouds = [*project["optional-dependencies"]["aws"], *project["optional-dependencies"]["gcp"]]
    expected = list(project["dependencies"])
    expected += [r for index, r in enumerate(both_clouds) if r not in both_clouds[:index] and r not in expected]
    assert lines == expected
    # Every served component has a builder, and each builder's component is served (in a process of its own).
    check = ("from components.provider.host import BUILDERS, COMPONENTS; "
             "print(*[c.__name__ for c in COMPONENTS]); print(*BUILDERS)")
    served, built = subprocess.run([sys.executable, "-c", check], cwd=REPO, capture_output=True, text=True,
                                   timeout=120, check=True).stdout.splitlines()
    assert served == built == "Environment WorkQueue Service BatchJob EksCluster GkeCluster"


# -- Construct over gRPC, as the engine calls it ------------------------------------------------------------


@pytest.fixture(scope="module")
def host():
    package = PackageHost()
    yield package
    package.close()


def _view(records: dict) -> dict:
    return {urn: {"type": r.type, "name": r.name, "parent": r.parent, "inputs": r.inputs, "provider": r.provider,
                  "protect": r.protect, "retainOnDelete": r.retainOnDelete, "dependencies": r.dependencies}
            for urn, r in records.items()}


def _differences(ours: dict, theirs: dict) -> list:
    """Where the provider's registrations differ from Python's: (urn, field, provider's, Python's)."""
    found = [(urn, "registered", urn in ours, urn in theirs) for urn in sorted(set(ours) ^ set(theirs))]
    for urn in sorted(set(ours) & set(theirs)):
        found += [(urn, key, ours[urn][key], theirs[urn][key]) for key in ours[urn]
                  if ours[urn][key] != theirs[urn][key]]
    return found


def _python_view(run) -> dict:
    return _view({r.urn: r for r in run.graph.resources if r.type != "pulumi:pulumi:Stack"})


def _construct(host: PackageHost, token: str, name: str, inputs: dict, config: dict[str, str],
               project: str = "consumer", stack: str = "dev"):
    deployment = Deployment(project, stack, config)
    try:
        response = host.construct(deployment, token, name, inputs)
        return response, _view(deployment.records())
    finally:
        deployment.close()


def _invalid(host: PackageHost, token: str, name: str, inputs: dict, config: dict[str, str]):
    deployment = Deployment("consumer", "dev", config)
    try:
        with pytest.raises(grpc.RpcError) as caught:
            host.construct(deployment, token, name, inputs)
        return caught.value, deployment.records()
    finally:
        deployment.close()


def _property_errors(error: grpc.RpcError) -> list[tuple[str, str]]:
    from google.rpc import status_pb2
    from pulumi.runtime.proto import errors_pb2

    details = dict(error.trailing_metadata() or ())["grpc-status-details-bin"]
    status = status_pb2.Status.FromString(details)
    found = errors_pb2.InputPropertiesError()
    status.details[0].Unpack(found)
    return [(e.property_path, e.reason) for e in found.errors]


AWS = {"aws:region": "us-east-1"}


@pytest.mark.slow(6)
def test_get_schema_over_grpc_is_the_committed_schema(host):
    assert json.loads(host.schema()) == json.loads((PLUGIN / "schema.json").read_text())


@pytest.mark.slow(8)
def test_work_queue_from_typescript_registers_what_python_registers(host):
    """`new platform.WorkQueue("orders", {cloud: "aws", visibilityTimeoutSeconds: 120, managedKey: key.arn,
    consumers: {worker: config.requireSecret("workerRole")}})` at preview, where `key.arn` is not known yet."""
    response, children = _construct(host, "platform:index:WorkQueue", "orders", {
        "cloud": "aws", "visibilityTimeoutSeconds": 120, "maxReceiveCount": 3, "managedKey": UNKNOWN,
        "consumers": {"worker": secret("orders-worker")},
        "producers": {"principals": ["arn:aws:iam::123456789012:role/orders-api"]}}, AWS)

    def program():
        queue = SqsWorkQueue("orders", WorkQueueArgs(
            visibility_timeout_seconds=120, max_receive_count=3, managed_key=unknown_output(),
            producers=ProducersSpec(principals=["arn:aws:iam::123456789012:role/orders-api"])))
        queue.grant_consume("orders-worker-consume", WorkloadPrincipal.aws_role(pulumi.Output.secret("orders-worker")),
                            pulumi.ResourceOptions(parent=queue))

    expected = _python_view(run_program(program, project="consumer", stack="dev", config=AWS))
    assert _differences(children, expected) == []
    grant = children["urn:pulumi:dev::consumer::platform:index:SqsWorkQueue$aws:iam/rolePolicy:RolePolicy::"
                     "orders-worker-consume"]
    assert grant["inputs"]["role"] == "[secret]"          # the secret stayed secret
    queue = children["urn:pulumi:dev::consumer::platform:index:SqsWorkQueue$aws:sqs/queue:Queue::orders-queue"]
    assert queue["inputs"]["kmsMasterKeyId"] == "[unknown]" and queue["inputs"]["visibilityTimeoutSeconds"] == 120
    policy = json.loads(children["urn:pulumi:dev::consumer::platform:index:SqsWorkQueue$aws:sqs/queuePolicy:"
                                 "QueuePolicy::orders-queue-policy"]["inputs"]["policy"])
    assert "arn:aws:iam::123456789012:role/orders-api" in json.dumps(policy)   # the producer the queue lists
    state = json_format.MessageToDict(response.state)
    assert state["physicalName"] == "orders" and state["deadLetterAddress"].endswith("/orders-dlq")
    assert response.urn == "urn:pulumi:dev::consumer::platform:index:SqsWorkQueue::orders"


@pytest.mark.slow(6)
def test_pubsub_work_queue_from_yaml_registers_what_python_registers(host):
    config = {"gcp:project": "acme-dev-1", "gcp:region": "europe-west1"}
    response, children = _construct(host, "platform:index:WorkQueue", "jobs", {
        "cloud": "gcp", "visibilityTimeoutSeconds": 60.0, "physicalName": "jobs-queue",
        "serviceAgentEmail": secret("service-1@gcp-sa-pubsub.iam.gserviceaccount.com"),
        "consumers": {"worker": "worker@acme-dev-1.iam.gserviceaccount.com"},
        "producers": {"principals": ["serviceAccount:api@acme-dev-1.iam.gserviceaccount.com"]}}, config)

    def program():
        queue = PubSubWorkQueue("jobs", WorkQueueArgs(
            visibility_timeout_seconds=60, physical_name="jobs-queue",
            producers=ProducersSpec(principals=["serviceAccount:api@acme-dev-1.iam.gserviceaccount.com"]),
            service_agent_email=pulumi.Output.secret("service-1@gcp-sa-pubsub.iam.gserviceaccount.com")))
        queue.grant_consume("jobs-worker-consume",
                            WorkloadPrincipal.gcp_service_account("worker@acme-dev-1.iam.gserviceaccount.com"),
                            pulumi.ResourceOptions(parent=queue))

    assert children == _python_view(run_program(program, project="consumer", stack="dev", config=config))
    assert any(view["type"] == "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember"
               for view in children.values())
    publishers = [view for view in children.values()
                  if view["type"] == "gcp:pubsub/topicIAMMember:TopicIAMMember"
                  and view["inputs"].get("role") == "roles/pubsub.publisher"
                  and view["inputs"].get("member") == "serviceAccount:api@acme-dev-1.iam.gserviceaccount.com"]
    assert len(publishers) == 1   # the producer the queue lists


EKS_ARGS = {"cluster_name": "shared", "region": "us-east-1", "private_access_cidrs": ["10.0.0.0/8"],
            "node_pools": {"general": {"machine_types": ["m7i.large"], "min_size": 1, "max_size": 3}}}


@pytest.mark.slow(10)
def test_eks_cluster_registers_what_python_registers(host):
    wire = to_wire(EksClusterArgs, EKS_ARGS)
    assert "privateAccessCidrs" in wire and "machineTypes" in wire["nodePools"]["general"]
    _, children = _construct(host, "platform:index:EksCluster", "shared", {**wire, "subnetIds": UNKNOWN}, AWS)

    def program():
        EksCluster("shared", EksClusterArgs(**EKS_ARGS, subnet_ids=unknown_output()))

    assert children == _python_view(run_program(program, project="consumer", stack="dev", config=AWS))
    assert len(children) > 20


GKE_ARGS = {"cluster_name": "shared", "project": "acme-dev-1", "region": "europe-west1", "pods_range_name": "pods",
            "services_range_name": "services", "authorized_networks": ["10.0.0.0/8"],
            "node_pools": {"general": {"machine_types": ["e2-standard-4"], "min_size": 1, "max_size": 3}}}


@pytest.mark.slow(8)
def test_gke_cluster_registers_what_python_registers(host):
    config = {"gcp:project": "acme-dev-1", "gcp:region": "europe-west1"}
    _, children = _construct(host, "platform:index:GkeCluster", "shared", {
        **to_wire(GkeClusterArgs, GKE_ARGS), "network": "projects/acme-dev-1/global/networks/main",
        "subnetwork": secret("projects/acme-dev-1/regions/europe-west1/subnetworks/nodes")}, config)

    def program():
        GkeCluster("shared", GkeClusterArgs(
            **GKE_ARGS, network="projects/acme-dev-1/global/networks/main",
            subnetwork=pulumi.Output.secret("projects/acme-dev-1/regions/europe-west1/subnetworks/nodes")))

    assert children == _python_view(run_program(program, project="consumer", stack="dev", config=config))
    assert len(children) > 10


def _dev_spec() -> dict:
    config = load_stack_yaml("dev")["config"]
    return {key.removeprefix("platform:"): value for key, value in config.items()
            if ":" not in key or key.startswith("platform:")}


@pytest.mark.slow(30)
def test_environment_from_a_whole_stack_spec_registers_what_the_python_program_registers(host):
    """A YAML program's `platform:index:Environment` named `dev` with the dev stack file's settings as
    properties registers exactly what `__main__.py` registers for the dev stack (same URNs)."""
    run = shipped_run("dev")
    wire = to_wire(EnvironmentSpec, _dev_spec())
    assert "tier" in wire and any("visibilityTimeoutSeconds" in q for q in wire["queues"].values())
    response, children = _construct(host, "platform:index:Environment", "dev", wire, dict(run.config.values),
                                    project="platform", stack="dev")
    expected = _python_view(run)
    assert sorted(children) == sorted(expected)
    assert _differences(children, expected) == []
    assert any(view["type"] == "platform:index:Service" for view in children.values())
    assert any(view["type"] == "platform:index:BatchJob" for view in children.values())
    state = json_format.MessageToDict(response.state)
    assert set(state["queueAddresses"]) == set(_dev_spec()["queues"])


# -- invalid input: the message a Python caller reads --------------------------------------------------------


@pytest.mark.slow(4)
def test_invalid_environment_fails_with_the_python_message_and_registers_nothing(host):
    spec = _dev_spec()
    spec["services"] = {**spec["services"]}
    name = next(iter(spec["services"]))
    spec["services"][name] = {**spec["services"][name], "scaling": {"min_replicas": 3, "max_replicas": 2}}
    with pytest.raises(SpecError) as python:
        parse_environment(spec, "Environment dev", environment="dev", project="consumer")
    error, records = _invalid(host, "platform:index:Environment", "dev", to_wire(EnvironmentSpec, spec), AWS)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == str(python.value)
    paths = [path for path, _ in _property_errors(error)]
    assert paths == [f"services.{name}.scaling.maxReplicas"]
    assert [r.type for r in records.values()] == []


@pytest.mark.slow(4)
def test_invalid_work_queue_fails_with_the_python_message(host):
    raw = {"visibility_timeout_seconds": 5, "fifo": "yes"}
    with pytest.raises(SpecError) as python:
        validate_model(WorkQueueArgs, raw, "WorkQueue orders")
    error, records = _invalid(host, "platform:index:WorkQueue", "orders",
                              {"cloud": "aws", **to_wire(WorkQueueArgs, raw)}, AWS)
    assert error.details() == str(python.value)
    assert "visibility_timeout_seconds: must be >= 30 (got 5)" in error.details()
    assert sorted(_property_errors(error)) == [("fifo", "must be true or false (got 'yes')"),
                                              ("visibilityTimeoutSeconds", "must be >= 30 (got 5)")]
    assert records == {}


@pytest.mark.slow(4)
def test_a_secret_or_unknown_where_a_plain_setting_belongs_is_refused_without_its_value(host):
    error, records = _invalid(host, "platform:index:WorkQueue", "orders",
                              {"cloud": "aws", "kmsKey": secret("alias/very-secret-key"), "physicalName": UNKNOWN},
                              AWS)
    assert "very-secret-key" not in error.details()
    assert sorted(_property_errors(error)) == [
        ("kmsKey", "is a secret but is not a secret setting; pass it as a plain value (value hidden)"),
        ("physicalName", "is not known before deployment (an output of a resource not created yet); this setting "
                         "must be a plain value"),
    ]
    assert records == {}


@pytest.mark.slow(4)
def test_cloud_rules_raised_by_the_python_class_reach_the_caller_unchanged(host):
    raw = {**EKS_ARGS, "private_access_cidrs": None}
    with pytest.raises(SpecError) as python:
        EksClusterArgs(**raw, subnet_ids=["subnet-1"])
    error, records = _invalid(host, "platform:index:EksCluster", "shared",
                              {**to_wire(EksClusterArgs, {k: v for k, v in raw.items() if v is not None}),
                               "subnetIds": ["subnet-1"]}, AWS)
    assert error.details() == str(python.value)
    assert ("privateAccessCidrs", python.value.problems[0].message) in _property_errors(error)
    assert records == {}


# -- Service and BatchJob: the cluster and the queue named by their outputs -----------------------------------


def _platform(host: PackageHost, make_python, token: str, name: str, wire: dict, config: dict[str, str],
              cloud: str, more=lambda by_type: {}):
    """Run `make_python` (a Python program: a cluster, a queue and the workload using them), then construct the
    workload through the provider with the cluster and queue named by the outputs the Python run gave them;
    return (provider's records, Python's records) of the workload's subtree."""
    run = run_program(make_python, project="consumer", stack="dev", config=config)
    by_type: dict[str, list] = {}
    for record in run.graph.resources:
        by_type.setdefault(record.type, []).append(record)
    k8s = by_type["pulumi:providers:kubernetes"][0]
    # The cluster's and the queue's outputs, as the engine passes outputs of other resources: with dependencies.
    if cloud == "aws":
        eks = by_type["aws:eks/cluster:Cluster"][0]
        oidc = by_type["aws:iam/openIdConnectProvider:OpenIdConnectProvider"][0]
        queue = next(r for r in by_type["aws:sqs/queue:Queue"] if r.name == "orders-queue")
        cluster_ref = {"cloud": "aws", "clusterName": eks.outputs["name"],
                       "oidcProviderArn": output(oidc.outputs["arn"], [oidc.urn]),
                       "oidcIssuer": output(eks.outputs["identities"][0]["oidcs"][0]["issuer"], [eks.urn])}
        queue_ref = {"cloud": "aws", "address": output(queue.outputs["url"], [queue.urn]),
                     "arn": output(queue.outputs["arn"], [queue.urn])}
    else:
        gke = by_type["platform:index:GkeCluster"][0]
        subscription = next(r for r in by_type["gcp:pubsub/subscription:Subscription"]
                            if not r.name.endswith("-dlq-subscription"))
        cluster_ref = {"cloud": "gcp", "clusterName": "shared", "project": "acme-dev-1",
                       "clusterUrn": output(gke.urn, [gke.urn])}
        queue_ref = {"cloud": "gcp", "address": output(subscription.id, [subscription.urn])}
    deployment = Deployment("consumer", "dev", config)
    try:
        deployment.knows(k8s.urn, k8s.id, k8s.outputs)
        response = host.construct(deployment, token, name, {**wire, "cluster": cluster_ref, "queue": queue_ref,
                                                             **more(by_type)},
                                  providers={"kubernetes": f"{k8s.urn}::{k8s.id}"})
        prefix = f"urn:pulumi:dev::consumer::{token}"
        ours = {urn: view for urn, view in _view(deployment.records()).items() if urn.startswith(prefix)}
    finally:
        deployment.close()
    theirs = {urn: view for urn, view in _python_view(run).items() if urn.startswith(prefix)}
    return response, ours, theirs


SERVICE_SPEC = {"image": "registry.example.com/orders@sha256:" + "a" * 64, "queue": "orders",
                "command": ["python", "-m", "orders.worker"], "scaling": {"max_replicas": 5}}
JOB_SPEC = {"mode": "per_message", "max_parallel_jobs": 3}


@pytest.mark.slow(12)
@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_service_naming_its_cluster_and_queue_registers_what_python_registers(host, cloud):
    from components import Service, ServiceArgs, ServiceSpec

    config = AWS if cloud == "aws" else {"gcp:project": "acme-dev-1", "gcp:region": "europe-west1"}

    def program():
        cluster = (EksCluster("shared", EksClusterArgs(**EKS_ARGS, subnet_ids=["subnet-1"])) if cloud == "aws" else
                   GkeCluster("shared", GkeClusterArgs(**GKE_ARGS, network="main", subnetwork="nodes")))
        queue = (SqsWorkQueue if cloud == "aws" else PubSubWorkQueue)("orders", WorkQueueArgs())
        Service("orders", ServiceArgs(workload_name="orders", namespace="orders", cluster=cluster, queue=queue,
                                      spec=ServiceSpec(**SERVICE_SPEC), min_replicas=1),
                pulumi.ResourceOptions(providers=[cluster.provider]))

    wire = {"workloadName": "orders", "namespace": "orders", "minReplicas": 1.0,
            "spec": to_wire(ServiceSpec, SERVICE_SPEC)}
    response, ours, theirs = _platform(host, program, "platform:index:Service", "orders", wire, config, cloud)
    differences = _differences(ours, theirs)
    if cloud == "gcp":
        # The one difference: another language names the GkeCluster component (its `urn`), so the service and
        # its Workload Identity binding wait for the whole component instead of its cluster resource alone.
        gke, prefix = "urn:pulumi:dev::consumer::platform:index:GkeCluster", "urn:pulumi:dev::consumer::"
        binding = f"{prefix}platform:index:Service$gcp:serviceaccount/iAMMember:IAMMember::orders-workload-identity"
        account = f"{prefix}platform:index:Service$gcp:serviceaccount/account:Account::orders"
        assert differences == [
            (binding, "dependencies", [f"{gke}::shared", account],
             [f"{gke}$gcp:container/cluster:Cluster::shared-cluster", account]),
            (f"{prefix}platform:index:Service::orders", "dependencies", [f"{gke}::shared"], []),
        ]
    else:
        assert differences == [], "\n".join(map(str, differences))
    types = {view["type"] for view in ours.values()}
    assert "kubernetes:keda.sh/v1alpha1:ScaledObject" in types and "kubernetes:apps/v1:Deployment" in types
    grant = ("aws:iam/rolePolicy:RolePolicy" if cloud == "aws"
             else "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember")
    assert grant in types    # the service named its queue: its identity is granted consuming it
    assert json_format.MessageToDict(response.state)["cloudIdentity"]


@pytest.mark.slow(10)
def test_batch_job_per_message_registers_what_python_registers(host):
    from components import BatchJob, BatchJobArgs, JobSpec, WorkloadSpec

    workload = {key: value for key, value in SERVICE_SPEC.items() if key != "scaling"}

    def program():
        cluster = EksCluster("shared", EksClusterArgs(**EKS_ARGS, subnet_ids=["subnet-1"]))
        queue = SqsWorkQueue("orders", WorkQueueArgs())
        BatchJob("orders-one", BatchJobArgs(
            workload_name="orders-one", namespace="orders", cluster=cluster, queue=queue,
            job=JobSpec(**JOB_SPEC), workload=WorkloadSpec(**workload), deadline_seconds=600),
            pulumi.ResourceOptions(providers=[cluster.provider]))

    wire = {"workloadName": "orders-one", "namespace": "orders", "deadlineSeconds": 600,
            "job": to_wire(JobSpec, JOB_SPEC), "workload": to_wire(WorkloadSpec, workload)}
    _, ours, theirs = _platform(host, program, "platform:index:BatchJob", "orders-one", wire, AWS, "aws")
    differences = _differences(ours, theirs)
    assert differences == [], "\n".join(map(str, differences))
    assert "kubernetes:keda.sh/v1alpha1:ScaledJob" in {view["type"] for view in ours.values()}


@pytest.mark.slow(4)
def test_a_service_whose_cluster_reference_is_incomplete_is_refused_by_path(host):
    error, records = _invalid(host, "platform:index:Service", "orders", {
        "workloadName": "orders", "namespace": "orders", "minReplicas": 1, "spec": {"image": "x", "cpu": 1},
        "cluster": {"cloud": "aws", "clusterName": "shared"}}, AWS)
    found = _property_errors(error)
    assert ("cluster.oidcProviderArn", "required when cloud is aws") in found
    assert ("cluster.oidcIssuer", "required when cloud is aws") in found
    assert any(path == "spec.cpu" and reason.startswith("unknown field") for path, reason in found)
    assert records == {}


# -- the examples --------------------------------------------------------------------------------------------

EXAMPLES = REPO / "examples" / "component-package"


@pytest.mark.slow(20)
def test_yaml_example_resources_construct_through_the_provider(host):
    from ruamel.yaml import YAML

    program = YAML(typ="safe").load((EXAMPLES / "yaml" / "Pulumi.yaml").read_text())
    assert (EXAMPLES / "yaml" / program["packages"]["platform"]).resolve() == PLUGIN
    document = schema()

    def resolve(value):   # the program's one config reference: a secret, as the engine sends it
        if value == "${workerRole}":
            return secret("reports-worker")
        if isinstance(value, dict):
            return {key: resolve(item) for key, item in value.items()}
        return [resolve(item) for item in value] if isinstance(value, list) else value

    for name, resource in program["resources"].items():
        spec = document["resources"][resource["type"]]
        assert set(resource["properties"]) <= set(spec["inputProperties"]), name
        _, children = _construct(host, resource["type"], name, resolve(resource["properties"]), AWS)
        types = {view["type"] for view in children.values()}
        assert "aws:sqs/queue:Queue" in types, name
        if resource["type"] == "platform:index:Environment":
            assert "platform:index:Service" in types and "aws:eks/cluster:Cluster" in types
        else:
            grant = next(view for view in children.values() if view["type"] == "aws:iam/rolePolicy:RolePolicy")
            assert grant["inputs"]["role"] == "[secret]"
    for expression in program["outputs"].values():
        resource, prop = expression.strip("${}").split("[")[0].split(".")
        assert prop in document["resources"][program["resources"][resource]["type"]]["properties"]


def test_typescript_example_uses_only_what_the_schema_declares():
    import re

    source = (EXAMPLES / "typescript" / "index.ts").read_text()
    code = re.sub(r'"[^"]*"', '""', re.sub(r"//.*", "", source))   # strings and comments are not names
    document = schema()
    variables = dict(re.findall(r"const (\w+) = new platform\.(\w+)\(", source))
    assert set(variables.values()) == {"EksCluster", "WorkQueue", "Service"}
    for variable, prop in re.findall(r"\b(\w+)\.(\w+)\b", code):
        if variable in variables:
            assert prop in document["resources"][f"platform:index:{variables[variable]}"]["properties"], prop
    known = {prop for section in ("resources", "types") for spec in document[section].values()
             for prop in (spec.get("inputProperties") or spec.get("properties") or {})}
    keys = set(re.findall(r"^\s*(\w+):", code, flags=re.M)) | set(re.findall(r"[{,]\s*(\w+):", code))
    # Besides schema properties: resource options, the kubernetes provider's kubeconfig, a node pool's name (map key).
    assert keys - known <= {"providers", "kubernetes", "kubeconfig", "general"}, keys - known


def test_docs_show_adding_the_package_from_typescript_go_and_yaml_and_list_every_component():
    import re

    text = (REPO / "docs" / "component-package.md").read_text()
    for language in ("TypeScript", "Go", "YAML"):
        section = text.split(f"### {language}\n", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
        assert "pulumi package add" in section, language
    listed = set(re.findall(r"^\| `(platform:index:\w+)` \|", text, flags=re.M))
    assert listed == {token for token, spec in schema()["resources"].items() if spec.get("isComponent")}
    assert "docs/component-package.md" in (REPO / "README.md").read_text()


def test_the_entry_point_without_an_engine_address_says_how_it_is_started():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "components.provider"], cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: python -m components.provider <engine address>")
    assert "Traceback" not in result.stderr


@pytest.mark.slow(4)
def test_a_consumer_named_by_another_resources_output_is_granted_after_it(host):
    """`consumers: {worker: role.name}`: the grant waits for the role, as `grant_consume` with `role.name` does."""
    role = "urn:pulumi:dev::consumer::aws:iam/role:Role::worker"
    deployment = Deployment("consumer", "dev", AWS)
    try:
        host.construct(deployment, "platform:index:WorkQueue", "orders",
                       {"cloud": "aws", "consumers": {"worker": "worker-role"}}, dependencies={"consumers": [role]})
        grant = deployment.records()[
            "urn:pulumi:dev::consumer::platform:index:SqsWorkQueue$aws:iam/rolePolicy:RolePolicy::orders-worker-consume"]
    finally:
        deployment.close()
    assert role in grant.dependencies
    assert grant.inputs["role"] == "worker-role"


def test_this_test_process_never_loaded_the_provider_server():
    """The reason the tests above reach the provider through processes (see the note at the top)."""
    assert "pulumi.provider.server" not in sys.modules


@pytest.mark.slow(10)
def test_service_sending_to_a_queue_and_calling_a_service_registers_what_python_registers(host):
    """`sendsTo: {events: <queue reference>}` and `calls: [...]`: the send grant, `SEND_QUEUE_EVENTS` and the
    NetworkPolicy egress a Python caller gets from `sends_to` and `calls`."""
    from components import Service, ServiceArgs, ServiceSpec
    from components.workloads.network_policy import CallTarget

    def program():
        cluster = EksCluster("shared", EksClusterArgs(**EKS_ARGS, subnet_ids=["subnet-1"]))
        orders, events = SqsWorkQueue("orders", WorkQueueArgs()), SqsWorkQueue("events", WorkQueueArgs())
        Service("orders", ServiceArgs(workload_name="orders", namespace="orders", cluster=cluster, queue=orders,
                                      sends_to={"events": events}, spec=ServiceSpec(**SERVICE_SPEC), min_replicas=1,
                                      calls=[CallTarget(namespace="shop", workload_name="frontend", ports=(8080,))]),
                pulumi.ResourceOptions(providers=[cluster.provider]))

    def more(by_type):
        events = next(r for r in by_type["aws:sqs/queue:Queue"] if r.name == "events-queue")
        return {"sendsTo": {"events": {"cloud": "aws", "address": output(events.outputs["url"], [events.urn]),
                                       "arn": output(events.outputs["arn"], [events.urn])}},
                "calls": [{"namespace": "shop", "workloadName": "frontend", "ports": [8080.0]}]}

    wire = {"workloadName": "orders", "namespace": "orders", "minReplicas": 1,
            "spec": to_wire(ServiceSpec, SERVICE_SPEC)}
    _, ours, theirs = _platform(host, program, "platform:index:Service", "orders", wire, AWS, "aws", more)
    differences = _differences(ours, theirs)
    assert differences == [], "\n".join(map(str, differences))
    assert "urn:pulumi:dev::consumer::platform:index:Service$aws:iam/rolePolicy:RolePolicy::orders-send-events" in ours
    deployment = next(view for view in ours.values() if view["type"] == "kubernetes:apps/v1:Deployment")
    assert "SEND_QUEUE_EVENTS" in json.dumps(deployment["inputs"])
