"""Lift a large plain tree that holds a few Outputs into one Output, touching the tree once.

`Output.from_input(tree)` makes an Output (an asyncio task) for every dict, list and scalar in the tree; for
the GitOps `deployment_files` export of a 200-service stack that is ~100,000 tasks for perhaps a thousand real
Outputs, and it was ~45 % of an offline run (docs/performance.md). This collects only the values that are not
plain data, lifts those with `Output.all` (which applies `Output.from_input` to each, so nested Inputs inside
them are unwrapped exactly as before) and rebuilds the tree once they resolve. Secrets, unknowns and the
resources the value depends on come from the same leaves, so the exported value is the same.
"""

from __future__ import annotations

from typing import Any

import pulumi

_SCALARS = (str, int, float, bool, type(None))


def lift_tree(tree: Any) -> pulumi.Output[Any]:
    """`Output.from_input(tree)` for a tree of dicts, lists and tuples, in time linear in the tree."""
    leaves: list[Any] = []

    def template(value: Any) -> Any:
        if isinstance(value, _SCALARS):
            return value
        # Dict keys stay as they are: an Output key is not valid in a manifest.
        if type(value) is dict:
            return {key: template(item) for key, item in value.items()}
        if type(value) in (list, tuple):
            # from_input turns a list into a list and a tuple into a tuple; the rebuild keeps the type.
            return type(value)(template(item) for item in value)
        leaves.append(value)  # an Output, an awaitable, an input type or another object: lifted as before
        return _Slot(len(leaves) - 1)

    shape = template(tree)
    if not leaves:
        # Plain data: known, not secret, no dependencies, which is what from_input would have made of it.
        return pulumi.Output.from_input(None).apply(lambda _: shape)

    def rebuild(value: Any, resolved: list[Any]) -> Any:
        if isinstance(value, _Slot):
            return resolved[value.index]
        if type(value) is dict:
            return {key: rebuild(item, resolved) for key, item in value.items()}
        if type(value) in (list, tuple):
            return type(value)(rebuild(item, resolved) for item in value)
        return value

    return pulumi.Output.all(*leaves).apply(lambda resolved: rebuild(shape, resolved))


class _Slot:
    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index
