"""stackctl.engine.speedups.unknowns: the SDK's contains_unknowns without its per-call reference cycle."""

from __future__ import annotations

import collections
import gc

import pytest
from pulumi.output import UNKNOWN
from pulumi.runtime import rpc

from stackctl.engine.speedups import switch, unknowns


def test_the_installed_sdk_gets_the_replacement_for_a_run_only():
    # Fails after an SDK upgrade that changed `rpc.contains_unknowns`: read the new function, bring
    # `unknowns.contains_unknowns` in line with it, and set SDK_FINGERPRINT to `fingerprint(<the SDK's>)`.
    assert unknowns.fingerprint(unknowns.sdk_contains_unknowns) == unknowns.SDK_FINGERPRINT
    assert rpc.contains_unknowns is unknowns.sdk_contains_unknowns
    with switch.speedups() as on:
        assert on
        assert rpc.contains_unknowns is unknowns.contains_unknowns
    assert rpc.contains_unknowns is unknowns.sdk_contains_unknowns


def _values():
    shared = {"a": [1, 2, {"b": "c"}]}
    cyclic: list = [1, {"x": 2}]
    cyclic.append(cyclic)
    cyclic_with_unknown: dict = {"k": []}
    cyclic_with_unknown["k"].append(cyclic_with_unknown)
    cyclic_with_unknown["z"] = UNKNOWN
    return [
        None, "text", 3, 2.5, True, UNKNOWN, rpc.UNKNOWN,
        {}, [], {"a": 1}, {"a": UNKNOWN}, [1, [2, [3, [UNKNOWN]]]], {"a": {"b": {"c": [None, UNKNOWN]}}},
        (UNKNOWN,), {UNKNOWN: 1}, {"s": {UNKNOWN}}, [shared, shared], cyclic, cyclic_with_unknown,
        collections.OrderedDict(a=[UNKNOWN]), _List([{"b": UNKNOWN}]), _List([1, "x"]), _Text("t"),
    ]


class _List(list):
    pass


class _Text(str):
    pass


@pytest.mark.parametrize("value", _values(), ids=lambda v: type(v).__name__)
def test_answers_as_the_sdk_does(value):
    assert unknowns.contains_unknowns(value) is unknowns.sdk_contains_unknowns(value)


def test_no_cyclic_garbage_where_the_sdk_leaves_some():
    # Young collections only: what the calls leave is young, and a full collection of the test process is slow.
    value = {"a": [1, {"b": 2}], "c": "d"}
    previous = gc.isenabled()
    gc.disable()
    try:
        gc.collect(0)
        for _ in range(100):
            unknowns.sdk_contains_unknowns(value)
        left_by_sdk = gc.collect(0)
        for _ in range(100):
            unknowns.contains_unknowns(value)
        left_here = gc.collect(0)
    finally:
        if previous:
            gc.enable()
    assert left_by_sdk >= 100  # the reason this module exists
    assert left_here == 0


def test_an_sdk_that_reads_otherwise_keeps_its_own(monkeypatch):
    def other_contains_unknowns(val):
        return False

    monkeypatch.setattr(rpc, "contains_unknowns", other_contains_unknowns)
    with switch.speedups() as on:
        assert not on
        assert rpc.contains_unknowns is other_contains_unknowns
