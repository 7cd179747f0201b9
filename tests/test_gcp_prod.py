"""Issue 24, item 3: GKE prod on a fresh project: the shipped gcp-prod stack, and no invoke before its API."""

from __future__ import annotations

import pulumi_gcp

from stackctl.engine.runner import run_stack

from .conftest import PROJECT, SHIPPED_STACKS, shipped_run


def test_gcp_prod_ships_with_the_prod_posture():
    assert "gcp-prod" in SHIPPED_STACKS
    graph = shipped_run("gcp-prod").graph
    [cluster] = graph.of_type("gcp:container/cluster:Cluster")
    assert cluster.protect and cluster.inputs["binaryAuthorization"]["evaluationMode"] == \
        "PROJECT_SINGLETON_POLICY_ENFORCE"
    # Kept on delete with the topics and subscriptions: the queue key and its ring.
    kept = {f"{r.type}::{r.name}" for r in graph.resources if r.retainOnDelete}
    assert {"gcp:kms/cryptoKey:CryptoKey::gcp-prod-queues", "gcp:kms/keyRing:KeyRing::gcp-prod-queues",
            "gcp:pubsub/topic:Topic::gcp-prod-orders-topic"} <= kept


def test_every_project_invoke_waits_for_the_resource_manager_api(monkeypatch):
    """`get_project_output` calls the Resource Manager API: on a fresh project it must depend on that API's
    enablement (the SDK waits for an invoke's depends_on before calling), else SERVICE_DISABLED."""
    seen: list[list[str]] = []
    original = pulumi_gcp.organizations.get_project_output

    def recording(*args, opts=None, **kwargs):
        depends = list(getattr(opts, "depends_on", None) or [])
        seen.append(sorted(getattr(r, "_name", "") for r in depends))
        return original(*args, opts=opts, **kwargs)

    monkeypatch.setattr(pulumi_gcp.organizations, "get_project_output", recording)
    run_stack(PROJECT, "gcp-prod")
    assert seen, "prod's CMEK boot disks need the project number"
    assert all("gcp-prod-apis-cloudresourcemanager" in names for names in seen), seen
