"""Upgrading a stack whose roles predate the role path (issue 24): `aws_keep_role_paths` keeps them, and
`stackctl legacy-roles` gives the deployer exactly those roles, nothing else that was in the account."""

from __future__ import annotations

import copy
import json

import pytest

from .conftest import load_stack_yaml, shipped_run, stackctl
from .iam_eval import ALLOW, IMPLICIT_DENY, evaluate

ACCOUNT = "123456789012"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/platform-role-boundary"


def keeping(stack: str = "prod") -> dict:
    config = copy.deepcopy(load_stack_yaml(stack)["config"])
    config["aws_keep_role_paths"] = True
    return config


def test_existing_roles_keep_their_path_and_nothing_else_ignores_it(shared_run):
    kept = shared_run("prod", keeping()).graph
    roles = kept.of_type("aws:iam/role:Role")
    assert roles and all(r.ignoreChanges == ["path"] for r in roles)
    # The program still asks for the new path: a role added later is created there.
    assert all(r.inputs["path"] == "/platform/prod/" for r in roles)
    assert not [r for r in kept.resources if r.ignoreChanges == ["path"] and r.type != "aws:iam/role:Role"]
    assert not [r for r in shipped_run("prod").graph.of_type("aws:iam/role:Role") if "path" in r.ignoreChanges]


def _export(path, graph, root_path: set[str]) -> None:
    """A `pulumi stack export` of the stack as an earlier version made it: the roles in `root_path` on `/`."""
    resources = []
    for record in graph.resources:
        outputs = dict(record.outputs)
        if record.type == "aws:iam/role:Role" and record.name in root_path:
            outputs["arn"] = f"arn:aws:iam::{ACCOUNT}:role/{record.outputs['name']}"
        resources.append({"urn": record.urn, "type": record.type, "custom": record.custom, "id": record.id,
                          "outputs": outputs})
    path.write_text(json.dumps({"version": 3, "deployment": {"resources": resources}}))


def test_the_deployer_gets_exactly_the_stacks_old_roles(make_project, tmp_path):
    graph = shipped_run("prod").graph
    roles = graph.of_type("aws:iam/role:Role")
    old = {r.name for r in roles[:-1]}           # one role already made on the path
    export = tmp_path / "prod.json"
    _export(export, graph, old)
    project = make_project({"prod": keeping()})
    result = stackctl("legacy-roles", "prod", "--state", str(export), cwd=project.root)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    old_arns = sorted(f"arn:aws:iam::{ACCOUNT}:role/{r.outputs['name']}" for r in roles if r.name in old)
    assert all(s["Resource"] == old_arns for s in document["Statement"])
    for arn in old_arns:
        for action in ("iam:UpdateAssumeRolePolicy", "iam:DeleteRole", "iam:TagRole", "iam:UntagRole"):
            assert evaluate(document, action, arn) == ALLOW, (action, arn)
        # Changing its policies still needs the platform's boundary, which the role carries.
        assert evaluate(document, "iam:PutRolePolicy", arn) == IMPLICIT_DENY
        assert evaluate(document, "iam:PutRolePolicy", arn, {"iam:PermissionsBoundary": BOUNDARY}) == ALLOW
        assert evaluate(document, "iam:PassRole", arn, {"iam:PassedToService": "ec2.amazonaws.com"}) == ALLOW
    # Nothing else that was in the account, however it is named.
    for other in ("prod-admin", "platform-admin", f"{roles[0].outputs['name']}-x"):
        arn = f"arn:aws:iam::{ACCOUNT}:role/{other}"
        for action in ("iam:UpdateAssumeRolePolicy", "iam:DeleteRole", "iam:PassRole"):
            assert evaluate(document, action, arn, {"iam:PassedToService": "ec2.amazonaws.com"}) == IMPLICIT_DENY


@pytest.mark.parametrize(("stack", "keep", "roles_on_root", "expected"), [
    ("prod", False, True, "stacks/Pulumi.prod.yaml: aws_keep_role_paths: set it to true first"),
    ("prod", True, False, "no role off /platform/: every role is where the deployer policy reaches it"),
    ("gcp-dev", True, False, "stacks/Pulumi.gcp-dev.yaml: aws_keep_role_paths: only applies when cloud is 'aws'"),
])
def test_legacy_roles_refuses_what_it_cannot_answer(make_project, tmp_path, stack, keep, roles_on_root, expected):
    graph = shipped_run("prod").graph
    export = tmp_path / "state.json"
    _export(export, graph, {r.name for r in graph.of_type("aws:iam/role:Role")} if roles_on_root else set())
    config = keeping(stack) if keep else copy.deepcopy(load_stack_yaml(stack)["config"])
    project = make_project({stack: config})
    result = stackctl("legacy-roles", stack, "--state", str(export), cwd=project.root)
    assert result.returncode == 2 and result.stdout == "", result.stderr
    assert expected in result.stderr.splitlines()[0], result.stderr
