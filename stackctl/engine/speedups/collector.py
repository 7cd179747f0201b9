"""Python's cycle collector, tuned for a stack program run and for a short-lived CLI process.

A program run allocates hundreds of thousands of objects that live until it ends (resources, Outputs, their
futures and callbacks) and makes almost no cyclic garbage. With the default thresholds the collector keeps
re-scanning them (and the ~80 MB of SDK modules imported before the run): about 30 % of a 200-service
preview. Measured on `preview` of a generated 200-service AWS stack (benchmarks/), default -> tuned:
8.4 s -> 6.0 s for +2 % peak memory.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# A young collection every 100,000 net allocations instead of 700: cycles are still collected, a few
# hundred times per large run rather than tens of thousands. The middle generation every 100 young collections
# instead of 10: what survives a young collection during a run is the run's graph, alive until it ends, and one
# middle collection re-scans up to a million of those objects (0.43 s of a 400-service GCP preview, which made
# ~15 young collections; 0 of the raw SDK replay of the same graph, which made 11). `preview --json` of that
# stack 9.1-9.4 s -> 7.9-8.5 s CPU, peak RSS unchanged (411 MiB); aws-200 unchanged (it made fewer than 10).
RUN_THRESHOLD = (100_000, 100, 10)


@contextmanager
def few_collections() -> Iterator[None]:
    """For the length of a program run: leave what already exists out of collections (`gc.freeze`) and
    collect young objects rarely. Restores the thresholds and unfreezes afterwards, so a long-lived caller
    (tests, `stackctl.testing`) gets its objects collected as before."""
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*RUN_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()


def few_collections_for_this_process() -> None:
    """For a short-lived process (the CLI, the policy pack host): what exists by now is left out of collections
    and young collections are as rare as in a program run, for the rest of the process, so what follows a run
    (building the policy pack's requests, writing manifests, the pack rebuilding every resource's properties
    for every policy) does not keep re-scanning what it holds."""
    gc.freeze()
    gc.set_threshold(*RUN_THRESHOLD)


def skip_final_collection() -> None:
    """At the end of a CLI process: the interpreter's shutdown collection would walk every object left (0.5 s
    after a preview of the shipped dev stack) only to free memory the exit frees anyway. Frozen objects are
    skipped; atexit handlers and stream flushing still run."""
    gc.freeze()
