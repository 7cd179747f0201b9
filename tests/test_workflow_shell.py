"""Every `run:` script of the shipped workflows passes shellcheck, as actionlint checks them.

actionlint itself cannot be installed from PyPI on a clean machine (its wrapper downloads the binary at
install time); shellcheck's wheel carries its binary, and shellcheck is what actionlint runs on `run:`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

WORKFLOWS = [*sorted((REPO / ".github" / "workflows").glob("*.yml")),
             REPO / "examples" / "ci" / "application-repository.yml"]
SHELLCHECK = Path(sys.executable).parent / "shellcheck"


def _scripts():
    for path in WORKFLOWS:
        for job_name, job in yaml.safe_load(path.read_text())["jobs"].items():
            for index, step in enumerate(job.get("steps", [])):
                if "run" in step:
                    yield pytest.param(step["run"], id=f"{path.name}:{job_name}:{step.get('name', index)}")


@pytest.mark.parametrize("script", list(_scripts()))
def test_run_scripts_pass_shellcheck(script):
    # An expression is substituted before the shell runs: stand in a plain word, as actionlint does.
    text = "#!/bin/bash\nset -e\n" + re.sub(r"\$\{\{.*?\}\}", "EXPRESSION", script)
    result = subprocess.run([str(SHELLCHECK), "--shell=bash", "--severity=info", "-"], input=text,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout


def test_shellcheck_finds_what_it_should():
    result = subprocess.run([str(SHELLCHECK), "--shell=bash", "-"], input="#!/bin/bash\nls *.yaml | wc -l\necho $1\n",
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "SC2086" in result.stdout
