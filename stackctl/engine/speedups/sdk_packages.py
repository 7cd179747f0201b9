"""Provider SDK packages (`pulumi_aws.ec2`, `pulumi_kubernetes.core.v1`, ...) that import a resource's module when
the program first names the resource, in the `stackctl` process.

Each package of a generated Pulumi provider SDK has an `__init__.py` that is `from .<module> import *` for every
resource and function it holds (183 in `pulumi_aws.ec2`), then `from . import outputs` and its lazy subpackages.
A program naming `aws.ec2.Vpc` therefore executes every module of `ec2`: `stackctl preview dev` imported 479 SDK
modules for the 56 its resources need (the `_inputs`/`outputs` modules, which every resource module imports,
are most of what remains).

`install()` (called by the CLI's `main`) adds an import finder that runs such a package's `__init__.py` without the
star imports and `from . import outputs`, and looks a name up on first use: the module exporting it (its literal
`__all__`, read from the file) is imported then. What a program gets is unchanged: the same modules, classes and
functions (`ec2.Vpc is pulumi_aws.ec2.vpc.Vpc`), the same winner where two modules export a name (the later star
import), a function named like its module (`get_vpc`) rather than the module, `from pulumi_aws.ec2 import *` binding
every name, `pulumi_aws.ec2.vpc` as the submodule. Resource types the engine hands back by URN are registered by the
SDK's top-level package, which loads as written. A module without a literal `__all__` (`pulumi_kubernetes.helm.v3`'s
`helm.py`, whose star import binds every public global) is imported when a name is looked up that it could bind (one
no later module exports). A package whose `__init__.py` has no star imports loads as written. What does differ: the
package's type is a `ModuleType` subclass (pickled by reference, as dill pickles modules) with a class `__module__`.
`tests/test_sdk_packages.py` compares both ways on the real SDK packages.

Nothing changes for `pulumi up`: the Pulumi language host never runs this; the components import the SDKs as
usual.
"""

from __future__ import annotations

import copyreg
import importlib
import importlib.abc
import importlib.machinery
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

# The provider SDKs the components use; their submodule packages are loaded through the finder.
SDK_PACKAGES = frozenset({"pulumi_aws", "pulumi_gcp", "pulumi_kubernetes"})

_STAR_IMPORT = re.compile(r"from \.(\w+) import \*")
_SUBMODULE_IMPORT = re.compile(r"from \. import (\w+)")
# A generated module's export list: string literals only (what `from module import *` binds).
_ALL_START = re.compile(rb"^__all__ = \[", re.MULTILINE)
_NAME = re.compile(r"""\s*'([A-Za-z_]\w*)'\s*""")
# `__all__` sits after the imports at the top of a generated module; read this much first, then more if needed.
_HEAD_BYTES = 4096
_CHUNK_BYTES = 65536


class _Plan:
    """How one package is loaded: its `__init__.py` without its star imports and `from . import x` lines, and the
    modules those import, in order, each with the names it exports: its literal `__all__` for a star import, None
    for a star-imported module without one (it exports its public globals), () for `from . import x`."""

    def __init__(self, source: str, modules: list[tuple[str, tuple[str, ...] | None]]):
        self.source = source
        self.modules = modules


def _exports_of(path: Path) -> tuple[str, ...] | None:
    """The names of the module's literal `__all__`, read without reading the rest of the file (a package's
    `_inputs.py` is megabytes, its `__all__` near the top)."""
    with path.open("rb") as file:
        text = file.read(_HEAD_BYTES)
        start = _ALL_START.search(text)
        while start is None or text.find(b"]", start.end()) < 0:
            chunk = file.read(_CHUNK_BYTES)
            if not chunk:
                return None
            searched = max(0, len(text) - 16)  # `__all__ = [` may straddle the chunks
            text += chunk
            start = start or _ALL_START.search(text, searched)
    try:
        body = text[start.end():text.index(b"]", start.end())].decode("ascii")
    except UnicodeDecodeError:
        return None
    items = [item for item in body.split(",") if item.strip()]
    names = [_NAME.fullmatch(item) for item in items]
    if not all(names):
        return None
    return tuple(name.group(1) for name in names if name is not None)


def _plan(init: Path) -> _Plan | None:
    """The plan for a generated SDK package, or None to load it as written."""
    try:
        lines = init.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    modules: list[tuple[str, tuple[str, ...] | None]] = []
    imported: set[str] = set()  # `from . import outputs`: binds the submodule, exports nothing
    kept: list[str] = []
    for line in lines:
        star, submodule = _STAR_IMPORT.fullmatch(line), _SUBMODULE_IMPORT.fullmatch(line)
        if star:
            try:
                modules.append((star.group(1), _exports_of(init.parent / f"{star.group(1)}.py")))
            except OSError:
                return None  # a subpackage or an extension module: not the generated layout
        elif submodule and (init.parent / f"{submodule.group(1)}.py").is_file():
            modules.append((submodule.group(1), ()))
            imported.add(submodule.group(1))
        else:
            kept.append(line)
            continue
        kept.append("")  # keeps the line numbers of what remains
    if not any(name not in imported for name, _ in modules):
        return None  # no star import
    if any(names and imported.intersection(names) for _, names in modules):
        return None  # `from . import x` would bind an export named x, not the module: not the generated layout
    return _Plan("\n".join(kept) + "\n", modules)


class _Lookup:
    """Where each name of a package would be bound had its imports run, in their order: star import i first
    binds submodule i on the package (the import system does), then the names it exports; `from . import x`
    binds submodule x."""

    def __init__(self, package: str, modules: list[tuple[str, tuple[str, ...] | None]], explicit: set[str],
                 after_load: Callable[[], None] | None):
        self.package = package
        self.after_load = after_load
        # name -> (position, module): the last module with a literal `__all__` exporting it
        self.exports: dict[str, tuple[float, str]] = {}
        self.submodules: dict[str, float] = {}
        self.unknown: list[tuple[float, str]] = []  # modules without a literal `__all__`
        for position, (module, names) in enumerate(modules):
            self.submodules[module] = position
            if names is None:
                self.unknown.append((position + 0.5, module))
                continue
            for name in names:
                if name not in explicit:  # __init__ binds these itself, after its star imports
                    self.exports[name] = (position + 0.5, module)
        # Submodules whose binding is final: nothing later rebinds (or may rebind) their name.
        self.module_is_final = frozenset(
            module for module, position in self.submodules.items()
            if module not in explicit and self.exports.get(module, (-1.0, ""))[0] < position
            and not any(at > position for at, _ in self.unknown))

    def load(self, module: str) -> ModuleType:
        loaded = importlib.import_module(f"{self.package}.{module}")
        if self.after_load is not None:
            self.after_load()
        return loaded

    def resolve(self, name: str) -> Any:
        export = self.exports.get(name)
        submodule = self.submodules.get(name)
        last = max((export[0] if export else -1.0), (submodule if submodule is not None else -1.0))
        if not name.startswith("_"):
            # A module without `__all__` star-imported after the last known binding may rebind the name.
            later = [(at, module) for at, module in self.unknown if at > last]
            loaded = [(self.load(module), module) for _, module in later]
            for module_object, _ in reversed(loaded):
                if name in vars(module_object):
                    return vars(module_object)[name]
        if last < 0:
            raise AttributeError(f"module {self.package!r} has no attribute {name!r}")
        if export and export[0] == last:
            return getattr(self.load(export[1]), name)
        return self.load(name)

    def star_names(self, namespace: dict[str, Any]) -> list[str]:
        """What `from package import *` binds eagerly (no `__all__`): the public globals of the package."""
        names = dict.fromkeys([*self.exports, *self.submodules, *namespace])
        for _, module in self.unknown:
            names.update(dict.fromkeys(vars(self.load(module))))
        return [name for name in names if not name.startswith("_")]


class _LazyPackage(ModuleType):
    """A generated SDK package whose star imports have not run: a name is looked up (and kept) on first use."""

    __sdk_lookup__: _Lookup

    def __getattr__(self, name: str) -> Any:
        lookup = ModuleType.__getattribute__(self, "__sdk_lookup__")
        if name == "__all__":
            value: Any = lookup.star_names(ModuleType.__getattribute__(self, "__dict__"))
        else:
            value = lookup.resolve(name)
        ModuleType.__setattr__(self, name, value)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        # Importing a submodule binds it on its package. Eagerly, that happened before the star import that
        # then rebound the name to an export of the same name (`get_vpc` the function, not the module).
        lookup = ModuleType.__getattribute__(self, "__sdk_lookup__")
        if (name in lookup.submodules and name not in lookup.module_is_final and isinstance(value, ModuleType)
                and value.__name__ == f"{lookup.package}.{name}"):
            return
        ModuleType.__setattr__(self, name, value)

    def __dir__(self) -> list[str]:
        namespace = ModuleType.__getattribute__(self, "__dict__")
        return sorted(set(namespace) | set(self.__sdk_lookup__.star_names(namespace)))


def _import_by_name(package: _LazyPackage) -> tuple[Callable[[str], ModuleType], tuple[str]]:
    return importlib.import_module, (package.__name__,)


# Pickled by reference, as dill pickles any module (`pulumi.dynamic` pickles a provider with the globals it uses):
# pickle finds its reducers by exact type, and `_LazyPackage` is not `ModuleType`.
copyreg.pickle(_LazyPackage, _import_by_name)


class _LazyPackageLoader(importlib.abc.Loader):
    """Runs a package found under one of the SDKs as planned, or with its own loader if it is not laid out as
    generated. Planned when the package runs, not when it is found: an SDK's top-level `__init__` finds every
    subpackage (`lazy_import`, ~280 in pulumi_aws) and runs the few a program uses."""

    def __init__(self, original: importlib.abc.Loader, origin: str, after_load: Callable[[], None] | None):
        self.original = original
        self.origin = origin
        self.after_load = after_load

    def __getattr__(self, name: str) -> Any:  # get_source, get_filename, ...: the file's own loader answers
        return getattr(self.original, name)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        plan = _plan(Path(self.origin))
        if plan is None:
            self.original.exec_module(module)
            return
        namespace = module.__dict__
        bound_before = set(namespace)
        exec(compile(plan.source, self.origin, "exec"), namespace)  # noqa: S102 - the SDK's own __init__
        explicit = set(namespace) - bound_before
        lookup = _Lookup(module.__name__, plan.modules, explicit, self.after_load)
        namespace["__sdk_lookup__"] = lookup
        if not lookup.unknown:  # else computed on first use: the modules without `__all__` must run for it
            namespace["__all__"] = lookup.star_names(namespace)
        module.__class__ = _LazyPackage


class Finder(importlib.abc.MetaPathFinder):
    """Loads the subpackages of `packages` that have the generated layout as described above. `after_load` is
    called after each module a lookup imports."""

    def __init__(self, packages: frozenset[str] = SDK_PACKAGES, after_load: Callable[[], None] | None = None):
        self.packages = packages
        self.after_load = after_load

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if "." not in fullname or fullname.split(".", 1)[0] not in self.packages:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if (spec is None or spec.loader is None or spec.origin is None or not spec.submodule_search_locations
                or os.path.basename(spec.origin) != "__init__.py"):
            return None
        spec.loader = _LazyPackageLoader(spec.loader, spec.origin, self.after_load)
        return spec


def install(after_load: Callable[[], None] | None = None) -> None:
    """Load the SDK packages imported from now on through the finder, calling `after_load` after each module a
    lookup imports. For a process that runs stack programs and nothing else that could depend on the packages'
    eager loading: the CLI. Installing again replaces the finder."""
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, Finder)]
    sys.meta_path.insert(0, Finder(after_load=after_load))
