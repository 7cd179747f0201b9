"""End to end: the installed `stackctl` in its own process, as users and CI run it (the other CLI tests run it
in-process for speed)."""

from __future__ import annotations

import json

import pytest

from .conftest import stackctl, stackctl_process


@pytest.mark.slow(2)
def test_preview_in_a_process_prints_what_the_in_process_run_prints():
    process = stackctl_process("preview", "dev", "--json")
    assert process.returncode == 0, process.stderr
    assert json.loads(process.stdout) == json.loads(stackctl("preview", "dev", "--json").stdout)


@pytest.mark.slow(4)
def test_check_in_a_process_starts_the_real_pack_and_exits_with_its_verdict():
    process = stackctl_process("check", "prod", "--format", "json")
    in_process = stackctl("check", "prod", "--format", "json")
    assert process.returncode == in_process.returncode
    assert json.loads(process.stdout) == json.loads(in_process.stdout)


def test_bad_input_in_a_process_exits_2_without_a_traceback():
    process = stackctl_process("preview", "no-such-stack")
    assert process.returncode == 2
    assert "no such stack file" in process.stderr and "Traceback" not in process.stderr
