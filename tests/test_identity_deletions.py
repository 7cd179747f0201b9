"""Removing something from a stack file removes exactly its resources; every other URN stays put."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackctl.engine.runner import run_stack

from .conftest import load_stack_yaml

QUEUE_COMPONENT = "urn:pulumi:staging::platform::platform:index:Environment$platform:index:SqsWorkQueue::{}"


def subtree(graph, root_urn: str) -> set[str]:
    """`root_urn` and every resource below it."""
    found = {root_urn}
    for record in graph.resources:  # parents precede children in graph order
        if record.parent in found:
            found.add(record.urn)
    return found


def test_removing_a_queue_removes_exactly_its_resources(make_project):
    full = copy.deepcopy(load_stack_yaml("staging")["config"])
    full["queues"]["audit"] = {"visibility_timeout_seconds": 60}
    reduced = copy.deepcopy(full)
    del reduced["queues"]["audit"]
    before = run_stack(make_project({"staging": full}, "before"), "staging").graph
    after = run_stack(make_project({"staging": reduced}, "after"), "staging").graph

    removed = set(before.urns()) - set(after.urns())
    assert removed == subtree(before, QUEUE_COMPONENT.format("staging-audit"))
    assert len(removed) == 6  # the component, two queues, two queue policies, the redrive-allow policy
    assert set(after.urns()) <= set(before.urns())
    # What stays is registered identically (same inputs, same dependencies): an update-free no-op.
    for urn in after.urns():
        assert after.by_urn[urn].to_json() == before.by_urn[urn].to_json()


queue_settings = st.fixed_dictionaries({}, optional={
    "visibility_timeout_seconds": st.integers(30, 43200),
    "max_receive_count": st.integers(1, 1000),
    "message_retention_seconds": st.integers(600, 1209600),
    "fifo": st.booleans(),
})


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(settings_a=queue_settings, settings_b=queue_settings)
def test_queue_settings_never_change_identity(make_project, settings_a, settings_b):
    """Tuning a queue is an update of the same resources, never a new identity."""
    base = {"cloud": "aws", "region": "us-east-1", "tier": "dev"}
    a = run_stack(make_project({"dev": {**base, "queues": {"orders": settings_a, "audit": {}}}}, "a"), "dev")
    b = run_stack(make_project({"dev": {**base, "queues": {"orders": settings_b, "audit": {}}}}, "b"), "dev")
    assert sorted(a.graph.urns()) == sorted(b.graph.urns())
