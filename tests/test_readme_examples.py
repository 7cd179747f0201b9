"""Every Python example in README.md runs as written (offline, with the public testing API)."""

from __future__ import annotations

import re

import pytest

from stackctl.testing import run_program

from .conftest import REPO

BLOCKS = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), flags=re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs_as_written(index: int):
    code = BLOCKS[index]
    if "stackctl.testing" in code:
        exec(compile(code, f"README.md example {index}", "exec"), {"__name__": "readme"})  # it runs its own program
        return
    run = run_program(lambda: exec(compile(code, f"README.md example {index}", "exec"), {"__name__": "__main__"}),
                      config={"aws:region": "us-west-2"})
    custom = [r for r in run.graph.resources if r.custom and not r.type.startswith("pulumi:providers:")]
    assert custom, "the example registered no cloud resource"
    assert not [d for d in run.diagnostics if d.severity == "error"]
