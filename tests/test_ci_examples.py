"""The shipped CI workflows are valid GitHub Actions workflows and call stackctl the way it is defined.

Workflow schema: check-jsonschema's vendored SchemaStore `github-workflow` schema (offline). actionlint's
PyPI wrapper downloads its binary from GitHub at install time, which clean CI machines cannot do.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest
import typer
from ruamel.yaml import YAML

from stackctl.cli import app
from tests.conftest import REPO

WORKFLOWS = sorted([*(REPO / ".github" / "workflows").glob("*.yml"),
                    REPO / "examples" / "ci" / "application-repository.yml"])


def lint(*paths) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           *map(str, paths)], capture_output=True, text=True, timeout=120)


def test_the_three_pipelines_are_shipped():
    names = {p.name for p in WORKFLOWS}
    assert {"application-repository.yml", "render.yml", "promote-prod.yml"} <= names


def test_workflows_are_valid():
    result = lint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_linter_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  build:\n    steps:\n      - run: make test\n")  # no runs-on
    assert lint(broken).returncode != 0


def _stackctl_calls(path) -> list[list[str]]:
    calls = []
    workflow = YAML(typ="safe").load(path.read_text())
    for job in workflow["jobs"].values():
        for step in job.get("steps", []):
            for line in str(step.get("run", "")).splitlines():
                match = re.search(r"(?:^|\s)(?:\.venv/bin/)?stackctl\s+(.*)", line)
                if match:
                    command = match.group(1).split(" > ")[0].split("#")[0]
                    calls.append(shlex.split(command))
    return calls


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_use_existing_stackctl_commands_and_options(path):
    commands = typer.main.get_command(app).commands
    calls = _stackctl_calls(path)
    assert calls, f"{path.name} never runs stackctl"
    for call in calls:
        verb, *args = call
        assert verb in commands, f"{path.name}: stackctl {verb} does not exist"
        options = {name for param in commands[verb].params for name in getattr(param, "opts", [])}
        for arg in args:
            if arg.startswith("-"):
                assert arg in options, f"{path.name}: stackctl {verb} has no option {arg}"


def _doc_calls(path) -> list[list[str]]:
    calls, in_shell = [], False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            in_shell = line.strip() == "```sh"
            continue
        match = re.match(r"\s*(?:\.venv/bin/)?stackctl\s+(.*)", line) if in_shell else None
        if match:
            calls.append(shlex.split(match.group(1).split("#")[0]))
    return calls


def test_deployment_loop_doc_uses_existing_commands_and_options():
    commands = typer.main.get_command(app).commands
    calls = _doc_calls(REPO / "docs" / "deployment-loop.md")
    assert {call[0] for call in calls} == {"promote", "history", "rollback"}
    for verb, *args in calls:
        options = {name for param in commands[verb].params for name in getattr(param, "opts", [])}
        assert all(arg in options for arg in args if arg.startswith("-")), (verb, args)
