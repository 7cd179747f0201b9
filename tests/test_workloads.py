"""Services and batch jobs: secure pods, KEDA scaling, job shapes, identity scoping, real schemas."""

from __future__ import annotations

import copy
import json

import pytest

from stackctl.engine.runner import run_stack
from stackctl.schemas import validate_manifest

from .conftest import SHIPPED_STACKS, load_stack_yaml, shipped_run
from .test_identity_deletions import subtree
from .workload_helpers import manifest, manifests, pod_specs

STACKS_WITH_WORKLOADS = [s for s in SHIPPED_STACKS if load_stack_yaml(s)["config"].get("services")]


@pytest.mark.parametrize("stack", STACKS_WITH_WORKLOADS)
def test_every_pod_runs_locked_down(stack: str):
    specs = pod_specs(shipped_run(stack).graph)
    assert specs
    for where, pod in specs.items():
        assert pod["automountServiceAccountToken"] is False, where
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert pod["securityContext"]["runAsUser"] >= 10000, where
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, where
        [container] = pod["containers"]
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False, where
        assert security["privileged"] is False and security["capabilities"] == {"drop": ["ALL"]}, where
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]), where
        assert "memory" in container["resources"]["limits"], where
        assert {"name": "writable-tmp", "mountPath": "/tmp"} in container["volumeMounts"], where
        assert {"name": "writable-tmp", "emptyDir": {"sizeLimit": "1Gi"}} in pod["volumes"], where
    for account in manifests(shipped_run(stack).graph, "ServiceAccount"):
        assert account["automountServiceAccountToken"] is False


def test_queue_service_deployment_leaves_replicas_to_keda_and_outlives_its_longest_message():
    graph = shipped_run("dev").graph
    deployment = manifest(graph, "Deployment", "orders", "orders")
    assert "replicas" not in deployment["spec"]
    pod = deployment["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] == 90 + 30
    assert [c["topologyKey"] for c in pod["topologySpreadConstraints"]] == [
        "topology.kubernetes.io/zone", "kubernetes.io/hostname"]
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in pod["containers"][0]["env"]}
    assert env["WORK_QUEUE_ADDRESS"] == "https://sqs.us-east-1.amazonaws.com/123456789012/dev-orders"
    assert env["WORK_QUEUE_KIND"] == "sqs" and env["AWS_REGION"] == "us-east-1"
    assert env["DATABASE_URL"] == {"secretKeyRef": {"name": "orders-cloud-secrets", "key": "DATABASE_URL"}}
    pdb = manifest(graph, "PodDisruptionBudget", "orders", "orders")
    assert pdb["spec"] == {"maxUnavailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": "orders"}}}


def test_scaled_object_scales_on_its_own_sqs_queue_with_kedas_identity():
    graph = shipped_run("dev").graph
    scaled = manifest(graph, "ScaledObject", "orders", "orders")["spec"]
    assert scaled["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "orders"}
    assert (scaled["minReplicaCount"], scaled["maxReplicaCount"], scaled["cooldownPeriod"]) == (0, 5, 300)
    [trigger] = scaled["triggers"]
    assert trigger == {
        "type": "aws-sqs-queue",
        "metadata": {"queueURL": "https://sqs.us-east-1.amazonaws.com/123456789012/dev-orders",
                     "queueLength": "10", "activationQueueLength": "0", "awsRegion": "us-east-1"},
        "authenticationRef": {"name": "orders-queue"},
    }
    auth = manifest(graph, "TriggerAuthentication", "orders-queue", "orders")
    assert auth["spec"] == {"podIdentity": {"provider": "aws", "identityOwner": "keda"}}


def test_prod_services_default_to_two_replicas():
    scaled = manifest(shipped_run("prod").graph, "ScaledObject", "orders", "orders")["spec"]
    assert scaled["minReplicaCount"] == 2


def test_pubsub_services_scale_through_managed_prometheus():
    graph = shipped_run("gcp-dev").graph
    [trigger] = manifest(graph, "ScaledObject", "embedder", "embedder")["spec"]["triggers"]
    assert trigger["type"] == "prometheus"
    assert trigger["metadata"] == {
        "serverAddress": "https://monitoring.googleapis.com/v1/projects/acme-platform-dev/location/global/prometheus",
        "query": 'sum(pubsub_googleapis_com:subscription_num_undelivered_messages{monitored_resource='
                 '"pubsub_subscription",subscription_id="gcp-dev-embeddings"})',
        "threshold": "20",
        "activationThreshold": "0",
    }
    auth = manifest(graph, "TriggerAuthentication", "embedder-queue", "embedder")
    assert auth["spec"] == {"podIdentity": {"provider": "gcp"}}


def test_service_without_queue_uses_an_hpa_and_may_expose_ports():
    graph = shipped_run("staging").graph
    hpa = manifest(graph, "HorizontalPodAutoscaler", "orders-api", "orders-api")["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 6)
    assert hpa["metrics"][0]["resource"] == {"name": "cpu", "target": {"type": "Utilization",
                                                                        "averageUtilization": 60}}
    service = manifest(graph, "Service", "orders-api", "orders-api")["spec"]
    assert service["ports"] == [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}]
    container = manifest(graph, "Deployment", "orders-api")["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert not [m for m in manifests(graph, "ScaledObject") if m["metadata"]["name"] == "orders-api"]


def test_scheduled_job_is_a_forbid_concurrency_cronjob_reusing_the_service_image():
    graph = shipped_run("dev").graph
    cron = manifest(graph, "CronJob", "orders-nightly-report", "orders")["spec"]
    assert (cron["schedule"], cron["timeZone"], cron["suspend"]) == ("0 2 * * *", "Europe/Berlin", False)
    assert cron["concurrencyPolicy"] == "Forbid" and cron["startingDeadlineSeconds"] == 300
    assert (cron["successfulJobsHistoryLimit"], cron["failedJobsHistoryLimit"]) == (3, 3)
    job = cron["jobTemplate"]["spec"]
    assert (job["backoffLimit"], job["activeDeadlineSeconds"], job["ttlSecondsAfterFinished"]) == (2, 21600, 86400)
    pod = job["template"]["spec"]
    service_pod = manifest(graph, "Deployment", "orders")["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["containers"][0]["image"] == service_pod["containers"][0]["image"]
    assert pod["containers"][0]["command"] == ["python", "-m", "orders.report"]
    assert pod["serviceAccountName"] == "orders-nightly-report"
    env = {e["name"] for e in pod["containers"][0]["env"]}
    assert "DATABASE_URL" in env and "WORK_QUEUE_ADDRESS" not in env


def test_on_demand_job_is_a_suspended_cronjob():
    cron = manifest(shipped_run("dev").graph, "CronJob", "orders-backfill", "orders")["spec"]
    assert cron["suspend"] is True and cron["schedule"] == "0 0 31 2 *"


def test_per_message_job_is_a_scaled_job_with_one_message_per_job():
    graph = shipped_run("dev").graph
    scaled = manifest(graph, "ScaledJob", "thumbnail-one", "thumbnailer")["spec"]
    assert scaled["jobTargetRef"]["parallelism"] == 1 and scaled["jobTargetRef"]["completions"] == 1
    assert scaled["jobTargetRef"]["activeDeadlineSeconds"] == 240 + 60
    assert scaled["jobTargetRef"]["template"]["spec"]["restartPolicy"] == "Never"
    assert scaled["maxReplicaCount"] == 5
    assert (scaled["successfulJobsHistoryLimit"], scaled["failedJobsHistoryLimit"]) == (3, 3)
    assert scaled["scalingStrategy"] == {"strategy": "default"}
    [trigger] = scaled["triggers"]
    assert trigger["metadata"]["queueLength"] == "1"
    assert trigger["metadata"]["queueURL"].endswith("/dev-thumbnails")


def _policy_resources(graph, role_name: str) -> list[str]:
    resources = []
    for policy in graph.of_type("aws:iam/rolePolicy:RolePolicy"):
        if policy.inputs["role"] == role_name:
            for statement in json.loads(policy.inputs["policy"])["Statement"]:
                resources.append(statement["Resource"])
    return resources


@pytest.mark.parametrize("workload, namespace, queue, sends_to", [
    ("orders", "orders", "dev-orders", None),
    ("thumbnailer", "thumbnailer", "dev-thumbnails", None),
    ("thumbnail-one", "thumbnailer", "dev-thumbnails", None),
    ("orders-nightly-report", "orders", None, None),
    ("orders-backfill", "orders", None, "dev-orders"),  # a producer: sends to orders, consumes nothing
])
def test_each_workload_identity_reaches_only_its_own_queue(workload: str, namespace: str, queue: str | None,
                                                           sends_to: str | None):
    graph = shipped_run("dev").graph
    [role] = [r for r in graph.of_type("aws:iam/role:Role") if r.name == f"dev-{workload}"]
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    subjects = [v for k, v in statement["Condition"]["StringEquals"].items() if k.endswith(":sub")]
    assert subjects == [f"system:serviceaccount:{namespace}:{workload}"]
    expected: list = [f"arn:aws:sqs:us-east-1:123456789012:{queue}"] if queue else []
    if sends_to:
        expected.append(f"arn:aws:sqs:us-east-1:123456789012:{sends_to}")
    if namespace == "orders":  # orders and the jobs reusing it read DATABASE_URL from Secrets Manager
        [secret] = graph.of_type("aws:secretsmanager/secret:Secret")
        expected.append([secret.outputs["arn"]])
    assert sorted(map(json.dumps, _policy_resources(graph, role.outputs["name"]))) == sorted(map(json.dumps, expected))
    account = manifest(graph, "ServiceAccount", workload, namespace)
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": role.outputs["arn"]}


def test_gke_workloads_get_their_own_google_service_account():
    graph = shipped_run("gcp-dev").graph
    bindings = {r.inputs["member"] for r in graph.of_type("gcp:serviceaccount/iAMMember:IAMMember")}
    assert "serviceAccount:acme-platform-dev.svc.id.goog[embedder/embed-one]" in bindings
    assert "serviceAccount:acme-platform-dev.svc.id.goog[keda/keda-operator]" in bindings
    grants = {r.name: r.inputs for r in graph.of_type("gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember")
              if r.name.endswith("-consume")}
    assert grants["gcp-dev-embed-one-consume"]["subscription"] == "gcp-dev-embeddings"
    assert grants["gcp-dev-embed-one-consume"]["role"] == "roles/pubsub.subscriber"
    assert "gcp-dev-reindex-consume" not in grants


def test_keda_is_pinned_and_reads_queue_lengths_with_its_own_identity():
    graph = shipped_run("dev").graph
    [release] = [r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "keda"]
    assert release.inputs["version"] == "2.20.2"
    assert release.inputs["repositoryOpts"] == {"repo": "https://kedacore.github.io/charts"}
    assert release.inputs["namespace"] == "keda"
    [role] = [r for r in graph.of_type("aws:iam/role:Role") if r.name == "dev-keda-operator"]
    assert release.inputs["values"]["podIdentity"] == {"aws": {"irsa": {"enabled": True,
                                                                        "roleArn": role.outputs["arn"]}}}
    [policy] = [p for p in graph.of_type("aws:iam/rolePolicy:RolePolicy") if p.name == "dev-keda-operator-read-queues"]
    statements = json.loads(policy.inputs["policy"])["Statement"]
    assert {s["Resource"] for s in statements} == {"arn:aws:sqs:us-east-1:123456789012:dev-orders",
                                                  "arn:aws:sqs:us-east-1:123456789012:dev-thumbnails"}
    assert all(s["Action"] == ["sqs:GetQueueAttributes"] for s in statements)
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert [v for k, v in statement["Condition"]["StringEquals"].items() if k.endswith(":sub")] == [
        "system:serviceaccount:keda:keda-operator"]


def test_keda_on_gke_and_in_prod():
    gke = shipped_run("gcp-dev").graph
    [release] = [r for r in gke.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "keda"]
    [account] = [a for a in gke.of_type("gcp:serviceaccount/account:Account") if a.name == "gcp-dev-keda-operator"]
    assert release.inputs["values"]["podIdentity"] == {"gcp": {"enabled": True,
                                                               "gcpIAMServiceAccount": account.outputs["email"]}}
    [viewer] = [m for m in gke.of_type("gcp:projects/iAMMember:IAMMember") if m.name.startswith("gcp-dev-keda")]
    assert viewer.inputs["role"] == "roles/monitoring.viewer"
    [prod_release] = [r for r in shipped_run("prod").graph.of_type("kubernetes:helm.sh/v3:Release")
                      if r.inputs["chart"] == "keda"]
    values = prod_release.inputs["values"]
    assert values["operator"] == {"replicaCount": 2} and values["podDisruptionBudget"] == {"maxUnavailable": 1}


def test_workload_objects_wait_for_their_namespace_and_for_keda():
    graph = shipped_run("dev").graph
    [deployment] = [r for r in graph.resources if r.name == "dev-orders-deployment"]
    [scaled_job] = [r for r in graph.resources if r.name == "dev-thumbnail-one-scaledjob"]
    [release] = [r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "keda"]
    [namespace] = [r for r in graph.resources if r.name == "dev-namespace-orders"]
    assert namespace.urn in deployment.dependencies and release.urn in deployment.dependencies
    assert release.urn in scaled_job.dependencies
    assert namespace.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("stack", STACKS_WITH_WORKLOADS)
def test_every_kubernetes_object_validates_against_the_upstream_schemas(stack: str):
    graph = shipped_run(stack).graph
    version = load_stack_yaml(stack)["config"]["cluster"]["kubernetes_version"]
    objects = manifests(graph)
    assert {"Deployment", "CronJob", "ScaledObject", "TriggerAuthentication", "ServiceAccount"} <= {
        m["kind"] for m in objects}
    for obj in objects:
        assert validate_manifest(obj, version) == [], f"{obj['kind']} {obj['metadata']['name']}"


def test_the_schema_validation_catches_mistakes():
    graph = shipped_run("dev").graph
    deployment = copy.deepcopy(manifest(graph, "Deployment", "orders"))
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["runAsNonRot"] = True
    [error] = validate_manifest(deployment, "1.35")
    assert "runAsNonRot" in error
    scaled = copy.deepcopy(manifest(graph, "ScaledJob", "thumbnail-one"))
    scaled["spec"]["scalingStrategy"]["strategy"] = "fastest"
    assert any("fastest" in e for e in validate_manifest(scaled, "1.35"))
    del scaled["spec"]["triggers"][0]["type"]
    assert any("'type' is a required property" in e for e in validate_manifest(scaled, "1.35"))


def test_removing_a_service_removes_exactly_its_resources(make_project, shared_run):
    full = copy.deepcopy(load_stack_yaml("staging")["config"])
    full["delivery"] = "push"
    reduced = copy.deepcopy(full)
    del reduced["services"]["orders-api"]
    before = shared_run("staging", full).graph
    after = run_stack(make_project({"staging": reduced}, "after"), "staging").graph
    env = "urn:pulumi:staging::platform::platform:index:Environment$"
    expected = subtree(before, env + "platform:index:Service::staging-orders-api") | {
        env + "kubernetes:core/v1:Namespace::staging-namespace-orders-api",
        env + "kubernetes:networking.k8s.io/v1:NetworkPolicy::staging-namespace-orders-api-default-deny"}
    assert set(before.urns()) - set(after.urns()) == expected
    assert set(after.urns()) <= set(before.urns())
