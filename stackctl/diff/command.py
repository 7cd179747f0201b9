"""`stackctl diff`: the head run, a prior state (git revision or state export), the steps, the guard."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from stackctl.engine.project import Project
from stackctl.engine.runner import StackRun
from stackctl.errors import InputError

from . import guard, prune
from . import steps as diff
from .report import DiffReport
from .revision import revision_state
from .state import read_export


@dataclass
class DiffOutcome:
    report: DiffReport
    blocked: bool


def allow_destroy(project: Project, run: StackRun) -> list[str]:
    """The stack file's `allow_destroy` entries (already validated by the program's spec)."""
    raw = run.config.values.get(f"{project.name}:allow_destroy")
    if raw is None:
        return []
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError:
        entries = None
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise InputError(f"{project.stack_label(run.graph.stack)}: allow_destroy: must be a list of "
                         "resource names or URNs")
    return entries


def diff_stack(project: Project, stack: str, run: StackRun, *, base: Optional[str], state: Optional[Path],
               deny_destroy: bool) -> DiffOutcome:
    if (base is None) == (state is None):
        raise InputError("give exactly one of --base REV or --state FILE")
    prior = revision_state(project, stack, base) if base is not None else read_export(state)
    result = diff.compute(run.graph, prior, real_state=state is not None)
    for diagnostic in run.diagnostics:
        if diagnostic.severity in ("warning", "error"):
            result.warnings.append(f"program {diagnostic.severity}: {diagnostic.message}")
    report = DiffReport(result=result, prune=prune.prune_set(prior.outputs, run.graph.stack_outputs),
                        gitops_files=prune.file_changes(prior.outputs, run.graph.stack_outputs))
    report.guard = guard.evaluate(result, allow_destroy(project, run))
    report.guard_enforced = deny_destroy
    return DiffOutcome(report=report, blocked=deny_destroy and bool(report.guard.blocked))
