"""The same rules on both doors: a configuration a stack file may not hold is refused when the components are
built from Python too, with the same message at the argument's path, before the component registers anything."""

from __future__ import annotations

import pytest

from components import (
    BatchJob,
    BatchJobArgs,
    EksCluster,
    EksClusterArgs,
    Environment,
    EnvironmentSpec,
    JobSpec,
    NodePoolSpec,
    Service,
    ServiceArgs,
    ServiceSpec,
    SpecError,
    SqsWorkQueue,
    WorkQueueArgs,
    parse_environment,
)
from stackctl.testing import run_program

BASE = {
    "cloud": "aws", "region": "us-east-1", "tier": "dev",
    "queues": {"orders": {"visibility_timeout_seconds": 300}},
    "cluster": {"node_pools": {"general": {"machine_types": ["m7i.large"]}}, "kubernetes_version": "1.35",
                "public_endpoint": True,
                "deployer_access": {"via": "public_endpoint", "runner_cidrs": ["203.0.113.0/28"]}},
    "network": {"availability_zones": ["us-east-1a", "us-east-1b"]},
}
IMAGE = "ghcr.io/acme/orders:1.0.0"


def stack_file_problems(**changes) -> list[str]:
    with pytest.raises(SpecError) as refused:
        parse_environment({**BASE, **changes}, "stacks/Pulumi.test.yaml")
    return [p.render("") for p in refused.value.problems]


def python_refusal(build) -> SpecError:
    """Run `build(cluster, queue)` after a cluster and a 300 s queue exist; the SpecError it raises."""
    def program():
        cluster = EksCluster("test", EksClusterArgs(
            cluster_name="test", region="us-east-1", subnet_ids=["subnet-1", "subnet-2"], private_access_cidrs=[],
            node_pools={"general": NodePoolSpec(machine_types=["m7i.large"])}))
        queue = SqsWorkQueue("orders", WorkQueueArgs(visibility_timeout_seconds=300))
        build(cluster, queue)

    with pytest.raises(SpecError) as refused:
        run_program(program, config={"aws:region": "us-east-1"})
    registered = {r.type for r in refused.value.partial_run.graph.resources}
    assert "platform:index:EksCluster" in registered
    assert not registered & {"platform:index:Service", "platform:index:BatchJob"}, "registered before refusing"
    return refused.value


def service(cluster, queue, spec: ServiceSpec, min_replicas: int = 0, with_queue: bool = True) -> Service:
    return Service("orders", ServiceArgs(workload_name="orders", namespace="orders", cluster=cluster,
                                         queue=queue if with_queue else None, spec=spec, min_replicas=min_replicas))


def test_a_message_longer_than_the_visibility_timeout():
    assert stack_file_problems(services={"orders": {"image": IMAGE, "queue": "orders", "max_message_seconds": 900}}) \
        == ["services.orders.max_message_seconds: (900) must be <= queues.orders.visibility_timeout_seconds (300), "
            "or messages are redelivered while still being processed"]
    refused = python_refusal(lambda cluster, queue: service(cluster, queue, ServiceSpec(
        image=IMAGE, max_message_seconds=900)))
    assert str(refused) == ("Service 'orders': args.spec.max_message_seconds: (900) must be <= "
                            "args.queue.visibility_timeout_seconds (300), or messages are redelivered while still "
                            "being processed")


def test_replica_bounds():
    scaling = {"min_replicas": 3, "max_replicas": 2}
    assert stack_file_problems(services={"orders": {"image": IMAGE, "queue": "orders", "scaling": scaling}}) == [
        "services.orders.scaling.max_replicas: (2) must be >= min_replicas (3)"]
    refused = python_refusal(lambda cluster, queue: service(
        cluster, queue, ServiceSpec(image=IMAGE, scaling=scaling), min_replicas=3))
    assert str(refused) == "Service 'orders': args.spec.scaling.max_replicas: (2) must be >= min_replicas (3)"


def test_scale_to_zero_without_a_queue():
    assert stack_file_problems(services={"orders": {"image": IMAGE, "scaling": {"min_replicas": 0}}}) == [
        "services.orders.scaling.min_replicas: only a queue-driven service can scale to zero (an HPA needs at least 1)"]
    refused = python_refusal(lambda cluster, queue: service(
        cluster, queue, ServiceSpec(image=IMAGE), min_replicas=0, with_queue=False))
    assert str(refused) == ("Service 'orders': args.min_replicas: only a queue-driven service can scale to zero "
                            "(an HPA needs at least 1)")


def test_probes_need_ports():
    probes = {"readiness": {"http_path": "/healthz"}}
    assert stack_file_problems(services={"orders": {"image": IMAGE, "queue": "orders", "probes": probes}}) == [
        "services.orders.probes.readiness: an HTTP or TCP probe needs a declared port"]
    refused = python_refusal(lambda cluster, queue: service(cluster, queue, ServiceSpec(image=IMAGE, probes=probes)))
    assert str(refused) == "Service 'orders': args.spec.probes.readiness: an HTTP or TCP probe needs a declared port"


def test_a_per_message_job_needs_a_queue():
    assert stack_file_problems(jobs={"resize": {"image": IMAGE, "mode": "per_message"}}) == [
        "jobs.resize.queue: required for mode 'per_message' (one Job per message of it)"]
    refused = python_refusal(lambda cluster, queue: BatchJob("resize", BatchJobArgs(
        workload_name="resize", namespace="resize", cluster=cluster, job=JobSpec(mode="per_message"),
        workload=ServiceSpec(image=IMAGE), deadline_seconds=600)))
    assert str(refused) == "BatchJob 'resize': args.queue: required for mode 'per_message' (one Job per message of it)"


def test_placement_on_the_clusters_pools():
    assert stack_file_problems(services={"orders": {"image": IMAGE, "queue": "orders", "node_pool": "gpu"}}) == [
        "services.orders.node_pool: no node pool named 'gpu' in cluster.node_pools (pools: general)"]
    refused = python_refusal(lambda cluster, queue: service(cluster, queue, ServiceSpec(image=IMAGE, node_pool="gpu")))
    assert str(refused) == ("Service 'orders': args.spec.node_pool: no node pool named 'gpu' in "
                            "args.cluster.node_pools (pools: general)")


def test_an_environment_built_in_python_runs_the_environment_wide_rules():
    # Placement against the cluster's pools needs the whole environment: Environment checks it.
    services = {"orders": {"image": IMAGE, "queue": "orders", "node_pool": "gpu"}}
    expected = "services.orders.node_pool: no node pool named 'gpu' in cluster.node_pools (pools: general)"
    assert stack_file_problems(services=services) == [expected]
    spec = EnvironmentSpec.model_validate({**BASE, "services": services})  # the model alone: field rules only
    with pytest.raises(SpecError) as refused:
        run_program(lambda: Environment("test", spec), config={"aws:region": "us-east-1"})
    assert str(refused.value) == f"Environment 'test': {expected}"
    assert refused.value.partial_run.graph.resources == [] or all(
        r.type == "pulumi:pulumi:Stack" for r in refused.value.partial_run.graph.resources)
