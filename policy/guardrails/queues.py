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

from components.rules.iam import PUBLIC_GCP_MEMBERS
from components.rules.work_path import send_grant_targets, unscoped_allow_statements

from ._common import plain
from ._metadata import about

SQS_QUEUE = "aws:sqs/queue:Queue"
SUBSCRIPTION = "gcp:pubsub/subscription:Subscription"
TOPIC = "gcp:pubsub/topic:Topic"
TOPIC_MEMBER = "gcp:pubsub/topicIAMMember:TopicIAMMember"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


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
        for statement in unscoped_allow_statements(plain(args.props).get("policy")):
            who = statement.get("Principal")
            report_violation(f"the queue policy allows {json.dumps(who, sort_keys=True)} without a source "
                             "condition (aws:SourceArn, aws:SourceAccount, ...): anyone, or any customer of the "
                             "service, could send")
    elif args.resource_type.startswith(("gcp:pubsub/topicIAM", "gcp:pubsub/subscriptionIAM")):
        members = [plain(args.props).get("member")] + list(plain(args.props).get("members") or [])
        public = sorted({m for m in members if m in PUBLIC_GCP_MEMBERS})
        if public:
            report_violation(f"grants {plain(args.props).get('role')} to {public}")


queue_no_public_access = ResourceValidationPolicy(
    name="queue-no-public-access",
    **about("queue-no-public-access"),
    description="No queue, topic or subscription is accessible to everyone; a queue policy admits everyone or an "
                "AWS service only with a source condition.",
    validate=_no_public_access,
    enforcement_level=EnforcementLevel.MANDATORY,
)

def _senders_declared(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    queues = {r.props.get("arn") for r in args.resources if r.resource_type == SQS_QUEUE} - {None}
    topics = {str(v) for r in args.resources if r.resource_type == TOPIC
              for v in (r.props.get("name"), r.props.get("id")) if v}
    for resource in args.resources:
        if resource.resource_type not in (ROLE_POLICY, TOPIC_MEMBER):
            continue  # only these are read (others may hold values unknown during preview)
        props = plain(resource.props)
        if resource.resource_type == ROLE_POLICY:
            for target in send_grant_targets(props.get("policy")):
                if target not in queues:
                    report_violation(f"allows sqs:SendMessage on {target}, which is not a queue of this stack "
                                     "(sends_to names a declared queue)", resource.urn)
        elif resource.resource_type == TOPIC_MEMBER and props.get("role") == "roles/pubsub.publisher":
            if str(props.get("topic")) not in topics:
                report_violation(f"grants roles/pubsub.publisher on topic {props.get('topic')!r}, which is not a "
                                 "topic of this stack (sends_to names a declared queue)", resource.urn)


queue_senders_declared = StackValidationPolicy(
    name="queue-senders-declared",
    **about("queue-senders-declared"),
    description="Every send grant (SQS sqs:SendMessage, Pub/Sub publisher) names a queue or topic of this stack.",
    validate=_senders_declared,
    enforcement_level=EnforcementLevel.MANDATORY,
)

POLICIES = [queue_encryption, queue_dead_letter, queue_no_public_access, queue_senders_declared]
