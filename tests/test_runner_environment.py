"""Offline runs in one process keep installed packages loaded, even when the virtualenv lives in the project,
and leave nothing of the program's own modules behind."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import REPO

SCRIPT = """
import sys
from pathlib import Path

from stackctl.engine.project import Project
from stackctl.engine.runner import run_stack

project = Project.load(Path(sys.argv[1]))
for stack in ("dev", "prod"):  # both import pulumi_aws, first in the run itself
    print(stack, len(run_stack(project, stack).graph.resources))

# Each run imports the program's modules again and forgets them after (those loaded before the runs stay);
# nothing may keep a forgotten module's classes (the SDK's class-keyed caches did, ~4 MiB per run of the
# dev stack in a long-lived process).
import gc
import typing

for clear_cache in typing._cleanups:  # typing's own caches of `Optional[X]` & co. are bounded LRUs: not a leak
    clear_cache()
while gc.collect():  # a weakly keyed cache lets go of an answer once its key is collected: collect again
    pass
forgotten = [o for o in gc.get_objects() if isinstance(o, type) and str(o.__module__).startswith("components.")
             and str(o.__module__) not in sys.modules]
print("program classes left", len(forgotten))

from stackctl.engine.speedups.collector import skip_final_collection

skip_final_collection()  # as the CLI ends: ~1 s of shutdown collection saved
"""


@pytest.mark.slow(3)
def test_two_aws_runs_in_one_fresh_process():
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(REPO)], cwd=REPO, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines[:2]] == ["dev", "prod"]
    assert lines[2] == "program classes left 0"
