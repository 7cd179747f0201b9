"""Issue 14: what scanners and CIS benchmarks ask of the resources the platform creates."""

from __future__ import annotations

import pytest

from components.rules.stateful import DATA_TYPES
from stackctl import guard
from stackctl.diff import DiffResult, Step
from stackctl.runner import run_stack

from .conftest import load_stack_yaml, shipped_run


def _records(run, *types: str):
    return [r for r in run.graph.resources if r.type in types]


QUEUE_TYPES = ("aws:sqs/queue:Queue", "gcp:pubsub/topic:Topic", "gcp:pubsub/subscription:Subscription")


def test_prod_protects_and_retains_every_queue_and_protects_log_groups():
    run = shipped_run("prod")
    queues = _records(run, *QUEUE_TYPES)
    assert len(queues) == 6  # three work queues, each with its dead-letter queue
    assert all(r.protect and r.retainOnDelete for r in queues), [r.name for r in queues]
    [log_group] = _records(run, "aws:cloudwatch/logGroup:LogGroup")
    assert log_group.protect


@pytest.mark.parametrize("stack", ["dev", "gcp-dev"])
def test_dev_queues_stay_deletable(stack: str):
    queues = _records(shipped_run(stack), *QUEUE_TYPES)
    assert queues and not any(r.protect or r.retainOnDelete for r in queues)


def test_prod_pubsub_topics_and_subscriptions_are_protected_and_retained(make_project):
    config = dict(load_stack_yaml("gcp-dev")["config"])
    config["tier"] = "prod"
    config.pop("cluster", None)
    config.pop("services", None)
    config.pop("jobs", None)
    project = make_project({"gcp-prod": config})
    run = run_stack(project, "gcp-prod")
    records = _records(run, *QUEUE_TYPES)
    assert {r.type for r in records} == set(QUEUE_TYPES[1:])
    assert len(records) == 8  # two queues: topic, subscription, dead-letter topic and subscription each
    assert all(r.protect and r.retainOnDelete for r in records)
    # Grants and policies are not data: they stay deletable.
    assert not any(r.protect for r in _records(run, "gcp:pubsub/topicIAMMember:TopicIAMMember"))


def test_the_destroy_guard_treats_every_data_type_as_stateful():
    assert set(DATA_TYPES) <= guard.STATEFUL_TYPES


def test_the_destroy_guard_blocks_deleting_a_protected_retained_queue():
    urn = "urn:pulumi:prod::platform::platform:index:SqsWorkQueue$aws:sqs/queue:Queue::prod-orders-queue"
    protected = Step(op="delete", urn=urn, type="aws:sqs/queue:Queue", protect=True, retain_on_delete=True)
    retained = Step(op="delete", urn=urn.replace("prod", "dev"), type="aws:sqs/queue:Queue", retain_on_delete=True)
    result = DiffResult(project="platform", stack="prod", source="test", steps=[protected, retained])
    assert guard.guarded_steps(result) == [protected]
    assert guard.evaluate(result, []).blocked == [protected]
