"""`stackctl diff` output: text in the style of `pulumi preview --diff`, and a stable JSON document."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .guard import GuardResult, is_stateful
from .prune import PrunedObject
from .steps import DiffResult, Step, compare

SYMBOLS = {"create": "+", "update": "~", "replace": "+-", "delete": "-", "same": " "}
KIND_SYMBOLS = {"add": "+", "update": "~", "delete": "-"}
SUMMARY_WORDS = {"create": "to create", "update": "to update", "replace": "to replace", "delete": "to delete",
                 "same": "unchanged"}
MAX_VALUE = 100


@dataclass
class DiffReport:
    result: DiffResult
    prune: list[PrunedObject] = field(default_factory=list)
    guard: GuardResult | None = None
    guard_enforced: bool = False
    gitops_files: dict[str, list[str]] = field(default_factory=lambda: {"added": [], "changed": []})


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    text = json.dumps(text) if isinstance(value, str) else text
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _json_document(value: Any) -> Any:
    if not isinstance(value, str) or not value.lstrip().startswith(("{", "[")):
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return None


def _step_lines(step: Step) -> list[str]:
    symbol = SYMBOLS[step.op]
    flags = [note for note in step.notes if note.startswith("would fail")]
    if is_stateful(step) and step.op in ("delete", "replace"):
        flags.append("stateful")
    suffix = f"  [{'; '.join(flags)}]" if flags else ""
    lines = [f"{symbol:>2} {step.type}: ({step.op}){suffix}", f"      [urn={step.urn}]"]
    if step.old_urn:
        lines.append(f"      [previously urn={step.old_urn}]")
    for change in step.changes:
        kind = change.kind.removesuffix("-replace")
        forces = " (forces replacement)" if change.kind.endswith("-replace") else ""
        mark = KIND_SYMBOLS[kind]
        if kind == "add":
            lines.append(f"    {mark} {change.path}: {_value(change.new)}{forces}")
        elif kind == "delete":
            lines.append(f"    {mark} {change.path}: {_value(change.old)}{forces}")
        elif _json_document(change.old) is not None and _json_document(change.new) is not None:
            # JSON held in a string (policies, redrive settings): show what changed inside it.
            lines.append(f"    {mark} {change.path}: (json){forces}")
            for inner in compare(_json_document(change.old), _json_document(change.new)):
                lines.append(f"        {KIND_SYMBOLS[inner.kind]} {inner.path}: "
                             + (_value(inner.new) if inner.kind == "add" else _value(inner.old))
                             + (f" => {_value(inner.new)}" if inner.kind == "update" else ""))
        else:
            lines.append(f"    {mark} {change.path}: {_value(change.old)} => {_value(change.new)}{forces}")
    if step.replace_reasons:
        lines.append(f"      replaced because of: {', '.join(step.replace_reasons)}")
    for note in step.notes:
        if not note.startswith("would fail"):
            lines.append(f"      note: {note}")
    return lines


def text_report(report: DiffReport) -> str:
    result = report.result
    lines = [f"Diff of stack '{result.stack}' of project '{result.project}' against {result.source} (offline)", ""]
    changed = result.changed()
    if not changed:
        lines += ["No resource changes.", ""]
    for step in changed:
        lines += _step_lines(step) + [""]
    lines.append("Resources:")
    summary = result.summary()
    for op in ("create", "update", "replace", "delete"):
        if summary[op]:
            lines.append(f"    {SYMBOLS[op]:<2} {summary[op]} {SUMMARY_WORDS[op]}")
    lines.append(f"       {summary['same']} unchanged")
    if report.gitops_files["added"] or report.gitops_files["changed"]:
        lines += ["", "GitOps deployment repository (`stackctl render` writes, Argo CD applies):"]
        lines += [f"    + {path}" for path in report.gitops_files["added"]]
        lines += [f"    ~ {path}" for path in report.gitops_files["changed"]]
    if report.prune:
        lines += ["", "GitOps prune set (objects leaving the deployment repository; Argo CD prunes them):"]
        for obj in report.prune:
            where = f"{obj.namespace}/" if obj.namespace else ""
            confirm = "  [Prune=confirm: waits for confirmation in Argo CD]" if obj.confirm else ""
            lines.append(f"    - {obj.kind} {where}{obj.name}  ({obj.path}){confirm}")
    if report.guard is not None:
        lines += ["", *_guard_lines(report.guard, report.guard_enforced)]
    if result.warnings:
        lines += ["", "Warnings:"] + [f"    {w}" for w in result.warnings]
    lines.append("")
    return "\n".join(lines)


def _guard_lines(guard: GuardResult, enforced: bool) -> list[str]:
    lines = []
    if guard.blocked:
        verdict = "BLOCKED" if enforced else "would block (--deny-destroy exits 3)"
        lines.append(f"Destroy guard: {verdict}. These stateful or protected resources would be deleted or replaced:")
        lines += [f"    {s.op}: {s.urn}" for s in guard.blocked]
        lines.append("  If intended, acknowledge each in the stack file and remove the entries once applied:")
        lines.append("    allow_destroy:")
        lines += [f"      - {s.name}" for s in guard.blocked]
    elif any(s.protect for s in guard.acknowledged):
        lines.append("Destroy guard: passed (acknowledged), but `pulumi up` will fail on the protected resources "
                     "below until they are unprotected.")
    else:
        lines.append("Destroy guard: passed.")
    if guard.acknowledged:
        lines.append("  Acknowledged by allow_destroy:")
        lines += [f"    {s.op}: {s.urn}" for s in guard.acknowledged]
    protected = [s for s in [*guard.blocked, *guard.acknowledged] if s.protect]
    if protected:
        lines.append("  Protected: the engine refuses to delete or replace these until they are unprotected "
                     "(allow_destroy does not change that):")
        lines += [f"    {s.op}: {s.urn}" for s in protected]
        lines.append("  To do it deliberately: set `protect: false` on them in the stack file "
                     "(`queues.<name>.protect`, `cluster.protect`) and apply that alone first (`pulumi up` changes")
        lines.append("  only the flag), then this change; in prod, policy stateful-resources-protected refuses "
                     "unprotected queues until policy/config/prod.json makes it advisory for that change.")
    for entry in guard.unused:
        lines.append(f"  allow_destroy entry '{entry}' matches no delete or replace: remove it (already applied?)")
    for entry in guard.ambiguous:
        lines.append(f"  allow_destroy entry '{entry}' matches more than one resource: use its URN")
    return lines


def _step_json(step: Step) -> dict[str, Any]:
    return {
        "op": step.op,
        "urn": step.urn,
        "type": step.type,
        "oldUrn": step.old_urn or None,
        "diffReasons": step.diff_reasons,
        "replaceReasons": step.replace_reasons,
        "detailedDiff": step.detailed_diff,
        "protect": step.protect,
        "retainOnDelete": step.retain_on_delete,
        "stateful": is_stateful(step),
        "notes": step.notes,
    }


def json_report(report: DiffReport) -> str:
    result = report.result
    data: dict[str, Any] = {
        "project": result.project,
        "stack": result.stack,
        "base": result.source,
        "steps": [_step_json(s) for s in result.steps],
        "changeSummary": result.summary(),
        "gitops": {"added": report.gitops_files["added"], "changed": report.gitops_files["changed"]},
        "prune": [p.to_json() for p in report.prune],
        "guard": None,
        "warnings": result.warnings,
    }
    if report.guard is not None:
        data["guard"] = {
            "enforced": report.guard_enforced,
            "blocked": [s.urn for s in report.guard.blocked],
            "acknowledged": [s.urn for s in report.guard.acknowledged],
            # Refused by the engine until unprotected, acknowledged or not.
            "protected": [s.urn for s in [*report.guard.blocked, *report.guard.acknowledged] if s.protect],
            "unusedAcknowledgements": report.guard.unused,
            "ambiguousAcknowledgements": report.guard.ambiguous,
        }
    return json.dumps(data, indent=2) + "\n"
