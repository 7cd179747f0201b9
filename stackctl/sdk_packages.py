"""Provider SDK packages (`pulumi_aws.ec2`, `pulumi_kubernetes.core.v1`, ...) that import a resource's module when
the program first names the resource, in the `stackctl` process.

Each package of a generated Pulumi provider SDK has an `__init__.py` that is `from .<module> import *` for every
resource and function it holds (183 in `pulumi_aws.ec2`), then `from . import outputs` and its lazy subpackages.
A program naming `aws.ec2.Vpc` therefore executes every module of `ec2`: `stackctl preview dev` imported 479 SDK
modules for the 56 its resources need (the `_inputs`/`outputs` modules, which every resource module imports,
are most of what remains).

`install()` (called by the CLI's `main`) adds an import finder that runs such a package's `__init__.py` without
the star imports and looks a name up on first use: the module exporting it (its literal `__all__`, read from the
file) is imported then. What a program gets is unchanged: the same modules, classes and functions
(`ec2.Vpc is pulumi_aws.ec2.vpc.Vpc`), the same winner where two modules export a name (the later star import),
a function named like its module (`get_vpc`) rather than the module, `from pulumi_aws.ec2 import *` binding every
name, `pulumi_aws.ec2.vpc` as the submodule. Resource types the engine hands back by URN are registered by the
SDK's top-level package, which loads as written. A package whose `__init__.py` has no star imports, or one of
whose modules has no literal `__all__` (its star import would export every public global), loads as written.
`tests/test_sdk_packages.py` compares both ways on the real SDK packages.

Nothing changes for `pulumi up`: the Pulumi language host never runs this; the components import the SDKs as
usual.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

# The provider SDKs the components use; their submodule packages are loaded through the finder.
SDK_PACKAGES = frozenset({"pulumi_aws", "pulumi_gcp", "pulumi_kubernetes"})

_STAR_IMPORT = re.compile(r"from \.(\w+) import \*")
# A generated module's export list: string literals only (what `from module import *` binds).
_ALL = re.compile(r"^__all__ = \[([^\]]*)\]", re.MULTILINE)
_NAME = re.compile(r"""\s*'([A-Za-z_]\w*)'\s*""")
# `__all__` sits after the imports at the top of a generated module; read this much first.
_HEAD_BYTES = 16384


class _Plan:
    """How one package is loaded: its `__init__.py` without the star imports, and which module exports a name."""

    def __init__(self, source: str, submodules: list[str], exports: dict[str, str]):
        self.source = source
        self.submodules = submodules
        self.exports = exports


def _exports_of(path: Path) -> list[str] | None:
    with path.open("rb") as file:
        head = file.read(_HEAD_BYTES)
        match = _ALL.search(head.decode("utf-8", "replace"))
        if match is None and len(head) == _HEAD_BYTES:
            match = _ALL.search((head + file.read()).decode("utf-8", "replace"))
    if match is None:
        return None
    items = [item for item in match.group(1).split(",") if item.strip()]
    names = [_NAME.fullmatch(item) for item in items]
    if not all(names):
        return None
    return [name.group(1) for name in names if name is not None]


def _plan(init: Path) -> _Plan | None:
    """The plan for a generated SDK package, or None to load it as written."""
    try:
        lines = init.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    submodules: list[str] = []
    kept: list[str] = []
    for line in lines:
        match = _STAR_IMPORT.fullmatch(line.strip())
        if match and line == line.lstrip():
            submodules.append(match.group(1))
            kept.append("")  # keeps the line numbers of what remains
        else:
            kept.append(line)
    if not submodules:
        return None
    exports: dict[str, str] = {}
    for submodule in submodules:
        path = init.parent / f"{submodule}.py"
        try:
            names = _exports_of(path) if path.is_file() else None
        except OSError:
            names = None
        if names is None:
            return None
        for name in names:
            exports[name] = submodule  # a later star import rebinds the name, as here
    source = "\n".join(kept) + "\n"
    return _Plan(source, submodules, exports)


class _LazyPackage(ModuleType):
    """A generated SDK package whose star imports have not run: a name is looked up (and kept) on first use."""

    __sdk_exports__: dict[str, str]
    __sdk_submodules__: frozenset[str]

    def __getattr__(self, name: str) -> Any:
        package = ModuleType.__getattribute__(self, "__name__")
        exports = ModuleType.__getattribute__(self, "__sdk_exports__")
        submodule = exports.get(name)
        if submodule is not None:
            value = getattr(importlib.import_module(f"{package}.{submodule}"), name)
        elif name in ModuleType.__getattribute__(self, "__sdk_submodules__"):
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        ModuleType.__setattr__(self, name, value)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        # Importing a submodule binds it on its package. Eagerly, that happened before the star import that
        # then rebound the name to the export of the same name (`get_vpc` the function, not the module).
        exports = ModuleType.__getattribute__(self, "__sdk_exports__")
        if (name in exports and isinstance(value, ModuleType)
                and value.__name__ == f"{ModuleType.__getattribute__(self, '__name__')}.{name}"):
            return
        ModuleType.__setattr__(self, name, value)

    def __dir__(self) -> list[str]:
        namespace = ModuleType.__getattribute__(self, "__dict__")
        return sorted(set(namespace) | set(self.__sdk_exports__) | self.__sdk_submodules__)


class _LazyPackageLoader(importlib.abc.Loader):
    def __init__(self, plan: _Plan, origin: str):
        self.plan = plan
        self.origin = origin

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        plan, namespace = self.plan, module.__dict__
        bound_before = set(namespace)
        exec(compile(plan.source, self.origin, "exec"), namespace)  # noqa: S102 - the SDK's own __init__
        # The rest of __init__ bound these after the star imports ran, so they win over an export of that name.
        explicit = set(namespace) - bound_before
        exports = {name: submodule for name, submodule in plan.exports.items() if name not in explicit}
        submodules = frozenset(plan.submodules)
        # `from package import *` without `__all__` binds the public globals: eagerly, the star-imported names,
        # the submodules and what __init__ binds itself.
        star = dict.fromkeys([*exports, *submodules, *namespace])
        namespace["__all__"] = [name for name in star if not name.startswith("_")]
        namespace["__sdk_exports__"] = exports
        namespace["__sdk_submodules__"] = submodules
        module.__class__ = _LazyPackage


class Finder(importlib.abc.MetaPathFinder):
    """Loads the subpackages of `packages` that have the generated layout as described above."""

    def __init__(self, packages: frozenset[str] = SDK_PACKAGES):
        self.packages = packages

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if "." not in fullname or fullname.split(".", 1)[0] not in self.packages:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.origin is None or not spec.submodule_search_locations:
            return None
        if Path(spec.origin).name != "__init__.py":
            return None
        plan = _plan(Path(spec.origin))
        if plan is None:
            return None
        spec.loader = _LazyPackageLoader(plan, spec.origin)
        return spec


_FINDER = Finder()


def install() -> None:
    """Load the SDK packages imported from now on through the finder (idempotent). For a process that runs
    stack programs and nothing else that could depend on the packages' eager loading: the CLI."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
