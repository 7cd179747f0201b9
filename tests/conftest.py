"""Shared fixtures: the real project, offline runs of its stacks, and throwaway projects for bad input."""

from __future__ import annotations

import asyncio
import contextvars
import copy
import gc
import json
import os
import shutil
import subprocess
import sys
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import kubernetes_validate.utils
import pulumi
import pulumi.runtime.settings
import pytest
from ruamel.yaml import YAML

from stackctl.engine.project import Project
from stackctl.engine.runner import StackRun, run_stack
from stackctl.engine.speedups.collector import RUN_THRESHOLD, skip_final_collection

# The test processes keep hundreds of thousands of objects alive (SDK modules, the session's shipped runs) and
# allocate millions more; with the default thresholds (700, 10, 10) the cycle collector took ~10 % of the
# suite's CPU re-scanning them. Young collections every 100,000 net allocations instead of 700, as for a program
# run (stackctl/engine/speedups/collector.RUN_THRESHOLD): cycles are still collected, full collections still
# run. (At 20,000 the garbage a finished run leaves was walked in several young collections instead of one.)
gc.set_threshold(*RUN_THRESHOLD)

# kubernetes-validate re-reads and re-parses a kind's schema and the 1.5 MB definitions file on every
# `validate` call (kubernetes_validate/utils.py: `validate` -> `schema_contents`), ~9 ms per manifest; the
# files never change, so the session parses each once (the validation itself is unchanged).
kubernetes_validate.utils.schema_contents = cache(kubernetes_validate.utils.schema_contents)

# ruamel's safe loader is pure Python (~10 ms for a shipped stack file, ~1 s for the 400-service one) and the
# suite parses the same texts hundreds of times (every in-process `stackctl` run reads its stack file again,
# history reads every revision). A text the loader parsed once is handed out again as a copy; a text it refused
# is parsed (and refused, with its own message) every time, and loaders set up otherwise are not touched.
_yaml_load = YAML.load
_parsed_yaml: dict[tuple, object] = {}


def _safe_load_once(self: YAML, stream):
    if not isinstance(stream, str) or self.typ != ["safe"]:
        return _yaml_load(self, stream)
    key = (stream, self.pure, self.allow_duplicate_keys, self.version)
    if key not in _parsed_yaml:
        _parsed_yaml[key] = _yaml_load(self, stream)
    return copy.deepcopy(_parsed_yaml[key])


YAML.load = _safe_load_once

REPO = Path(__file__).resolve().parent.parent
PROJECT = Project.load(REPO)
SHIPPED_STACKS = PROJECT.stacks()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest tests first (marker `slow`, longest estimate first; the rest keep their order): with two xdist
    workers (Makefile), a long test handed out last would leave one worker running alone at the end."""

    def estimate(item: pytest.Item) -> float:
        marker = item.get_closest_marker("slow")
        return marker.args[0] if marker is not None else 0.0

    items.sort(key=estimate, reverse=True)


@cache
def shipped_run(stack: str) -> StackRun:
    """One offline run per shipped stack per test session (runs are deterministic)."""
    return run_stack(PROJECT, stack)


@cache
def _stack_yaml(stack: str) -> dict:
    return YAML(typ="safe").load(PROJECT.stack_file(stack).read_text())


def load_stack_yaml(stack: str) -> dict:
    """A shipped stack file's content, parsed once per session (the pure-Python YAML parser takes ~15 ms per
    file and tests load these hundreds of times); each call returns a copy the caller may change."""
    return copy.deepcopy(_stack_yaml(stack))


def _copy_project(root: Path, stacks: dict[str, dict], program: str | None = None) -> Project:
    (root / "stacks").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
    if program is None:
        shutil.copy(REPO / "__main__.py", root / "__main__.py")
    else:
        (root / "__main__.py").write_text(program)
    yaml = YAML()
    for name, config in stacks.items():
        with (root / "stacks" / f"Pulumi.{name}.yaml").open("w") as handle:
            yaml.dump({"config": config}, handle)
    return Project.load(root)


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Project]:
    """A copy of this project whose stacks/ holds only the stack files given as {name: config dict}."""

    def make(stacks: dict[str, dict], directory: str = "project", program: str | None = None) -> Project:
        return _copy_project(tmp_path / directory, stacks, program)

    return make


@pytest.fixture(scope="session")
def shared_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, dict], StackRun]:
    """`shared_run(stack, config)`: the offline run of a copy of this project whose one stack file holds
    `config`, made once per distinct (stack, config) per test session. For tests that only read the run (runs
    are deterministic); a test that changes the run or its project makes its own with `make_project`."""
    runs: dict[tuple[str, str], StackRun] = {}

    def run(stack: str, config: dict) -> StackRun:
        key = (stack, json.dumps(config))  # key order kept: it is the order the program sees
        if key not in runs:
            project = _copy_project(tmp_path_factory.mktemp("shared-run"), {stack: copy.deepcopy(config)})
            runs[key] = run_stack(project, stack)
        return runs[key]

    return run


@cache
def check_all_shipped() -> tuple[subprocess.CompletedProcess, int]:
    """`stackctl check --all --format json` on the shipped stacks, made once per session, and the number of policy
    pack processes it started. tests/test_policy.py and tests/test_pack_session.py read it; both run on one
    worker (`xdist_group("policy")`), so the check is made once."""
    started = []
    real_popen = subprocess.Popen

    def counting_popen(args, **kwargs):
        if "stackctl.analysis.pack_host" in args:
            started.append(args)
        return real_popen(args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(subprocess, "Popen", counting_popen)
        result = stackctl("check", "--all", "--format", "json")
    return result, len(started)


def wire_value(record, key: str):
    """An input exactly as the engine received it, with a secret unwrapped (tests only)."""
    from google.protobuf import json_format
    from pulumi.runtime import rpc

    value = json_format.MessageToDict(record.wire_inputs)[key]
    if isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig:
        return value["value"]
    return value


def stackctl(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """Run `stackctl` in this process (typer's CliRunner) from `cwd`, with a subprocess's result shape.

    In-process runs skip a Python start and the imports per call (2.35 s each); `stackctl_process` keeps a
    few end-to-end runs of the installed command. An exception the CLI did not handle is shown on stderr
    with its traceback, as the real process would show it.
    """
    from typer.testing import CliRunner

    from stackctl.cli import app

    previous = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, list(args), catch_exceptions=True)
    finally:
        os.chdir(previous)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(["stackctl", *args], result.exit_code, result.stdout, stderr)


def stackctl_process(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """Run the installed `stackctl` as a user would, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "stackctl.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    """The test processes end holding millions of objects (SDK modules, the session's runs); the interpreter's
    shutdown collection would walk them all only to free memory the exit frees anyway
    (stackctl/engine/speedups/collector.py skips it for the CLI the same way)."""
    skip_final_collection()


class _EchoMocks(pulumi.runtime.Mocks):
    """Mocks whose resources echo their inputs (tests of SDK-level behaviour, not of the offline harness)."""

    def new_resource(self, args):
        return f"{args.name}-id", args.inputs

    def call(self, args):
        return {}


def under_sdk_mocks(scenario):
    """Run `scenario()` (a coroutine function) under the SDK's mocks, in a thread, context and event loop of its
    own, with a pending-output set of its own: what it leaves (a failed Output stays in that set) must not reach
    other tests' runs (stackctl/engine/runner.py says why the set is not per context by itself)."""

    def run():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            pulumi.runtime.set_mocks(_EchoMocks(), preview=True)
            pulumi.runtime.settings.SETTINGS.outputs = set()
            return loop.run_until_complete(scenario())
        finally:
            loop.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(contextvars.Context().run, run).result()


# The loop labels what CI proposes (`Stackctl-Promoted-By ... (CI)`) from CI's own variables; CI runs this suite
# with CI=true, so tests start from a developer's environment and set those variables themselves where they test them.
_CI_MARKERS = ("CI", "GITHUB_ACTIONS", "GITHUB_WORKFLOW", "GITHUB_RUN_ID", "GITHUB_SERVER_URL", "GITHUB_REPOSITORY")


@pytest.fixture(autouse=True)
def _outside_ci(monkeypatch):
    for name in _CI_MARKERS:
        monkeypatch.delenv(name, raising=False)


# The loop tests' registry: ECR in moto with the shipped stacks' repositories (test_registry has its own).
@pytest.fixture
def ecr(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("ecr", region_name="us-east-1")
        for name in ("acme/orders-worker", "acme/thumbnailer", "acme/orders-api"):
            client.create_repository(repositoryName=name)
        yield client
