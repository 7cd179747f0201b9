"""The `stackctl` command line."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Optional

import typer

from components.errors import SpecError

from .errors import InputError
from .project import Project
from .runner import run_stack
from .tree import render_preview

EXIT_INVALID_INPUT = 2
EXIT_PROGRAM_FAILED = 1

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Run the stack program offline: no cloud credentials, no Pulumi CLI.",
)



@app.callback()
def _root() -> None:
    """Offline preview, policy check and render of this project's stacks."""


ProjectDir = typer.Option(None, "--project-dir", "-C", help="Project directory (default: search upward from cwd).")


def _project(project_dir: Optional[Path]) -> Project:
    return Project.load(project_dir.resolve()) if project_dir else Project.find(Path.cwd())


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _run(project: Project, stack: str):
    try:
        return run_stack(project, stack)
    except SpecError as exc:
        raise _fail(str(exc), EXIT_INVALID_INPUT) from None
    except InputError as exc:
        raise _fail(str(exc), EXIT_INVALID_INPUT) from None
    except Exception:  # noqa: BLE001 - a bug in the program, not bad input: show where
        raise _fail(f"error: the stack program failed\n{traceback.format_exc()}", EXIT_PROGRAM_FAILED) from None


@app.command()
def preview(
    stack: str = typer.Argument(..., help="Stack name: stacks/Pulumi.<STACK>.yaml."),
    json_output: bool = typer.Option(False, "--json", help="Print the resource graph as JSON (docs/stackctl.md)."),
    project_dir: Optional[Path] = ProjectDir,
) -> None:
    """Show the resources STACK declares, as `pulumi preview` would for a new stack."""
    try:
        project = _project(project_dir)
    except InputError as exc:
        raise _fail(str(exc), EXIT_INVALID_INPUT) from None
    run = _run(project, stack)
    sys.stdout.write(run.graph.dumps() if json_output else render_preview(run))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
