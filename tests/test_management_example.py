"""examples/management: the management stack of operator delivery (issue 27's missing program). It previews
offline from the platform's own stack files, derives each workspace from one, and refuses bad input in one line
naming the file and field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from .conftest import REPO, stackctl

EXAMPLE = REPO / "examples" / "management"
ISSUER = "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"


def management_project(tmp_path: Path, change=None) -> Path:
    """A copy of the example whose stack reads this repository's stack files, changed by `change(config)`."""
    project = tmp_path / "management"
    shutil.copytree(EXAMPLE, project)
    yaml = YAML()
    stack_file = project / "Pulumi.mgmt.yaml"
    data = yaml.load(stack_file.read_text())
    data["config"]["platform-management:stacks_dir"] = str(REPO / "stacks")
    if change is not None:
        change(data["config"])
    with stack_file.open("w") as handle:
        yaml.dump(data, handle)
    return project


def test_the_shipped_example_previews_from_the_platforms_stack_files():
    result = stackctl("preview", "mgmt", "--json", cwd=EXAMPLE)
    assert result.returncode == 0, result.stderr
    graph = json.loads(result.stdout)
    types = sorted(r["type"] for r in graph["resources"] if r["custom"] and not r["type"].startswith("pulumi:"))
    # prod reuses CI's deployer role: the operator, its namespace and the Stacks' namespace, and no role.
    assert types == ["kubernetes:core/v1:Namespace", "kubernetes:core/v1:Namespace", "kubernetes:helm.sh/v3:Release"]
    statement = json.loads(graph["outputs"]["trust_statements"]["prod"])["Statement"][0]
    assert statement["Condition"]["StringEquals"][f"{ISSUER}:sub"] == "system:serviceaccount:pulumi-stacks:pulumi-prod"
    assert statement["Principal"] == {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"}


def test_a_workspace_role_is_made_where_its_arn_says_when_it_does_not_exist(tmp_path):
    project = management_project(tmp_path, lambda c: c.update({"platform-management:existing_roles": []}))
    result = stackctl("preview", "mgmt", "--json", cwd=project)
    assert result.returncode == 0, result.stderr
    [role] = [r for r in json.loads(result.stdout)["resources"] if r["type"] == "aws:iam/role:Role"]
    # prod's operator.cloud_identity: arn:aws:iam::123456789012:role/deployer
    assert (role["inputs"]["name"], role["inputs"]["path"]) == ("deployer", "/")


BAD = [
    (lambda c: c.update({"platform-management:environments": ["prod", "dev"]}),
     "stacks/Pulumi.dev.yaml: infra_delivery: is 'push'; the operator deploys only environments that say"),
    (lambda c: c.update({"platform-management:environments": ["prod", "nope"]}),
     "Pulumi.mgmt.yaml: environments[1]: no stack file"),
    (lambda c: c["platform-management:aws_secrets_key_arns"].update({"prod": "alias/platform-pulumi-prod"}),
     "Pulumi.mgmt.yaml: aws_secrets_key_arns.prod: secrets_key must be a KMS key ARN"),
    (lambda c: c.pop("platform-management:aws_oidc_issuer"),
     "error: Missing required configuration variable 'platform-management:aws_oidc_issuer'"),
]


@pytest.mark.parametrize(("change", "expected"), BAD, ids=[e.split(":")[1].strip() for _, e in BAD])
def test_bad_management_input_is_one_line_and_exit_2(tmp_path, change, expected):
    result = stackctl("preview", "mgmt", cwd=management_project(tmp_path, change))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert expected in result.stderr.splitlines()[0], result.stderr


@pytest.mark.parametrize(("raised", "code", "expected"), [
    ("pulumi.RunError('the queue owner must be named')", 1, "error: the queue owner must be named"),
    ("RuntimeError('a bug')", 1, "error: the stack program failed"),
])
def test_a_programs_own_error_is_said_as_the_cli_says_it(tmp_path, raised, code, expected):
    """`pulumi.RunError` is how a program reports an error on purpose: the CLI prints its message and no stack
    trace (so did `config.require`'s ConfigMissingError above); any other exception is a bug, shown with where."""
    (tmp_path / "Pulumi.yaml").write_text("name: tiny\nruntime: python\n")
    (tmp_path / "Pulumi.x.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text(f"import pulumi\nraise {raised}\n")
    result = stackctl("preview", "x", cwd=tmp_path)
    assert result.returncode == code and result.stderr.startswith(expected), result.stderr
    assert ("Traceback" in result.stderr) == raised.startswith("RuntimeError")
