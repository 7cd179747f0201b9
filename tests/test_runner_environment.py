"""Offline runs in one process keep installed packages loaded, even when the virtualenv lives in the project."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import REPO

SCRIPT = """
import sys
from pathlib import Path

from stackctl.project import Project
from stackctl.runner import run_stack

project = Project.load(Path(sys.argv[1]))
for stack in ("dev", "prod"):  # both import pulumi_aws, first in the run itself
    print(stack, len(run_stack(project, stack).graph.resources))

from stackctl.collector import skip_final_collection

skip_final_collection()  # as the CLI ends: ~1 s of shutdown collection saved
"""


@pytest.mark.slow(3)
def test_two_aws_runs_in_one_fresh_process():
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(REPO)], cwd=REPO, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["dev", "prod"]
