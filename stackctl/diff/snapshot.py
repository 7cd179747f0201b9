"""Subprocess entry point of `stackctl.diff.revision`: run one stack of a project tree, write its graph as JSON.

Usage (internal): `snapshot.main([project_root, stack, result_file])`. The result file holds
`{"status": "ok", "graph": <preview JSON>}` or `{"status": "invalid"|"failed", "message": str}`;
a file rather than stdout, because the program may print.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

from stackctl.engine.project import Project
from stackctl.engine.runner import run_stack
from stackctl.engine.speedups.collector import few_collections_for_this_process, skip_final_collection
from stackctl.errors import InputError


def _is_spec_error(exc: BaseException) -> bool:
    # `components` is the revision's own package, imported by its program: look its error type up there.
    errors = sys.modules.get("components.errors")
    spec_error = getattr(errors, "SpecError", None)
    return isinstance(spec_error, type) and isinstance(exc, spec_error)


def main(argv: list[str]) -> None:
    # A short-lived process, like the CLI's (stackctl/engine/speedups/collector.py): 2.7 s -> 1.9 s of CPU for the
    # shipped dev stack, most of it the interpreter's shutdown collection.
    few_collections_for_this_process()
    try:
        _snapshot(argv)
    finally:
        skip_final_collection()


def _snapshot(argv: list[str]) -> None:
    root, stack, result_file = Path(argv[0]), argv[1], Path(argv[2])
    try:
        run = run_stack(Project.load(root), stack)
        result = {"status": "ok", "graph": run.graph.to_json()}
    except InputError as exc:
        result = {"status": "invalid", "message": str(exc)}
    except Exception as exc:  # noqa: BLE001 - reported to the parent process, which decides
        if _is_spec_error(exc):
            result = {"status": "invalid", "message": str(exc)}
        else:
            result = {"status": "failed", "message": traceback.format_exc(limit=-4).strip()}
    result_file.write_text(json.dumps(result))
