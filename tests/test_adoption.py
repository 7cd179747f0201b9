"""What another team's project gets from the package: the policy pack installed with it, the extras, the consumer
example (examples/consumer; CI also runs it from the built wheel, examples/consumer/run-from-wheel.sh)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from .conftest import REPO, stackctl

CONSUMER = REPO / "examples" / "consumer"
pytestmark = pytest.mark.xdist_group("policy")


def test_policy_path_prints_the_installed_pack_with_its_tier_configs():
    import platform_policy

    printed = stackctl("policy", "path")
    assert printed.returncode == 0, printed.stderr
    pack = Path(printed.stdout.strip())
    assert pack == platform_policy.PACK_DIR
    assert (pack / "PulumiPolicy.yaml").is_file() and (pack / "__main__.py").is_file()
    assert sorted(p.name for p in (pack / "config").glob("*.json")) == ["dev.json", "prod.json", "staging.json"]
    # The pack names no virtualenv of its own: installed in site-packages it runs in the Python on PATH.
    from ruamel.yaml import YAML

    runtime = YAML(typ="safe").load((pack / "PulumiPolicy.yaml").read_text())["runtime"]
    assert runtime["name"] == "python" and "virtualenv" not in runtime.get("options", {})


@pytest.mark.slow(8)
def test_check_in_a_project_without_a_pack_uses_the_installed_one_and_refuses_the_planted_queue():
    assert not (CONSUMER / "policy").exists()
    checked = stackctl("check", "legacy", "--format", "json", cwd=CONSUMER)
    assert checked.returncode == 1, checked.stderr
    report = json.loads(checked.stdout)
    assert report["policyPack"]["name"] == "platform-guardrails"
    mandatory = {(v["policy"], v["name"]) for v in report["violations"] if v["level"] == "mandatory"}
    assert mandatory == {("queue-encryption", "legacy-inbox"), ("queue-dead-letter", "legacy-inbox")}


def test_each_cloud_extra_brings_its_sdks_and_not_the_others_nor_the_test_tools():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]

    def names(requirements: list[str]) -> set[str]:
        return {r.split(">")[0].split("<")[0].split("[")[0].split("=")[0].strip().lower() for r in requirements}

    base, extras = names(project["dependencies"]), project["optional-dependencies"]
    assert not base & {"pulumi-aws", "pulumi-gcp", "pulumi-kubernetes", "kubernetes-validate", "boto3"}
    assert {"pulumi-aws", "pulumi-kubernetes"} <= names(extras["aws"]) and "pulumi-gcp" not in names(extras["aws"])
    assert {"pulumi-gcp", "pulumi-kubernetes"} <= names(extras["gcp"]) and "pulumi-aws" not in names(extras["gcp"])
    assert "kubernetes-validate" in names(extras["test"])
    assert "kubernetes-validate" not in names(extras["aws"]) | names(extras["gcp"])
