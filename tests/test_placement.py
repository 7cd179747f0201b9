"""Placement: workloads name their node pool and get exactly that pool's node selector and tolerations."""

from __future__ import annotations

import pytest

from components import SpecError, parse_environment
from components.scheduling import placement
from components.spec.resolve import job_workload
from tests.conftest import shipped_run
from tests.workload_helpers import manifest

DIGEST = "ghcr.io/acme/orders@sha256:" + "a" * 64
BATCH = {"machine_types": ["c7i.2xlarge"], "spot": True, "min_size": 0, "max_size": 5,
         "labels": {"workload": "batch"}, "taints": [{"key": "workload", "value": "batch"}]}
GPU = {"machine_types": ["g6.xlarge"], "gpu": {"count": 1}, "min_size": 0, "max_size": 2}
BASE = {
    "cloud": "aws", "region": "us-east-1", "tier": "dev",
    "queues": {"orders": {"visibility_timeout_seconds": 120}},
    "network": {"availability_zones": ["us-east-1a", "us-east-1b"]},
    "cluster": {"kubernetes_version": "1.35", "node_pools": {
        "general": {"machine_types": ["m7i.large"], "max_size": 4}, "batch": BATCH}},
}
# How the deploying runner reaches the API of a cluster created in the same run (see docs/bootstrap.md).
RUNNER = {"public_endpoint": True, "deployer_access": {"via": "public_endpoint", "runner_cidrs": ["203.0.113.0/28"]}}
BASE["cluster"].update(RUNNER)
BATCH_PLACEMENT = {
    "nodeSelector": {"platform.io/node-pool": "batch"},
    "tolerations": [{"key": "workload", "operator": "Equal", "value": "batch", "effect": "NoSchedule"}],
}


def env(pools: dict | None = None, cloud: str = "aws", **changes) -> dict:
    raw = {**BASE, **changes}
    if pools is not None:
        raw["cluster"] = {**BASE["cluster"], "node_pools": pools}
    if cloud == "gcp":
        raw.update(cloud="gcp", region="europe-west1", gcp_project="acme-platform-dev")
        raw.pop("network")
        raw["cluster"] = {k: v for k, v in raw["cluster"].items() if k not in RUNNER}
    return raw


def service(**fields) -> dict:
    return {"image": "ghcr.io/acme/orders:1.0.0", "queue": "orders", **fields}


def problems(raw: dict) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_environment(raw, "stacks/Pulumi.test.yaml")
    return [p.render("") for p in caught.value.problems]


# --- derivation ----------------------------------------------------------------------------------

def test_a_workload_on_the_batch_pool_selects_and_tolerates_exactly_that_pool():
    graph = shipped_run("prod").graph
    thumbnailer = manifest(graph, "Deployment", "thumbnailer")["spec"]["template"]["spec"]
    assert {k: thumbnailer[k] for k in ("nodeSelector", "tolerations")} == BATCH_PLACEMENT
    report = manifest(graph, "ScaledJob", "monthly-report")["spec"]["jobTargetRef"]["template"]["spec"]
    assert {k: report[k] for k in ("nodeSelector", "tolerations")} == BATCH_PLACEMENT
    # The pool's nodes carry what the pods select and tolerate: one source, never typed twice.
    [group] = [r for r in graph.resources if r.name == "prod-batch" and r.type == "aws:eks/nodeGroup:NodeGroup"]
    assert group.inputs["labels"]["platform.io/node-pool"] == "batch"
    assert group.inputs["taints"] == [{"key": "workload", "value": "batch", "effect": "NO_SCHEDULE"}]


def test_a_workload_without_a_pool_gets_no_selector_or_toleration():
    orders = manifest(shipped_run("prod").graph, "Deployment", "orders")["spec"]["template"]["spec"]
    assert "nodeSelector" not in orders and "tolerations" not in orders


def test_a_job_inherits_its_services_pool_unless_it_sets_its_own():
    spec = parse_environment(env(
        services={"orders": service(node_pool="batch")},
        jobs={"inherits": {"service": "orders", "mode": "on_demand", "queue": None},
              "own": {"service": "orders", "mode": "on_demand", "queue": None, "node_pool": "general"},
              "anywhere": {"service": "orders", "mode": "on_demand", "queue": None, "node_pool": None}},
    ), "test")
    placed = {name: placement(spec.cluster, job_workload(job, spec.services)) for name, job in spec.jobs.items()}
    assert placed["inherits"] == BATCH_PLACEMENT
    assert placed["own"] == {"nodeSelector": {"platform.io/node-pool": "general"}}
    assert placed["anywhere"] == {}


def test_taints_without_a_value_are_tolerated_by_key():
    pools = {"general": {"machine_types": ["m7i.large"]},
             "quiet": {"machine_types": ["m7i.large"], "taints": [{"key": "dedicated", "effect": "NoExecute"}]}}
    spec = parse_environment(env(pools, services={"orders": service(node_pool="quiet")}), "test")
    assert placement(spec.cluster, spec.services["orders"])["tolerations"] == [
        {"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}]


# --- load-time errors ----------------------------------------------------------------------------

def test_unknown_pool_is_an_error_naming_the_pools():
    assert problems(env(services={"orders": service(node_pool="bacth")})) == [
        "services.orders.node_pool: no node pool named 'bacth' in cluster.node_pools (pools: batch, general)"]
    assert problems(env(services={"orders": service()}, jobs={"one": {
        "service": "orders", "mode": "per_message", "node_pool": "gpu"}})) == [
        "jobs.one.node_pool: no node pool named 'gpu' in cluster.node_pools (pools: batch, general)"]


def test_tainted_pools_are_only_reached_by_naming_them():
    assert problems(env({"batch": BATCH}, services={"orders": service()})) == [
        "services.orders.node_pool: every node pool is tainted (batch); name the one to run on"]
    parse_environment(env({"batch": BATCH}, services={"orders": service(node_pool="batch")}), "test")


def test_gpu_requests_need_a_gpu_pool_and_gpu_pools_need_gpu_requests():
    pools = {**BASE["cluster"]["node_pools"], "gpu": GPU}
    assert problems(env(pools, services={"orders": service(resources={"gpu": 1})})) == [
        "services.orders.node_pool: resources.gpu (1) needs node_pool naming a GPU pool (GPU pools: gpu)"]
    assert problems(env(pools, services={"orders": service(node_pool="batch", resources={"gpu": 1})})) == [
        "services.orders.node_pool: resources.gpu (1) needs node_pool naming a GPU pool (GPU pools: gpu)"]
    assert problems(env(pools, services={"orders": service(node_pool="gpu")})) == [
        "services.orders.resources.gpu: node pool 'gpu' is a GPU pool; request GPUs (resources.gpu) or run on "
        "another pool"]


@pytest.mark.parametrize(("pool", "message"), [
    ({"machine_types": ["m7i.large"], "gpu": {"count": 1}},
     "cluster.node_pools.gpu.machine_types: m7i.large has no GPU; a GPU pool needs g5, g6, p5, ..."),
    ({"machine_types": ["g6.xlarge"], "gpu": {"count": 4}},
     "cluster.node_pools.gpu.gpu.count: (4) does not match g6.xlarge, which has 1 GPU(s)"),
    ({"machine_types": ["g6.xlarge"], "gpu": {"type": "nvidia-l4"}},
     "cluster.node_pools.gpu.gpu.type: only applies on gcp; on aws the instance type decides"),
    ({"machine_types": ["g6.xlarge"]},
     "cluster.node_pools.gpu.gpu: ['g6.xlarge'] have GPUs: declare `gpu:` so nodes get the NVIDIA AMI and device "
     "plugin (or choose CPU instance types)"),
    ({"machine_types": ["g6.xlarge"], "gpu": {}, "labels": {"platform.io/node-pool": "x"}},
     "cluster.node_pools.gpu.labels.platform.io/node-pool: is set by the platform; remove it"),
])
def test_gpu_pool_rules_on_aws(pool: dict, message: str):
    assert message in problems(env({"general": {"machine_types": ["m7i.large"]}, "gpu": pool}))


def test_gcp_gpu_pool_needs_an_accelerator_type():
    pools = {"general": {"machine_types": ["e2-standard-4"]},
             "gpu": {"machine_types": ["n1-standard-4"], "gpu": {"count": 1}, "min_size": 0}}
    assert problems(env(pools, cloud="gcp")) == [
        "cluster.node_pools.gpu.gpu.type: required on gcp: the accelerator type, e.g. nvidia-l4"]


def test_running_jobs_are_not_evicted_to_remove_a_node_but_service_pods_are():
    graph = shipped_run("prod").graph
    job_pod = manifest(graph, "ScaledJob", "classify-image")["spec"]["jobTargetRef"]["template"]
    assert job_pod["metadata"]["annotations"] == {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"}
    cron_pod = manifest(graph, "CronJob", "orders-nightly-report")["spec"]["jobTemplate"]
    assert cron_pod["spec"]["template"]["metadata"]["annotations"] == job_pod["metadata"]["annotations"]
    service_pod = manifest(graph, "Deployment", "orders")["spec"]["template"]
    assert "annotations" not in service_pod["metadata"]


def test_an_unknown_pool_stops_the_cli_before_anything_is_registered(make_project):
    from tests.conftest import load_stack_yaml, stackctl

    config = load_stack_yaml("staging")["config"]
    config["services"]["thumbnailer"]["node_pool"] = "gpu"
    result = stackctl("preview", "staging", cwd=make_project({"staging": config}).root)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines()[0] == (
        "stacks/Pulumi.staging.yaml: services.thumbnailer.node_pool: no node pool named 'gpu' in "
        "cluster.node_pools (pools: batch, general)")
    assert "Traceback" not in result.stderr


def test_readme_capacity_example_is_a_valid_stack_fragment():
    import re

    from ruamel.yaml import YAML

    from tests.conftest import REPO

    section = (REPO / "README.md").read_text().split("### Capacity", 1)[1]
    fragment = YAML(typ="safe").load(re.search(r"```yaml\n(.*?)```", section, flags=re.S).group(1))
    raw = env(queues={"inference": {"visibility_timeout_seconds": 120}})
    raw["cluster"] = {**raw["cluster"], "node_pools": {**raw["cluster"]["node_pools"],
                                                       **fragment["cluster"]["node_pools"]}}
    spec = parse_environment({**raw, "jobs": {name: {"image": DIGEST, **job} for name, job in
                                              fragment["jobs"].items()}}, "README.md")
    assert placement(spec.cluster, spec.jobs["classify-image"])["nodeSelector"] == {"platform.io/node-pool": "gpu"}
