"""Issue 24, item 7: every AWS resource of every shipped stack against the AWS API (moto): create, update one
property, delete; plus the policy checks moto does not make. What moto cannot take is listed, with why."""

from __future__ import annotations

import json

import pytest
from moto import mock_aws

from .aws_contract import NOT_REPLAYED, Contract, policy_problems
from .conftest import REPO, SHIPPED_STACKS, load_stack_yaml, shipped_run
from .iam_eval import ALLOW, evaluate

AWS_STACKS = [s for s in SHIPPED_STACKS if load_stack_yaml(s)["config"]["cloud"] == "aws"]


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_every_emitted_aws_type_is_replayed_or_listed_with_a_reason(stack: str):
    contract = Contract.__new__(Contract)   # the handler table only; no clients needed
    with mock_aws():
        contract.__init__()
    emitted = {r.type for r in shipped_run(stack).graph.resources if r.type.startswith("aws:")}
    assert emitted - set(contract.handlers) - set(NOT_REPLAYED) == set(), "add a handler or a NOT_REPLAYED reason"


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_the_policies_pass_the_checks_moto_does_not_make(stack: str):
    graph = shipped_run(stack).graph
    problems = [p for r in graph.resources if r.type.startswith("aws:")
                for p in policy_problems(r.type, r.name, r.inputs)]
    assert problems == []


def test_the_policy_checks_catch_what_they_name():
    assert policy_problems("aws:kms/key:Key", "k", {"policy": '{"Statement": [{"Effect": "Allow", '
                                                              '"Principal": "*", "Action": "kms:Decrypt"}]}'}) == [
        "k: key policy without the account statement (the key would be unmanageable)", "k: key policy allows everyone"]
    assert policy_problems("aws:sqs/queuePolicy:QueuePolicy", "q", {"policy": '{"Statement": [{"Effect": "Allow", '
                                                                            '"Principal": "*", "Action": '
                                                                            '"sqs:SendMessage"}]}'}) == [
        "q: resource policy does not deny insecure transport", "q: allows everyone without a condition"]
    assert policy_problems("aws:iam/role:Role", "r", {"assumeRolePolicy": '{"Statement": [{"Effect": "Allow", '
                                                                          '"Principal": {"AWS": "*"}}]}'}) == [
        "r: trust policy names neither a service nor an identity provider", "r: role without a permissions boundary"]
    assert policy_problems("aws:iam/rolePolicy:RolePolicy", "p", {"policy": '{"Statement": [{"Effect": "Allow", '
                                                                            '"Action": "sqs:*"}]}'}) == [
        "p: identity policy grants sqs:*", "p: identity policy statement without Resource"]


@pytest.mark.slow(30)
@pytest.mark.parametrize("stack", AWS_STACKS)
def test_create_update_delete_against_the_api(stack: str, monkeypatch):
    # AWS managed policies (AmazonEKSClusterPolicy, ...) exist in moto only when it loads them.
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    with mock_aws():
        replay_stack(stack)


def replay_stack(stack: str) -> None:
    graph = shipped_run(stack).graph
    contract = Contract()
    contract.up(graph)
    created = [line for line in contract.log if line.startswith("create ")]
    sent = {r.type for r in contract.replayed(graph)}
    # The ARNs IAM gave the roles (not the offline run's): the deployer may change, delete and pass each one.
    role_arns = [contract.iam.get_role(RoleName=contract.ids[r.urn])["Role"]["Arn"]
                 for r in graph.of_type("aws:iam/role:Role")]
    assert role_arns and all(":role/platform/" in arn for arn in role_arns), role_arns
    deployer = json.loads((REPO / "deploy" / "ci-identity" / "aws-deployer-policy.json").read_text())
    for arn in role_arns:
        for action in ("iam:UpdateAssumeRolePolicy", "iam:DeleteRole", "iam:TagRole"):
            assert evaluate(deployer, action, arn) == ALLOW, (action, arn)
        assert evaluate(deployer, "iam:PassRole", arn, {"iam:PassedToService": "ec2.amazonaws.com"}) == ALLOW
    assert len(created) == len(contract.replayed(graph))
    # Every replayed type that has an in-place update is updated once.
    updated = set(contract.update_all(graph))
    assert updated == sent & set(contract.updaters)
    contract.destroy(graph)
    kept = {r.urn for r in contract.replayed(graph) if r.retainOnDelete}
    assert len([line for line in contract.log if line.startswith("delete ")]) == len(created) - len(kept)
    # The network, IAM, KMS, logs and queues all went through; only the EKS family stays out.
    assert {"aws:ec2/vpc:Vpc", "aws:ec2/natGateway:NatGateway", "aws:iam/role:Role", "aws:kms/key:Key",
            "aws:cloudwatch/logGroup:LogGroup", "aws:ec2/flowLog:FlowLog"} <= sent
    # What stays out needs the EKS cluster to exist (its security group, node groups): the EksCluster's subtree.
    eks = "platform:index:EksCluster"
    outside = sorted(u for u in contract.skipped if eks not in u)
    assert outside == [], outside


def test_the_docs_list_what_moto_cannot_take():
    section = (REPO / "docs" / "bootstrap.md").read_text().split("## 7.")[1]
    assert all(f"`{type_}`" in section for type_ in NOT_REPLAYED)
