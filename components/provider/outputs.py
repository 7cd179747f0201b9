"""Outputs as they cross the wire into the provider: already-resolved data, unknowns, and values carried out of a map.

Kept apart from `host` so that tests and tools can use them without importing `pulumi.provider.server`, whose
`status_pb2` registers `google.rpc.Status` under another file name than googleapis-common-protos does: one process
cannot load both (the Google Cloud client libraries load the latter).
"""

from __future__ import annotations

import asyncio
from typing import Any, Optional

from pulumi.output import Output, _OutputData


def settled(value: Output) -> Optional[_OutputData]:
    """An Output's data when the wire already carried it (output values and secrets arrive resolved)."""
    data = getattr(value, "_data", None)
    return data.result() if isinstance(data, asyncio.Future) and data.done() and not data.exception() else None


def unknown_output() -> Output:
    """An Output whose value is not known yet (what a preview gets for a resource not created yet)."""
    future: asyncio.Future = asyncio.get_event_loop().create_future()
    future.set_result(_OutputData(resources=set(), value=None, is_known=False, is_secret=False))
    return Output._from_data(future)


def carrying(data: _OutputData, item: Any) -> Output:
    """`item` as an Output with the secrecy and the dependencies of the map it came in."""
    future: asyncio.Future = asyncio.get_event_loop().create_future()
    future.set_result(_OutputData(resources=set(data.resources), value=None, is_known=True, is_secret=data.is_secret))
    return Output._from_data(future).apply(lambda _: item)
