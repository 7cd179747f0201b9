"""The SDK's `contains_unknowns`, without the cyclic garbage it leaves on every call.

`pulumi.runtime.rpc.contains_unknowns` (pulumi 3.272.0) defines its recursive helper inside itself: the helper
refers to itself through a closure cell, so every call leaves a function, its cell, its defaults and its
`set[int]` annotation as a reference cycle that only the cycle collector frees. The SDK calls it for every
`Output` it builds (`_OutputData.__post_init__`), 62,477 times in a preview of the generated 200-service AWS
stack: 379,000 garbage objects, ~17 MiB of that run's peak memory, and at 400 services a collection of
600,000 of them inside the run (~1 s), the largest superlinear term left (docs/performance.md).

`contains_unknowns` here answers exactly what the SDK's does (whether an `Unknown` is reachable through dict
values and list items), without a closure, without recursion and without remembering scalars. The switch
(`switch.py`) puts it in the SDK's place for the length of an offline run when the installed SDK's function is
the one this was written against (its source is compared), and leaves the SDK alone otherwise.
"""

from __future__ import annotations

import hashlib
import inspect
from typing import Any

from pulumi.output import Unknown
from pulumi.runtime import rpc

# The source of pulumi 3.272.0's `rpc.contains_unknowns`: an SDK whose function reads otherwise keeps its own
# until this module is checked against it (tests/test_unknowns.py says when).
SDK_FINGERPRINT = "1f1f335b6f48b960"

# The SDK's own function (tests compare the two).
sdk_contains_unknowns: Any = rpc.contains_unknowns


def contains_unknowns(val: Any) -> bool:
    """Whether an `Unknown` is reachable from `val` through dict values and list items (a container reached
    twice is walked once), as the SDK's function answers. Walked with a stack rather than recursion, and
    scalars are neither remembered nor pushed: the SDK's answer depends on neither (its remembered ids only
    stop it walking a container twice), and this is called for every Output the SDK builds, most often with a
    scalar, sometimes with a whole manifest tree."""
    if type(val) in _SCALARS:
        return False
    stack = [val]
    push = stack.append
    seen: set[int] = set()
    while stack:
        value = stack.pop()
        kind = type(value)
        # Plain dicts and lists first: what manifests are made of.
        if kind is dict or kind is list:
            if id(value) in seen:
                continue
            seen.add(id(value))
            for item in (value.values() if kind is dict else value):
                if type(item) not in _SCALARS:
                    push(item)
        elif kind in _SCALARS:
            continue
        elif isinstance(value, Unknown):
            return True
        elif isinstance(value, dict):
            # A subclass is read the way the SDK reads it, through its own `__iter__` and `__getitem__`.
            if id(value) not in seen:
                seen.add(id(value))
                stack.extend([value[key] for key in value])
        elif isinstance(value, list):
            if id(value) not in seen:
                seen.add(id(value))
                stack.extend(value)
    return False


# Exact types that can neither be nor hold an `Unknown`.
_SCALARS = frozenset({str, int, float, bool, type(None), bytes})


def fingerprint(function: Any) -> str:
    """A digest of a function's source text (the same on every Python version, unlike its bytecode)."""
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return ""
    return hashlib.sha256(source.encode()).hexdigest()[:16]
