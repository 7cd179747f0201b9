"""Check a package schema against Pulumi's package metaschema (JSON Schema draft 2020-12).

The metaschema writes its regular expressions in ECMAScript syntax (named groups `(?<name>...)`); Python's `re`
spells those `(?P<name>...)`, so `pattern` is checked with that one translation and nothing else changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema

_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    if validator.is_type(instance, "string") and not re.search(_NAMED_GROUP.sub("(?P<", pattern), instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def schema_errors(document: dict[str, Any], metaschema_path: Path) -> list[str]:
    """Every way `document` breaks the metaschema, as `<json path>: <message>` lines (none when it is valid)."""
    metaschema = json.loads(metaschema_path.read_text())
    validator = jsonschema.validators.extend(jsonschema.validators.validator_for(metaschema), {"pattern": _pattern})
    return [f"{error.json_path}: {error.message}" for error in validator(metaschema).iter_errors(document)]


def undescribed(document: dict[str, Any]) -> list[str]:
    """Resources, types and properties without a description (every input and output must have one)."""
    missing = []
    for section in ("resources", "types"):
        for token, spec in document.get(section, {}).items():
            if not spec.get("description"):
                missing.append(token)
            for kind in ("inputProperties", "properties"):
                for name, prop in (spec.get(kind) or {}).items():
                    if not prop.get("description"):
                        missing.append(f"{token}.{kind}.{name}")
            for member in spec.get("enum") or []:
                if not member.get("description"):
                    missing.append(f"{token}.enum.{member.get('name')}")
    return missing
