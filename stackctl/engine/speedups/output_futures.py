"""The SDK's `transfer_properties`, with one future per output property instead of four futures and a task.

`pulumi.runtime.rpc.transfer_properties` (pulumi 3.272.0) gives every property of a registered resource an
`Output` over four futures (value, known, secret, dependencies) whose `_data` is a `Task` running
`compute_data()` to await the four and build the `_OutputData`. A Python program declares its whole graph in
one synchronous body, so all of them are pending at once when it returns, which is where a large run's memory
peaks: ~3 KB per property pending, 17,489 properties in the generated 200-service AWS stack
(`benchmarks/output_memory.py`, "Second SDK note" in docs/performance.md).

Here each property gets one future that its resolver completes with the `_OutputData` the SDK's task would
have built from the same arguments (or fails with the same exception), wrapped with the SDK's own
`Output._from_data`: ~0.5 KB pending. What a program sees of the Output (`apply`, `future()`, `is_known()`,
`is_secret()`, `resources()`) reads that `_data` in both cases. The one difference is timing: the data is
complete when the resolver returns rather than one event-loop turn later, when the SDK's task would have run.

The switch (`switch.py`) puts it in the SDK's place for the length of an offline run when the installed SDK's
function, `Output._from_data` and `_OutputData` are the ones this was written against (their sources are
compared), and leaves the SDK alone otherwise.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, Optional

from pulumi.output import Output, _OutputData
from pulumi.runtime import rpc

# The source of pulumi 3.272.0's `rpc.transfer_properties`: an SDK whose function reads otherwise keeps its own
# until this module is checked against it (tests/test_output_futures.py says when).
SDK_FINGERPRINT = "0e7c02ffa04ff20b"
# What this builds each Output with: `Output._from_data` and the `_OutputData` dataclass of pulumi 3.272.0.
FROM_DATA_FINGERPRINT = "cd70e3b38ee181f6"
OUTPUT_DATA_FINGERPRINT = "71b7d20a16cca366"

# The SDK's own function (tests compare the two).
sdk_transfer_properties: Any = rpc.transfer_properties


def transfer_properties(res: Any, props: Any, custom: bool) -> dict[str, Any]:
    resolvers: dict[str, Any] = {}
    for name in props:
        if name == "urn" or (name == "id" and custom):
            # As in the SDK: these properties are handled elsewhere.
            continue
        data: asyncio.Future = asyncio.Future()
        resolvers[name] = functools.partial(_resolve, res, data)
        res.__dict__[name] = Output._from_data(data)
    return resolvers


def _resolve(resource: Any, data: asyncio.Future, value: Any, is_known: bool, is_secret: bool,
             deps: Optional[set], failed: Optional[Exception]) -> None:
    """The SDK's `do_resolve` and `compute_data` in one step (same arguments, same `_OutputData`)."""
    if failed is not None:
        data.set_exception(failed)
        return
    resources = set(deps) if deps else set()
    resources.add(resource)
    data.set_result(_OutputData(resources=resources, value=value, is_known=is_known, is_secret=is_secret))
