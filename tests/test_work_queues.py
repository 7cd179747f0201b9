"""WorkQueue on both clouds: the inputs that carry each safe default, checked against real APIs (moto)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from .conftest import shipped_run

SQS_BASE = "urn:pulumi:dev::platform::platform:index:Environment$platform:index:SqsWorkQueue$"
PUBSUB_BASE = "urn:pulumi:gcp-dev::platform::platform:index:Environment$platform:index:PubSubWorkQueue$"


def sqs(name: str, type_: str = "aws:sqs/queue:Queue"):
    return shipped_run("dev").graph.by_urn[f"{SQS_BASE}{type_}::{name}"]


def pubsub(name: str, type_: str):
    return shipped_run("gcp-dev").graph.by_urn[f"{PUBSUB_BASE}{type_}::{name}"]


def test_sqs_queue_is_encrypted_long_polled_and_redrives_to_its_dlq():
    queue, dlq = sqs("dev-orders-queue"), sqs("dev-orders-dlq")
    assert queue.inputs["sqsManagedSseEnabled"] is True and dlq.inputs["sqsManagedSseEnabled"] is True
    assert queue.inputs["visibilityTimeoutSeconds"] == 120
    assert queue.inputs["receiveWaitTimeSeconds"] == 20
    assert json.loads(queue.inputs["redrivePolicy"]) == {"deadLetterTargetArn": dlq.outputs["arn"],
                                                         "maxReceiveCount": 5}
    assert dlq.inputs["messageRetentionSeconds"] == 14 * 24 * 3600


def test_only_the_source_queue_may_redrive_into_the_dlq():
    allow = sqs("dev-orders-dlq-redrive-allow", "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy")
    assert json.loads(allow.inputs["redriveAllowPolicy"]) == {
        "redrivePermission": "byQueue", "sourceQueueArns": [sqs("dev-orders-queue").outputs["arn"]]}
    assert allow.inputs["queueUrl"] == sqs("dev-orders-dlq").outputs["url"]


@pytest.mark.parametrize("name", ["dev-orders-queue-policy", "dev-orders-dlq-policy"])
def test_queues_refuse_plain_http(name: str):
    policy = json.loads(sqs(name, "aws:sqs/queuePolicy:QueuePolicy").inputs["policy"])
    [statement] = policy["Statement"]
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@mock_aws
def test_sqs_attributes_are_accepted_by_the_sqs_api():
    """Create the recorded queues through the (moto) SQS API: formats and limits must be valid."""
    client = boto3.client("sqs", region_name="us-east-1")
    dlq, queue = sqs("dev-orders-dlq"), sqs("dev-orders-queue")
    dlq_url = client.create_queue(QueueName=dlq.inputs["name"], Attributes={
        "MessageRetentionPeriod": str(dlq.inputs["messageRetentionSeconds"]),
        "SqsManagedSseEnabled": "true"})["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.loads(queue.inputs["redrivePolicy"])
    redrive["deadLetterTargetArn"] = dlq_arn
    url = client.create_queue(QueueName=queue.inputs["name"], Attributes={
        "VisibilityTimeout": str(queue.inputs["visibilityTimeoutSeconds"]),
        "MessageRetentionPeriod": str(queue.inputs["messageRetentionSeconds"]),
        "ReceiveMessageWaitTimeSeconds": str(queue.inputs["receiveWaitTimeSeconds"]),
        "RedrivePolicy": json.dumps(redrive),
    })["QueueUrl"]
    policy = sqs("dev-orders-queue-policy", "aws:sqs/queuePolicy:QueuePolicy").inputs["policy"]
    client.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
    # A message that keeps failing ends up in the DLQ after maxReceiveCount receives.
    client.send_message(QueueUrl=url, MessageBody="poison")
    # WaitTimeSeconds=0: the queue's 20 s long poll would otherwise idle on the final, empty receive.
    for _ in range(redrive["maxReceiveCount"] + 1):
        client.receive_message(QueueUrl=url, VisibilityTimeout=0, WaitTimeSeconds=0)
    moved = client.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=0)
    assert [m["Body"] for m in moved.get("Messages", [])] == ["poison"]


def test_pubsub_subscription_dead_letters_retries_and_never_expires():
    subscription = pubsub("gcp-dev-orders-subscription", "gcp:pubsub/subscription:Subscription")
    dead_letter_topic = pubsub("gcp-dev-orders-dlq-topic", "gcp:pubsub/topic:Topic")
    assert subscription.inputs["ackDeadlineSeconds"] == 120
    assert subscription.inputs["deadLetterPolicy"] == {"deadLetterTopic": dead_letter_topic.id,
                                                       "maxDeliveryAttempts": 5}
    assert subscription.inputs["expirationPolicy"] == {"ttl": ""}
    assert subscription.inputs["retryPolicy"] == {"minimumBackoff": "10s", "maximumBackoff": "600s"}
    assert subscription.inputs["messageRetentionDuration"] == "345600s"
    dead_letters = pubsub("gcp-dev-orders-dlq-subscription", "gcp:pubsub/subscription:Subscription")
    assert dead_letters.inputs["topic"] == dead_letter_topic.id
    assert dead_letters.inputs["messageRetentionDuration"] == "604800s"


def test_pubsub_service_agent_gets_exactly_the_dead_letter_roles():
    agent = "serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com"
    publisher = pubsub("gcp-dev-orders-dlq-agent-publisher", "gcp:pubsub/topicIAMMember:TopicIAMMember")
    subscriber = pubsub("gcp-dev-orders-agent-subscriber",
                        "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember")
    assert (publisher.inputs["role"], publisher.inputs["member"], publisher.inputs["topic"]) == (
        "roles/pubsub.publisher", agent, "gcp-dev-orders-dlq")
    assert (subscriber.inputs["role"], subscriber.inputs["member"], subscriber.inputs["subscription"]) == (
        "roles/pubsub.subscriber", agent, "gcp-dev-orders")


def test_cmek_topics_wait_for_the_pubsub_agent_key_grant(make_project):
    import copy

    from stackctl.engine.runner import run_stack

    from .conftest import load_stack_yaml

    config = copy.deepcopy(load_stack_yaml("gcp-dev")["config"])
    key = "projects/acme-platform-dev/locations/europe-west1/keyRings/queues/cryptoKeys/orders"
    config["queues"]["orders"]["kms_key"] = key
    graph = run_stack(make_project({"gcp-dev": config}), "gcp-dev").graph
    # The Environment's grant, made once for the key (not per queue).
    [grant] = [r for r in graph.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
               if r.inputs["cryptoKeyId"] == key]
    assert grant.inputs["cryptoKeyId"] == key
    assert grant.inputs["member"] == "serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com"
    topics = [t for t in graph.of_type("gcp:pubsub/topic:Topic") if t.name.startswith("gcp-dev-orders")]
    assert len(topics) == 2
    for topic in topics:
        assert topic.inputs["kmsKeyName"] == key and grant.urn in topic.dependencies
