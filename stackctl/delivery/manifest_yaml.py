"""Block YAML of Kubernetes manifests, byte for byte what ruamel.yaml's safe dumper writes, 15-30x faster.

`stackctl render` wrote each manifest with ruamel's pure-Python emitter, ~30 us per node: for the 1,766
manifests of a 200-service stack, ~3.9 s of CPU. The emitter redoes the same work for every occurrence of
the same key or value (`apiVersion`, `metadata`, `name`, ...), and the block layout of plain mappings and lists
is fixed. So the writer here lays out the blocks itself and leaves every scalar to ruamel: the text of each
distinct key and value (plain, quoted or escaped, YAML 1.2 resolution) is what ruamel wrote for it, asked once,
in batches, and reused. Whatever the layout does not cover is dumped by ruamel exactly as before: objects
other than dict, list, str, int, float, bool and None (subclasses included), keys that are not strings, an
empty document, text that ruamel writes over several lines (line breaks, keys of 128 characters or more) and
lines long enough (2,048 characters) to come anywhere near the width ruamel wraps at.

C emitters exist (ruamel's optional `ruamel.yaml.clibz`, PyYAML's `CSafeDumper`), but neither writes the same
bytes for every value: PyYAML resolves YAML 1.1 (it quotes `yes`, ruamel does not; it escapes non-ASCII unless told
otherwise), and libyaml's emitter is not ruamel's. `tests/test_manifest_yaml.py` compares this writer with
ruamel on the shipped stacks' manifests and on generated edge cases.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from ruamel.yaml import YAML

_SCALARS = (str, int, float, bool, type(None))
# Text with a line break is written over several lines, indented by where it stands: ruamel writes it.
_LINE_BREAKS = frozenset("\n\r\x85\u2028\u2029")
# Far below the width ruamel is given (4,096): no line this writer emits is one ruamel would have wrapped.
_MAX_LINE = 2048
WIDTH = 4096


class _Uncovered(Exception):
    """The manifest holds something whose layout ruamel decides; dump it with ruamel."""


def ruamel_yaml() -> YAML:
    """The dumper render has always used: safe representer, YAML 1.2, block style, lines up to 4,096 wide."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.width = WIDTH
    return yaml


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def ruamel_dump(value: Any) -> str:
    """`value` with its mappings' keys sorted, as ruamel writes it."""
    buffer = io.StringIO()
    ruamel_yaml().dump(_sorted(value), buffer)
    return buffer.getvalue()


def _value_key(value: Any) -> Any:
    # By type and repr: 1, 1.0 and True are equal keys of a dict, and so are 0.0 and -0.0; ruamel writes each
    # differently.
    return value if type(value) is str else (type(value), repr(value))


def _has_break(text: str) -> bool:
    return not _LINE_BREAKS.isdisjoint(text)


class ManifestWriter:
    """Writes manifests as ruamel would; keeps the text of every key and value it has seen, so use one writer
    for the many manifests of one render."""

    def __init__(self) -> None:
        # None: ruamel writes it over several lines (or as a complex `? ` key), so the manifest is ruamel's.
        self._values: dict[Any, str | None] = {}
        self._keys: dict[str, str | None] = {}
        self._new_values: dict[Any, Any] = {}
        self._new_keys: set[str] = set()
        self.dumped_by_ruamel = 0  # manifests this writer could not lay out itself

    def dump(self, manifest: Any) -> str:
        """`manifest` with its mappings' keys sorted, exactly as `ruamel_dump` writes it."""
        try:
            return self._layout(manifest)
        except _Uncovered:
            self.dumped_by_ruamel += 1
            return ruamel_dump(manifest)

    def _layout(self, manifest: Any) -> str:
        if type(manifest) is not dict or not manifest:
            raise _Uncovered
        lines: list[str] = []
        self._mapping(manifest, 0, "", lines)
        if self._new_values or self._new_keys:
            self._learn()
            lines = []
            self._mapping(manifest, 0, "", lines)
        text = "\n".join(lines) + "\n"
        if max(map(len, lines)) >= _MAX_LINE:
            raise _Uncovered
        return text

    def _key(self, key: Any) -> str:
        if type(key) is not str:
            raise _Uncovered
        try:
            text = self._keys[key]
        except KeyError:
            self._new_keys.add(key)
            return ""
        if text is None:
            raise _Uncovered
        return text

    def _scalar(self, value: Any) -> str:
        if type(value) not in _SCALARS:
            raise _Uncovered
        key = _value_key(value)
        try:
            text = self._values[key]
        except KeyError:
            self._new_values[key] = value
            return ""
        if text is None:
            raise _Uncovered
        return text

    def _mapping(self, mapping: dict[Any, Any], indent: int, lead: str, lines: list[str]) -> None:
        """Block mapping at `indent`; its first line starts with `lead` (`- ` when it is a list item)."""
        pad = " " * indent
        inner = indent + 2
        for key in sorted(mapping):
            head = f"{lead}{self._key(key)}:"
            lead = pad
            value = mapping[key]
            kind = type(value)
            if kind is dict:
                if value:
                    lines.append(head)
                    self._mapping(value, inner, " " * inner, lines)
                else:
                    lines.append(head + " {}")
            elif kind is list:
                if value:
                    lines.append(head)
                    self._sequence(value, indent, pad, lines)  # indentless under a key, as ruamel writes it
                else:
                    lines.append(head + " []")
            else:
                lines.append(f"{head} {self._scalar(value)}")

    def _sequence(self, items: list[Any], indent: int, lead: str, lines: list[str]) -> None:
        pad = " " * indent
        inner = indent + 2
        for item in items:
            head = lead + "- "
            lead = pad
            kind = type(item)
            if kind is dict:
                if item:
                    self._mapping(item, inner, head, lines)
                else:
                    lines.append(head + "{}")
            elif kind is list:
                if item:
                    self._sequence(item, inner, head, lines)
                else:
                    lines.append(head + "[]")
            else:
                lines.append(head + self._scalar(item))

    def learn(self, manifests: Iterable[Any]) -> None:
        """Ask ruamel at once for the text of every key and value of `manifests` that this writer has not seen
        (optional: `dump` asks for what is new in each manifest, which costs two small dumps per manifest)."""
        for manifest in manifests:
            self._collect(manifest)
        self._learn()

    def _collect(self, value: Any) -> None:
        kind = type(value)
        if kind is dict:
            for key, item in value.items():
                if type(key) is str and key not in self._keys:
                    self._new_keys.add(key)
                self._collect(item)
        elif kind is list:
            for item in value:
                self._collect(item)
        elif kind in _SCALARS:
            key = _value_key(value)
            if key not in self._values:
                self._new_values[key] = value

    def _learn(self) -> None:
        """Ask ruamel for the text of the new keys and values: one document of all values and one of all keys."""
        values = [(key, value) for key, value in self._new_values.items()
                  if not (type(value) is str and _has_break(value))]
        for key in self._new_values.keys() - {key for key, _ in values}:
            self._values[key] = None
        texts = _texts([value for _, value in values], ruamel_dump, "- ", "")
        self._values.update(zip([key for key, _ in values], texts, strict=True))
        keys = sorted(key for key in self._new_keys if not _has_break(key))
        for key in self._new_keys.difference(keys):
            self._keys[key] = None
        texts = _texts(keys, lambda part: ruamel_dump(dict.fromkeys(part, 0)), "", ": 0")
        self._keys.update(zip(keys, texts, strict=True))
        self._new_values.clear()
        self._new_keys.clear()


def _texts(items: list[Any], dump: Callable[[list[Any]], str], prefix: str, suffix: str) -> list[str | None]:
    """The text of each item in the document `dump(items)`; when an item took more than one line, each half
    again, down to the items that did (None)."""
    if not items:
        return []
    texts = _single_lines(dump(items), len(items), prefix, suffix)
    if texts is not None:
        return list(texts)
    if len(items) == 1:
        return [None]
    half = len(items) // 2
    return _texts(items[:half], dump, prefix, suffix) + _texts(items[half:], dump, prefix, suffix)


def _single_lines(text: str, count: int, prefix: str, suffix: str) -> list[str] | None:
    """The `count` items of a dumped list or mapping, when each took exactly one line `prefix + item + suffix`."""
    lines = text.split("\n")
    if lines[-1] != "" or len(lines) != count + 1:
        return None
    lines.pop()
    if not all(line.startswith(prefix) and line.endswith(suffix) for line in lines):
        return None
    return [line[len(prefix): len(line) - len(suffix)] for line in lines]
