"""The one switch for the SDK replacements: all of them in place for the length of an offline run, or none.

Every private Pulumi SDK name a replacement takes the place of or relies on is listed in `SLOTS` with the source
digest of the function (or class) it was written against (pulumi 3.272.0). `speedups()` is entered by
`stackctl.engine.runner.run_stack` around each run:

- when `STACKCTL_STOCK_SDK=1` (or `stackctl --stock-sdk`, which sets it), nothing is replaced;
- when every listed name is the one the replacements were written for, each replacement is put in the SDK's
  place for the run and the SDK's own put back afterwards, so code outside a run (a test process that imported
  `stackctl.testing`, the caller of `run_stack`) always sees the stock SDK;
- when one is not (a pulumi upgrade edited it), nothing is replaced, and one warning line on stderr (once per
  process) names what differs and says that the stock functions are used. The run's graph is the same either way
  (tests/test_switch.py); the speed-ups only make it cheaper.

Not replaced here, because they are not SDK functions: the collector tuning (`collector.py`) and the import
finder for provider SDK packages (`sdk_packages.py`, installed once per CLI process unless the stock SDK is asked
for: modules imported through it stay imported). The policy pack's process (`stackctl.analysis.pack_host`)
follows `STACKCTL_STOCK_SDK` for its pulumi-policy speed-ups.
"""

from __future__ import annotations

import inspect
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi.runtime.resource
from pulumi import _types
from pulumi.output import Output
from pulumi.runtime import rpc

from . import output_futures, stack_trace, type_hints, unknowns
from .stock import STOCK_ENV, stock_requested  # noqa: F401 - STOCK_ENV re-exported
from .unknowns import fingerprint


@dataclass
class Slot:
    """One private SDK name: `owner.attribute`, the digest of its source, and (when replaced) how to make the
    replacement from the SDK's object. `source` picks what is fingerprinted (a cache's wrapped function)."""

    label: str
    owner: Any
    attribute: str
    digest: str
    make: Callable[[Any], Any] | None = None
    source: Callable[[Any], Any] | None = None
    _made: dict[int, tuple[Any, Any]] = field(default_factory=dict, repr=False)

    def current(self) -> Any:
        # Read as stored (a classmethod as itself, not a new bound method per read).
        return inspect.getattr_static(self.owner, self.attribute, None)

    def matches(self, current: Any) -> bool:
        try:
            return fingerprint(self.source(current) if self.source else current) == self.digest
        except Exception:  # noqa: BLE001 - whatever the SDK changed, it is a mismatch, never a failure
            return False

    def replacement(self, original: Any) -> Any:
        """The replacement made from `original`, made once (a cache's answers outlive one run)."""
        made = self._made.get(id(original))
        if made is None or made[0] is not original:
            made = self._made[id(original)] = (original, self.make(original))  # type: ignore[misc]
        return made[1]


def _cached_function(current: Any) -> Any:
    if getattr(current, "cache_clear", None) is None:
        raise TypeError("not a functools cache")
    return current.__wrapped__


SLOTS: list[Slot] = [
    Slot("pulumi.runtime.rpc.contains_unknowns", rpc, "contains_unknowns", unknowns.SDK_FINGERPRINT,
         lambda _sdk: unknowns.contains_unknowns),
    Slot("pulumi.runtime.rpc.transfer_properties", rpc, "transfer_properties", output_futures.SDK_FINGERPRINT,
         lambda _sdk: output_futures.transfer_properties),
    # What output_futures.transfer_properties builds its Outputs with.
    Slot("pulumi.output.Output._from_data", Output, "_from_data", output_futures.FROM_DATA_FINGERPRINT,
         source=lambda current: current.__func__),
    Slot("pulumi.output._OutputData", pulumi.output, "_OutputData", output_futures.OUTPUT_DATA_FINGERPRINT),
    Slot("pulumi.runtime.resource._get_stack_trace", pulumi.runtime.resource, "_get_stack_trace",
         stack_trace.SDK_FINGERPRINT, stack_trace.stack_trace_unless_offline),
    *(Slot(f"{module.__name__}.{name}", module, name, digest, type_hints.remembered)
      for (module, name), digest in type_hints.SDK_FINGERPRINTS.items()),
    *(Slot(f"pulumi._types.{name}", _types, name, digest, type_hints.evictable_cache, _cached_function)
      for name, digest in type_hints.SDK_CLASS_CACHES.items()),
]

_lock = threading.Lock()
_active = 0  # runs inside `speedups()` with the replacements in place
_originals: list[tuple[Slot, Any]] = []  # while active: each replaced slot and the SDK's object
_warned: set[tuple[str, ...]] = set()
# identities of the SDK's objects -> (those objects, the labels of the mismatched ones)
_verdicts: dict[tuple[int, ...], tuple[list[Any], tuple[str, ...]]] = {}


def mismatched() -> tuple[str, ...]:
    """The labels of the slots whose SDK object is not the one the replacements were written against (worked out
    once per set of SDK objects: fingerprinting reads the SDK's source)."""
    currents = [slot.current() for slot in SLOTS]
    key = tuple(id(current) for current in currents)
    known = _verdicts.get(key)
    if known is not None and all(a is b for a, b in zip(known[0], currents, strict=True)):
        return known[1]
    verdict = tuple(slot.label for slot, current in zip(SLOTS, currents, strict=True) if not slot.matches(current))
    _verdicts[key] = (currents, verdict)  # the objects are held, so their identities are not reused meanwhile
    return verdict


def _warn(labels: tuple[str, ...]) -> None:
    if labels in _warned:
        return
    _warned.add(labels)
    sys.stderr.write(f"stackctl: warning: pulumi {_sdk_version()} changed {', '.join(labels)}; the SDK speed-ups "
                     "are off and the stock SDK functions are used (same result, slower)\n")


def _sdk_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pulumi")
    except PackageNotFoundError:
        return "(unknown version)"


@contextmanager
def speedups() -> Iterator[bool]:
    """For the length of the block: every replacement in the SDK's place (True), or none (False: stock SDK asked
    for, or a fingerprint differs). Re-entrant and shared by concurrent runs; the last to leave restores."""
    global _active
    with _lock:
        if _active:
            _active += 1
            entered = True
        elif stock_requested():
            entered = False
        else:
            labels = mismatched()
            if labels:
                _warn(labels)
                entered = False
            else:
                for slot in SLOTS:
                    if slot.make is not None:
                        original = slot.current()
                        _originals.append((slot, original))
                        setattr(slot.owner, slot.attribute, slot.replacement(original))
                _active = 1
                entered = True
    try:
        yield entered
    finally:
        if entered:
            with _lock:
                _active -= 1
                if not _active:
                    for slot, original in reversed(_originals):
                        setattr(slot.owner, slot.attribute, original)
                    _originals.clear()


def active() -> bool:
    """Whether the replacements are in the SDK's place now."""
    return bool(_active)
