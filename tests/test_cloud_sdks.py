"""A stack loads only its own cloud's SDK (components/cloud_sdks.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from components.cloud_sdks import lazy_module

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


def test_a_missing_sdk_fails_like_an_import():
    with pytest.raises(ModuleNotFoundError) as error:
        lazy_module("pulumi_no_such_cloud")
    assert error.value.name == "pulumi_no_such_cloud"
