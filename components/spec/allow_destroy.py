"""`allow_destroy`: the stack file's acknowledgement that named stateful resources may be deleted or replaced."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

# A full engine URN, or a resource's logical name (the last URN segment).
_URN = re.compile(r"^urn:pulumi:[^:]+::[^:]+::.+::.+$")
_RESOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,252}$")


def _check_entry(value: str) -> str:
    if value.startswith("urn:"):
        if not _URN.match(value):
            raise ValueError("must be a resource URN (urn:pulumi:<stack>::<project>::<type>::<name>) "
                             "or a resource name")
    elif not _RESOURCE_NAME.match(value):
        raise ValueError("must be a resource name as `stackctl diff` shows it (e.g. prod-orders-queue) or its URN")
    return value


AllowDestroyEntry = Annotated[str, AfterValidator(_check_entry)]


def check_unique(entries: list[str]) -> list[str]:
    duplicates = sorted({e for e in entries if entries.count(e) > 1})
    if duplicates:
        raise ValueError(f"lists {', '.join(duplicates)} more than once")
    return entries


AllowDestroyList = Annotated[list[AllowDestroyEntry], AfterValidator(check_unique)]
