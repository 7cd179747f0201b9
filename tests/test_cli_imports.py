"""What a `stackctl` process imports (docs/performance.md): start-up is mostly imports, and an import added at the
top of a module slows every command without failing anything, so these tests fail instead."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# Runs the CLI as the installed `stackctl` does, then reports every module the process holds (on stderr, after
# the command's own output).
_PROBE = """
import json, sys
sys.argv = ["stackctl", *json.loads(sys.argv[1])]
from stackctl.cli import main
try:
    main()
except SystemExit as exit:
    code = exit.code
else:
    code = 0
sys.stderr.write("\\nMODULES " + json.dumps({"code": code, "modules": sorted(sys.modules)}) + "\\n")
"""

# The Pulumi SDK, gRPC and protobuf, the cloud SDKs and clients, the components and their spec models: what a
# command that runs no stack program must not pay for. (pydantic may load: typer converts option values with it.)
_PROGRAM_ONLY = ("pulumi", "pulumi_aws", "pulumi_gcp", "pulumi_kubernetes", "grpc", "google.protobuf", "boto3",
                 "botocore", "google.cloud", "components", "jsonschema", "ruamel.yaml")


def _imports(*args: str) -> tuple[object, set[str]]:
    process = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(args)], cwd=REPO, capture_output=True,
                             text=True, timeout=300)
    report = process.stderr.rpartition("\nMODULES ")[2]
    assert process.returncode == 0 and report, process.stderr
    outcome = json.loads(report)
    return outcome["code"], set(outcome["modules"])


def _loaded(modules: set[str], *packages: str) -> set[str]:
    return {m for m in modules if m in packages or m.startswith(tuple(f"{p}." for p in packages))}


@pytest.mark.parametrize("args", [("--help",), ("preview", "--help"), ("preview",), ("no-such-verb",)],
                         ids=["help", "preview-help", "missing-argument", "unknown-command"])
def test_help_and_usage_errors_import_no_sdk(args):
    code, modules = _imports(*args)
    assert code in (0, 2)
    assert "stackctl.cli" in modules
    assert _loaded(modules, *_PROGRAM_ONLY) == set()


def test_preview_imports_what_it_runs_and_no_other_verb_or_cloud():
    code, modules = _imports("preview", "dev", "--json")
    assert code == 0
    assert {"pulumi", "pulumi_aws.ec2", "pulumi_kubernetes.core.v1", "components.environment"} <= modules
    # The other verbs' machinery: the policy pack client, the manifest writer, the reports, the cloud clients.
    assert _loaded(modules, "stackctl.analysis.analyzer", "stackctl.delivery.render", "stackctl.delivery.manifest_yaml",
                   "stackctl.analysis.report", "stackctl.diff.command", "stackctl.delivery.promote", "jsonschema",
                   "boto3", "botocore", "google.cloud") == set()
    # Provider SDK packages load by name in the CLI (stackctl/engine/speedups/sdk_packages.py): what dev does not use
    # never runs.
    assert "pulumi_aws.ec2.vpc" in modules and "pulumi_aws.ec2.instance" not in modules
    assert "pulumi_kubernetes.core.v1.Namespace" in modules and "pulumi_kubernetes.core.v1.Pod" not in modules
    assert "pulumi_kubernetes.helm.v3.Release" in modules and "pulumi_kubernetes.helm.v3.helm" not in modules
    # dev is an AWS stack: the GCP SDK stays a lazy module (components/cloud_sdks.py), never executed.
    assert _loaded(modules, "pulumi_gcp") <= {"pulumi_gcp"}
    assert "pulumi_gcp._utilities" not in modules
