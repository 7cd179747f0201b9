"""The desired graph of a stack at another git revision, as prior state for `stackctl diff --base REV`.

The revision's tree (program, `components`, stack files) is extracted with `git archive` into a
temporary directory and run offline in a subprocess, so that revision's own `components` package is
imported, not the working tree's. The runner and mocks are the working tree's `stackctl` on both sides
on purpose: both graphs then come from one set of mock rules (ids, ARNs, engine URNs), and a change in
stackctl itself never shows up as a change to the stack.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from stackctl.engine.project import Project
from stackctl.errors import InputError

from .state import PriorState, from_graph_json

SNAPSHOT_TIMEOUT_SECONDS = 600

# Runs in the subprocess: import this stackctl first, then let the revision's tree (the working
# directory, first on sys.path) supply `components` and the program.
_BOOT = """
import sys
sys.path.insert(0, sys.argv[1])
import stackctl.diff.snapshot
sys.path.remove(sys.argv[1])
stackctl.diff.snapshot.main(sys.argv[2:])
"""


class RevisionError(Exception):
    """The program at the revision failed (not bad input here: the message says what happened)."""


def _git(repo: Path, *args: str, binary: bool = False) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=not binary, check=False)
    except OSError as exc:
        raise InputError(f"--base needs git ({exc.strerror})") from None


def revision_state(project: Project, stack: str, rev: str) -> PriorState:
    top = _git(project.root, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise InputError(f"--base {rev}: {project.root} is not in a git repository")
    toplevel = Path(top.stdout.strip()).resolve()
    commit = _git(project.root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if commit.returncode != 0:
        raise InputError(f"--base {rev}: unknown revision (fetch it first, e.g. `git fetch origin main`)")
    sha = commit.stdout.strip()
    prefix = project.root.resolve().relative_to(toplevel)
    label = project.stack_label(stack)
    source = f"git revision {rev} ({sha[:12]})"
    with tempfile.TemporaryDirectory(prefix="stackctl-base-") as tmp:
        archive = _git(toplevel, "archive", "--format=tar", sha, binary=True)
        if archive.returncode != 0:
            raise InputError(f"--base {rev}: git archive failed: {archive.stderr.decode(errors='replace').strip()}")
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            # The "data" filter refuses absolute paths and links out of the directory (Python >= 3.11.4).
            if hasattr(tarfile, "data_filter"):
                tar.extractall(tmp, filter="data")
            else:  # pragma: no cover - older 3.11 patch releases
                tar.extractall(tmp)  # noqa: S202 - our own repository's tree
        base_root = Path(tmp) / prefix
        if not (base_root / "Pulumi.yaml").is_file():
            return PriorState(source=source, resources=[], outputs={},
                              warnings=[f"no Pulumi project at {rev}: every resource is a create"])
        base = Project.load(base_root)
        if not base.stack_file(stack).is_file():
            return PriorState(source=source, resources=[], outputs={},
                              warnings=[f"{label} does not exist at {rev}: every resource is a create"])
        result_file = Path(tmp) / "stackctl-snapshot.json"
        head_parent = str(Path(__file__).resolve().parents[2])  # the directory holding this `stackctl` package
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _BOOT, head_parent, str(base_root), stack, str(result_file)],
                cwd=base_root, capture_output=True, text=True, timeout=SNAPSHOT_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired:
            raise RevisionError(f"the stack program at {rev} did not finish in {SNAPSHOT_TIMEOUT_SECONDS}s") from None
        if not result_file.is_file():
            raise RevisionError(f"the stack program at {rev} could not be run:\n{proc.stderr.strip()}")
        result = json.loads(result_file.read_text())
    if result["status"] == "invalid":
        raise InputError(f"at {rev}: {result['message']}")
    if result["status"] == "failed":
        raise RevisionError(f"the stack program failed at {rev}:\n{result['message']}")
    return from_graph_json(result["graph"], source)
