"""URNs exactly as the Pulumi engine computes them.

The SDK's mock monitor prefixes `pulumi:pulumi:Stack$` to children of the stack and keeps only the
parent's last type; the engine uses the parent's full qualified type and skips the root stack.
"""

from __future__ import annotations

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def qualified_type(urn: str) -> str:
    return urn.split("::")[2]


def engine_urn(stack: str, project: str, type_: str, name: str, parent: str = "") -> str:
    qualified = type_
    if parent:
        parent_type = qualified_type(parent)
        if parent_type != ROOT_STACK_TYPE:
            qualified = f"{parent_type}${type_}"
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def alias_urn(
    stack: str,
    project: str,
    *,
    name: str,
    type_: str,
    parent: str,
    alias_name: str = "",
    alias_type: str = "",
    alias_stack: str = "",
    alias_project: str = "",
    alias_parent: str = "",
    no_parent: bool = False,
) -> str:
    """The URN an alias spec stands for, with the engine's defaults (the resource's own name, type
    and parent; a parent that is the root stack counts as no parent)."""
    parent_urn = alias_parent or parent
    if no_parent or (parent_urn and qualified_type(parent_urn) == ROOT_STACK_TYPE):
        parent_urn = ""
    return engine_urn(alias_stack or stack, alias_project or project, alias_type or type_, alias_name or name,
                      parent_urn)
