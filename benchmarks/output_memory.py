"""What one output property of a resource costs in the Pulumi Python SDK, pending and resolved.

Every property of a registered resource becomes an `Output` through `pulumi.runtime.rpc.transfer_properties`
(the typed provider classes list every output property of their type, so an `aws.iam.Role` has ~16). This
measures that machinery alone, with `tracemalloc`, for `RESOURCES` holders of `PROPERTIES` properties each:
while the registrations are pending (how a program's whole graph sits between the end of its body and the
engine's answers) and after every property resolved. For comparison it measures an `Output` built over one
future holding the resolved data (`Output._from_data`), the shape suggested upstream in docs/performance.md.

Run: `.venv/bin/python benchmarks/output_memory.py` (a second; prints bytes per output property).
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc

from pulumi import Output
from pulumi.output import _OutputData
from pulumi.runtime import rpc

RESOURCES = 2_000
PROPERTIES = 20


class _Holder:
    """What `transfer_properties` writes the Outputs to (a resource's `__dict__`)."""


async def _sdk_outputs() -> tuple[float, float]:
    start = tracemalloc.get_traced_memory()[0]
    holders, resolvers = [], []
    for _ in range(RESOURCES):
        holder = _Holder()
        resolvers.append(rpc.transfer_properties(holder, {f"p{k}": None for k in range(PROPERTIES)}, True))
        holders.append(holder)
    pending = tracemalloc.get_traced_memory()[0] - start
    await asyncio.sleep(0)
    for resolvers_of_one in resolvers:
        for resolve in resolvers_of_one.values():
            resolve("value", True, False, set(), None)
    resolvers.clear()
    for _ in range(5):  # let every compute_data task finish
        await asyncio.sleep(0)
    resolved = tracemalloc.get_traced_memory()[0] - start
    return pending, resolved


async def _one_future_outputs() -> tuple[float, float]:
    loop = asyncio.get_running_loop()
    start = tracemalloc.get_traced_memory()[0]
    holders, futures = [], []
    for _ in range(RESOURCES):
        holder = _Holder()
        for k in range(PROPERTIES):
            future = loop.create_future()
            holder.__dict__[f"p{k}"] = Output._from_data(future)
            futures.append((holder, future))
        holders.append(holder)
    pending = tracemalloc.get_traced_memory()[0] - start
    await asyncio.sleep(0)
    for _, future in futures:
        future.set_result(_OutputData(resources=set(), value="value", is_known=True, is_secret=False))
    futures.clear()
    for _ in range(5):
        await asyncio.sleep(0)
    resolved = tracemalloc.get_traced_memory()[0] - start
    return pending, resolved


def main() -> None:
    gc.disable()  # nothing here is cyclic garbage worth collecting; keeps the numbers steady
    tracemalloc.start()
    outputs = RESOURCES * PROPERTIES
    for label, measure in (("SDK (transfer_properties)", _sdk_outputs), ("one future per Output", _one_future_outputs)):
        pending, resolved = asyncio.run(measure())
        print(f"{label:28s} pending {pending / outputs:6.0f} B, resolved {resolved / outputs:6.0f} B "
              "per output property")


if __name__ == "__main__":
    main()
