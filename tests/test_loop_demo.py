"""`make loop-demo`: the whole loop on this machine (ECR in moto's server on 127.0.0.1, bare git remotes), and
the README's deployment-loop commands are the ones it runs."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from tests.conftest import REPO


def _demo():
    spec = importlib.util.spec_from_file_location("loop_demo", REPO / "examples" / "loop_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_shows_the_commands_the_demo_runs():
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## The deployment loop"):]
    section = section[:section.index("\n## ", 3)]
    assert "make loop-demo" in section
    for command in _demo().README_COMMANDS:
        assert command in section, command


@pytest.mark.slow(40)
def test_loop_demo_runs_the_whole_loop(tmp_path):
    result = subprocess.run([sys.executable, str(REPO / "examples" / "loop_demo.py"), str(tmp_path / "demo")],
                            capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "services.orders: held: held since " in out
    assert "release services.orders (held since" in out
    history = out[out.rindex("$ stackctl history prod --deployments ../deployments"):]
    orders = history[history.index("services.orders\n"):history.index("services.orders-api\n")]
    lines = orders.splitlines()
    assert "hold released by Jane Doe" in lines[1]
    assert lines[2].startswith("  * ") and "rollback from history" in lines[2]
    assert "hold set by Jane Doe <jane.doe@acme.example>: orders-worker 2 fails in prod" in orders
    assert orders.count("promote from staging") == 2 and "in the deployment repository since" in orders
    assert "loop-demo: done in" in out
    # The clones are left to look at: prod's stack file on origin's main runs the rolled-back digest.
    log = subprocess.run(["git", "-C", str(tmp_path / "demo" / "infra"), "log", "-1", "--format=%s", "origin/main"],
                         capture_output=True, text=True, check=True).stdout
    assert log.startswith("Merge pull request: release/prod-orders")
