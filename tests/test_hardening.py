"""Issue 14: what scanners and CIS benchmarks ask of the resources the platform creates."""

from __future__ import annotations

import copy
import json

import pytest

from components.rules.stateful import DATA_TYPES
from components.workloads.network_policy import NAMESPACE_DEFAULT_DENY
from stackctl.diff import guard
from stackctl.diff.steps import DiffResult, Step
from stackctl.engine.runner import run_stack
from stackctl.schemas import validate_manifest

from .conftest import load_stack_yaml, shipped_run, stackctl


def _records(run, *types: str):
    return [r for r in run.graph.resources if r.type in types]


QUEUE_TYPES = ("aws:sqs/queue:Queue", "gcp:pubsub/topic:Topic", "gcp:pubsub/subscription:Subscription")


def test_prod_protects_and_retains_every_queue_and_protects_log_groups():
    run = shipped_run("prod")
    queues = _records(run, *QUEUE_TYPES)
    assert len(queues) == 2 * len(load_stack_yaml("prod")["config"]["queues"])  # each with its dead-letter queue
    assert all(r.protect and r.retainOnDelete for r in queues), [r.name for r in queues]
    log_groups = _records(run, "aws:cloudwatch/logGroup:LogGroup")
    assert {g.name for g in log_groups} == {"prod-control-plane", "prod-flow-logs"}
    assert all(g.protect for g in log_groups)


@pytest.mark.parametrize("stack", ["dev", "gcp-dev"])
def test_dev_queues_stay_deletable(stack: str):
    queues = _records(shipped_run(stack), *QUEUE_TYPES)
    assert queues and not any(r.protect or r.retainOnDelete for r in queues)


def test_prod_pubsub_topics_and_subscriptions_are_protected_and_retained(make_project):
    config = dict(load_stack_yaml("gcp-dev")["config"])
    config["tier"] = "prod"
    config.pop("cluster", None)
    config.pop("services", None)
    config.pop("jobs", None)
    project = make_project({"gcp-prod": config})
    run = run_stack(project, "gcp-prod")
    records = _records(run, *QUEUE_TYPES)
    assert {r.type for r in records} == set(QUEUE_TYPES[1:])
    assert len(records) == 8  # two queues: topic, subscription, dead-letter topic and subscription each
    assert all(r.protect and r.retainOnDelete for r in records)
    # Grants and policies are not data: they stay deletable.
    assert not any(r.protect for r in _records(run, "gcp:pubsub/topicIAMMember:TopicIAMMember"))


def test_the_destroy_guard_treats_every_data_type_as_stateful():
    assert set(DATA_TYPES) <= guard.STATEFUL_TYPES


def test_the_destroy_guard_blocks_deleting_a_protected_retained_queue():
    urn = "urn:pulumi:prod::platform::platform:index:SqsWorkQueue$aws:sqs/queue:Queue::prod-orders-queue"
    protected = Step(op="delete", urn=urn, type="aws:sqs/queue:Queue", protect=True, retain_on_delete=True)
    retained = Step(op="delete", urn=urn.replace("prod", "dev"), type="aws:sqs/queue:Queue", retain_on_delete=True)
    result = DiffResult(project="platform", stack="prod", source="test", steps=[protected, retained])
    assert guard.guarded_steps(result) == [protected]
    assert guard.evaluate(result, []).blocked == [protected]


def _one(run, type_: str, name: str):
    [record] = [r for r in run.graph.resources if r.type == type_ and r.name == name]
    return record


def _doc(value) -> dict:
    return json.loads(value) if isinstance(value, str) else value


@pytest.mark.parametrize(("stack", "retention", "protected"), [("dev", 30, False), ("prod", 365, True)])
def test_vpc_flow_logs_go_to_an_encrypted_log_group_kept_per_tier(stack: str, retention: int, protected: bool):
    run = shipped_run(stack)
    flow_log = _one(run, "aws:ec2/flowLog:FlowLog", f"{stack}-flow-logs")
    log_group = _one(run, "aws:cloudwatch/logGroup:LogGroup", f"{stack}-flow-logs")
    key = _one(run, "aws:kms/key:Key", f"{stack}-flow-logs")
    vpc = _one(run, "aws:ec2/vpc:Vpc", f"{stack}-vpc")
    # Issue 24: only rejected flows outside prod (cost; docs/security.md "Flow logs: cost").
    assert flow_log.inputs["trafficType"] == ("ALL" if stack == "prod" else "REJECT")
    assert flow_log.inputs["vpcId"] == vpc.id
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow_log.inputs["logDestination"] == log_group.outputs["arn"]
    assert log_group.inputs["retentionInDays"] == retention
    assert log_group.inputs["kmsKeyId"] == key.outputs["arn"] and key.inputs["enableKeyRotation"] is True
    assert log_group.protect == key.protect == protected
    role = _one(run, "aws:iam/role:Role", f"{stack}-flow-logs")
    [trust] = _doc(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    [write] = _doc(_one(run, "aws:iam/rolePolicy:RolePolicy", f"{stack}-flow-logs").inputs["policy"])["Statement"]
    assert write["Resource"] == [log_group.outputs["arn"], log_group.outputs["arn"] + ":*"]
    assert "*" not in "".join(write["Action"])


def test_the_default_security_group_is_adopted_with_no_rules():
    group = _one(shipped_run("prod"), "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "prod-default-sg")
    assert group.inputs["ingress"] == [] and group.inputs["egress"] == []
    assert group.inputs["vpcId"] == _one(shipped_run("prod"), "aws:ec2/vpc:Vpc", "prod-vpc").id


def test_every_kms_key_has_an_explicit_policy_keeping_the_account_in_control():
    run = shipped_run("prod")
    keys = _records(run, "aws:kms/key:Key")
    assert {k.name for k in keys} >= {"prod-secrets", "prod-flow-logs", "prod-control-plane-logs", "prod-queues"}
    for key in keys:
        statements = _doc(key.inputs["policy"])["Statement"]
        assert statements[0]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}, key.name
        assert key.inputs["enableKeyRotation"] is True and key.protect, key.name
    logs = _doc(_one(run, "aws:kms/key:Key", "prod-control-plane-logs").inputs["policy"])["Statement"][1]
    assert logs["Principal"] == {"Service": "logs.us-west-2.amazonaws.com"}
    assert logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"] == [
        "arn:aws:logs:us-west-2:123456789012:log-group:/aws/eks/platform-prod/cluster"]
    assert len(_doc(_one(run, "aws:kms/key:Key", "prod-secrets").inputs["policy"])["Statement"]) == 1


def test_prod_queues_and_control_plane_logs_use_customer_managed_keys_consumers_can_decrypt():
    run = shipped_run("prod")
    key_arn = _one(run, "aws:kms/key:Key", "prod-queues").outputs["arn"]
    queues = _records(run, "aws:sqs/queue:Queue")
    assert queues and all(q.inputs.get("kmsMasterKeyId") == key_arn for q in queues)
    assert not any(q.inputs.get("sqsManagedSseEnabled") for q in queues)
    statements = _doc(_one(run, "aws:iam/rolePolicy:RolePolicy", "prod-orders-consume").inputs["policy"])["Statement"]
    assert {"Sid": "DecryptMessages", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn} in statements
    log_group = _one(run, "aws:cloudwatch/logGroup:LogGroup", "prod-control-plane")
    assert log_group.inputs["kmsKeyId"] == _one(run, "aws:kms/key:Key", "prod-control-plane-logs").outputs["arn"]


def test_dev_keeps_provider_managed_queue_encryption():
    run = shipped_run("dev")
    assert all(q.inputs.get("sqsManagedSseEnabled") is True for q in _records(run, "aws:sqs/queue:Queue"))
    assert "kmsKeyId" not in _one(run, "aws:cloudwatch/logGroup:LogGroup", "dev-control-plane").inputs
    assert not [k for k in _records(run, "aws:kms/key:Key") if k.name in ("dev-queues", "dev-control-plane-logs")]


def _admin_principals(run) -> dict[str, str]:
    return {r.name: r.inputs["principalArn"] for r in _records(run, "aws:eks/accessEntry:AccessEntry")}


def test_prod_admins_are_exactly_the_named_ones():
    config = load_stack_yaml("prod")["config"]
    named = {f"prod-admin-{key}": arn for key, arn in config["cluster"]["admins"].items()}
    assert _admin_principals(shipped_run("prod")) == named
    assert "deployer_admin" not in config["cluster"]


def test_dev_still_makes_the_deployer_an_admin():
    principals = _admin_principals(shipped_run("dev"))
    assert principals["dev-admin-deployer"] == "arn:aws:iam::123456789012:role/deployer"


def test_outside_dev_an_unlisted_deployer_stops_the_run_before_any_resource(make_project):
    config = copy.deepcopy(dict(load_stack_yaml("prod")["config"]))
    del config["cluster"]["admins"]["deployer"]
    # Pushed by CI (prod's operator delivery would name its identity's missing entry at load instead).
    del config["infra_delivery"], config["operator"]
    project = make_project({"prod": config})
    result = stackctl("preview", "prod", "-C", str(project.root))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cluster.admins: the identity running `pulumi up` (arn:aws:iam::123456789012:role/deployer)" in (
        result.stderr)
    assert "cluster.deployer_admin: true" in result.stderr and "Traceback" not in result.stderr
    # Opting in gives the deployer its own entry again.
    config["cluster"]["deployer_admin"] = True
    run = run_stack(make_project({"prod": config}, directory="opt-in"), "prod")
    assert _admin_principals(run)["prod-admin-deployer"] == "arn:aws:iam::123456789012:role/deployer"


def _all_network_policies(stack: str) -> list[dict]:
    """Every NetworkPolicy the stack gives the cluster: applied by Pulumi (push) or rendered (GitOps)."""
    graph = shipped_run(stack).graph
    found = [r.inputs for r in graph.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")]
    files = (graph.stack_outputs.get("deployment_files") or {}).get("files", {})
    return found + [m for m in files.values() if m.get("kind") == "NetworkPolicy"]


def _network_policies(stack: str) -> dict[str, dict]:
    """workload name -> its own NetworkPolicy."""
    return {m["metadata"]["name"]: m for m in _all_network_policies(stack)
            if m["metadata"]["name"] != NAMESPACE_DEFAULT_DENY}


@pytest.mark.parametrize("stack", ["dev", "gcp-dev", "staging", "prod"])
def test_every_workload_namespace_denies_all_traffic_by_default(stack: str):
    graph = shipped_run(stack).graph
    files = (graph.stack_outputs.get("deployment_files") or {}).get("files", {})
    defaults = [m for m in _all_network_policies(stack) if m["metadata"]["name"] == NAMESPACE_DEFAULT_DENY]
    workload_namespaces = {m["metadata"]["namespace"] for m in _network_policies(stack).values()}
    assert sorted(m["metadata"]["namespace"] for m in defaults) == sorted(workload_namespaces) != []
    for policy in defaults:
        assert validate_manifest(policy, "1.35") == []
        # Empty selector, both types, no rule: every pod of the namespace isolated in both directions.
        assert policy["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    if files:
        # GitOps: synced by the namespaces app, whose project must allow it in those namespaces.
        paths = [p for p, m in files.items() if m.get("metadata", {}).get("name") == NAMESPACE_DEFAULT_DENY]
        assert all("/namespaces/" in p for p in paths) and len(set(paths)) == len(defaults)
        [project] = [m for m in _argo_objects(stack) if m["kind"] == "AppProject"
                     and m["metadata"]["name"].endswith("-bootstrap")]
        assert {"group": "networking.k8s.io", "kind": "NetworkPolicy"} in project["spec"]["namespaceResourceWhitelist"]
        assert workload_namespaces <= {d["namespace"] for d in project["spec"]["destinations"]}
    else:
        # Push: created after its namespace, and every workload waits for it.
        [stack_env] = [r for r in graph.resources if r.type == "platform:index:Environment"]
        records = {r.name: r for r in graph.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")}
        for ns in workload_namespaces:
            record = records[f"{stack_env.name}-namespace-{ns}-default-deny"]
            assert any(d.endswith(f"{stack_env.name}-namespace-{ns}") for d in record.dependencies)


@pytest.mark.parametrize("stack", ["dev", "gcp-dev", "staging", "prod"])
def test_every_workload_gets_a_default_deny_network_policy_valid_for_kubernetes(stack: str):
    config = load_stack_yaml(stack)["config"]
    policies = _network_policies(stack)
    assert set(policies) == set(config.get("services", {})) | set(config.get("jobs", {}))
    for name, policy in policies.items():
        assert validate_manifest(policy, "1.35") == [], name
        spec = policy["spec"]
        assert spec["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": name}}
        assert spec["policyTypes"] == ["Ingress", "Egress"]
        dns, https, *metadata = spec["egress"]
        assert dns["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
        assert {p["port"] for p in dns["ports"]} == {53} and https == {"ports": [{"protocol": "TCP", "port": 443}]}
        # GKE: Workload Identity reads tokens from the metadata server. Then the declared `egress` (a job reusing
        # a service inherits the service's), and nothing else.
        services, jobs = config.get("services", {}), config.get("jobs", {})
        entry = services.get(name) or jobs[name]
        declared = entry.get("egress", services.get(entry.get("service"), {}).get("egress", []))
        assert [m["to"][0]["ipBlock"]["cidr"] for m in metadata] == (
            ["169.254.169.254/32", "169.254.169.252/32"] if config["cloud"] == "gcp" else []) + [
            rule["cidr"] for rule in declared]
        exposed = config.get("services", {}).get(name, {}).get("expose", False)
        assert bool(spec["ingress"]) == exposed, name


def test_an_exposed_service_admits_its_own_namespace_and_the_declared_ones_on_its_ports(make_project):
    [ingress] = _network_policies("prod")["orders-api"]["spec"]["ingress"]
    assert ingress == {"from": [{"podSelector": {}}], "ports": [{"protocol": "TCP", "port": 8080}]}
    config = copy.deepcopy(dict(load_stack_yaml("dev")["config"]))
    api = copy.deepcopy(load_stack_yaml("prod")["config"]["services"]["orders-api"])
    config["services"]["orders-api"] = {**api, "expose_to": ["orders", "orders-api"],
                                        "scaling": {"min_replicas": 1, "max_replicas": 2}}
    config["cluster"]["node_pools"]["general"]["max_size"] = 6  # room for the added service (capacity check)
    graph = run_stack(make_project({"dev": config}), "dev").graph
    [policy] = [r.inputs for r in graph.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
                if r.inputs["metadata"]["name"] == "orders-api"]
    assert policy["spec"]["ingress"][0]["from"] == [
        {"podSelector": {}}, {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "orders"}}}]


def test_gitops_projects_may_sync_network_policies_and_eks_enforces_them():
    [project] = [m for m in _argo_objects("prod") if m["kind"] == "AppProject"
                 and {"group": "apps", "kind": "Deployment"} in m["spec"]["namespaceResourceWhitelist"]]
    assert {"group": "networking.k8s.io", "kind": "NetworkPolicy"} in project["spec"]["namespaceResourceWhitelist"]
    [cni] = [r for r in shipped_run("prod").graph.of_type("aws:eks/addon:Addon")
             if r.inputs["addonName"] == "vpc-cni"]
    assert json.loads(cni.inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}
    [gke] = shipped_run("gcp-dev").graph.of_type("gcp:container/cluster:Cluster")
    assert gke.inputs["datapathProvider"] == "ADVANCED_DATAPATH"


def _argo_objects(stack: str) -> list[dict]:
    graph = shipped_run(stack).graph
    objects = [r.inputs for r in graph.resources if r.type.startswith("kubernetes:argoproj.io")]
    files = (graph.stack_outputs.get("deployment_files") or {}).get("files", {})
    return objects + [m for m in files.values() if str(m.get("apiVersion", "")).startswith("argoproj.io")]


def _gke(run):
    [cluster] = run.graph.of_type("gcp:container/cluster:Cluster")
    return cluster.inputs


def test_gke_sees_intranode_traffic_and_keeps_the_dns_endpoint_open_outside_prod():
    cluster = _gke(shipped_run("gcp-dev"))
    assert cluster["enableIntranodeVisibility"] is True
    assert cluster["controlPlaneEndpointsConfig"]["dnsEndpointConfig"]["allowExternalTraffic"] is True
    assert "authenticatorGroupsConfig" not in cluster


def test_gke_prod_closes_the_dns_endpoint_unless_opted_in(make_project):
    config = copy.deepcopy(dict(load_stack_yaml("gcp-dev")["config"]))
    config["tier"] = "prod"
    for service in config["services"].values():
        service["image"] = service["image"].split(":")[0] + "@sha256:" + "a" * 64
    project = make_project({"gcp-prod": config})
    refused = stackctl("preview", "gcp-prod", "-C", str(project.root))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "cluster.deployer_access: required" in refused.stderr, refused.stderr
    config["cluster"].update(dns_endpoint_external=True, rbac_security_group="gke-security-groups@acme.example")
    cluster = _gke(run_stack(make_project({"gcp-prod": config}, directory="opt-in"), "gcp-prod"))
    assert cluster["controlPlaneEndpointsConfig"]["dnsEndpointConfig"]["allowExternalTraffic"] is True
    assert cluster["authenticatorGroupsConfig"] == {"securityGroup": "gke-security-groups@acme.example"}
    del config["services"], config["jobs"], config["cluster"]["dns_endpoint_external"]
    closed = _gke(run_stack(make_project({"gcp-prod": config}, directory="closed"), "gcp-prod"))
    assert closed["controlPlaneEndpointsConfig"]["dnsEndpointConfig"]["allowExternalTraffic"] is False


def test_gke_fields_are_refused_on_aws(make_project):
    config = copy.deepcopy(dict(load_stack_yaml("dev")["config"]))
    config["cluster"]["dns_endpoint_external"] = True
    result = stackctl("preview", "dev", "-C", str(make_project({"dev": config}).root))
    assert result.returncode == 2 and "cluster.dns_endpoint_external: only applies on gcp" in result.stderr


def test_gcp_prod_encrypts_topics_with_a_rotating_environment_key_the_pubsub_agent_may_use(make_project):
    config = copy.deepcopy(dict(load_stack_yaml("gcp-dev")["config"]))
    config["tier"] = "prod"
    config.pop("cluster"), config.pop("services"), config.pop("jobs")
    run = run_stack(make_project({"gcp-prod": config}), "gcp-prod")
    [key] = run.graph.of_type("gcp:kms/cryptoKey:CryptoKey")
    [ring] = run.graph.of_type("gcp:kms/keyRing:KeyRing")
    assert key.name == "gcp-prod-queues" and key.protect and key.inputs["rotationPeriod"] == "7776000s"
    assert key.inputs["keyRing"] == ring.id and ring.retainOnDelete
    topics = run.graph.of_type("gcp:pubsub/topic:Topic")
    assert len(topics) == 4 and all(t.inputs["kmsKeyName"] == key.id for t in topics)
    grants = [g for g in run.graph.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
              if g.inputs["cryptoKeyId"] == key.id]
    # One grant for the key (not one per queue: removing a queue must not remove the others' grant).
    assert [g.name for g in grants] == ["gcp-prod-queues-kms-agent"]
    assert {g.inputs["role"] for g in grants} == {"roles/cloudkms.cryptoKeyEncrypterDecrypter"}
    assert all(grants[0].urn in t.dependencies for t in topics)
    assert all(g.inputs["member"].endswith("@gcp-sa-pubsub.iam.gserviceaccount.com") for g in grants)
    apis = {s.inputs["service"] for s in run.graph.of_type("gcp:projects/service:Service")}
    assert "cloudkms.googleapis.com" in apis


def test_gke_prod_boot_disks_use_a_customer_key_the_compute_agent_may_use(make_project):
    assert not shipped_run("gcp-dev").graph.of_type("gcp:kms/cryptoKey:CryptoKey") or all(
        k.name != "gcp-dev-boot-disks" for k in shipped_run("gcp-dev").graph.of_type("gcp:kms/cryptoKey:CryptoKey"))
    config = copy.deepcopy(dict(load_stack_yaml("gcp-dev")["config"]))
    config["tier"] = "prod"
    config.pop("services"), config.pop("jobs")
    run = run_stack(make_project({"gcp-prod": config}), "gcp-prod")
    [key] = [k for k in run.graph.of_type("gcp:kms/cryptoKey:CryptoKey") if k.name == "gcp-prod-boot-disks"]
    assert key.protect and key.inputs["rotationPeriod"] == "7776000s"
    [grant] = [g for g in run.graph.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
               if g.inputs["cryptoKeyId"] == key.id]
    assert grant.inputs["member"].endswith("@compute-system.iam.gserviceaccount.com")
    pools = run.graph.of_type("gcp:container/nodePool:NodePool")
    assert pools and all(p.inputs["nodeConfig"]["bootDiskKmsKey"] == key.id for p in pools)
    assert all("nodeConfig.bootDiskKmsKey" in p.ignoreChanges and grant.urn in p.dependencies for p in pools)
