"""Day-one fixes found in review: each test fails on the code before the fix (issue 10, items 3-9)."""

from __future__ import annotations

import copy
import json

import boto3
import pytest
from moto import mock_aws

from components.cluster.eks import same_principal
from components.queues.sqs import kms_decrypt_scope
from stackctl.engine.mocks import CALLER_ARN_VARIABLE
from stackctl.engine.runner import run_stack

from .conftest import PROJECT, load_stack_yaml, shipped_run


def of_type(stack_or_graph, type_: str) -> list:
    graph = shipped_run(stack_or_graph).graph if isinstance(stack_or_graph, str) else stack_or_graph
    return graph.of_type(type_)


def named(graph, name: str):
    [found] = [r for r in graph.resources if r.name == name]
    return found


# --- 3: the deployer listed in cluster.admins gets one access entry, not two ---------------------------

def access_entries(graph) -> dict[str, str]:
    return {r.name: r.inputs["principalArn"] for r in graph.of_type("aws:eks/accessEntry:AccessEntry")}


def test_a_deployer_outside_admins_gets_its_own_access_entry():
    entries = access_entries(shipped_run("prod").graph)
    assert entries["prod-admin-deployer"] == "arn:aws:iam::123456789012:role/deployer"
    assert len(set(entries.values())) == len(entries) == 3


def test_a_deployer_listed_in_admins_is_not_given_a_second_access_entry(monkeypatch):
    # CI assumes the PlatformAdmin role that prod also lists in cluster.admins.
    monkeypatch.setenv(CALLER_ARN_VARIABLE, "arn:aws:sts::123456789012:assumed-role/PlatformAdmin/ci-run-42")
    run = run_stack(PROJECT, "prod")
    entries = access_entries(run.graph)
    # prod also lists its usual CI role (`deployer`, issue 14); the caller gets no entry of its own.
    assert entries == {"prod-admin-break-glass": "arn:aws:iam::123456789012:role/BreakGlass",
                       "prod-admin-deployer": "arn:aws:iam::123456789012:role/deployer",
                       "prod-admin-platform-team": "arn:aws:iam::123456789012:role/PlatformAdmin"}
    associations = run.graph.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert sorted(r.name for r in associations) == [
        "prod-admin-break-glass", "prod-admin-deployer", "prod-admin-platform-team"]
    assert any("cluster.admins.platform-team" in d.message for d in run.diagnostics)


def test_principal_comparison_ignores_role_paths_and_case_but_not_accounts_or_kinds():
    role = "arn:aws:iam::123456789012:role/PlatformAdmin"
    assert same_principal("arn:aws:iam::123456789012:role/ci/PlatformAdmin", role)
    assert same_principal("arn:aws:iam::123456789012:role/platformadmin", role)
    assert not same_principal("arn:aws:iam::210987654321:role/PlatformAdmin", role)
    assert not same_principal("arn:aws:iam::123456789012:user/PlatformAdmin", role)
    assert not same_principal("arn:aws:iam::123456789012:role/PlatformAdmins", role)


# --- 4: a push-mode Deployment reading a Secret nobody creates cannot hang `pulumi up` ----------------

def deployment(stack: str, name: str) -> dict:
    [found] = [r for r in of_type(stack, "kubernetes:apps/v1:Deployment") if r.name == f"{stack}-{name}-deployment"]
    return found.inputs


def test_push_deployments_with_external_secrets_do_not_wait_and_say_why(make_project):
    orders = deployment("dev", "orders")
    assert orders["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
    # Without secrets the await stays: a broken image must still fail `pulumi up`.
    assert "annotations" not in deployment("dev", "thumbnailer")["metadata"]
    # dev's orders reads a cloud secret: ESO syncs it, so the note says so and asks for no kubectl.
    [note] = [d for d in shipped_run("dev").diagnostics if "orders/db-url" in d.message]
    assert note.severity == "info" and "External Secrets Operator" in note.message
    assert not [d for d in shipped_run("dev").diagnostics if d.severity == "warning" and "orders" in d.message]
    # A hand-made Kubernetes Secret: the warning says what to create.
    config = copy.deepcopy(load_stack_yaml("dev")["config"])
    config["services"]["orders"]["secret_env"] = {"DATABASE_URL": {"secret": "orders-db", "key": "url"}}
    run = run_stack(make_project({"dev": config}), "dev")
    [warning] = [d for d in run.diagnostics if d.severity == "warning" and "orders-db" in d.message]
    assert "Deployment orders/orders" in warning.message and "pulumi.com/skipAwait" in warning.message
    assert "kubectl -n orders create secret generic" in warning.message


def test_gitops_manifests_carry_no_pulumi_annotation():
    files = shipped_run("staging").graph.root.outputs["deployment_files"]
    assert "pulumi.com/skipAwait" not in json.dumps(files)


# --- 5: the GKE key ring survives destroy and re-create -------------------------------------------------

def test_gke_key_ring_is_autonamed_so_a_recreated_stack_gets_a_new_ring():
    [ring] = of_type("gcp-dev", "gcp:kms/keyRing:KeyRing")
    assert ring.urn.endswith("GkeCluster$gcp:kms/keyRing:KeyRing::gcp-dev-keyring")  # identity unchanged
    assert "name" not in ring.inputs  # Pulumi's autoname: `gcp-dev-keyring-<random>`, new after each destroy
    assert ring.retainOnDelete is True
    # Rings created with the old fixed name keep it: no replacement of the ring or its key on upgrade.
    assert ring.ignoreChanges == ["name"]
    [key] = of_type("gcp-dev", "gcp:kms/cryptoKey:CryptoKey")
    assert key.inputs["keyRing"] == ring.id


# --- 6: Argo CD's PodDisruptionBudgets protect something ------------------------------------------------

def test_argocd_ha_pdbs_allow_one_disruption_instead_of_min_available_zero():
    [release] = [r for r in of_type("prod", "kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "argo-cd"]
    for component in ("controller", "server", "repoServer", "applicationSet"):
        assert release.inputs["values"][component]["pdb"] == {"enabled": True, "maxUnavailable": 1}


# --- 7: a KMS alias ARN as a queue key is granted through the alias, not as a resource ------------------

QUEUE = "arn:aws:sqs:us-east-1:123456789012:dev-orders"


@pytest.mark.parametrize("key, resource, alias", [
    ("arn:aws:kms:eu-west-1:210987654321:alias/orders", "arn:aws:kms:eu-west-1:210987654321:key/*", "alias/orders"),
    ("alias/orders", "arn:aws:kms:us-east-1:123456789012:key/*", "alias/orders"),
])
def test_alias_keys_are_matched_by_resource_alias(key: str, resource: str, alias: str):
    assert kms_decrypt_scope(key, QUEUE) == {
        "Resource": resource, "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": alias}}}


def test_key_arns_are_granted_directly():
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert kms_decrypt_scope(key, QUEUE) == {"Resource": key}


@mock_aws
def test_consumer_grant_for_an_alias_arn_queue_is_a_valid_policy_that_names_no_alias_arn(make_project):
    config = copy.deepcopy(load_stack_yaml("dev")["config"])
    config["queues"]["orders"]["kms_key"] = "arn:aws:kms:us-east-1:123456789012:alias/orders"
    graph = run_stack(make_project({"dev": config}), "dev").graph
    policy = json.loads(named(graph, "dev-orders-consume").inputs["policy"])
    [decrypt] = [s for s in policy["Statement"] if s["Sid"] == "DecryptMessages"]
    assert decrypt["Resource"] == "arn:aws:kms:us-east-1:123456789012:key/*"
    assert decrypt["Condition"] == {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/orders"}}
    # IAM (moto) accepts the document as a role policy.
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_role(RoleName="orders", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    iam.put_role_policy(RoleName="orders", PolicyName="consume", PolicyDocument=json.dumps(policy))
    assert iam.get_role_policy(RoleName="orders", PolicyName="consume")["PolicyDocument"] == policy


# --- 8: port 443 only for what must reach the API; nodes in their own security group ------------------

def test_nodes_have_their_own_security_group_in_the_launch_template():
    graph = shipped_run("dev").graph
    [group] = graph.of_type("aws:ec2/securityGroup:SecurityGroup")
    assert group.name == "dev-nodes"
    for template in graph.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        assert template.inputs["vpcSecurityGroupIds"] == [group.id]


def test_the_cluster_security_group_admits_only_nodes_and_declared_runners_on_443():
    for stack, cidrs in (("dev", set()), ("staging", set()), ("prod", {"10.40.255.0/24"})):
        graph = shipped_run(stack).graph
        [cluster] = graph.of_type("aws:eks/cluster:Cluster")
        [nodes] = graph.of_type("aws:ec2/securityGroup:SecurityGroup")
        cluster_sg = cluster.outputs["vpcConfig"]["clusterSecurityGroupId"]
        to_api = [r.inputs for r in graph.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                  if r.inputs["securityGroupId"] == cluster_sg]
        assert all(rule["fromPort"] == rule["toPort"] == 443 for rule in to_api)
        assert {rule["cidrIpv4"] for rule in to_api if "cidrIpv4" in rule} == cidrs, stack
        assert [rule["referencedSecurityGroupId"] for rule in to_api if "cidrIpv4" not in rule] == [nodes.id]


def test_the_node_group_joins_only_after_its_rules_exist():
    graph = shipped_run("dev").graph
    rules = {r.urn for r in graph.resources if r.type.startswith("aws:vpc/securityGroup")}
    for group in graph.of_type("aws:eks/nodeGroup:NodeGroup"):
        assert rules <= set(group.dependencies)


@pytest.mark.slow(2.5)
@mock_aws
def test_node_security_group_rules_are_accepted_by_the_ec2_api():
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ids = {name: ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
           for name in ("cluster", "nodes")}
    # As the provider does on create: the default allow-all egress goes, the declared rule replaces it.
    ec2.revoke_security_group_egress(GroupId=ids["nodes"], IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    graph = shipped_run("dev").graph
    [cluster] = graph.of_type("aws:eks/cluster:Cluster")
    [nodes] = graph.of_type("aws:ec2/securityGroup:SecurityGroup")
    real = {cluster.outputs["vpcConfig"]["clusterSecurityGroupId"]: ids["cluster"], nodes.id: ids["nodes"]}
    for type_, call in (("Ingress", ec2.authorize_security_group_ingress),
                        ("Egress", ec2.authorize_security_group_egress)):
        for rule in graph.of_type(f"aws:vpc/securityGroup{type_}Rule:SecurityGroup{type_}Rule"):
            inputs = rule.inputs
            permission = {"IpProtocol": inputs["ipProtocol"]}
            if "fromPort" in inputs:
                permission.update(FromPort=inputs["fromPort"], ToPort=inputs["toPort"])
            if "cidrIpv4" in inputs:
                permission["IpRanges"] = [{"CidrIp": inputs["cidrIpv4"]}]
            else:
                permission["UserIdGroupPairs"] = [{"GroupId": real[inputs["referencedSecurityGroupId"]]}]
            call(GroupId=real[inputs["securityGroupId"]], IpPermissions=[permission])
    node_rules = ec2.describe_security_groups(GroupIds=[ids["nodes"]])["SecurityGroups"][0]["IpPermissions"]
    assert {(p.get("FromPort"), p["IpProtocol"]) for p in node_rules} == {
        (443, "tcp"), (4443, "tcp"), (6443, "tcp"), (8443, "tcp"), (9443, "tcp"), (10250, "tcp"), (None, "-1")}


# --- 9: KEDA waits for the network rules its webhooks need ------------------------------------------

@pytest.mark.parametrize("stack, rule_type", [
    ("gcp-dev", "gcp:compute/firewall:Firewall"),
    ("dev", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"),
])
def test_keda_release_depends_on_the_control_plane_to_webhook_rules(stack: str, rule_type: str):
    graph = shipped_run(stack).graph
    [keda] = [r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "keda"]
    webhook_rules = [r.urn for r in graph.of_type(rule_type)
                     if "control-plane-to-webhooks" in r.name or "nodes-from-control-plane-9443" in r.name]
    assert webhook_rules and set(webhook_rules) <= set(keda.dependencies)
