"""The consumer program, offline, from the installed package: `stackctl.testing` and plain `set_mocks`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pulumi
import pytest

from components import SpecError
from stackctl.testing import PlatformMocks, run_project

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dev():
    return run_project(PROJECT, "dev")


def test_the_worker_scales_on_its_queue_and_keda_owns_the_replicas(dev):
    [deployment] = dev.graph.of_type("kubernetes:apps/v1:Deployment")
    assert "replicas" not in deployment.inputs["spec"]
    [scaled] = dev.graph.of_type("kubernetes:keda.sh/v1alpha1:ScaledObject")
    [trigger] = scaled.inputs["spec"]["triggers"]
    assert trigger["type"] == "aws-sqs-queue"
    assert trigger["metadata"]["queueURL"] == "https://sqs.eu-west-1.amazonaws.com/123456789012/reports"
    [cron] = dev.graph.of_type("kubernetes:batch/v1:CronJob")
    assert cron.inputs["spec"]["schedule"] == "0 3 * * *"
    assert cron.inputs["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cron.inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"platform.io/node-pool": "batch"}
    assert {"key": "workload", "operator": "Equal", "value": "batch", "effect": "NoSchedule"} in pod["tolerations"]
    assert "nodeSelector" not in deployment.inputs["spec"]["template"]["spec"]


def test_every_kubernetes_object_goes_to_the_cluster_not_a_default_provider(dev):
    objects = [r for r in dev.graph.resources if r.type.startswith("kubernetes:")]
    assert objects and all("::reports-k8s::" in (r.provider or "") for r in objects), \
        sorted({r.provider for r in objects})


def test_a_message_longer_than_the_visibility_timeout_is_refused_before_anything_is_registered():
    with pytest.raises(SpecError) as refused:
        run_project(PROJECT, "dev", config={"reports:visibility_timeout_seconds": 120})
    assert str(refused.value) == (
        "Service 'reports-worker': args.spec.max_message_seconds: (240) must be <= "
        "args.queue.visibility_timeout_seconds (120), or messages are redelivered while still being processed")


@pytest.fixture
def plain_mocks():
    pulumi.runtime.set_mocks(PlatformMocks(), project="reports", stack="dev", preview=False)


@pulumi.runtime.test
def test_plain_set_mocks_builds_the_queue(plain_mocks):
    from components import SqsWorkQueue, WorkQueueArgs

    queue = SqsWorkQueue("orders", WorkQueueArgs(visibility_timeout_seconds=120))

    def check(values):
        url, dead_letter = values
        assert url == "https://sqs.us-east-1.amazonaws.com/123456789012/orders"
        assert dead_letter.endswith("/orders-dlq")

    return pulumi.Output.all(queue.consumer_address, queue.dead_letter_address).apply(check)


def _stackctl(*args: str) -> subprocess.CompletedProcess:
    # The `stackctl` installed next to this Python (the consumer's virtualenv), run in the project directory.
    return subprocess.run([str(Path(sys.executable).parent / "stackctl"), *args], cwd=PROJECT,
                          capture_output=True, text=True, timeout=600)


def test_the_installed_policy_pack_refuses_the_hand_made_queue():
    checked = _stackctl("check", "legacy", "--format", "json")
    assert checked.returncode == 1, checked.stderr
    report = json.loads(checked.stdout)
    mandatory = {(v["policy"], v["urn"].rsplit("::", 1)[1]) for v in report["violations"] if v["level"] == "mandatory"}
    assert mandatory == {("queue-encryption", "legacy-inbox"), ("queue-dead-letter", "legacy-inbox")}


def test_the_dev_stack_passes_the_installed_policy_pack():
    checked = _stackctl("check", "dev")
    assert checked.returncode == 0, checked.stdout + checked.stderr
