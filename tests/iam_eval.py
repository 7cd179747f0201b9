"""Evaluate an IAM identity policy for one request, the way IAM's policy evaluation logic does for one policy:
an explicit Deny wins, else an Allow whose Action, Resource and every Condition match, else an implicit deny
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html). Enough of the
grammar for the deployer policy and the role boundary: Action/NotAction, Resource with `*` and `?`, and the
condition operators StringEquals, StringLike, ArnEquals, ArnLike, Bool (all keys AND, a key's values OR; a key
absent from the request fails the operator)."""

from __future__ import annotations

import fnmatch
from typing import Any

ALLOW, DENY, IMPLICIT_DENY = "Allow", "Deny", "ImplicitDeny"


def _list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _like(value: str, pattern: str, ignore_case: bool = False) -> bool:
    if ignore_case:
        value, pattern = value.lower(), pattern.lower()
    return fnmatch.fnmatchcase(value, pattern)


OPERATORS = {
    "StringEquals": lambda have, want: have == want,
    "StringLike": lambda have, want: _like(have, want),
    "ArnEquals": lambda have, want: have == want,
    "ArnLike": lambda have, want: _like(have, want),
    "Bool": lambda have, want: str(have).lower() == str(want).lower(),
}


def _conditions_hold(conditions: dict, context: dict[str, str]) -> bool:
    for operator, keys in conditions.items():
        test = OPERATORS[operator]        # an operator this evaluator does not know fails loudly (KeyError)
        for key, wanted in keys.items():
            have = context.get(key)
            if have is None or not any(test(have, want) for want in _list(wanted)):
                return False
    return True


def _matches(statement: dict, action: str, resource: str, context: dict[str, str]) -> bool:
    if "Action" in statement:
        action_ok = any(_like(action, pattern, ignore_case=True) for pattern in _list(statement["Action"]))
    else:
        action_ok = not any(_like(action, pattern, ignore_case=True) for pattern in _list(statement["NotAction"]))
    if not action_ok:
        return False
    if not any(_like(resource, pattern) for pattern in _list(statement.get("Resource", "*"))):
        return False
    return _conditions_hold(statement.get("Condition", {}), context)


def evaluate(policy: dict, action: str, resource: str, context: dict[str, str] | None = None) -> str:
    context = context or {}
    matching = [s for s in policy["Statement"] if _matches(s, action, resource, context)]
    if any(s["Effect"] == "Deny" for s in matching):
        return DENY
    if any(s["Effect"] == "Allow" for s in matching):
        return ALLOW
    return IMPLICIT_DENY
