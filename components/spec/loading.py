"""Turn raw config values into a validated `EnvironmentSpec`, or a `SpecError` listing every problem."""

from __future__ import annotations

import difflib
import re
import typing
import weakref
from collections.abc import Iterable, Mapping
from typing import Any, Optional, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import Problem, SpecError
from ..identity import ROLE_PATH_PATTERN
from ..rules.credentials import shown
from .base import NAME_PATTERN
from .environment import EnvironmentSpec
from .promotion import UTC_TIME_PATTERN, WORKLOAD_KEY_PATTERN

ModelT = TypeVar("ModelT", bound=BaseModel)

# What each `pattern` of the stack-file models means, in the words a problem should use ("must be <meaning>").
# tests/test_spec_validation.py checks every pattern reachable from `EnvironmentSpec` has one.
PATTERN_MEANINGS = {
    NAME_PATTERN: "1-30 lowercase letters, digits or '-', starting with a letter and not ending with '-'",
    WORKLOAD_KEY_PATTERN: "`services.<name>` or `jobs.<name>`",
    UTC_TIME_PATTERN: "a UTC time such as 2026-12-07T09:30:00Z",
    r"^\d{12}$": "a 12-digit AWS account id",
    r"^arn:aws[a-z-]*:iam::\d{12}:policy/.+$": "an IAM managed policy ARN (arn:aws:iam::<account>:policy/<name>)",
    r"^gke-security-groups@[A-Za-z0-9.-]+$": "the group gke-security-groups@<your domain>",
    r"^https?://[^\s/]+(/[^\s]*)?$": "an http(s) URL such as https://argocd.staging.example.com",
    # Component arguments (Python callers and the component package validate them here too).
    r"^[a-zA-Z][a-zA-Z0-9_-]{0,70}$": "1-71 letters, digits, '-' or '_', starting with a letter",
    r"^(create|arn:aws[a-z-]*:kms:.+)$": "`create` or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)",
    ROLE_PATH_PATTERN: "/platform/ or a path under it such as /platform/prod/",
}


def parse_environment(
    raw: Mapping[str, Any],
    source: str,
    secret_keys: Iterable[str] = (),
    environment: Optional[str] = None,
    project: Optional[str] = None,
) -> EnvironmentSpec:
    """Validate `raw` (config key -> value) into an `EnvironmentSpec`.

    `source` names the stack file in messages. Values under `secret_keys` are never echoed back. With the stack
    (`environment`) and `project` names, the physical names they produce are checked too.
    Raises `SpecError` with one `Problem` per field when anything is wrong.
    """
    secret_keys = frozenset(secret_keys)
    # A secret where plain config belongs is reported without validating (and so echoing) its value.
    misplaced = {key for key in raw if key in secret_keys and key not in EnvironmentSpec.SECRET_KEYS}
    problems = [
        Problem(key, "is stored as a secret but is not a secret setting; set it as plain config")
        for key in sorted(misplaced)
    ]
    problems += [
        Problem(key, f"must be stored as a secret, not in clear text: pulumi config set --secret {key} <value> "
                     "(value hidden)")
        for key in sorted(set(raw) & EnvironmentSpec.SECRET_KEYS - secret_keys)
    ]
    plain = {k: v for k, v in raw.items() if k not in EnvironmentSpec.SECRET_KEYS and k not in misplaced}
    try:
        spec = EnvironmentSpec.model_validate(plain)
    except ValidationError as exc:
        problems.extend(p for p in _translate(exc, secret_keys) if re.split(r"[.\[]", p.path)[0] not in misplaced)
        raise SpecError(source, problems) from None
    if problems:
        raise SpecError(source, problems)
    problems.extend(spec.problems(environment, project))
    if problems:
        raise SpecError(source, problems)
    _VALIDATED[id(spec)] = spec
    return spec


def field_path(parts: Iterable[str | int]) -> str:
    """The one way messages write a field's path: map keys joined by dots, list positions in brackets
    (`cluster.node_pools.gpu.taints[0].effect`), as the validation rules write them too."""
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


# Specs `parse_environment` checked, so that `Environment` does not check them again (weakly held: a spec built
# or copied in Python is not in here and is checked by `Environment`).
_VALIDATED: weakref.WeakValueDictionary[int, EnvironmentSpec] = weakref.WeakValueDictionary()


def validated(spec: EnvironmentSpec) -> bool:
    """Whether `spec` came from `parse_environment` (and so passed `spec.problems`)."""
    return _VALIDATED.get(id(spec)) is spec


def validate_model(model: type[ModelT], raw: Mapping[str, Any], source: str) -> ModelT:
    """Validate `raw` into `model` (any spec or component arguments model), or raise `SpecError` with one
    `Problem` per field, worded as for a stack file. The component package (`components.provider`) validates
    what other languages send with it, so they read the messages Python callers of this function read."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(source, _translate(exc, frozenset(), model)) from None


def _translate(exc: ValidationError, secret_keys: frozenset[str], root: Any = None) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        path = field_path(part for part in loc if part != "[key]")
        hide_value = bool(loc) and loc[0] in secret_keys
        problems.append(Problem(path, _message(error, loc, hide_value, root or EnvironmentSpec)))
    return problems


def _got(error: Mapping[str, Any], hide_value: bool) -> str:
    if hide_value:
        return ""
    value = error.get("input")
    if isinstance(value, (dict, list)):
        return f" (got a {'map' if isinstance(value, dict) else 'list'})"
    if isinstance(value, bool):
        return f" (got {str(value).lower()})"
    return f" (got {shown(value)})"


def _message(error: Mapping[str, Any], loc: tuple, hide_value: bool, root: Any = None) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    got = _got(error, hide_value)
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        allowed = _allowed_fields(loc[:-1], root or EnvironmentSpec)
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        return f"unknown field{suggestion} (allowed: {', '.join(allowed)})" if allowed else "unknown field"
    bounds = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">", "less_than": "<"}
    if kind in bounds:
        limit = next(iter(ctx.values()))
        return f"must be {bounds[kind]} {limit}{got}"
    if kind in ("too_short", "too_long"):
        bound = "at least" if kind == "too_short" else "at most"
        limit = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        return f"must have {bound} {limit} entr{'y' if limit == 1 else 'ies'} (got {ctx.get('actual_length')})"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}{got}"
    if kind == "string_pattern_mismatch":
        what = "name" if loc and loc[-1] == "[key]" else "value"
        pattern = str(ctx.get("pattern", ""))
        return f"{what} must be {PATTERN_MEANINGS.get(pattern, f'text matching {pattern}')}{got}"
    expected = _TYPE_ERRORS.get(kind.removesuffix("_type").removesuffix("_parsing"))
    if expected:
        return f"must be {expected}{got}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"])) + got
    message = error["msg"]
    return message[0].lower() + message[1:] + got


_TYPE_ERRORS = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "string": "a string",
    "dict": "a map of keys to values",
    "list": "a list",
    "model": "a map of settings",
}


def _allowed_fields(loc: tuple, root: Any) -> list[str]:
    """The field names of the model at `loc` (from `root`), for 'did you mean' hints."""
    annotation: Any = root
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        else:
            return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """Strip Optional[...] / Annotated[...] down to the model or dict inside."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation
