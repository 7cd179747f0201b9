"""stackctl.engine.speedups.output_futures: the SDK's transfer_properties with one future per output property."""

from __future__ import annotations

import asyncio
import contextvars

import pytest
from pulumi.output import UNKNOWN
from pulumi.runtime import rpc

from stackctl.engine.speedups import output_futures, switch
from stackctl.engine.speedups.unknowns import fingerprint

from .conftest import under_sdk_mocks


class _Resource:
    """What transfer_properties writes Outputs to (a resource's `__dict__`); hashable, as resources are."""


def test_the_installed_sdk_gets_the_replacement():
    # Fails after an SDK upgrade that changed `rpc.transfer_properties`: read the new function, bring
    # `output_futures` in line with it, and set SDK_FINGERPRINT to `unknowns.fingerprint(<the SDK's>)`.
    assert fingerprint(output_futures.sdk_transfer_properties) == output_futures.SDK_FINGERPRINT
    with switch.speedups() as on:
        assert on
        assert rpc.transfer_properties is output_futures.transfer_properties
    assert rpc.transfer_properties is output_futures.sdk_transfer_properties


async def _seen(transfer, resolution):
    """What a program sees of output `p` once resolved with `resolution` (value, known, secret, deps, failed)."""
    resource = _Resource()
    resolvers = transfer(resource, {"urn": None, "id": None, "p": None}, True)
    assert sorted(resolvers) == ["p"]  # urn and id of a custom resource are handled elsewhere
    output = resource.p
    resolvers["p"](*resolution)
    try:
        value = await output.future()
        with_unknowns = await output.future(with_unknowns=True)
        applied = await output.apply(lambda v: ("applied", v)).future()
    except Exception as exc:  # noqa: BLE001 - the failure is what is compared
        return ("failed", type(exc), str(exc))
    resources = await output.resources()
    return (value, with_unknowns, applied, await output.is_known(), await output.is_secret(),
            sorted(type(r).__name__ for r in resources), resource in resources, len(resources))


DEPENDENCY = _Resource()
RESOLUTIONS = {
    "known": ("value", True, False, set(), None),
    "secret": ({"a": [1, 2]}, True, True, set(), None),
    "unknown": (None, False, False, set(), None),
    "contains an unknown": ({"a": [UNKNOWN]}, True, False, set(), None),
    "with dependencies": ("v", True, False, {DEPENDENCY}, None),
    "no dependency set": ("v", True, False, None, None),
    "failed": (None, False, False, set(), RuntimeError("registration failed")),
}


@pytest.mark.parametrize("resolution", list(RESOLUTIONS.values()), ids=list(RESOLUTIONS))
def test_a_program_sees_what_it_sees_with_the_sdks_function(resolution):
    ours = under_sdk_mocks(lambda: _seen(output_futures.transfer_properties, resolution))
    sdks = under_sdk_mocks(lambda: _seen(output_futures.sdk_transfer_properties, resolution))
    assert ours == sdks


def test_no_task_per_property():
    async def tasks_added(transfer) -> int:
        before = len(asyncio.all_tasks())
        resource = _Resource()
        transfer(resource, {f"p{k}": None for k in range(10)}, True)
        return len(asyncio.all_tasks()) - before

    assert under_sdk_mocks(lambda: tasks_added(output_futures.sdk_transfer_properties)) == 10
    assert under_sdk_mocks(lambda: tasks_added(output_futures.transfer_properties)) == 0


def test_an_sdk_that_reads_otherwise_keeps_its_own(monkeypatch):
    def other_transfer_properties(res, props, custom):
        return {}

    monkeypatch.setattr(rpc, "transfer_properties", other_transfer_properties)
    with switch.speedups() as on:
        assert not on
        assert rpc.transfer_properties is other_transfer_properties


def test_a_run_does_not_wait_on_outputs_an_earlier_run_left_behind():
    # What a failed run leaves: an output that failed, of an event loop closed since. Put in the SDK's
    # process-wide default set, which every run in a process shared before each run had a set of its own.
    from pulumi.runtime.settings import SETTINGS

    from stackctl.engine.runner import run_stack

    from .conftest import PROJECT

    loop = asyncio.new_event_loop()
    stale = loop.create_future()
    stale.set_exception(RuntimeError("left over"))
    loop.close()
    shared = contextvars.Context().run(lambda: SETTINGS.outputs)
    shared.add(stale)
    try:
        run = run_stack(PROJECT, "dev")
    finally:
        shared.discard(stale)
    assert run.graph.root is not None and len(run.graph.resources) > 100


def test_the_sdk_keeps_pending_outputs_where_the_runner_resets_them():
    """The reset above assigns `SETTINGS.outputs` and `.lock`: it only works while they are the SDK's per-context
    properties. Read from the SDK itself, so an upgrade that moves them fails here first."""
    import inspect

    import pulumi._utils
    from pulumi.runtime.settings import SETTINGS

    from stackctl.engine.runner import PENDING_OUTPUT_ATTRIBUTES

    for name in PENDING_OUTPUT_ATTRIBUTES:
        assert isinstance(inspect.getattr_static(type(SETTINGS), name), pulumi._utils.ContextProperty), name


def test_an_sdk_that_moved_them_gets_a_warning_not_a_silent_reset(monkeypatch, capsys):
    import pulumi._utils
    from pulumi.runtime.settings import SETTINGS

    from stackctl.engine import runner

    class SomethingElse:
        pass

    before = SETTINGS.outputs
    monkeypatch.setattr(pulumi._utils, "ContextProperty", SomethingElse)
    monkeypatch.setattr(runner, "_layout_warned", False)
    runner._fresh_pending_outputs()
    runner._fresh_pending_outputs()
    assert SETTINGS.outputs is before      # nothing assigned on a layout the runner does not know
    assert capsys.readouterr().err.count("stackctl: warning: this pulumi SDK keeps its pending outputs") == 1
