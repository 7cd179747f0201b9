"""`stackctl -C DIR` runs any Pulumi Python project the way the CLI's language host does."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from components import PubSubWorkQueue, SpecError, WorkQueueArgs
from stackctl.testing import run_program, run_project

from .conftest import stackctl

PROGRAM = """
import pulumi
import naming                      # a sibling module of the program, as many Pulumi projects have
from helpers.queues import make_queue

queue = make_queue(naming.prefixed("jobs"))
pulumi.export("queue", queue.name)
"""


def _project(root: Path, name: str, main: str | None = None, program_dir: str = ".") -> Path:
    directory = root / program_dir
    (directory / "helpers").mkdir(parents=True)
    (directory / "__main__.py").write_text(PROGRAM)
    (directory / "naming.py").write_text(f"def prefixed(key):\n    return '{name}-' + key\n")
    (directory / "helpers" / "__init__.py").write_text("")
    (directory / "helpers" / "queues.py").write_text(
        "import pulumi_aws as aws\n\ndef make_queue(name):\n    return aws.sqs.Queue(name, name=name)\n")
    lines = [f"name: {name}", "runtime: python"] + ([f"main: {main}"] if main else [])
    (root / "Pulumi.yaml").write_text("\n".join(lines) + "\n")
    (root / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    return root


def test_a_project_that_imports_its_own_modules(tmp_path: Path):
    root = _project(tmp_path / "alpha", "alpha")
    result = stackctl("preview", "dev", "--json", "-C", str(root), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    graph = json.loads(result.stdout)
    queue = next(r for r in graph["resources"] if r["type"] == "aws:sqs/queue:Queue")
    assert queue["inputs"]["name"] == "alpha-jobs"


def test_main_from_pulumi_yaml_is_honoured(tmp_path: Path):
    root = _project(tmp_path / "beta", "beta", main="src/", program_dir="src")
    run = run_project(root, "dev")
    assert [r.inputs["name"] for r in run.graph.of_type("aws:sqs/queue:Queue")] == ["beta-jobs"]


def test_two_projects_with_same_module_names_do_not_leak_into_each_other(tmp_path: Path):
    first = run_project(_project(tmp_path / "one", "one"), "dev")
    second = run_project(_project(tmp_path / "two", "two"), "dev")
    assert [r.inputs["name"] for r in first.graph.of_type("aws:sqs/queue:Queue")] == ["one-jobs"]
    assert [r.inputs["name"] for r in second.graph.of_type("aws:sqs/queue:Queue")] == ["two-jobs"]


def test_a_run_unloads_the_program_modules_and_keeps_the_libraries_it_imported(tmp_path: Path):
    root = _project(tmp_path / "delta", "delta")
    (root / "__main__.py").write_text("import colorsys  # a library the run imports first\n" + PROGRAM)
    sys.modules.pop("colorsys", None)
    run = run_project(root, "dev")
    assert [r.inputs["name"] for r in run.graph.of_type("aws:sqs/queue:Queue")] == ["delta-jobs"]
    assert "colorsys" in sys.modules
    assert not {"naming", "helpers", "helpers.queues"} & set(sys.modules)


def test_main_outside_the_project_is_refused(tmp_path: Path):
    root = tmp_path / "gamma"
    root.mkdir()
    (root / "Pulumi.yaml").write_text("name: gamma\nruntime: python\nmain: ../elsewhere\n")
    result = stackctl("preview", "dev", "-C", str(root), cwd=tmp_path)
    assert result.returncode == 2 and "main: '../elsewhere' points outside the project directory" in result.stderr


@pytest.mark.parametrize("command", ["preview", "check", "render", "diff", "promote", "history", "rollback"])
def test_help_shows_flags_without_a_value(command: str):
    result = stackctl(command, "--help")
    assert result.returncode == 0
    assert "<bool>" not in result.stdout and "--help" in result.stdout


def test_preview_text_never_hides_flags():
    out = stackctl("preview", "prod").stdout
    node_pools = [line for line in out.splitlines() if "aws:eks/nodeGroup:NodeGroup" in line]
    assert node_pools and all(line.rstrip().endswith("[protect]") for line in node_pools)


@pytest.mark.parametrize("args, message", [
    (dict(visibility_timeout_seconds=1200), "args.visibility_timeout_seconds: must be <= 600 on gcp"),
    (dict(max_receive_count=1), "args.max_receive_count: must be between 5 and 100 on gcp"),
])
def test_components_used_directly_get_the_stack_files_limits(args: dict, message: str):
    with pytest.raises(SpecError) as caught:
        run_program(lambda: PubSubWorkQueue("jobs", WorkQueueArgs(**args)), config={"gcp:project": "acme-1"})
    assert f"PubSubWorkQueue 'jobs': {message}" in str(caught.value)
    assert [r.type for r in caught.value.partial_run.graph.resources] == ["pulumi:pulumi:Stack"]


def test_eks_cluster_used_directly_needs_a_path_to_its_private_api():
    from components import EksClusterArgs, NodePoolSpec

    with pytest.raises(SpecError, match="args.private_access_cidrs: the API endpoint is private and no network"):
        EksClusterArgs(cluster_name="ml", region="us-west-2", subnet_ids=["subnet-1"],
                       node_pools={"a": NodePoolSpec(machine_types=["m7i.large"])})
    # An explicit empty list says "I manage access myself".
    EksClusterArgs(cluster_name="ml", region="us-west-2", subnet_ids=["subnet-1"], private_access_cidrs=[],
                   node_pools={"a": NodePoolSpec(machine_types=["m7i.large"])})


def test_gke_cluster_args_refuse_aws_only_settings():
    from components import GkeClusterArgs, NodePoolSpec

    with pytest.raises(SpecError, match=r"GkeClusterArgs: args.admins: only applies on aws"):
        GkeClusterArgs(cluster_name="ml", project="acme-1", region="europe-west1", network="n", subnetwork="s",
                       pods_range_name="p", services_range_name="s",
                       admins={"me": "arn:aws:iam::123456789012:role/Me"},
                       node_pools={"a": NodePoolSpec(machine_types=["e2-standard-4"])})
