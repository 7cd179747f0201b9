"""Await everything a program left pending in linear time, before the SDK's own shutdown loop runs.

The SDK's `wait_for_rpcs` (pulumi/runtime/stack.py) awaits pending outputs with
`asyncio.wait(pending, return_when=FIRST_COMPLETED)` in a loop: every round registers and removes a done
callback on every still-pending task, so N outputs that complete one after another cost O(N^2) callback
work. On a 2,244-resource stack that loop was the largest superlinear term of an offline run
(docs/performance.md). Awaiting each round's pending tasks with one `asyncio.gather` costs O(N).

This runs at the end of the program, inside the SDK's `run_in_stack`, so the SDK's loop afterwards finds
almost nothing left to wait for. Errors are left to the SDK: as soon as an RPC or an output fails, this
returns and the SDK's loop raises exactly what it would have raised.
"""

from __future__ import annotations

import asyncio

from pulumi.runtime.settings import SETTINGS, _get_rpc_manager


async def drain_pending() -> None:
    rpc_manager = _get_rpc_manager()
    while True:
        rpcs = [rpc for rpc in rpc_manager.rpcs if not rpc.done()]
        if rpcs:
            await asyncio.gather(*rpcs, return_exceptions=True)
            if rpc_manager.unhandled_exception is not None:
                return
            continue
        with SETTINGS.lock:
            outputs = [task for task in SETTINGS.outputs if not task.done()]
        if not outputs:
            return
        results = await asyncio.gather(*outputs, return_exceptions=True)
        if any(isinstance(result, BaseException) for result in results):
            return
