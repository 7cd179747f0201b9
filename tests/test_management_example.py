"""examples/management: the management stack of operator delivery (issue 27's missing program). It previews
offline from the platform's own stack files, derives each workspace from one, and refuses bad input in one line
naming the file and field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from .conftest import REPO, stackctl, stackctl_process

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
    (lambda c: c.update({"platform-management:aws_secrets_key_arns": ["arn:aws:kms:us-west-2:1:key/k"]}),
     "Pulumi.mgmt.yaml: aws_secrets_key_arns: must be a map of environment name to key ARN"),
    (lambda c: c.update({"platform-management:environments": []}),
     "Pulumi.mgmt.yaml: environments: list the environments the operator deploys"),
]


@pytest.mark.parametrize(("change", "expected"), BAD, ids=[e.split(":")[1].strip()[:40] for _, e in BAD])
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


def test_a_broken_environment_stack_file_is_its_own_one_line_problems(tmp_path):
    stacks = tmp_path / "stacks"
    shutil.copytree(REPO / "stacks", stacks)
    broken = stacks / "Pulumi.prod.yaml"
    broken.write_text(broken.read_text().replace("infra_delivery: operator", "infra_delivery: operater"))
    project = management_project(tmp_path, lambda c: c.update({"platform-management:stacks_dir": str(stacks)}))
    result = stackctl("preview", "mgmt", cwd=project)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.splitlines()[0].startswith(f"{broken}: infra_delivery: must be one of"), result.stderr


@pytest.mark.parametrize("verb", ["preview", "check"])
def test_a_setting_of_the_wrong_type_is_bad_input_for_every_verb(tmp_path, verb):
    """`config.get_object` of text that is not JSON (`environments: prod`) and `config.require` of a missing key
    are bad input: one line, exit 2, whether the program runs for `preview` or under the pack for `check`."""
    project = management_project(tmp_path, lambda c: c.update({"platform-management:environments": "prod"}))
    result = stackctl(verb, "mgmt", cwd=project)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "platform-management:environments" in result.stderr.splitlines()[0], result.stderr


@pytest.mark.slow(3)
def test_a_programs_spec_error_is_exit_2_in_a_real_process(tmp_path):
    """In its own process the CLI has not imported `components` before the run, and a run forgets what it imported
    from the project directory: the SpecError the program raised must still be recognised (exit 2, one line)."""
    project = management_project(tmp_path, lambda c: c.update({"platform-management:environments": ["prod", "dev"]}))
    result = stackctl_process("-C", str(project), "preview", "mgmt")
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "infra_delivery: is 'push'" in result.stderr.splitlines()[0], result.stderr


@pytest.mark.slow(3)
def test_a_stack_file_error_is_exit_2_when_components_live_in_the_project(tmp_path):
    """This repository's own layout: `components` inside the project directory, so the run imports it from there
    and forgets it afterwards. The CLI must still see the SpecError as bad input (it said exit 1 when the class
    it compared with was imported after the run)."""
    (tmp_path / "stacks").mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(REPO / "components", tmp_path / "components", ignore=shutil.ignore_patterns("__pycache__"))
    bad = (REPO / "stacks" / "Pulumi.dev.yaml").read_text().replace("tier: dev", "tier: bogus")
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(bad)
    result = stackctl_process("-C", str(tmp_path), "preview", "dev")
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[0] == ("stacks/Pulumi.dev.yaml: tier: must be one of 'dev', 'staging' or "
                                             "'prod' (got 'bogus')"), result.stderr
