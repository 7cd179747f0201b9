"""Cluster identity: cosmetic and scaling changes are updates, never replacements; workload identity binding."""

from __future__ import annotations

import copy
import json

from stackctl.engine.runner import run_stack

from .conftest import load_stack_yaml, shipped_run

IDENTITY_INPUTS = {
    # The inputs whose change makes the provider replace the resource (a new name, a new cluster).
    "aws:eks/cluster:Cluster": ("name",),
    "aws:eks/nodeGroup:NodeGroup": ("nodeGroupNamePrefix", "clusterName"),
    "gcp:container/cluster:Cluster": ("name", "location"),
    "gcp:container/nodePool:NodePool": ("namePrefix", "cluster", "location"),
}


def identities(graph) -> dict[str, tuple]:
    return {r.urn: tuple(json.dumps(r.inputs.get(k), sort_keys=True) for k in IDENTITY_INPUTS.get(r.type, ()))
            for r in graph.resources}


def test_scaling_and_labels_change_no_urn_and_no_identity_input(make_project):
    for stack in ("staging", "gcp-dev"):
        before = copy.deepcopy(load_stack_yaml(stack)["config"])
        after = copy.deepcopy(before)
        for pool in after["cluster"]["node_pools"].values():
            pool.update(min_size=pool.get("min_size", 1) + 1, max_size=pool.get("max_size", 3) + 5,
                        labels={"team": "ml", **pool.get("labels", {})})
        graph_before = shipped_run(stack).graph  # `before` is the shipped stack file as it is
        graph_after = run_stack(make_project({stack: after}, f"{stack}-after"), stack).graph
        # A new label only adds the Auto Scaling group tag that describes it to Cluster Autoscaler.
        added = set(graph_after.urns()) - set(graph_before.urns())
        assert set(graph_before.urns()) <= set(graph_after.urns())
        assert all("aws:autoscaling/tag:Tag::" in urn and urn.endswith("-asg-label-team") for urn in added)
        assert len(added) == (len(after["cluster"]["node_pools"]) if stack == "staging" else 0)
        kept = identities(graph_after)
        assert identities(graph_before) == {urn: kept[urn] for urn in graph_before.urns()}


PROGRAM = '''
import pulumi
from components import Environment, load_environment_spec

environment = Environment(pulumi.get_stack(), load_environment_spec())
identity = environment.cluster.bind_workload_identity(
    "orders-worker", "orders", "orders-worker", pulumi.ResourceOptions(parent=environment.cluster))
environment.queues["orders"].grant_consume(
    "orders-worker-consume", identity.principal, pulumi.ResourceOptions(parent=environment.cluster))
pulumi.export("annotations", identity.annotations)
'''


def test_eks_binding_trusts_exactly_one_service_account_and_reaches_only_its_queue(make_project):
    config = load_stack_yaml("dev")["config"]
    graph = run_stack(make_project({"dev": config}, program=PROGRAM), "dev").graph
    [role] = [r for r in graph.of_type("aws:iam/role:Role") if r.name == "orders-worker"]
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    conditions = statement["Condition"]["StringEquals"]
    assert [v for k, v in conditions.items() if k.endswith(":sub")] == ["system:serviceaccount:orders:orders-worker"]
    [grant] = [r for r in graph.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "orders-worker-consume"]
    assert grant.inputs["role"] == role.outputs["name"]
    [consume] = json.loads(grant.inputs["policy"])["Statement"]
    assert consume["Resource"] == "arn:aws:sqs:us-east-1:123456789012:dev-orders"
    assert graph.stack_outputs["annotations"] == {"eks.amazonaws.com/role-arn": role.outputs["arn"]}


def test_gke_binding_lets_exactly_one_service_account_impersonate(make_project):
    config = load_stack_yaml("gcp-dev")["config"]
    graph = run_stack(make_project({"gcp-dev": config}, program=PROGRAM), "gcp-dev").graph
    [account] = [r for r in graph.of_type("gcp:serviceaccount/account:Account") if r.name == "orders-worker"]
    [binding] = [b for b in graph.of_type("gcp:serviceaccount/iAMMember:IAMMember")
                 if b.name == "orders-worker-workload-identity"]
    assert binding.inputs["role"] == "roles/iam.workloadIdentityUser"
    assert binding.inputs["member"] == "serviceAccount:acme-platform-dev.svc.id.goog[orders/orders-worker]"
    assert binding.inputs["serviceAccountId"] == account.outputs["name"]
    [grant] = [r for r in graph.resources if r.name == "orders-worker-consume"]
    assert grant.inputs == {"subscription": "gcp-dev-orders", "role": "roles/pubsub.subscriber",
                            "member": f"serviceAccount:{account.outputs['email']}"}
    assert graph.stack_outputs["annotations"] == {"iam.gke.io/gcp-service-account": account.outputs["email"]}
