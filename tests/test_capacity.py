"""Capacity check: pods fit a node of their pool, declared maximums fit the pools' maximums, with numbers."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from components import SpecError, parse_environment
from components.rules.capacity import capacity_problems
from components.rules.node_types import allocatable
from tests.conftest import SHIPPED_STACKS, load_stack_yaml

BASE = {
    "cloud": "aws", "region": "us-east-1", "tier": "dev",
    "queues": {"orders": {"visibility_timeout_seconds": 120}},
    "network": {"availability_zones": ["us-east-1a", "us-east-1b"]},
}


def env(pools: dict, services: dict | None = None, jobs: dict | None = None) -> dict:
    return {**BASE, "cluster": {"kubernetes_version": "1.35", "node_pools": pools, "public_endpoint": True,
                                "deployer_access": {"via": "public_endpoint", "runner_cidrs": ["203.0.113.0/28"]}},
            "services": services or {}, "jobs": jobs or {}}


def general(max_size: int = 2, machine_type: str = "m7i.large") -> dict:
    return {"general": {"machine_types": [machine_type], "min_size": 1, "max_size": max_size}}


def service(cpu: str = "250m", memory: str = "256Mi", replicas: int = 1, **fields) -> dict:
    return {"image": "ghcr.io/acme/orders:1.0.0", "queue": "orders",
            "resources": {"cpu": cpu, "memory": memory, "cpu_limit": None},
            "scaling": {"min_replicas": 0, "max_replicas": replicas}, **fields}


def problems(raw: dict) -> list[str]:
    try:
        parse_environment(raw, "stacks/Pulumi.test.yaml")
    except SpecError as error:
        return [p.render("") for p in error.problems]
    return []


def test_allocatable_follows_the_published_reservation_formulas():
    # EKS m7i.large: 2 vCPU - 70m kube-reserved - 200m system pods; 8 GiB - (11 x 29 + 255) MiB - 100 MiB
    # eviction - 300 MiB system pods.
    node = allocatable("aws", "m7i.large")
    assert node is not None and node.cpu == Decimal("1.73") and node.memory == (8192 - 574 - 400) * 2**20
    # GKE e2-standard-4: 16 GiB - (25% of 4 + 20% of 4 + 10% of 8) GiB - 100 MiB - 300 MiB.
    node = allocatable("gcp", "e2-standard-4")
    assert node is not None and node.cpu == Decimal("3.72")
    assert node.memory == Decimal(16 - 1 - Decimal("0.8") - Decimal("0.8")) * 2**30 - 400 * 2**20
    assert allocatable("aws", "m5zn.large") is None


def test_a_pod_fits_a_node_up_to_its_allocatable_and_not_beyond():
    assert problems(env(general(), {"orders": service(cpu="1730m")})) == []
    assert problems(env(general(), {"orders": service(cpu="1740m")})) == [
        "services.orders.resources: one pod requests 1.74 CPU, 256 MiB but no node it may run on has that much "
        "allocatable (pool 'general' (m7i.large) about 1.73 CPU, 7.0 GiB); it would stay Pending"]


def test_a_gpu_pod_needs_a_node_with_that_many_gpus():
    pools = {**general(), "gpu": {"machine_types": ["g6.xlarge"], "gpu": {"count": 1}, "min_size": 0, "max_size": 4}}
    job = {"image": "ghcr.io/acme/infer:1.0.0", "queue": "orders", "mode": "per_message", "node_pool": "gpu",
           "max_parallel_jobs": 1, "resources": {"cpu": "2", "memory": "8Gi", "cpu_limit": "4", "gpu": 2}}
    assert problems(env(pools, jobs={"infer": job})) == [
        "jobs.infer.resources: one pod requests 2 CPU, 8.0 GiB, 2 GPU but no node it may run on has that much "
        "allocatable (pool 'gpu' (g6.xlarge) about 3.72 CPU, 14.7 GiB, 1 GPU); it would stay Pending"]


def test_declared_maximums_pack_into_the_pools_maximums_up_to_the_limit():
    # An m7i.large holds 1.73 CPU; the add-ons (KEDA 3 x 0.1, Cluster Autoscaler 0.1 CPU) take the first node's
    # room for three 0.173-CPU pods: 17 fit on 2 nodes, 18 do not.
    assert problems(env(general(), {"orders": service(cpu="173m", replicas=17)})) == []
    assert problems(env(general(), {"orders": service(cpu="173m", replicas=18)})) == [
        "cluster.node_pools.general.max_size: the declared maximums need 3.514 CPU, 5.1 GiB (services.orders 18 x "
        "0.173 CPU/256 MiB; add-ons keda-operator 1 x 0.1 CPU/100 MiB; add-ons keda-metrics-apiserver 1 x 0.1 "
        "CPU/100 MiB; add-ons keda-admission-webhooks 1 x 0.1 CPU/100 MiB; add-ons cluster-autoscaler 1 x 0.1 "
        "CPU/300 MiB) and do not pack into 2 x m7i.large nodes: pool 'general' needs 3 nodes of m7i.large (about "
        "1.73 CPU, 7.0 GiB allocatable each, pods packed whole); raise max_size to 3, or lower max_replicas / "
        "max_parallel_jobs"]


def test_packing_sees_what_a_sum_does_not():
    """Two 1-CPU pods do not fit one 1.73-CPU node: 3 pods (and the add-ons, 0.4 CPU) need 3 nodes, though
    their 3.4 CPU is less than the 3.46 CPU of 2 nodes."""
    pools = {"general": {"machine_types": ["m7i.large"], "min_size": 1, "max_size": 2}}
    [message] = problems(env(pools, {"orders": service(cpu="1", replicas=3)}))
    assert message.startswith("cluster.node_pools.general.max_size: the declared maximums need 3.4 CPU")
    assert "pool 'general' needs 3 nodes of m7i.large" in message and "raise max_size to 3" in message


def test_jobs_count_their_parallelism_on_their_own_pool():
    pools = {**general(), "gpu": {"machine_types": ["g6.xlarge"], "gpu": {"count": 1}, "min_size": 0, "max_size": 2}}

    def job(parallel: int) -> dict:
        return {"infer": {"image": "ghcr.io/acme/infer:1.0.0", "queue": "orders", "mode": "per_message",
                          "node_pool": "gpu", "max_parallel_jobs": parallel,
                          "resources": {"cpu": "1", "memory": "4Gi", "gpu": 1}}}

    assert problems(env(pools, jobs=job(2))) == []
    [message] = problems(env(pools, jobs=job(3)))
    assert message.startswith("cluster.node_pools.gpu.max_size: the declared maximums need 3 CPU, 12.0 GiB, 3 GPU "
                              "(jobs.infer 3 x 1 CPU/4.0 GiB/1 GPU) and do not pack into 2 x g6.xlarge nodes")
    assert message.endswith("pool 'gpu' needs 3 nodes of g6.xlarge (about 3.72 CPU, 14.7 GiB, 1 GPU allocatable "
                            "each, pods packed whole); raise max_size to 3, or lower max_replicas / max_parallel_jobs")


def test_workloads_without_a_pool_share_every_untainted_pool():
    pools = {"a": {"machine_types": ["m7i.large"], "max_size": 2}, "b": {"machine_types": ["m7i.large"], "max_size": 1}}
    assert problems(env(pools, {"orders": service(cpu="1", replicas=3)})) == []
    [message] = problems(env(pools, {"orders": service(cpu="1", replicas=4)}))
    assert message.startswith("cluster.node_pools: the declared maximums need 4.4 CPU")
    assert message.endswith("and do not pack into 2 x m7i.large + 1 x m7i.large nodes (1 pods left over): pool 'a' "
                            "needs 3 nodes (1 more); raise max_size, or lower max_replicas / max_parallel_jobs")


def test_add_on_pods_are_counted_on_the_untainted_pools():
    [message] = problems(env(general(max_size=1), {"orders": service(cpu="1.5", replicas=1)}))
    assert "add-ons keda-operator 1 x 0.1 CPU/100 MiB" in message and "add-ons cluster-autoscaler" in message
    assert "raise max_size to 2" in message


def test_pools_of_machine_types_outside_the_table_are_not_guessed():
    assert problems(env(general(machine_type="m5zn.large"), {"orders": service(cpu="64", replicas=1000)})) == []


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_shipped_stacks_pass_the_capacity_check(stack: str):
    config = load_stack_yaml(stack)["config"]
    secrets = [key for key, value in config.items() if isinstance(value, dict) and "secure" in value]
    spec = parse_environment(config, stack, secret_keys=secrets)
    assert capacity_problems(spec) == []


def test_gcp_dev_as_it_was_is_reported_with_its_numbers():
    """The review's finding: 2-CPU embedders fit one per e2-standard-4 (3.72 CPU allocatable), so the declared
    maximums need 10 nodes; the shipped max_size was 8."""
    config = copy.deepcopy(load_stack_yaml("gcp-dev")["config"])
    config["cluster"]["node_pools"]["general"]["max_size"] = 8
    [message] = problems(config)
    assert message.startswith("cluster.node_pools.general.max_size: the declared maximums need 23.05 CPU")
    assert "services.embedder 8 x 2 CPU/4.0 GiB" in message and "add-ons keda-operator" in message
    assert message.endswith("do not pack into 8 x e2-standard-4 nodes: pool 'general' needs 10 nodes of "
                            "e2-standard-4 (about 3.72 CPU, 13.0 GiB allocatable each, pods packed whole); raise "
                            "max_size to 10, or lower max_replicas / max_parallel_jobs")
