"""Engine URNs, not mock URNs: the identity users will see in `pulumi stack` and state files."""

from __future__ import annotations

from pulumi.runtime.mocks import MockMonitor

from stackctl.engine.urns import alias_urn, engine_urn

from .conftest import shipped_run

STACK_URN = "urn:pulumi:dev::platform::pulumi:pulumi:Stack::platform-dev"
ENV_URN = "urn:pulumi:dev::platform::platform:index:Environment::dev"
QUEUE_COMPONENT_URN = "urn:pulumi:dev::platform::platform:index:Environment$platform:index:SqsWorkQueue::dev-orders"


def test_nested_component_child_has_the_full_parent_type_chain():
    graph = shipped_run("dev").graph
    child = ("urn:pulumi:dev::platform::platform:index:Environment$platform:index:SqsWorkQueue"
             "$aws:sqs/queue:Queue::dev-orders-queue")
    assert child in graph.by_urn
    record = graph.by_urn[child]
    assert record.parent == QUEUE_COMPONENT_URN
    assert graph.by_urn[QUEUE_COMPONENT_URN].parent == ENV_URN
    assert graph.by_urn[ENV_URN].parent == STACK_URN


def test_children_of_the_stack_do_not_carry_the_stack_type():
    assert engine_urn("dev", "platform", "platform:index:Environment", "dev", STACK_URN) == ENV_URN
    assert not any("pulumi:pulumi:Stack$" in urn for urn in shipped_run("dev").graph.urns())


def test_the_sdk_mock_urn_differs_and_is_not_what_we_report():
    """Documents the pitfall: the SDK's mock keeps one parent level and prefixes the stack type."""
    mock = MockMonitor.__new__(MockMonitor)
    import pulumi.runtime.settings as settings

    settings.SETTINGS.project, settings.SETTINGS.stack = "platform", "dev"
    mock_child = MockMonitor.make_urn(mock, QUEUE_COMPONENT_URN, "aws:sqs/queue:Queue", "dev-orders-queue")
    assert mock_child == ("urn:pulumi:dev::platform::platform:index:SqsWorkQueue$aws:sqs/queue:Queue::"
                          "dev-orders-queue")
    assert mock_child not in shipped_run("dev").graph.by_urn


def test_alias_defaults_follow_the_engine():
    # A rename under the same parent keeps the parent's qualified type.
    assert alias_urn("dev", "platform", name="dev-orders-queue", type_="aws:sqs/queue:Queue",
                     parent=QUEUE_COMPONENT_URN, alias_name="orders-queue") == (
        "urn:pulumi:dev::platform::platform:index:Environment$platform:index:SqsWorkQueue$aws:sqs/queue:Queue"
        "::orders-queue")
    # A parent that is the root stack counts as no parent.
    assert alias_urn("dev", "platform", name="dev", type_="platform:index:Environment", parent=STACK_URN,
                     alias_type="platform:index:Env") == "urn:pulumi:dev::platform::platform:index:Env::dev"
    # noParent drops the parent even when one is set.
    assert alias_urn("dev", "platform", name="q", type_="aws:sqs/queue:Queue", parent=QUEUE_COMPONENT_URN,
                     no_parent=True) == "urn:pulumi:dev::platform::aws:sqs/queue:Queue::q"
