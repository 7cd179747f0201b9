"""A stack loads only its own cloud's SDK (components/cloud_sdks.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from components.cloud_sdks import MissingSdk, lazy_module

REPO = Path(__file__).resolve().parent.parent


def test_an_aws_stack_never_loads_the_gcp_sdk_and_a_gcp_stack_does():
    # A fresh interpreter: in the test process both SDKs are long imported.
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        from stackctl.engine.project import Project
        from stackctl.engine.runner import run_stack

        def loaded(name):
            return type(sys.modules[name]).__name__ == "module"

        run = run_stack(Project.load(Path.cwd()), "dev")
        assert len(run.graph.resources) > 100
        assert loaded("pulumi_aws") and not loaded("pulumi_gcp"), "dev loaded the GCP SDK"
        import components.cloud_sdks as sdks
        assert sdks.gcp.Provider.__module__.startswith("pulumi_gcp")  # first use loads it
        assert loaded("pulumi_gcp")
        print("ok")

        from stackctl.engine.speedups.collector import skip_final_collection

        skip_final_collection()  # as the CLI ends: no shutdown collection
    """)
    process = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True)
    assert process.returncode == 0, process.stderr
    assert process.stdout.strip() == "ok"


def test_an_sdk_already_imported_is_returned_as_it_is():
    import pulumi_kubernetes

    assert lazy_module("pulumi_kubernetes") is pulumi_kubernetes


def test_a_missing_sdk_names_the_extra_on_first_use():
    module = lazy_module("pulumi_no_such_cloud")
    with pytest.raises(ImportError, match="pulumi_no_such_cloud is not installed") as error:
        _ = module.Provider
    assert error.value.name == "pulumi_no_such_cloud"
    with pytest.raises(ImportError, match=r"pip install 'platform-components\[gcp\]'"):
        _ = MissingSdk("pulumi_gcp").Provider


ONE_CLOUD = textwrap.dedent("""
    import sys
    sys.modules[{hidden!r}] = None  # as in an install without that cloud's extra
    from stackctl.testing import run_program
    import components

    run = run_program(lambda: components.{works}("orders", components.WorkQueueArgs(visibility_timeout_seconds=120)),
                      config={config!r})
    assert run.graph.resources, "nothing registered"
    try:
        run_program(lambda: components.{fails}("orders", components.WorkQueueArgs(visibility_timeout_seconds=120)),
                    config={config!r})
    except ImportError as exc:
        print(exc)
    else:
        raise AssertionError("built a queue without its SDK")
""")


@pytest.mark.parametrize(("hidden", "works", "fails", "config", "extra"), [
    ("pulumi_gcp", "SqsWorkQueue", "PubSubWorkQueue", {"aws:region": "eu-west-1", "gcp:project": "p"}, "gcp"),
    ("pulumi_aws", "PubSubWorkQueue", "SqsWorkQueue", {"aws:region": "eu-west-1", "gcp:project": "p"}, "aws"),
])
def test_one_cloud_installed_builds_its_components_and_names_the_other_extra(hidden, works, fails, config, extra):
    script = ONE_CLOUD.format(hidden=hidden, works=works, fails=fails, config=config)
    process = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, process.stderr
    assert process.stdout.strip() == f"{hidden} is not installed; install the extra that brings it: " \
                                     f"pip install 'platform-components[{extra}]'"


def test_without_either_extra_a_kubernetes_component_names_both():
    script = textwrap.dedent("""
        import sys
        sys.modules["pulumi_kubernetes"] = None  # the base install: no cloud extra
        import components
        try:
            components.Service
        except ImportError as exc:
            print(exc)
    """)
    process = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, process.stderr
    assert process.stdout.strip() == (
        "pulumi_kubernetes is not installed; install the extra that brings it: "
        "pip install 'platform-components[aws]' or pip install 'platform-components[gcp]'")


# Loaded by every Python process started with this directory on PYTHONPATH, the policy pack's included.
HIDE_SDKS = textwrap.dedent("""
    import sys
    for name in {names!r}:
        sys.modules[name] = None  # as in an install without that cloud's extra
""")


@pytest.mark.slow(12)
@pytest.mark.parametrize(("stacks", "hidden"), [
    (["gcp-dev", "gcp-prod"], ["pulumi_aws", "boto3", "botocore"]),
    (["dev", "prod"], ["pulumi_gcp", "google.cloud.artifactregistry", "google.cloud.artifactregistry_v1"]),
])
def test_each_clouds_shipped_stacks_check_with_only_their_extra(tmp_path, stacks, hidden):
    """Issue 23's one-extra installs, end to end: the program and the policy pack (its own process) run with the
    other cloud's SDK absent. A GCP stack once needed pulumi_aws for its queue key (`Environment.queue_key_ref`)."""
    (tmp_path / "sitecustomize.py").write_text(HIDE_SDKS.format(names=hidden))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))}
    probe = subprocess.run([sys.executable, "-c", f"import {hidden[0]}"], env=env, capture_output=True, text=True)
    assert probe.returncode != 0, "the SDK was not hidden"
    for stack in stacks:
        process = subprocess.run([sys.executable, "-m", "stackctl.cli", "check", stack], cwd=REPO, env=env,
                                 capture_output=True, text=True, timeout=300)
        assert process.returncode == 0, process.stdout + process.stderr
        assert process.stdout.startswith(f"Policy check of stack '{stack}'"), process.stdout
