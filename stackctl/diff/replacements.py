"""Which input changes force a provider to replace a resource instead of updating it in place.

The data (`stackctl/data/replace_on_changes.json`) is vendored from the providers themselves, for the
provider versions this project pins, with its source per provider and per type: the Terraform providers'
`ForceNew: true` schema markers (and `RequiresReplace` plan modifiers) behind the bridged pulumi-aws and
pulumi-gcp, and pulumi-kubernetes's own replace rules (`provider/pkg/provider/diff.go`). Paths use the
Pulumi (camelCase) property names; `[*]` stands for any list element, and Terraform blocks of at most one
element are plain objects, as the bridge maps them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

DATA_FILE = "replace_on_changes.json"
_TOKEN = re.compile(r'\["((?:[^"\\]|\\.)*)"\]|\[(?:\d+|\*)\]|([^.\[\]]+)')


@dataclass(frozen=True)
class TypeRules:
    type: str
    source: str
    paths: tuple[str, ...]


@cache
def load() -> dict[str, Any]:
    return json.loads(resources.files("stackctl").joinpath("data", DATA_FILE).read_text())


def rules_for(type_: str) -> TypeRules | None:
    """The replace-on-change paths of a resource type; `None` when the data does not cover it."""
    entry = load()["types"].get(type_)
    if entry is None:
        return None
    return TypeRules(type_, entry["source"], tuple(entry["replaceOnChanges"]))


def covered_types() -> set[str]:
    return set(load()["types"])


def segments(path: str) -> list[str]:
    """`spec.template.spec.containers[0].image` -> [spec, template, spec, containers, image];
    a quoted key (`annotations["a.b/c"]`) is one segment, list indices are dropped."""
    result = []
    for match in _TOKEN.finditer(path):
        quoted, plain = match.group(1), match.group(2)
        if quoted is not None:
            result.append(json.loads(f'"{quoted}"'))
        elif plain is not None:
            result.append(plain)
    return result


def values_at(value: Any, parts: list[str]) -> list[Any]:
    """Every value at `parts` below `value`, looking through lists (as `[*]` does)."""
    if isinstance(value, list):
        return [found for item in value for found in values_at(item, parts)]
    if not parts:
        return [value]
    if not isinstance(value, dict) or parts[0] not in value:
        return []
    return values_at(value[parts[0]], parts[1:])


def forcing_paths(rules: TypeRules, old: dict[str, Any], new: dict[str, Any], ignored: set[str]) -> list[str]:
    """The replace-on-change paths whose value differs between `old` and `new` inputs (paths under an
    `ignored` path excepted)."""
    ignored_parts = [segments(i) for i in ignored if i]
    forced = []
    for path in rules.paths:
        parts = segments(path)
        if any(parts[: len(i)] == i for i in ignored_parts):
            continue
        if values_at(old, parts) != values_at(new, parts):
            forced.append(path)
    return forced
