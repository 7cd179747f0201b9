"""stackctl's rooms (docs/stackctl.md "Rooms"): imports only point down, and the top level stays small.

Every `import` / `from ... import` in every stackctl module (function-local ones included) is read with `ast` and
resolved to the stackctl module it names; an import from one unit into another must be an edge of ALLOWED.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "stackctl"

# Unit -> the units it may import (its own unit is always allowed). Units are the rooms and the top-level modules.
# From the floors: engine.speedups <- engine <- analysis, diff <- delivery <- cli; errors and schemas are leaves
# every room may use; tree (the preview's text form) and testing (the public helper) sit on the engine.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "schemas": set(),
    "docgen": set(),
    "__init__": set(),
    "engine.speedups": {"errors", "schemas"},
    "engine": {"engine.speedups", "errors", "schemas"},
    "analysis": {"engine", "engine.speedups", "errors", "schemas"},
    "diff": {"engine", "engine.speedups", "errors", "schemas"},
    "delivery": {"analysis", "diff", "engine", "engine.speedups", "errors", "schemas"},
    "tree": {"engine", "errors"},
    "testing": {"engine", "errors"},
    "package": set(),
    "cli": {"delivery", "analysis", "diff", "engine", "engine.speedups", "errors", "schemas", "tree", "docgen",
            "package"},
}
ROOMS = ("engine.speedups", "engine", "analysis", "diff", "delivery", "package")
MAX_TOP_LEVEL_MODULES = 8


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "data" not in p.relative_to(PACKAGE).parts}


def _unit(module: str) -> str:
    inner = module.removeprefix("stackctl").removeprefix(".")
    if not inner:
        return "__init__"
    for room in ROOMS:
        if inner == room or inner.startswith(room + "."):
            return room
    return inner.split(".")[0]


def _imported(module: str, path: Path) -> list[tuple[int, str]]:
    """(line, stackctl module) for every stackctl import in `path`."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "stackctl"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "stackctl":
                continue
            for alias in node.names:  # `from stackctl.diff import steps` imports the module stackctl.diff.steps
                sub = f"{target}.{alias.name}"
                found.append((node.lineno, sub if sub in MODULES else target))
    return found


def test_every_stackctl_module_is_in_a_known_unit():
    assert {_unit(m) for m in MODULES} <= set(ALLOWED), "a new room or top-level module: add it to ALLOWED and the docs"


def test_imports_only_point_down():
    wrong = []
    for module, path in MODULES.items():
        source = _unit(module)
        for line, target in _imported(module, path):
            if _unit(target) != source and _unit(target) not in ALLOWED[source]:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {source} imports {target}")
    assert not wrong, "imports against the rooms' allowed edges:\n" + "\n".join(wrong)


def test_the_scan_sees_imports_of_every_form():
    """The scanner resolves relative, absolute and function-local imports (else the edge test would pass empty)."""
    found = dict.fromkeys(target for _, target in _imported("stackctl.cli", MODULES["stackctl.cli"]))
    assert {"stackctl.errors", "stackctl.analysis.analyzer", "stackctl.diff.command", "stackctl.engine.runner",
            "stackctl.delivery.render"} <= set(found)
    command = {target for _, target in _imported("stackctl.diff.command", MODULES["stackctl.diff.command"])}
    assert {"stackctl.engine.project", "stackctl.diff.steps", "stackctl.diff.report"} <= command


@pytest.mark.parametrize("room", ROOMS)
def test_each_room_opens_with_what_it_owns_and_may_import_and_imports_nothing_eagerly(room):
    path = PACKAGE.joinpath(*room.split("."), "__init__.py")
    tree = ast.parse(path.read_text())
    doc = ast.get_docstring(tree) or ""
    assert "Owns:" in doc and "May import:" in doc
    # `stackctl --help` must not pay for a room: its __init__ holds the docstring only.
    assert len(tree.body) == 1


def test_the_top_level_has_at_most_eight_modules():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top
