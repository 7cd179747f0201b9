"""Each cloud's Pulumi SDK, loaded when a program first uses it rather than when `components` is imported.

The shared component modules dispatch on the cloud, so they refer to both `pulumi_aws` and `pulumi_gcp`, but a
stack runs on one cloud. Importing the unused SDK's package costs 50-85 ms and ~4 MB per process
(`pulumi_gcp` alone was 5 % of `stackctl preview dev`). Component modules therefore take `aws` and `gcp`
from here: lazy modules (`importlib.util.LazyLoader`, the standard library's mechanism) whose first attribute
access runs the SDK's own `__init__`; after that they are the SDK modules themselves.

Caveat: on Python 3.11 the first access must not race from two threads (CPython gh-114763, fixed in 3.12); a
Pulumi program touches the SDK from its one program thread.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import TYPE_CHECKING

# Which extra of the distribution installs each SDK (pyproject.toml): a program on one cloud installs one.
DISTRIBUTION = "platform-components"
EXTRAS = {"pulumi_aws": ("aws",), "pulumi_gcp": ("gcp",), "pulumi_kubernetes": ("aws", "gcp")}


def missing_sdk_error(name: str) -> ImportError:
    """What to say when a component needs a cloud SDK the install left out: the extra that brings it."""
    installs = " or ".join(f"pip install '{DISTRIBUTION}[{extra}]'" for extra in EXTRAS.get(name, ()))
    hint = f"; install the extra that brings it: {installs}" if installs else ""
    return ImportError(f"{name} is not installed{hint}", name=name)


class MissingSdk(ModuleType):
    """Stands for an SDK that is not installed: the modules that dispatch on the cloud still import, and the
    first use of the missing SDK raises `missing_sdk_error` (an ImportError naming the extra)."""

    def __getattr__(self, attribute: str):
        if attribute.startswith("__") and attribute.endswith("__"):
            raise AttributeError(attribute)
        raise missing_sdk_error(self.__name__)


def lazy_module(name: str) -> ModuleType:
    """`name` itself if it is already imported, else a module that imports it on first attribute access (a
    `MissingSdk` if it is not installed; never registered in `sys.modules`)."""
    module = sys.modules.get(name)
    if module is not None:
        return module
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return MissingSdk(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    # Registered like any module being imported, so the SDK's own `from . import x` inside resolves.
    sys.modules[name] = module
    loader.exec_module(module)
    return module


if TYPE_CHECKING:
    import pulumi_aws as aws
    import pulumi_gcp as gcp
else:
    aws = lazy_module("pulumi_aws")
    gcp = lazy_module("pulumi_gcp")
