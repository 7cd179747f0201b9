"""Render the same stacks with an earlier revision of the code and with this checkout; compare byte for byte.

A speed-up of `stackctl render` must not change a byte of what it writes. This script exports the code of a
git revision (default: where this branch left `main`), renders the shipped stacks and generated stacks with
it and with this checkout, each into its own directory, and compares the trees with `diff -r`, and the exit
status, the listed files and the error output of every run. Exit status 1 on any difference.

    .venv/bin/python benchmarks/render_compare.py [--base REV] [--generated aws:200 gcp:100]

Both versions render the same project files (this checkout's stacks, a generated project); only the code
(`stackctl`, `components`) comes from the revision, put first on `PYTHONPATH`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.stack_generator import write_project  # noqa: E402

SHIPPED = ("dev", "staging", "prod", "gcp-dev")
_CLI = "from stackctl.cli import main; main()"


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], check=True, capture_output=True, text=True).stdout


def _export(revision: str, into: Path) -> None:
    archive = into.with_suffix(".tar")
    _git("archive", "--format=tar", f"--output={archive}", revision)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")


def _python(code: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # Run from a directory without code: the current directory would come before PYTHONPATH on sys.path.
    return subprocess.run([sys.executable, *args], env={**os.environ, "PYTHONPATH": str(code)},
                          capture_output=True, text=True, cwd=cwd)


def _check_imports_from(code: Path, cwd: Path) -> None:
    done = _python(code, "-c", "import stackctl, components; print(stackctl.__file__); print(components.__file__)",
                   cwd=cwd)
    for module in done.stdout.split():
        if not Path(module).is_relative_to(code):
            raise SystemExit(f"{module}: imported instead of the code in {code}")


def _render(code: Path, project: Path, stack: str, out: Path, cwd: Path) -> tuple[int, str, str]:
    done = _python(code, "-c", _CLI, "render", stack, "--out", str(out), "-C", str(project), cwd=cwd)
    return done.returncode, done.stdout.replace(str(out), "<out>"), done.stderr.replace(str(out), "<out>")


def _shipped_project(into: Path) -> Path:
    """The repository's project files without its code, so the program imports the version under test."""
    into.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO / name, into / name)
    shutil.copytree(REPO / "stacks", into / "stacks")
    return into


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=None, help="git revision of the code to compare with "
                        "(default: the merge base of HEAD and main)")
    parser.add_argument("--generated", nargs="*", default=["aws:200", "gcp:100"],
                        help="generated stacks as CLOUD:SERVICES")
    parser.add_argument("--no-shipped", action="store_true", help="skip the shipped stacks")
    args = parser.parse_args()
    base = args.base or _git("merge-base", "HEAD", "main").strip()
    with tempfile.TemporaryDirectory(prefix="render-compare-") as temp:
        work = Path(temp)
        (work / "base").mkdir()
        _export(base, work / "base")
        generated = {f"{cloud}-{size}": (cloud, int(size))
                     for cloud, size in (item.split(":") for item in args.generated)}
        codes = {"base": work / "base", "head": REPO}
        for code in codes.values():
            _check_imports_from(code, work)
        shipped = None if args.no_shipped else _shipped_project(work / "shipped")
        runs = [] if shipped is None else [(shipped, stack) for stack in SHIPPED]
        if generated:
            write_project(work / "generated", generated)
            runs += [(work / "generated", stack) for stack in generated]
        differences = 0
        for project, stack in runs:
            outs = {version: work / "out" / version / stack for version in ("base", "head")}
            results = {version: _render(code, project, stack, outs[version], work) for version, code in codes.items()}
            same_run = results["base"] == results["head"]
            trees = [outs["base"], outs["head"]]
            if all(tree.exists() for tree in trees):
                same_tree = subprocess.run(["diff", "-r", *map(str, trees)]).returncode == 0
            else:
                same_tree = not any(tree.exists() for tree in trees)
            files = sum(1 for path in outs["head"].rglob("*") if path.is_file()) if outs["head"].exists() else 0
            verdict = "identical" if same_run and same_tree else "DIFFERENT"
            differences += verdict != "identical"
            print(f"{stack}: {verdict} (exit {results['head'][0]}, {files} files)", flush=True)
        print(f"base {base[:12]} vs this checkout: {'no' if not differences else differences} difference(s)")
        return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
