"""Turn property Structs (the engine's wire form) into plain JSON for display and comparison.

Secrets become "[secret]" and unknowns "[unknown]", so nothing sensitive reaches output, and resource
references become their URN.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime import rpc

SECRET = "[secret]"
UNKNOWN = "[unknown]"


def struct_to_display(struct: struct_pb2.Struct | None) -> dict[str, Any]:
    if struct is None:
        return {}
    return {k: to_display(v) for k, v in sorted(json_format.MessageToDict(struct).items())}


def to_display(value: Any) -> Any:
    if isinstance(value, dict):
        sig = value.get(rpc._special_sig_key)
        if sig == rpc._special_secret_sig:
            return SECRET
        if sig == rpc._special_resource_sig:
            return value.get("urn", UNKNOWN)
        if sig == rpc._special_output_value_sig:
            if value.get("secret"):
                return SECRET
            return to_display(value["value"]) if "value" in value else UNKNOWN
        if sig in (rpc._special_asset_sig, rpc._special_archive_sig):
            return "[asset]"
        return {str(k): to_display(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [to_display(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == rpc.UNKNOWN:
        return UNKNOWN
    return value


def struct_to_masked(struct: struct_pb2.Struct | None) -> dict[str, Any]:
    """Like `struct_to_display`, but a secret keeps its shape (maps and lists) with every leaf masked,
    so the object can still be checked against a schema without exposing any value."""
    if struct is None:
        return {}
    return {k: _masked(v, False) for k, v in sorted(json_format.MessageToDict(struct).items())}


def _masked(value: Any, secret: bool) -> Any:
    if isinstance(value, dict):
        sig = value.get(rpc._special_sig_key)
        if sig == rpc._special_secret_sig:
            return _masked(value.get("value"), True)
        if sig == rpc._special_output_value_sig:
            return _masked(value["value"], secret or bool(value.get("secret"))) if "value" in value else UNKNOWN
        if sig is not None:
            return to_display(value)
        return {str(k): _masked(v, secret) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_masked(v, secret) for v in value]
    if secret:
        return SECRET
    return to_display(value)
