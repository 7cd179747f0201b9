"""What issue 15 made scale: `check` on stacks of any size, the linear offline run, light imports.

Speed itself is measured in benchmarks/ (docs/performance.md); these tests pin behaviour a regression would
break: a 400-service stack checks end to end, lifted outputs equal the SDK's, imports stay deferred.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pulumi
import pytest

from benchmarks.stack_generator import stack_config, write_project
from components.output_tree import lift_tree
from stackctl.analysis.pack_host import CONFIG_FILE_VARIABLE, CONFIG_STDIN_VARIABLE
from stackctl.engine.project import Project, read_stack_config

from .conftest import REPO, stackctl, under_sdk_mocks

# One environment string may hold at most MAX_ARG_STRLEN = 32 pages = 128 KiB on Linux (execve(2)).
MAX_ARG_STRLEN = 32 * 4096


@pytest.mark.slow(30)
def test_check_runs_a_400_service_stack_whose_config_no_environment_variable_can_hold(tmp_path):
    root = write_project(tmp_path / "project", {"big": ("aws", 400)}, http_services=1, jobs=0)
    config = read_stack_config(Project.load(root), "big")
    assert len(json.dumps(config.values)) > MAX_ARG_STRLEN  # what used to fail with "Argument list too long"

    result = stackctl("check", "big", "--format", "json", cwd=root)

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    (stack,) = report["stacks"] if "stacks" in report else [report]
    violations = stack["violations"]
    # The one HTTP service, the last of 400, is the only advisory finding: AnalyzeStack saw the whole stack.
    assert [(v["policy"], v["level"]) for v in violations] == [("services-pull-from-queues", "advisory")]
    assert "svc-0399" in violations[0]["message"]


def test_generated_stacks_have_the_requested_size():
    config = stack_config("gcp", 40, http_services=2)
    assert len(config["services"]) == 40 and len(config["jobs"]) == 10
    assert len(config["queues"]) == 38
    assert sum("queue" not in s for s in config["services"].values()) == 2


def _resolved(output: pulumi.Output) -> tuple:
    async def resolve():
        return (await output.future(), await output.is_known(), await output.is_secret(),
                {r._name for r in await output.resources()})

    return resolve()


def test_lift_tree_equals_output_from_input_for_secrets_unknowns_and_dependencies():
    async def scenario():
        resource = pulumi.CustomResource("test:index:Thing", "thing", {"x": 1})
        unknown = pulumi.Output(set(), asyncio.sleep(0, result=None), asyncio.sleep(0, result=False))
        trees = {
            "plain": {"a": [1, 2.5, "x", None, True], "b": {}, "c": [], "t": (1, 2)},
            "secret": {"files": {"a.yaml": {"data": {"key": pulumi.Output.secret("s")}}}, "n": [1, {"m": 2}]},
            "depends": {"arn": resource.urn, "nested": [{"id": resource.id}], "prompt": "p"},
            "unknown": {"value": unknown, "other": 1},
            "nested": {"outer": pulumi.Output.from_input({"inner": pulumi.Output.from_input("v")})},
            # Tuples are filled as lists and frozen innermost first; one leaf may sit in several places.
            "tuples": {"t": (1, (resource.urn, ("x", resource.id)), [(), (resource.urn,)])},
            "root tuple": (resource.urn, (1, [resource.id])),
            "root list": [resource.urn, {"k": resource.urn}],
        }
        results = {}
        for name, tree in trees.items():
            results[name] = (await _resolved(lift_tree(tree)), await _resolved(pulumi.Output.from_input(tree)))
        return results

    results = under_sdk_mocks(scenario)
    for name, (lifted, reference) in results.items():
        assert lifted == reference, name
    assert results["secret"][0][2] is True and results["unknown"][0][1] is False
    assert results["depends"][0][3] == {"thing"}


def _imports_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_policy_rules_import_no_component_or_cloud_sdk():
    modules = _imports_after("import components.rules.pods, components.rules.clusters, components.rules.iam, "
                             "components.versions")
    assert not {m for m in modules if m.startswith(("pulumi_kubernetes.", "pulumi_aws.", "pulumi_gcp."))}
    assert "components.environment" not in modules


def test_cli_start_defers_the_policy_client_and_the_kubernetes_sdk():
    modules = _imports_after("from stackctl.cli import app")
    assert "stackctl.analysis.analyzer" not in modules and "jsonschema" not in modules
    assert "pulumi_kubernetes.core.v1" not in modules


def test_every_public_component_name_still_imports():
    import components

    for name in components.__all__:
        assert getattr(components, name) is not None, name
    assert set(components.__all__) <= set(dir(components))
    with pytest.raises(AttributeError):
        components.NoSuchThing  # noqa: B018


def test_the_pack_gets_no_config_in_its_environment(tmp_path, monkeypatch):
    """The stack config travels on the pack's stdin, never in PULUMI_CONFIG (nor in a file left behind)."""
    from stackctl.analysis import analyzer

    seen = {}
    real_popen = subprocess.Popen

    class RecordingStdin:
        def __init__(self, pipe):
            self.pipe, self.written = pipe, b""

        def write(self, data):
            self.written += data
            return self.pipe.write(data)

        def __getattr__(self, name):
            return getattr(self.pipe, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc_info):
            seen["config"] = json.loads(self.written)
            self.pipe.close()

    def recording_popen(args, **kwargs):
        process = real_popen(args, **kwargs)
        seen.update(args=args, env=kwargs["env"])
        process.stdin = RecordingStdin(process.stdin)
        return process

    monkeypatch.setattr(subprocess, "Popen", recording_popen)
    from .conftest import shipped_run

    run = shipped_run("dev")
    result = analyzer.check(run, REPO / "policy", {}, "test")
    assert "PULUMI_CONFIG" not in seen["env"] and CONFIG_FILE_VARIABLE not in seen["env"]
    assert seen["env"][CONFIG_STDIN_VARIABLE] == "1"
    assert seen["config"] == run.config.values
    assert seen["args"][1:4] == ["-u", "-m", "stackctl.analysis.pack_host"]
    assert result.policies


def test_the_pack_host_reads_a_large_config_from_stdin(tmp_path):
    """On stdin there is no size limit, PULUMI_CONFIG is set inside the process, parsed once."""
    config = {"platform:services": json.dumps({f"svc-{i}": {"image": "x" * 100} for i in range(2000)})}
    probe = (
        "import json, os, pulumi.runtime\n"
        "from stackctl.analysis import pack_host\n"
        "pack_host._install_config()\n"
        "print(json.dumps({'value': pulumi.runtime.get_config_env(), 'env': json.loads(os.environ['PULUMI_CONFIG']),\n"
        "                  'variable_left': pack_host.CONFIG_STDIN_VARIABLE in os.environ}))\n"
    )
    env = {**os.environ, CONFIG_STDIN_VARIABLE: "1"}
    result = subprocess.run([sys.executable, "-c", probe], env=env, input=json.dumps(config), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert len(config["platform:services"]) > MAX_ARG_STRLEN
    assert json.loads(result.stdout) == {"value": config, "env": config, "variable_left": False}


def test_the_pack_host_sets_the_config_in_process_and_parses_it_once(tmp_path):
    """Inside the pack, `pulumi.runtime.get_config_env()` (what pulumi-policy reads on every Analyze) returns the
    file's config, PULUMI_CONFIG holds it for any other reader, and the file variable is gone."""
    config = {"platform:services": json.dumps({f"svc-{i}": {"image": "x" * 100} for i in range(2000)})}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    probe = (
        "import json, os, pulumi.runtime\n"
        "from stackctl.analysis import pack_host\n"
        "pack_host._install_config()\n"
        "first, second = pulumi.runtime.get_config_env(), pulumi.runtime.get_config_env()\n"
        "print(json.dumps({'same': first == second, 'copy': first is not second,\n"
        "                  'value': first, 'env': json.loads(os.environ['PULUMI_CONFIG']),\n"
        "                  'variable_left': pack_host.CONFIG_FILE_VARIABLE in os.environ,\n"
        "                  'config_module': pulumi.runtime.config.get_config_env() == first}))\n"
    )
    env = {**os.environ, CONFIG_FILE_VARIABLE: str(path)}
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert len(config["platform:services"]) > MAX_ARG_STRLEN
    assert seen == {"same": True, "copy": True, "value": config, "env": config, "variable_left": False,
                    "config_module": True}
