"""Invalid stack files: exit status 2, the file and field path named, no traceback, nothing registered."""

from __future__ import annotations

import pytest

from components import SpecError
from stackctl.engine.runner import run_stack
from stackctl.errors import InputError

from .conftest import stackctl

VALID = {"cloud": "aws", "region": "us-east-1", "tier": "dev", "queues": {"orders": {}}}

CASES = {
    "wrong-type": ({**VALID, "queues": {"orders": {"max_receive_count": "lots"}}},
                   "stacks/Pulumi.bad.yaml: queues.orders.max_receive_count: must be a whole number (got 'lots')"),
    "unknown-key": ({**VALID, "queues": {"orders": {"retries": 3}}},
                    "stacks/Pulumi.bad.yaml: queues.orders.retries: unknown field"),
    "out-of-range": ({**VALID, "queues": {"orders": {"visibility_timeout_seconds": 5}}},
                     "stacks/Pulumi.bad.yaml: queues.orders.visibility_timeout_seconds: must be >= 30 (got 5)"),
    "unknown-cloud": ({**VALID, "cloud": "azure"},
                      "stacks/Pulumi.bad.yaml: cloud: must be one of 'aws' or 'gcp' (got 'azure')"),
    "namespaced-key": ({**VALID, "platform:tier": "qa"},
                       "stacks/Pulumi.bad.yaml: tier: must be one of 'dev', 'staging' or 'prod' (got 'qa')"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_exits_2_with_file_and_field(case: str, make_project):
    config, expected = CASES[case]
    if case == "namespaced-key":
        config = {k: v for k, v in config.items() if k != "tier"}
    project = make_project({"bad": config})
    result = stackctl("preview", "bad", cwd=project.root)
    assert result.returncode == 2
    assert result.stdout == ""
    assert any(line.startswith(expected) for line in result.stderr.splitlines()), result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_spec_registers_nothing_but_the_root_stack(make_project):
    project = make_project({"bad": {**VALID, "queues": {"orders": {"visibility_timeout_seconds": 5}}}})
    with pytest.raises(SpecError) as caught:
        run_stack(project, "bad")
    registered = caught.value.partial_run.graph.resources
    assert [r.type for r in registered] == ["pulumi:pulumi:Stack"]


def test_spec_error_is_a_pulumi_run_error_so_the_cli_prints_no_traceback():
    import pulumi

    assert issubclass(SpecError, pulumi.RunError)


def test_malformed_yaml_is_reported_with_its_location(make_project):
    project = make_project({})
    (project.root / "stacks" / "Pulumi.broken.yaml").write_text("config:\n  cloud: [aws\n")
    result = stackctl("preview", "broken", cwd=project.root)
    assert result.returncode == 2
    assert result.stderr.startswith("stacks/Pulumi.broken.yaml: ")
    assert "(line 3, column 1)" in result.stderr and "Traceback" not in result.stderr


def test_config_that_is_not_a_mapping(make_project):
    project = make_project({})
    (project.root / "stacks" / "Pulumi.list.yaml").write_text("config:\n  - cloud\n")
    with pytest.raises(InputError, match=r"^stacks/Pulumi.list.yaml: config: must be a mapping"):
        run_stack(project, "list")


def test_secure_values_stay_secret_and_are_not_decrypted(make_project):
    ciphertext = "AAABAEgyjZ3Vw1ND0OfeumMDRh0TcY3dDw7pPp8nDQa+NEx9"
    project = make_project({"sec": {**VALID, "region": {"secure": ciphertext}}})
    result = stackctl("preview", "sec", cwd=project.root)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "stacks/Pulumi.sec.yaml: region: is stored as a secret but is not a secret setting; set it as plain config")
    assert ciphertext not in result.stderr + result.stdout
