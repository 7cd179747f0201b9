"""Queues: encrypted, with a dead-letter queue, never public."""

from __future__ import annotations

import json

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from components.rules.iam import PUBLIC_GCP_MEMBERS, document, public_allow_statements

from ._common import plain
from ._metadata import about

SQS_QUEUE = "aws:sqs/queue:Queue"
SUBSCRIPTION = "gcp:pubsub/subscription:Subscription"


def _encryption(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == SQS_QUEUE:
        if plain(args.props).get("sqsManagedSseEnabled") is not True and not plain(args.props).get("kmsMasterKeyId"):
            report_violation("the queue is not encrypted at rest (sqsManagedSseEnabled or kmsMasterKeyId)")


queue_encryption = ResourceValidationPolicy(
    name="queue-encryption",
    **about("queue-encryption"),
    description="Queues are encrypted at rest (Pub/Sub always is).",
    validate=_encryption,
    enforcement_level=EnforcementLevel.MANDATORY,
)


def _dead_letter(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    queues = [r for r in args.resources if r.resource_type == SQS_QUEUE]
    targets = set()
    for queue in queues:
        redrive = queue.props.get("redrivePolicy")
        if redrive:
            targets.add(json.loads(redrive).get("deadLetterTargetArn") if isinstance(redrive, str) else
                        redrive.get("deadLetterTargetArn"))
    for queue in queues:
        if not queue.props.get("redrivePolicy") and queue.props.get("arn") not in targets:
            report_violation("the queue has no dead-letter queue (redrivePolicy): a poison message would be "
                             "retried forever", queue.urn)
    subscriptions = [r for r in args.resources if r.resource_type == SUBSCRIPTION]
    dead_letter_topics = {r.props.get("deadLetterPolicy", {}).get("deadLetterTopic") for r in subscriptions
                          if r.props.get("deadLetterPolicy")}
    for subscription in subscriptions:
        if not subscription.props.get("deadLetterPolicy") and subscription.props.get("topic") not in dead_letter_topics:
            report_violation("the subscription has no dead-letter policy", subscription.urn)


queue_dead_letter = StackValidationPolicy(
    name="queue-dead-letter",
    **about("queue-dead-letter"),
    description="Every work queue moves messages that keep failing to a dead-letter queue.",
    validate=_dead_letter,
    enforcement_level=EnforcementLevel.MANDATORY,
)


def _no_public_access(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type in ("aws:sqs/queuePolicy:QueuePolicy", SQS_QUEUE):
        if public_allow_statements(document(plain(args.props).get("policy"))):
            report_violation("the queue policy allows everyone (Principal '*') without a condition")
    elif args.resource_type.startswith(("gcp:pubsub/topicIAM", "gcp:pubsub/subscriptionIAM")):
        members = [plain(args.props).get("member")] + list(plain(args.props).get("members") or [])
        public = sorted({m for m in members if m in PUBLIC_GCP_MEMBERS})
        if public:
            report_violation(f"grants {plain(args.props).get('role')} to {public}")


queue_no_public_access = ResourceValidationPolicy(
    name="queue-no-public-access",
    **about("queue-no-public-access"),
    description="No queue, topic or subscription is accessible to everyone.",
    validate=_no_public_access,
    enforcement_level=EnforcementLevel.MANDATORY,
)

POLICIES = [queue_encryption, queue_dead_letter, queue_no_public_access]
