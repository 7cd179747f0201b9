"""The steps `pulumi up` would take from a prior state to a stack's desired graph.

Resources are matched by URN, then by the aliases the program declares (a rename with an alias is the
same resource). Inputs are compared in wire (camelCase) form; a change to a property the provider cannot
update in place (`stackctl.diff.replacements`) makes the step a replace, and a property computed from a
replaced resource's outputs becomes unknown, which may force its own resource's replacement in turn, as
it does in the engine's preview. Secrets compare as the opaque "[secret]": their values are never read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from stackctl.engine.graph import Graph, ResourceRecord
from stackctl.engine.urns import ROOT_STACK_TYPE
from stackctl.engine.wire import UNKNOWN

from . import replacements
from .state import PriorResource, PriorState

OPS = ("create", "update", "replace", "delete", "same")
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


@dataclass
class PropertyChange:
    path: str
    kind: str  # add | update | delete, with "-replace" when it forces a replacement
    old: Any = None
    new: Any = None


@dataclass
class Step:
    op: str
    urn: str
    type: str
    old_urn: str = ""
    changes: list[PropertyChange] = field(default_factory=list)
    replace_reasons: list[str] = field(default_factory=list)
    protect: bool = False
    retain_on_delete: bool = False
    notes: list[str] = field(default_factory=list)
    custom: bool = True

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @property
    def diff_reasons(self) -> list[str]:
        return sorted({replacements.segments(c.path)[0] for c in self.changes if replacements.segments(c.path)})

    @property
    def detailed_diff(self) -> dict[str, dict[str, Any]]:
        return {c.path: {"kind": c.kind, "inputDiff": True} for c in self.changes}

    @property
    def would_fail_protected(self) -> bool:
        return self.op in ("delete", "replace") and self.protect


@dataclass
class DiffResult:
    project: str
    stack: str
    source: str
    steps: list[Step]
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(OPS, 0)
        for step in self.steps:
            counts[step.op] += 1
        return counts

    def changed(self) -> list[Step]:
        return [s for s in self.steps if s.op != "same"]


# -- property paths and comparison --------------------------------------------------------------------

def _join(path: str, key: str) -> str:
    if _IDENTIFIER.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


def compare(old: Any, new: Any, path: str = "") -> list[PropertyChange]:
    """Property-level differences, at the deepest path where they occur (like the engine's detailed diff)."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[PropertyChange] = []
        for key in sorted(set(old) | set(new)):
            sub = _join(path, key)
            if key not in old:
                changes.append(PropertyChange(sub, "add", None, new[key]))
            elif key not in new:
                changes.append(PropertyChange(sub, "delete", old[key], None))
            else:
                changes.extend(compare(old[key], new[key], sub))
        return changes
    if isinstance(old, list) and isinstance(new, list):
        changes = []
        for index in range(max(len(old), len(new))):
            sub = f"{path}[{index}]"
            if index >= len(old):
                changes.append(PropertyChange(sub, "add", None, new[index]))
            elif index >= len(new):
                changes.append(PropertyChange(sub, "delete", old[index], None))
            else:
                changes.extend(compare(old[index], new[index], sub))
        return changes
    return [PropertyChange(path, "update", old, new)]


def _ignored(path: str, ignore: list[str]) -> bool:
    parts = replacements.segments(path)
    return any(parts[: len(replacements.segments(i))] == replacements.segments(i) for i in ignore if i)


def _provider_filled(prior: PriorResource, new_inputs: dict[str, Any]) -> set[str]:
    """Top-level inputs that the provider, not the program, set: absent from the program, they are no change."""
    filled = {key for key in prior.defaults if key not in new_inputs}
    if prior.type.startswith("pulumi:providers:") and "version" not in new_inputs:
        filled.add("version")  # the plugin version the engine recorded, not a program input
    # pulumi-kubernetes autonaming: it records the generated name with this annotation.
    annotations = (prior.inputs.get("metadata") or {}).get("annotations") or {}
    if "pulumi.com/autonamed" in annotations and "name" not in (new_inputs.get("metadata") or {}):
        filled.add("metadata.name")
        filled.add('metadata.annotations["pulumi.com/autonamed"]')
    return filled


# -- mock values -> real values (diffs against a real state export) ---------------------------------

def _real_value_map(record: ResourceRecord, prior: PriorResource) -> dict[str, str]:
    """Mock output value -> the real one, for outputs the provider computes (ids, ARNs, URLs)."""
    mapping: dict[str, str] = {}
    if record.id and prior.outputs.get("id") not in (None, "") and isinstance(prior.outputs.get("id"), str):
        mapping[record.id] = prior.outputs["id"]
    for key, mock in record.outputs.items():
        real = prior.outputs.get(key)
        if key in record.inputs or not isinstance(mock, str) or not isinstance(real, str) or mock == real:
            continue
        if mock and UNKNOWN not in mock and "[secret]" not in mock:
            mapping[mock] = real
    return mapping


def _substitute(value: Any, mapping: dict[str, str]) -> Any:
    if isinstance(value, str):
        for mock in sorted(mapping, key=len, reverse=True):
            if mock in value:
                value = value.replace(mock, mapping[mock])
        return value
    if isinstance(value, dict):
        return {k: _substitute(v, mapping) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, mapping) for v in value]
    return value


# -- the steps --------------------------------------------------------------------------------------

def compute(graph: Graph, prior: PriorState, *, real_state: bool) -> DiffResult:
    """Steps from `prior` to `graph`. `real_state`: the prior is a real export, so values the offline run
    only knows as mock placeholders (ids, ARNs) are read from the matched resources' real outputs."""
    matches: dict[str, PriorResource] = {}
    claimed: set[str] = set()
    for record in graph.resources:
        for candidate in [record.urn, *record.aliases]:
            old = prior.by_urn.get(candidate)
            if old is not None and candidate not in claimed:
                matches[record.urn] = old
                claimed.add(candidate)
                break

    real_values: dict[str, dict[str, str]] = {}
    if real_state:
        for urn, old in matches.items():
            real_values[urn] = _real_value_map(graph.by_urn[urn], old)

    steps: dict[str, Step] = {}
    new_inputs: dict[str, dict[str, Any]] = {}
    for record in graph.resources:
        old = matches.get(record.urn)
        inputs = record.inputs
        if real_state:
            mapping = {}
            for deps in record.propertyDependencies.values():
                for dep in deps:
                    mapping.update(real_values.get(dep, {}))
            inputs = {key: (_substitute(value, mapping) if record.propertyDependencies.get(key) else value)
                      for key, value in inputs.items()}
        new_inputs[record.urn] = inputs
        step = Step(op="create", urn=record.urn, type=record.type, protect=record.protect,
                    retain_on_delete=record.retainOnDelete, custom=record.custom)
        if old is not None:
            step.old_urn = old.urn if old.urn != record.urn else ""
            step.protect = record.protect or old.protect
            _diff_inputs(step, record, old, inputs)
            if old.pendingReplacement:
                step.op = "create"
                step.notes.append("pending replacement in the state: the earlier replacement's create runs now")
        steps[record.urn] = step

    _cascade_unknowns(graph, matches, steps, new_inputs)

    ordered = [steps[r.urn] for r in graph.resources]
    for old in prior.resources:
        if old.urn in claimed or old.type == ROOT_STACK_TYPE:
            continue
        if old.external:
            continue  # read, not managed: the engine forgets it without deleting anything
        step = Step(op="delete", urn=old.urn, type=old.type, protect=old.protect,
                    retain_on_delete=old.retainOnDelete, custom=old.custom)
        if old.protect:
            step.notes.append("would fail: protected")
        if old.retainOnDelete:
            step.notes.append("retained: leaves the stack, stays in the cloud (retainOnDelete)")
        ordered.append(step)
    for step in ordered:
        if step.op == "replace" and step.protect:
            step.notes.append("would fail: protected")
        if step.op == "replace" and step.retain_on_delete:
            step.notes.append("retained: the old resource stays in the cloud (retainOnDelete)")
    return DiffResult(graph.project, graph.stack, prior.source, ordered, list(prior.warnings))


def _diff_inputs(step: Step, record: ResourceRecord, old: PriorResource, inputs: dict[str, Any]) -> None:
    filled = _provider_filled(old, inputs)
    changes = [c for c in compare(old.inputs, inputs)
               if not _ignored(c.path, record.ignoreChanges) and not (c.kind == "delete" and c.path in filled)]
    step.changes = changes
    _classify(step, record.type, old.inputs, inputs, set(record.ignoreChanges) | filled)


def _classify(step: Step, type_: str, old: dict[str, Any], new: dict[str, Any], ignored: set[str]) -> None:
    if not step.changes:
        step.op = "same"
        return
    step.op = "update"
    rules = replacements.rules_for(type_)
    if rules is None:
        if step.custom:
            step.notes.append(f"no replace-on-change data for {type_}: shown as an update")
        return
    forced = replacements.forcing_paths(rules, old, new, ignored)
    if not forced:
        return
    step.op = "replace"
    step.replace_reasons = forced
    forced_parts = [replacements.segments(p) for p in forced]
    for change in step.changes:
        parts = replacements.segments(change.path)
        if any(parts[: len(f)] == f or f[: len(parts)] == parts for f in forced_parts):
            change.kind = f"{change.kind}-replace"


def _cascade_unknowns(graph: Graph, matches: dict[str, PriorResource], steps: dict[str, Step],
                      new_inputs: dict[str, dict[str, Any]]) -> None:
    """A property computed from a replaced resource is unknown until that replacement runs."""
    changed = True
    while changed:
        changed = False
        replaced = {urn for urn, step in steps.items() if step.op == "replace"}
        for record in graph.resources:
            step, old = steps[record.urn], matches.get(record.urn)
            if old is None or step.op == "replace":
                continue
            provider_urn = record.provider.rsplit("::", 1)[0] if record.provider else ""
            if provider_urn in replaced:
                # A replaced provider (another cluster, for Kubernetes) means new resources under it.
                step.op, step.replace_reasons = "replace", ["provider"]
                step.notes.append(f"its provider {provider_urn.rsplit('::', 1)[-1]} is replaced")
                changed = True
                continue
            for key, deps in record.propertyDependencies.items():
                if key in new_inputs[record.urn] and replaced.intersection(deps) and \
                        not any(c.path == key or c.path.startswith(key + ".") or c.path.startswith(key + "[")
                                for c in step.changes) and not _ignored(key, record.ignoreChanges):
                    step.changes.append(PropertyChange(key, "update", old.inputs.get(key), UNKNOWN))
                    step.notes.append(f"{key}: computed from a replaced resource, known after the update")
                    unknown_inputs = dict(new_inputs[record.urn], **{key: f"{UNKNOWN}:{record.urn}"})
                    _classify(step, record.type, old.inputs, unknown_inputs, set(record.ignoreChanges))
                    changed = changed or step.op == "replace"
