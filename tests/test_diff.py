"""`stackctl diff`: steps against a git revision or a state export, replace prediction, the destroy guard."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from stackctl.diff import replacements
from stackctl.diff.guard import STATEFUL_TYPES
from stackctl.diff.state import PriorResource, PriorState, read_export
from stackctl.diff.steps import compute
from stackctl.engine.runner import run_stack

from .conftest import REPO, SHIPPED_STACKS, shipped_run, stackctl, stackctl_process

FIXTURES = Path(__file__).parent / "fixtures"
EXPORT = FIXTURES / "dev-stack-export.json"
QUEUES = "urn:pulumi:dev::platform::platform:index:Environment$platform:index:SqsWorkQueue"
BASE = {"cloud": "aws", "region": "us-east-1", "tier": "dev",
        "queues": {"orders": {"visibility_timeout_seconds": 120}, "thumbnails": {}}}


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args],
                   check=True, capture_output=True)


@pytest.fixture
def repo(make_project):
    """A project in its own git repository, its first commit holding `BASE` as the dev stack."""

    def make(config: dict = BASE, program: str | None = None):
        project = make_project({"dev": config}, program=program)
        _git(project.root, "init", "-q", "-b", "main")
        _git(project.root, "add", "-A")
        _git(project.root, "commit", "-q", "-m", "base")
        return project

    return make


def _write_stack(project, config: dict) -> None:
    with project.stack_file("dev").open("w") as handle:
        YAML().dump({"config": config}, handle)


def _diff_json(project, *args: str, process: bool = False) -> tuple[int, dict]:
    # process=True: a fresh `stackctl` process, which imports the project's own (vendored) `components`.
    result = (stackctl_process if process else stackctl)("diff", "dev", "--json", *args, cwd=project.root)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout) if result.stdout else {}


def _steps(data: dict) -> dict[str, dict]:
    return {step["urn"]: step for step in data["steps"]}


@pytest.mark.slow(2.5)
def test_removing_a_queue_deletes_its_resources_and_the_guard_blocks_it(repo):
    project = repo()
    head = dict(BASE, queues={"orders": {"visibility_timeout_seconds": 120}})
    _write_stack(project, head)

    code, data = _diff_json(project, "--base", "HEAD", "--deny-destroy")
    assert code == 3
    deleted = {step["urn"] for step in data["steps"] if step["op"] == "delete"}
    assert {f"{QUEUES}$aws:sqs/queue:Queue::dev-thumbnails-queue", f"{QUEUES}$aws:sqs/queue:Queue::dev-thumbnails-dlq",
            f"{QUEUES}$aws:sqs/queuePolicy:QueuePolicy::dev-thumbnails-queue-policy",
            f"{QUEUES}::dev-thumbnails"} <= deleted
    assert not any("dev-orders" in urn for urn in deleted)
    assert data["changeSummary"]["create"] == 0 and data["changeSummary"]["delete"] == len(deleted)
    assert sorted(data["guard"]["blocked"]) == sorted(
        [f"{QUEUES}$aws:sqs/queue:Queue::dev-thumbnails-dlq", f"{QUEUES}$aws:sqs/queue:Queue::dev-thumbnails-queue"])

    text = stackctl("diff", "dev", "--base", "HEAD", "--deny-destroy", cwd=project.root)
    assert text.returncode == 3
    assert " - aws:sqs/queue:Queue: (delete)  [stateful]" in text.stdout
    assert "Destroy guard: BLOCKED" in text.stdout and "      - dev-thumbnails-queue" in text.stdout

    # Without --deny-destroy the same report is informational.
    assert stackctl("diff", "dev", "--base", "HEAD", cwd=project.root).returncode == 0


def test_allow_destroy_acknowledges_exactly_the_named_resources(repo):
    project = repo()
    head = dict(BASE, queues={"orders": {"visibility_timeout_seconds": 120}})
    _write_stack(project, dict(head, allow_destroy=["dev-thumbnails-queue"]))
    code, data = _diff_json(project, "--base", "HEAD", "--deny-destroy")
    assert code == 3  # the DLQ is not acknowledged
    assert data["guard"]["blocked"] == [f"{QUEUES}$aws:sqs/queue:Queue::dev-thumbnails-dlq"]

    _write_stack(project, dict(head, allow_destroy=[f"{QUEUES}$aws:sqs/queue:Queue::dev-thumbnails-dlq",
                                                     "dev-thumbnails-queue", "dev-gone-queue"]))
    code, data = _diff_json(project, "--base", "HEAD", "--deny-destroy")
    assert code == 0
    assert data["guard"]["blocked"] == [] and len(data["guard"]["acknowledged"]) == 2
    assert data["guard"]["unusedAcknowledgements"] == ["dev-gone-queue"]


def test_an_immutable_property_change_is_a_replace_with_its_reason(repo):
    project = repo()
    _write_stack(project, dict(BASE, queues={"orders": {"visibility_timeout_seconds": 120, "fifo": True},
                                             "thumbnails": {}}))
    code, data = _diff_json(project, "--base", "HEAD", "--deny-destroy")
    steps = _steps(data)
    queue = steps[f"{QUEUES}$aws:sqs/queue:Queue::dev-orders-queue"]
    assert queue["op"] == "replace"
    assert queue["replaceReasons"] == ["fifoQueue", "name"]
    assert queue["detailedDiff"]["fifoQueue"] == {"kind": "add-replace", "inputDiff": True}
    assert queue["detailedDiff"]["name"] == {"kind": "update-replace", "inputDiff": True}
    # The queue policy names the queue by URL, which is unknown until the replacement: it is replaced too.
    policy = steps[f"{QUEUES}$aws:sqs/queuePolicy:QueuePolicy::dev-orders-queue-policy"]
    assert policy["op"] == "replace" and "queueUrl" in policy["replaceReasons"]
    assert code == 3 and f"{QUEUES}$aws:sqs/queue:Queue::dev-orders-queue" in data["guard"]["blocked"]
    assert steps[f"{QUEUES}$aws:sqs/queue:Queue::dev-thumbnails-queue"]["op"] == "same"


def test_an_in_place_change_is_an_update_with_its_property_path(repo):
    project = repo()
    _write_stack(project, dict(BASE, queues={"orders": {"visibility_timeout_seconds": 300}, "thumbnails": {}}))
    code, data = _diff_json(project, "--base", "HEAD", "--deny-destroy")
    assert code == 0
    queue = _steps(data)[f"{QUEUES}$aws:sqs/queue:Queue::dev-orders-queue"]
    assert (queue["op"], queue["diffReasons"], queue["replaceReasons"]) == ("update", ["visibilityTimeoutSeconds"], [])
    text = stackctl("diff", "dev", "--base", "HEAD", cwd=project.root).stdout
    assert "    ~ visibilityTimeoutSeconds: 120 => 300" in text


RENAME_BASE = """
import pulumi
import pulumi_aws as aws
aws.sqs.Queue("jobs", name="jobs", visibility_timeout_seconds=60)
"""
RENAME_HEAD = """
import pulumi
import pulumi_aws as aws
aws.sqs.Queue("work", name="jobs", visibility_timeout_seconds=60,
              opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name="jobs")]))
"""


def test_a_rename_with_an_alias_is_no_change_and_without_one_a_delete_and_create(repo):
    project = repo(program=RENAME_BASE)
    (project.root / "__main__.py").write_text(RENAME_HEAD)
    code, data = _diff_json(project, "--base", "HEAD", "--deny-destroy")
    assert code == 0
    assert set(data["changeSummary"].items()) >= {("create", 0), ("delete", 0), ("update", 0), ("replace", 0)}
    step = _steps(data)["urn:pulumi:dev::platform::aws:sqs/queue:Queue::work"]
    assert (step["op"], step["oldUrn"]) == ("same", "urn:pulumi:dev::platform::aws:sqs/queue:Queue::jobs")

    (project.root / "__main__.py").write_text(RENAME_HEAD.replace(
        ',\n              opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name="jobs")])', ""))
    code, data = _diff_json(project, "--base", "HEAD", "--deny-destroy")
    assert code == 3
    assert data["changeSummary"]["create"] == 1 and data["changeSummary"]["delete"] == 1


def test_the_base_revision_runs_its_own_program(repo):
    project = repo(program=RENAME_BASE)
    (project.root / "__main__.py").write_text(RENAME_BASE.replace("jobs", "tasks"))
    _git(project.root, "commit", "-qam", "tasks")
    code, data = _diff_json(project, "--base", "HEAD~1")
    assert {s["urn"].rsplit("::", 1)[1]: s["op"] for s in data["steps"] if s["type"] == "aws:sqs/queue:Queue"} == {
        "tasks": "create", "jobs": "delete"}


def test_base_errors_are_clear(repo):
    project = repo()
    result = stackctl("diff", "dev", "--base", "no-such-branch", cwd=project.root)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == ("--base no-such-branch: unknown revision "
                                     "(fetch it first, e.g. `git fetch origin main`)")

    (project.root / "stacks" / "Pulumi.new.yaml").write_text((project.stack_file("dev")).read_text())
    result = stackctl("diff", "new", "--base", "HEAD", "--json", cwd=project.root)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["changeSummary"]["create"] == len(data["steps"]) and data["changeSummary"]["delete"] == 0
    assert data["warnings"] == ["stacks/Pulumi.new.yaml does not exist at HEAD: every resource is a create"]

    (project.root / "__main__.py").write_text("raise RuntimeError('boom at base')\n")
    _git(project.root, "commit", "-qam", "broken")
    (project.root / "__main__.py").write_text(RENAME_BASE)
    result = stackctl("diff", "dev", "--base", "HEAD", cwd=project.root)
    assert result.returncode == 1
    assert result.stderr.startswith("error: the stack program failed at HEAD:") and "boom at base" in result.stderr

    assert stackctl("diff", "dev", cwd=project.root).returncode == 2
    result = stackctl("diff", "dev", "--base", "HEAD", "--state", str(EXPORT), cwd=project.root)
    assert (result.returncode, result.stderr.strip()) == (2, "give exactly one of --base REV or --state FILE")


def test_allow_destroy_entries_are_validated(make_project):
    project = make_project({"dev": dict(BASE, allow_destroy=["not a name"])})
    result = stackctl("diff", "dev", "--state", str(EXPORT), cwd=project.root)
    assert result.returncode == 2
    assert "allow_destroy[0]: " in result.stderr and "must be a resource name" in result.stderr


# -- against a `pulumi stack export` ------------------------------------------------------------------

def test_diff_against_a_stack_export(make_project):
    project = make_project({"dev": {"cloud": "aws", "region": "us-east-1", "tier": "dev",
                                    "queues": {"orders": {"visibility_timeout_seconds": 120}}}})
    result = stackctl("diff", "dev", "--state", str(EXPORT), "--json", "--deny-destroy", cwd=project.root)
    assert result.returncode == 3, result.stderr
    data = json.loads(result.stdout)
    changed = {s["urn"].rsplit("::", 1)[1]: (s["op"], s["diffReasons"]) for s in data["steps"] if s["op"] != "same"}
    # The export holds real ARNs and URLs (account 111122223333) where the offline run has placeholders;
    # policies built from them compare equal, and only the real change remains.
    assert changed == {"dev-orders-queue": ("update", ["visibilityTimeoutSeconds"]),
                       "dev-legacy-queue": ("delete", [])}
    legacy = _steps(data)[f"{QUEUES}$aws:sqs/queue:Queue::dev-legacy-queue"]
    assert legacy["protect"] and "would fail: protected" in legacy["notes"]
    assert data["guard"]["blocked"] == [legacy["urn"]]
    assert any("pending operation 'updating'" in w for w in data["warnings"])

    text = stackctl("diff", "dev", "--state", str(EXPORT), cwd=project.root).stdout
    assert "[would fail: protected; stateful]" in text
    assert "ciphertext" not in text.lower() and "ExampleCiphertext" not in text + result.stdout


def test_export_secrets_are_opaque_and_compare_as_secret():
    state = read_export(EXPORT)
    legacy = state.by_urn[f"{QUEUES}$aws:sqs/queue:Queue::dev-legacy-queue"]
    assert legacy.inputs["policy"] == "[secret]" and legacy.outputs["policy"] == "[secret]"
    assert "__defaults" not in legacy.inputs and legacy.protect


@pytest.mark.parametrize(("content", "message"), [
    ("{", "not JSON"),
    ('{"version": 2, "deployment": {}}', "version: 2 is not supported"),
    ('{"version": 3, "deployment": {"resources": [{"type": "aws:sqs/queue:Queue"}]}}',
     "deployment.resources[0].urn: missing or not a string"),
    ('{"version": 3, "deployment": {"resources": [{"urn": "x", "type": "t"}]}}',
     "deployment.resources[0].urn: 'x' is not a Pulumi URN"),
    ('{"version": 3}', "deployment: missing"),
])
def test_bad_export_files_exit_2_naming_file_and_field(tmp_path, make_project, content, message):
    project = make_project({"dev": BASE})
    export = tmp_path / "state.json"
    export.write_text(content)
    result = stackctl("diff", "dev", "--state", str(export), cwd=project.root)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"{export}: ") and message in result.stderr


def test_pending_replacement_and_retained_deletes():
    graph = shipped_run("dev").graph
    queue = graph.by_urn[f"{QUEUES}$aws:sqs/queue:Queue::dev-orders-queue"]
    prior = PriorState("test", [
        PriorResource(queue.urn, queue.type, True, inputs=dict(queue.inputs), pendingReplacement=True),
        PriorResource("urn:pulumi:dev::platform::aws:sqs/queue:Queue::kept", "aws:sqs/queue:Queue", True,
                      retainOnDelete=True),
    ])
    steps = {s.urn: s for s in compute(graph, prior, real_state=False).steps}
    assert steps[queue.urn].op == "create"
    kept = steps["urn:pulumi:dev::platform::aws:sqs/queue:Queue::kept"]
    assert kept.op == "delete" and any("retainOnDelete" in n for n in kept.notes)


# -- replace-on-change data ----------------------------------------------------------------------------

def test_replacement_data_covers_every_type_the_library_emits():
    emitted = {r.type for stack in SHIPPED_STACKS for r in shipped_run(stack).graph.resources if r.custom}
    missing = emitted - replacements.covered_types()
    assert not missing, f"add these types to stackctl/data/replace_on_changes.json: {sorted(missing)}"
    data = replacements.load()
    for type_ in emitted:
        entry = data["types"][type_]
        assert entry["source"], type_
        assert data["providers"][type_.split(":")[0] if not type_.startswith("pulumi:providers:")
                                 else type_.rsplit(":", 1)[1]]["upstream"]


def test_every_stateful_type_the_library_emits_has_replace_rules():
    emitted = {r.type for stack in SHIPPED_STACKS for r in shipped_run(stack).graph.resources}
    for type_ in emitted & STATEFUL_TYPES:
        assert replacements.rules_for(type_).paths, type_


def test_kubernetes_rules_follow_pulumi_kubernetes():
    rules = replacements.rules_for("kubernetes:apps/v1:Deployment")
    old = {"metadata": {"name": "a"}, "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": {"x": 1}}}
    assert replacements.forcing_paths(rules, old, dict(old, spec=dict(old["spec"], template={"x": 2})), set()) == []
    changed = dict(old, spec=dict(old["spec"], selector={"matchLabels": {"app": "b"}}))
    assert replacements.forcing_paths(rules, old, changed, set()) == ["spec.selector", "spec.selector.matchLabels"]


# -- GitOps prune set ---------------------------------------------------------------------------------

def test_objects_leaving_the_deployment_repository_are_the_prune_set(make_project):
    from stackctl.diff.prune import prune_set

    from .conftest import load_stack_yaml

    config = load_stack_yaml("prod")["config"]
    config["services"].pop("thumbnailer")
    config["jobs"] = {k: j for k, j in config.get("jobs", {}).items() if j.get("service") != "thumbnailer"}
    head = run_stack(make_project({"prod": config}), "prod")
    old = shipped_run("prod").graph.stack_outputs
    pruned = prune_set(old, head.graph.stack_outputs)
    assert pruned and all(p.path.startswith("prod/") for p in pruned)
    kinds = {(p.kind, p.namespace, p.name): p for p in pruned}
    namespace = kinds[("Namespace", "", "thumbnailer")]
    assert namespace.confirm and namespace.path == "prod/namespaces/namespace-thumbnailer.yaml"
    assert ("Deployment", "thumbnailer", "thumbnailer") in kinds
    assert not kinds[("Deployment", "thumbnailer", "thumbnailer")].confirm
    assert not any(p.name == "orders" for p in pruned)


def test_prod_namespaces_need_confirmation_to_be_pruned_or_deleted():
    files = shipped_run("prod").graph.stack_outputs["deployment_files"]["files"]
    namespaces = [m for m in files.values() if m["kind"] == "Namespace"]
    assert namespaces
    for manifest in namespaces:
        annotations = manifest["metadata"]["annotations"]
        assert annotations == {"argocd.argoproj.io/sync-options": "Prune=confirm,Delete=confirm"}
    staging = shipped_run("staging").graph.stack_outputs["deployment_files"]["files"]
    assert not any("annotations" in m["metadata"] for m in staging.values() if m["kind"] == "Namespace")


def test_the_base_revision_imports_its_own_components(repo):
    """A library change between revisions shows up: each side runs its own `components` package."""
    project = repo()
    shutil.copytree(REPO / "components", project.root / "components",
                    ignore=shutil.ignore_patterns("__pycache__"))
    _git(project.root, "add", "-A")
    _git(project.root, "commit", "-qm", "vendor the library")
    sqs = project.root / "components" / "queues" / "sqs.py"
    sqs.write_text(sqs.read_text().replace("\nRECEIVE_WAIT_SECONDS = 20", "\nRECEIVE_WAIT_SECONDS = 10"))
    code, data = _diff_json(project, "--base", "HEAD", process=True)
    assert code == 0
    changed = {s["urn"].rsplit("::", 1)[1]: s["detailedDiff"] for s in data["steps"] if s["op"] != "same"}
    assert changed == {name: {"receiveWaitTimeSeconds": {"kind": "update", "inputDiff": True}}
                       for name in ("dev-orders-queue", "dev-thumbnails-queue")}


def test_changed_and_added_deployment_files_are_listed(make_project):
    from stackctl.diff.prune import file_changes

    from .conftest import load_stack_yaml

    config = load_stack_yaml("prod")["config"]
    image = config["services"]["orders"]["image"]
    config["services"]["orders"]["image"] = image.rsplit("@", 1)[0] + "@sha256:" + "ab" * 32
    head = run_stack(make_project({"prod": config}), "prod").graph.stack_outputs
    old = shipped_run("prod").graph.stack_outputs
    changes = file_changes(old, head)
    assert changes["added"] == []
    # The service and the jobs that reuse its image.
    assert changes["changed"] == ["prod/monthly-report/scaledjob-monthly-report.yaml",
                                  "prod/orders-backfill/cronjob-orders-backfill.yaml",
                                  "prod/orders-nightly-report/cronjob-orders-nightly-report.yaml",
                                  "prod/orders/deployment-orders.yaml"]
    assert file_changes(head, old) == changes
    assert file_changes(old, old) == {"added": [], "changed": []}
