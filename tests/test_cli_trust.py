"""The CLI does what a new user expects: `-C` before the verb, `--version`, `check --all` with a broken stack file."""

from __future__ import annotations

import copy
import json
from importlib.metadata import version

import pytest

from .conftest import REPO, load_stack_yaml, stackctl


def test_project_dir_before_the_verb(tmp_path):
    before = stackctl("-C", str(REPO), "preview", "dev", "--json", cwd=tmp_path)
    after = stackctl("preview", "dev", "--json", "-C", str(REPO), cwd=tmp_path)
    assert before.returncode == after.returncode == 0, before.stderr + after.stderr
    assert before.stdout == after.stdout
    missing = stackctl("-C", str(tmp_path), "preview", "dev", cwd=tmp_path)
    assert missing.returncode == 2
    assert f"-C {tmp_path}: no Pulumi.yaml there" in missing.stderr


def test_version():
    result = stackctl("--version")
    assert result.returncode == 0
    assert result.stdout == f"stackctl {version('platform-components')}\n"


def _project_with_a_broken_stack(make_project):
    dev = load_stack_yaml("dev")["config"]
    bad = copy.deepcopy(dev)
    bad["services"]["orders"]["scaling"]["max_replicas"] = True
    project = make_project({"dev": dev, "spec": bad})
    # One stack whose file is not YAML, one whose spec is invalid: neither stops the others' check.
    (project.root / "stacks" / "Pulumi.broken.yaml").write_text("config: [unterminated\n")
    return project


@pytest.mark.slow(12.0)
def test_check_all_checks_every_valid_stack_and_reports_the_broken_ones(make_project):
    project = _project_with_a_broken_stack(make_project)
    policy = str(REPO / "policy")
    sarif = stackctl("check", "--all", "--format", "sarif", "--policy-pack", policy, cwd=project.root)
    assert sarif.returncode == 2, sarif.stderr
    assert "stacks/Pulumi.broken.yaml" in sarif.stderr
    assert "services.orders.scaling.max_replicas" in sarif.stderr
    runs = {run["automationDetails"]["id"].split("/")[1]: run for run in json.loads(sarif.stdout)["runs"]}
    assert set(runs) == {"dev", "broken", "spec"}
    assert runs["dev"]["results"]  # the valid stack was checked (dev has advisory findings)
    for name in ("broken", "spec"):
        [result] = runs[name]["results"]
        assert result["level"] == "error" and result["ruleId"] == "stack-file-invalid"
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == f"stacks/Pulumi.{name}.yaml"
        assert runs[name]["invocations"][0]["executionSuccessful"] is False

    as_json = stackctl("check", "--all", "--format", "json", "--policy-pack", policy, cwd=project.root)
    assert as_json.returncode == 2
    documents = {document["stack"]: document for document in json.loads(as_json.stdout)}
    assert set(documents) == {"dev", "broken", "spec"}
    assert "violations" in documents["dev"]
    assert "services.orders.scaling.max_replicas" in documents["spec"]["error"]


def test_check_one_broken_stack_still_fails_alone(make_project):
    project = _project_with_a_broken_stack(make_project)
    result = stackctl("check", "broken", "--policy-pack", str(REPO / "policy"), cwd=project.root)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "stacks/Pulumi.broken.yaml" in result.stderr
