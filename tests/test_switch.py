"""stackctl.engine.speedups.switch: every SDK replacement for the length of a run, or none; the stock SDK on request,
and when the SDK changed, with one warning and the same graph."""

from __future__ import annotations

import inspect
import threading

import pulumi.runtime.resource
import pytest

from stackctl import testing  # the public helper: importing it must not touch the SDK
from stackctl.engine.runner import run_stack
from stackctl.engine.speedups import switch, type_hints
from stackctl.engine.speedups.unknowns import fingerprint

from .conftest import PROJECT, SHIPPED_STACKS, shipped_run, stackctl, stackctl_process

REPLACED = [slot for slot in switch.SLOTS if slot.make is not None]


def _stock_objects() -> list:
    return [slot.current() for slot in switch.SLOTS]


def test_every_private_sdk_name_is_the_one_the_replacements_were_written_for():
    # Fails after a pulumi upgrade that changed one of them: read the SDK's new source of each name listed, bring
    # the replacement in line with it, and set its digest (`fingerprint(<the SDK's>)`) in the module named.
    assert switch.mismatched() == ()
    assert len(REPLACED) == 14  # contains_unknowns, transfer_properties, _get_stack_trace, 7 lookups, 4 caches


def test_the_sdk_is_stock_outside_runs():
    stock = _stock_objects()
    assert not any(getattr(obj, "sdk_function", None) for obj in stock)  # none of ours, after the imports above
    seen_during: list = []
    run = testing.run_program(lambda: seen_during.extend(_stock_objects()))
    assert run.graph.resources  # the root stack
    assert [a is b for a, b in zip(seen_during, stock, strict=True)].count(False) == len(REPLACED)
    assert all(a is b for a, b in zip(_stock_objects(), stock, strict=True))


def _edited_copy(function, calls: list):
    """`function` compiled again from its source with one line added (as a pulumi upgrade would edit it), in its
    own module's globals; each call is appended to `calls`."""
    source = inspect.getsource(function)
    header, body = source.split("\n", 1)
    indent = body[: len(body) - len(body.lstrip())]
    namespace = dict(function.__globals__, __edit_calls__=calls)
    exec(compile(f"{header}\n{indent}__edit_calls__.append(1)\n{body}", "<edited SDK>", "exec"), namespace)
    return namespace[function.__name__]


@pytest.mark.slow(4.0)
def test_an_unmatched_fingerprint_gives_one_warning_the_stock_sdk_and_the_same_graph(monkeypatch, capsys):
    calls: list = []
    edited = _edited_copy(pulumi.runtime.resource._get_stack_trace, calls)
    monkeypatch.setattr(pulumi.runtime.resource, "_get_stack_trace", edited)
    monkeypatch.setattr(switch, "_warned", set())
    before = _stock_objects()
    capsys.readouterr()

    first, second = run_stack(PROJECT, "dev"), run_stack(PROJECT, "dev")

    warning = capsys.readouterr().err.splitlines()
    assert len(warning) == 1, warning  # one line, once per process
    assert "pulumi.runtime.resource._get_stack_trace" in warning[0]
    assert "stock SDK functions are used" in warning[0]
    assert calls  # the SDK's (edited) function ran: the replacement did not take its place
    assert all(a is b for a, b in zip(_stock_objects(), before, strict=True))  # none replaced, during or after
    expected = shipped_run("dev").graph.dumps()
    assert first.graph.dumps() == expected
    assert second.graph.dumps() == expected


@pytest.mark.slow(10.0)
@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_the_stock_sdk_previews_every_shipped_stack_byte_for_byte_the_same(stack, monkeypatch):
    monkeypatch.setenv(switch.STOCK_ENV, "1")
    with switch.speedups() as on:
        assert not on
    result = stackctl("preview", stack, "--json")
    assert result.returncode == 0, result.stderr
    assert result.stdout == shipped_run(stack).graph.dumps()


@pytest.mark.slow(8.0)
def test_stock_sdk_preview_prod_json_equals_the_default_in_real_processes():
    default = stackctl_process("preview", "prod", "--json")
    flag = stackctl_process("--stock-sdk", "preview", "prod", "--json")
    assert default.returncode == flag.returncode == 0, (default.stderr, flag.stderr)
    assert flag.stdout == default.stdout
    assert "warning" not in default.stderr + flag.stderr


@pytest.mark.slow(12.0)
def test_the_sdk_s_call_paths_reach_every_replacement(monkeypatch):
    """During a run of the dev stack each replacement is called from the SDK, and the SDK's own function is
    never called but by its replacement: a module that bound the SDK's function at import time would call it
    directly, and the replacement, installed, would be bypassed. Reaching is counted by a counting wrapper the
    switch installs around each replacement; bypassing is seen by a profile hook on the run's thread."""
    stock = {slot.label: slot.current() for slot in REPLACED}
    reached = dict.fromkeys(stock, 0)

    def counting(slot):
        make = slot.make

        def make_counting(original):
            replacement = make(original)

            def counted(*args, **kwargs):
                reached[slot.label] += 1
                return replacement(*args, **kwargs)
            return counted
        return make_counting

    for slot in REPLACED:
        monkeypatch.setattr(slot, "make", counting(slot))
        monkeypatch.setattr(slot, "_made", {})
    # The SDK's code (a functools cache's: the function it wraps) and the replacements' code that may call it.
    sdk_code = {getattr(obj, "__wrapped__", obj).__code__: label for label, obj in stock.items()}
    ours = {type_hints.remembered(len).__code__, type_hints.evictable(len).__code__}
    bypassed: dict[str, int] = {}

    def hook(frame, event, arg):
        if event == "call" and frame.f_code in sdk_code:
            caller = frame.f_back.f_code if frame.f_back is not None else None
            if caller not in ours:
                label = sdk_code[frame.f_code]
                bypassed[label] = bypassed.get(label, 0) + 1

    threading.setprofile(hook)
    try:
        run_stack(PROJECT, "dev")
    finally:
        threading.setprofile(None)
    assert bypassed == {}
    assert [label for label, count in reached.items() if not count] == []


def test_every_replacement_is_fingerprinted_with_what_it_takes_the_place_of():
    for slot in REPLACED:
        replacement = slot.replacement(slot.current())
        assert replacement is not slot.current()
        assert fingerprint(slot.source(slot.current()) if slot.source else slot.current()) == slot.digest


def test_the_pack_host_s_pulumi_policy_speedups_are_fingerprinted(monkeypatch):
    from stackctl.engine.speedups import lazy_proxy

    # Fails after a pulumi-policy upgrade: read the new policy.py / proxy.py against stackctl/analysis/pack_host.py
    # and lazy_proxy.py, then update PULUMI_POLICY_FINGERPRINTS.
    assert lazy_proxy.pulumi_policy_mismatches() == []
    monkeypatch.setitem(lazy_proxy.PULUMI_POLICY_FINGERPRINTS, "pulumi_policy.proxy", "0" * 16)
    assert lazy_proxy.pulumi_policy_mismatches() == ["pulumi_policy.proxy"]


@pytest.mark.slow(6.0)
def test_check_under_the_stock_sdk_reports_the_same(monkeypatch):
    default = stackctl("check", "dev", "--format", "json")
    monkeypatch.setenv(switch.STOCK_ENV, "1")  # the policy pack's process inherits it
    stock = stackctl("check", "dev", "--format", "json")
    assert (stock.returncode, stock.stdout) == (default.returncode, default.stdout)
    assert "warning" not in stock.stderr + default.stderr
