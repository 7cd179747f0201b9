"""Workload validation: queue invariants, image pinning, job shapes, names."""

from __future__ import annotations

import pytest

from components import SpecError, parse_environment
from components.spec.resolve import job_namespace, job_workload

DIGEST = "ghcr.io/acme/orders@sha256:" + "a" * 64
BASE = {
    "cloud": "aws", "region": "us-east-1", "tier": "dev",
    "queues": {"orders": {"visibility_timeout_seconds": 120}},
    "cluster": {"node_pools": {"general": {"machine_types": ["m7i.large"]}}, "kubernetes_version": "1.35",
                "public_endpoint": True,
                "deployer_access": {"via": "public_endpoint", "runner_cidrs": ["203.0.113.0/28"]}},
    "network": {"availability_zones": ["us-east-1a", "us-east-1b"]},
}


def env(**changes) -> dict:
    return {**BASE, **changes}


def service(**fields) -> dict:
    return {"image": "ghcr.io/acme/orders:1.0.0", "queue": "orders", **fields}


def problems(raw: dict) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_environment(raw, "stacks/Pulumi.test.yaml")
    return [p.render("") for p in caught.value.problems]


def test_visibility_timeout_must_cover_the_longest_message():
    assert problems(env(services={"orders": service(max_message_seconds=600)})) == [
        "services.orders.max_message_seconds: (600) must be <= queues.orders.visibility_timeout_seconds (120), or "
        "messages are redelivered while still being processed"]


def test_unknown_queue_and_service_references():
    assert problems(env(services={"orders": service(queue="billing")})) == [
        "services.orders.queue: no queue named 'billing' in queues (queues: orders)"]
    assert problems(env(jobs={"report": {"service": "billing", "mode": "on_demand"}})) == [
        "jobs.report.service: no service named 'billing' (services: none)"]


@pytest.mark.parametrize("image, tier, message", [
    ("ghcr.io/acme/orders", "dev", "'ghcr.io/acme/orders' has neither tag nor digest"),
    ("localhost:5000/orders", "dev", "'localhost:5000/orders' has neither tag nor digest"),
    ("ghcr.io/acme/orders:latest", "dev", "'ghcr.io/acme/orders:latest' uses the floating tag 'latest'"),
    ("ghcr.io/acme/orders:1.0.0", "prod", "prod images must be pinned by digest (repo@sha256:...), got tag '1.0.0'"),
])
def test_image_pinning(image: str, tier: str, message: str):
    raw = env(tier=tier, services={"orders": service(image=image)})
    if tier == "prod":
        raw["network"] = {}
    [found] = problems(raw)
    assert found.startswith(f"services.orders.image: {message}")


def test_digest_images_pass_in_prod_and_tags_outside_prod():
    prod = env(tier="prod", network={}, services={"orders": service(image=DIGEST)})
    assert parse_environment(prod, "x").services["orders"].image == DIGEST
    assert parse_environment(env(services={"orders": service(image="r:5000/o:1.2")}), "x")


def test_job_modes_need_their_settings():
    assert problems(env(jobs={"a": {"image": "r/a:1", "mode": "schedule"}})) == [
        "jobs.a.schedule: required for mode 'schedule'"]
    assert problems(env(jobs={"a": {"image": "r/a:1", "mode": "schedule", "schedule": "every day"}})) == [
        "jobs.a.schedule: must be a 5-field cron expression: minute hour day-of-month month day-of-week "
        "(got 'every day')"]
    assert problems(env(jobs={"a": {"image": "r/a:1", "mode": "on_demand", "schedule": "0 2 * * *"}})) == [
        "jobs.a.schedule: only applies to mode 'schedule' (mode is 'on_demand')"]
    assert problems(env(jobs={"a": {"image": "r/a:1", "mode": "per_message"}})) == [
        "jobs.a.queue: required for mode 'per_message' (one Job per message of it)"]
    assert problems(env(jobs={"a": {"image": "r/a:1", "mode": "on_demand", "time_zone": "Mars/Olympus"}})) == [
        "jobs.a.time_zone: unknown IANA time zone 'Mars/Olympus'"]
    assert problems(env(jobs={"a": {"mode": "on_demand"}})) == [
        "jobs.a.image: required (or reuse a service's with `service:`)"]


def test_resources_quantities_and_limits():
    bad = service(resources={"cpu": "lots", "memory": "1Gi", "memory_limit": "512Mi"})
    assert problems(env(services={"orders": bad})) == [
        "services.orders.resources.cpu: must be a CPU quantity such as 250m or 1 (got 'lots')",
        "services.orders.resources.memory_limit: (512Mi) must be >= memory (1Gi)",
    ]


def test_names_namespaces_ports_and_probes():
    assert problems(env(services={"orders": service()}, jobs={"orders": {"service": "orders",
                                                                          "mode": "on_demand"}})) == [
        "jobs.orders: a service is also named 'orders'; workload names must be unique"]
    assert problems(env(services={"orders": service(namespace="kube-system")})) == [
        "services.orders.namespace: 'kube-system' is reserved for the platform; use the service's own namespace"]
    assert problems(env(services={"api": service(queue=None, expose=True)})) == [
        "services.api.expose: needs at least one declared port"]
    assert problems(env(services={"api": service(queue=None, probes={"readiness": {"http_path": "/h"}})})) == [
        "services.api.probes.readiness: an HTTP or TCP probe needs a declared port"]
    assert problems(env(services={"api": service(queue=None, scaling={"min_replicas": 0})})) == [
        "services.api.scaling.min_replicas: only a queue-driven service can scale to zero (an HPA needs at least 1)"]


def test_workloads_need_a_cluster():
    raw = env(services={"orders": service()})
    del raw["cluster"]
    assert problems(raw) == ["cluster: services and jobs need a cluster: declare one"]


def test_jobs_inherit_the_service_workload_and_override_what_they_set():
    spec = parse_environment(env(
        services={"orders": service(env={"A": "1"}, namespace="shop", command=["serve"])},
        jobs={"report": {"service": "orders", "mode": "on_demand", "command": ["report"], "queue": None}},
    ), "x")
    workload = job_workload(spec.jobs["report"], spec.services)
    assert (workload.image, workload.env, workload.command, workload.queue) == (
        "ghcr.io/acme/orders:1.0.0", {"A": "1"}, ["report"], None)
    assert job_namespace("report", spec.jobs["report"], spec.services) == "shop"
