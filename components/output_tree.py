"""Lift a large plain tree that holds a few Outputs into one Output, touching the tree once.

`Output.from_input(tree)` makes an Output (an asyncio task) for every dict, list and scalar in the tree; for
the GitOps `deployment_files` export of a 200-service stack that is ~100,000 tasks for perhaps a thousand real
Outputs, and it was ~45 % of an offline run (docs/performance.md). This collects only the values that are not
plain data, lifts those with `Output.all` (which applies `Output.from_input` to each, so nested Inputs inside
them are unwrapped exactly as before) and puts their values in a copy of the tree once they resolve. Secrets,
unknowns and the resources the value depends on come from the same leaves, so the exported value is the same.
"""

from __future__ import annotations

from typing import Any

import pulumi

_SCALARS = (str, int, float, bool, type(None))


def lift_tree(tree: Any) -> pulumi.Output[Any]:
    """`Output.from_input(tree)` for a tree of dicts, lists and tuples, in time linear in the tree."""
    leaves: list[Any] = []
    # Where each leaf's value goes once resolved: (the copied container, its key or index).
    places: list[tuple[Any, Any]] = []
    # Tuples are copied as lists, filled, then frozen: (container, key, list), noted innermost first (a tuple
    # is noted once its items are copied), container None for the root.
    tuples: list[tuple[Any, Any, list]] = []

    def copy(value: Any, container: Any, key: Any) -> Any:
        """`value` with its containers copied and each leaf's place noted (the leaf's own place is left None)."""
        if isinstance(value, _SCALARS):
            return value
        kind = type(value)
        if kind is dict:
            # Dict keys stay as they are: an Output key is not valid in a manifest.
            copied: Any = {}
            for item_key, item in value.items():
                copied[item_key] = copy(item, copied, item_key)
            return copied
        if kind is list or kind is tuple:
            # from_input turns a list into a list and a tuple into a tuple; the copy keeps the type.
            copied = []
            for index, item in enumerate(value):
                copied.append(copy(item, copied, index))
            if kind is tuple:
                tuples.append((container, key, copied))
            return copied
        leaves.append(value)  # an Output, an awaitable, an input type or another object: lifted as before
        places.append((container, key))
        return None

    shape = copy(tree, None, None)
    if not leaves:
        # Plain data: known, not secret, no dependencies, which is what from_input would have made of it.
        return pulumi.Output.from_input(None).apply(lambda _: _frozen(shape, tuples))

    def fill(resolved: list[Any]) -> Any:
        # `shape` is this call's own copy and the apply runs once, so it is filled in place.
        for (container, key), value in zip(places, resolved, strict=True):
            container[key] = value
        return _frozen(shape, tuples)

    return pulumi.Output.all(*leaves).apply(fill)


def _frozen(shape: Any, tuples: list[tuple[Any, Any, list]]) -> Any:
    """`shape` with the lists that stand for tuples made tuples again, innermost first (the order noted)."""
    for container, key, items in tuples:
        if container is None:
            return tuple(items)
        container[key] = tuple(items)
    return shape
