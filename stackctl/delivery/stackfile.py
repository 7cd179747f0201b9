"""Read workload images from a stack file and change them in place, leaving every other byte alone.

The edit replaces only the text of each `image:` value (found with ruamel.yaml's round-trip positions),
so comments, key order, quoting and indentation stay exactly as the team wrote them; the result is parsed
again and must differ from the original in those values only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Optional

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from components.errors import SpecError
from components.spec import EnvironmentSpec, parse_environment
from stackctl.errors import InputError

KINDS = ("services", "jobs")


@dataclass(frozen=True, order=True)
class WorkloadKey:
    """A workload by section and name: `services.orders`, `jobs.monthly-report`."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}.{self.name}"


def _config(data: Any, project_name: str) -> dict:
    config = data.get("config") if isinstance(data, dict) else None
    if not isinstance(config, dict):
        return {}
    prefix = f"{project_name}:"
    return {str(k)[len(prefix):] if str(k).startswith(prefix) else str(k): v for k, v in config.items()}


def load_config(text: str, label: str, project_name: str) -> dict:
    """The stack file's config keys (project prefix removed), as plain data."""
    try:
        data = YAML(typ="safe").load(text) or {}
    except YAMLError as exc:
        raise InputError(f"{label}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    return _config(data, project_name)


def _round_trip_config(text: str, label: str):
    """The stack file's `config` mapping, loaded round-trip so that its values carry their positions in `text`."""
    try:
        document = YAML().load(text)
    except YAMLError as exc:
        raise InputError(f"{label}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    config = document.get("config") if isinstance(document, dict) else None
    if config is None:
        raise InputError(f"{label}: has no config section")
    return config


def images(config: dict) -> dict[WorkloadKey, str]:
    """Every workload that names its own image. Jobs that reuse a service (`service:`, no `image:`) run
    the service's image and follow it: promoting the service promotes them."""
    found: dict[WorkloadKey, str] = {}
    for kind in KINDS:
        section = config.get(kind)
        if not isinstance(section, dict):
            continue
        for name, workload in section.items():
            if isinstance(workload, dict) and isinstance(workload.get("image"), str):
                found[WorkloadKey(kind, str(name))] = workload["image"]
    return found


def followers(config: dict, service: str) -> list[str]:
    """Jobs that inherit `service`'s image."""
    jobs = config.get("jobs") if isinstance(config.get("jobs"), dict) else {}
    return sorted(str(name) for name, job in jobs.items()
                  if isinstance(job, dict) and job.get("service") == service and "image" not in job)


def find(known: dict[WorkloadKey, str], wanted: str, label: str) -> WorkloadKey:
    """Resolve `orders` or `services.orders` to the workload it names."""
    kind, _, name = wanted.partition(".")
    if name and kind in KINDS:
        key = WorkloadKey(kind, name)
        if key in known:
            return key
    matches = [key for key in known if key.name == wanted]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise InputError(f"{label}: {wanted!r} is both a service and a job; name one: "
                         + ", ".join(str(m) for m in matches))
    names = ", ".join(str(k) for k in sorted(known)) or "none"
    raise InputError(f"{label}: no workload {wanted!r} with its own image (workloads: {names})")


def environment(config: dict, label: str) -> EnvironmentSpec:
    """Validate `config` (secrets left out, never echoed); a `SpecError` becomes an `InputError`."""
    secret_keys = {key for key, value in config.items() if isinstance(value, dict) and set(value) == {"secure"}}
    try:
        return parse_environment({k: v for k, v in config.items() if k not in secret_keys}, label, ())
    except SpecError as exc:
        raise InputError(str(exc)) from None


_PLAIN_END = {"block": re.compile(r"\s+#|\s*$", re.M), "flow": re.compile(r"\s*[,}\]]|\s+#|\s*$", re.M)}


def set_images(text: str, changes: dict[WorkloadKey, str], label: str, project_name: str) -> str:
    """`text` with each changed workload's `image:` value replaced, nothing else."""
    config = _round_trip_config(text, label)
    lines = text.split("\n")
    edits = []
    for key, image in changes.items():
        section = config.get(key.kind) if key.kind in config else config.get(f"{project_name}:{key.kind}")
        workload = section.get(key.name) if section is not None else None
        if workload is None or "image" not in workload:
            raise InputError(f"{label}: {key}.image is not set; it cannot be changed in place")
        line, column = workload.lc.value("image")
        flow = bool(getattr(workload, "fa", None) and workload.fa.flow_style())
        edits.append((line, column, image, flow))
    # Right to left within a line keeps earlier columns valid.
    for line, column, image, flow in sorted(edits, reverse=True):
        lines[line] = _replace_scalar(lines[line], column, image, flow, label)
    result = "\n".join(lines)
    _verify(text, result, changes, label, project_name)
    return result


def _replace_scalar(line: str, column: int, value: str, flow: bool, label: str) -> str:
    quote = line[column:column + 1]
    if quote in ("'", '"'):
        end = line.find(quote, column + 1)
        if end < 0:
            raise InputError(f"{label}: a multi-line quoted image value cannot be edited in place")
        return line[:column] + quote + value + quote + line[end + 1:]
    match = _PLAIN_END["flow" if flow else "block"].search(line, column)
    end = match.start() if match else len(line)
    return line[:column] + value + line[end:]


def _verify(before: str, after: str, changes: dict[WorkloadKey, str], label: str, project_name: str) -> None:
    """The edit must change exactly the named images (a safety net for unusual YAML layouts)."""
    expected = load_config(before, label, project_name)
    for key, image in changes.items():
        expected[key.kind][key.name]["image"] = image
    if load_config(after, label, project_name) != expected:
        raise InputError(f"{label}: could not edit the image values in place without changing anything else; "
                         "edit it by hand")


def image_of(config: dict, key: WorkloadKey) -> Optional[str]:
    return images(config).get(key)


def _promotion(config: dict) -> Optional[dict]:
    section = config.get("promotion")
    return section if isinstance(section, dict) else None


def holds(config: dict) -> dict[str, dict]:
    """`promotion.holds` as plain data: workload key (`services.orders`) -> {by, at, reason}."""
    section = (_promotion(config) or {}).get("holds")
    return {str(k): v for k, v in section.items()} if isinstance(section, dict) else {}


def set_hold(text: str, key: WorkloadKey, hold: Optional[dict], label: str, project_name: str) -> str:
    """`text` with `promotion.holds.<key>` set to `hold` (by, at, reason) or removed (None), nothing else.

    The `holds` block is written by stackctl (double-quoted values) and rewritten whole; the rest of the
    file keeps every byte. The stack file needs a block-style `promotion:` section (a stack without one
    changes only by hand, so nothing would promote over a rollback there).
    """
    config = _round_trip_config(text, label)
    name = "promotion" if "promotion" in config else f"{project_name}:promotion"
    promotion = config.get(name)
    if promotion is None:
        raise InputError(f"{label}: has no `promotion` section, so no promotion can change {key}; "
                         "a hold would change nothing")
    if not hasattr(promotion, "lc") or not len(promotion) or (getattr(promotion, "fa", None)
                                                            and promotion.fa.flow_style()):
        raise InputError(f"{label}: `promotion` is written in flow style ({{...}}); write it as a block "
                         "(one setting per line) so stackctl can edit its holds in place")
    current = holds(load_config(text, label, project_name))
    wanted = dict(current)
    if hold is None:
        wanted.pop(str(key), None)
    else:
        wanted[str(key)] = dict(hold)
    lines = text.split("\n")
    child_line, child_col = promotion.lc.key(next(iter(promotion)))
    if "holds" in promotion:
        start, column = promotion.lc.key("holds")
        end = _block_end(lines, start, column)
    else:
        start = end = _block_end(lines, config.lc.key(name)[0], config.lc.key(name)[1])
        column = child_col
    block = _holds_block(wanted, " " * column) if wanted else []
    lines[start:end] = block
    result = "\n".join(lines)
    expected = load_config(text, label, project_name)
    section = dict(expected.get("promotion") or {})
    if wanted:
        section["holds"] = wanted
    else:
        section.pop("holds", None)
    expected["promotion"] = section
    if load_config(result, label, project_name) != expected:
        raise InputError(f"{label}: could not edit promotion.holds in place without changing anything else; "
                         "edit it by hand")
    return result


def _block_end(lines: list[str], start: int, column: int) -> int:
    """The index after the last line of the block whose key is at (`start`, `column`)."""
    end = start + 1
    for index in range(start + 1, len(lines)):
        stripped = lines[index].strip()
        if not stripped:
            continue
        indent = len(lines[index]) - len(lines[index].lstrip())
        if indent <= column:
            break
        end = index + 1
    return end


def _holds_block(wanted: dict[str, dict], indent: str) -> list[str]:
    block = [f"{indent}holds:"]
    for workload in sorted(wanted):
        block.append(f"{indent}  {workload}:")
        for field in ("by", "at", "reason"):
            block.append(f"{indent}    {field}: {json.dumps(str(wanted[workload][field]))}")
    return block
