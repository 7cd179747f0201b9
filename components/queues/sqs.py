"""AWS work queue: an SQS queue with a dead-letter queue, encrypted, TLS-only."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Optional

import pulumi

from ..cloud_sdks import aws
from ..errors import raise_problems
from ..identity import WorkloadPrincipal
from ..rules.queues import dead_letter_retention, queue_problems
from ..rules.work_path import S3_SERVICE, SEND_ACTIONS, source_service
from .base import WorkQueue, WorkQueueArgs

# Actions a consumer needs to pull, acknowledge (delete) and extend (change visibility) messages.
CONSUME_ACTIONS = [
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
]
# Long polling: fewer empty receives (cost) and lower latency than short polling.
RECEIVE_WAIT_SECONDS = 20


def region_of(queue_url: str) -> str:
    """`https://sqs.<region>.amazonaws.com/<account>/<name>` -> region."""
    return queue_url.split("//", 1)[1].split(".")[1]


def kms_decrypt_scope(kms_key: str, queue_arn: str) -> dict:
    """`Resource` (and `Condition`) of a grant on the key behind `kms_key`.

    IAM authorizes KMS calls against the key's ARN, never an alias ARN, so a grant naming an alias (name or
    ARN) must match keys through the `kms:ResourceAliases` condition, whose values are alias names
    (`alias/...`; https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html: "when an
    alias is the value of a resource element, the policy applies to the alias resource, not to any KMS key
    that might be associated with it"). Aliases are per account and region:
    the alias's own (alias ARN) or the queue's (alias name, which SQS resolves in its own account).
    """
    if kms_key.startswith("arn:") and ":alias/" not in kms_key:
        return {"Resource": kms_key}
    if kms_key.startswith("arn:"):
        prefix, alias = kms_key.split(":alias/", 1)      # arn:<partition>:kms:<region>:<account>
        key_arns = f"{prefix}:key/*"
    else:
        _, partition, _, region, account, *_ = queue_arn.split(":")
        alias = kms_key.removeprefix("alias/")
        key_arns = f"arn:{partition}:kms:{region}:{account}:key/*"
    return {"Resource": key_arns,
            "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": f"alias/{alias}"}}}


def _sid(service: str) -> str:
    """`sns.amazonaws.com` -> `Sns`: a statement id part (letters and digits only)."""
    return service.split(".")[0].capitalize()


def queue_policy(queue_arn: str, principals: Sequence[str] = (), sources: Sequence[str] = (),
                 bucket_owner: Optional[str] = None) -> str:
    """The queue policy: TLS only, plus the declared external producers.

    Principals (IAM roles and users) may send and look the queue up by name (`GetQueueUrl`, which SDKs call
    before sending when given a name), as the stack's own producers may. Each AWS service that delivers from a
    declared source (SNS topic, EventBridge rule, S3 bucket) may send only for those sources, by an
    `aws:SourceArn` condition (https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html
    and the S3 and EventBridge equivalents: the service principal plus `aws:SourceArn`). S3's statement also
    requires `aws:SourceAccount`, `bucket_owner` or else the queue's account: a bucket ARN names no account.
    """
    statements: list[dict] = [{
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sqs:*",
        "Resource": queue_arn,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }]
    if principals:
        statements.append({"Sid": "DeclaredProducersSend", "Effect": "Allow",
                           "Principal": {"AWS": sorted(principals)}, "Action": SEND_ACTIONS,
                           "Resource": queue_arn})
    by_service: dict[str, list[str]] = {}
    for source in sources:
        service = source_service(source)
        if service is not None:
            by_service.setdefault(service, []).append(source)
    for service, arns in sorted(by_service.items()):
        condition: dict = {"ArnEquals": {"aws:SourceArn": sorted(arns)}}
        if service == S3_SERVICE:
            condition["StringEquals"] = {"aws:SourceAccount": bucket_owner or queue_arn.split(":")[4]}
        statements.append({"Sid": f"{_sid(service)}SourcesSend", "Effect": "Allow", "Principal": {"Service": service},
                           "Action": "sqs:SendMessage", "Resource": queue_arn, "Condition": condition})
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def _tls_only_policy(queue_arn: str) -> str:
    return queue_policy(queue_arn)


class SqsWorkQueue(WorkQueue):
    """SQS queue + DLQ with a redrive policy, server-side encryption and a TLS-only queue policy."""

    queue_url: pulumi.Output[str]
    """The work queue's URL (what consumers poll)."""
    queue_arn: pulumi.Output[str]
    """The work queue's ARN."""
    dead_letter_queue_url: pulumi.Output[str]
    """The dead-letter queue's URL."""
    dead_letter_queue_arn: pulumi.Output[str]
    """The dead-letter queue's ARN."""

    def __init__(self, name: str, args: WorkQueueArgs, opts: Optional[pulumi.ResourceOptions] = None):
        # Checked before anything is registered: the limits a stack file's queues get, for direct users too.
        raise_problems(f"SqsWorkQueue {name!r}", queue_problems("aws", "args", args))
        super().__init__("platform:index:SqsWorkQueue", name, None, opts)
        self.args = args
        suffix = ".fifo" if args.fifo else ""
        self.physical_name = args.physical_name or name
        # Messages are data: a protected queue survives `pulumi destroy` and a deleted line, and an orphaned
        # queue (retainOnDelete) is cheaper than lost messages.
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect or None,
                                    retain_on_delete=args.protect or None)
        child = pulumi.ResourceOptions(parent=self)
        # A kept DLQ keeps its TLS-only policy and its redrive permission, so it works as before once the queue is
        # adopted again. Not protected, so edits still apply; a re-create writes the same attributes again. The
        # work queue's policy is not kept: it grants the declared producers, and a queue whose line was removed
        # (unprotected, then retained) must not go on accepting their messages with nobody consuming them.
        kept_with_queue = pulumi.ResourceOptions(parent=self, retain_on_delete=args.protect or None)

        key = args.kms_key or args.managed_key
        encryption: dict = (
            # A reused data key cuts KMS calls (and cost) per message; 5 minutes is the SQS default.
            {"kms_master_key_id": key, "kms_data_key_reuse_period_seconds": 300}
            if key is not None
            else {"sqs_managed_sse_enabled": True}
        )
        fifo: dict = {"fifo_queue": True} if args.fifo else {}

        dead_letter_queue = aws.sqs.Queue(
            f"{name}-dlq",
            name=f"{self.physical_name}-dlq{suffix}",
            message_retention_seconds=dead_letter_retention("aws", args),
            **encryption,
            **fifo,
            opts=stateful,
        )
        queue = aws.sqs.Queue(
            f"{name}-queue",
            name=f"{self.physical_name}{suffix}",
            visibility_timeout_seconds=args.visibility_timeout_seconds,
            message_retention_seconds=args.message_retention_seconds,
            receive_wait_time_seconds=RECEIVE_WAIT_SECONDS,
            redrive_policy=dead_letter_queue.arn.apply(
                lambda arn: json.dumps(
                    {"deadLetterTargetArn": arn, "maxReceiveCount": args.max_receive_count}, sort_keys=True
                )
            ),
            **encryption,
            **fifo,
            opts=stateful,
        )
        # Only this queue may move messages into the DLQ. A separate resource, because the DLQ would
        # otherwise have to reference the queue that references it.
        aws.sqs.RedriveAllowPolicy(
            f"{name}-dlq-redrive-allow",
            queue_url=dead_letter_queue.url,
            redrive_allow_policy=queue.arn.apply(
                lambda arn: json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [arn]}, sort_keys=True)
            ),
            opts=kept_with_queue,
        )
        producers = args.producers
        aws.sqs.QueuePolicy(
            f"{name}-queue-policy",
            queue_url=queue.url,
            policy=queue.arn.apply(lambda arn: queue_policy(arn, producers.principals, producers.sources,
                                                            producers.bucket_owner)),
            opts=child,
        )
        aws.sqs.QueuePolicy(
            f"{name}-dlq-policy",
            queue_url=dead_letter_queue.url,
            policy=dead_letter_queue.arn.apply(_tls_only_policy),
            opts=kept_with_queue,
        )

        self._queue = queue
        self.queue_url = queue.url
        self.queue_arn = queue.arn
        self.dead_letter_queue_url = dead_letter_queue.url
        self.dead_letter_queue_arn = dead_letter_queue.arn
        self.consumer_address = queue.url
        self.publish_address = queue.url
        self.dead_letter_address = dead_letter_queue.url
        self.register_outputs({
            "queue_url": self.queue_url,
            "queue_arn": self.queue_arn,
            "dead_letter_queue_url": self.dead_letter_queue_url,
            "dead_letter_queue_arn": self.dead_letter_queue_arn,
        })

    @functools.cached_property
    def _region(self) -> pulumi.Output[str]:
        """The queue's region, read from its URL: one Output however many consumers and triggers name it."""
        return self.queue_url.apply(region_of)

    def keda_trigger(self, authentication: str, target: int, activation: int) -> dict:
        # KEDA trigger metadata values must all be strings (the CRD says so).
        return {
            "type": "aws-sqs-queue",
            "metadata": {
                "queueURL": self.queue_url,
                "queueLength": str(target),
                "activationQueueLength": str(activation),
                "awsRegion": self._region,
            },
            "authenticationRef": {"name": authentication},
        }

    def consumer_env(self) -> dict[str, pulumi.Output[str]]:
        return {
            "WORK_QUEUE_KIND": pulumi.Output.from_input("sqs"),
            "WORK_QUEUE_ADDRESS": self.queue_url,
            "AWS_REGION": self._region,
        }

    def endpoints(self) -> dict[str, pulumi.Output[str]]:
        return {"url": self.queue_url, "arn": self.queue_arn, "dead_letter_url": self.dead_letter_queue_url}

    def publish_env(self, variable: str) -> dict[str, pulumi.Output[str]]:
        return {
            "SEND_QUEUE_KIND": pulumi.Output.from_input("sqs"),
            variable: self.queue_url,
            "AWS_REGION": self._region,
        }

    def send_policy(self) -> pulumi.Output[str]:
        """An IAM policy document allowing exactly the send actions on this queue (and encryption with its key)."""
        def document(queue_arn: str, kms_key: Optional[str]) -> str:
            statements: list[dict] = [
                {"Sid": "SendToWorkQueue", "Effect": "Allow", "Action": SEND_ACTIONS, "Resource": queue_arn}]
            if kms_key:
                # SQS encrypts each message with a data key it generates under the queue's key as the sender
                # (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html:
                # producers need kms:GenerateDataKey and kms:Decrypt).
                statements.append({"Sid": "EncryptMessages", "Effect": "Allow",
                                   "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                                   **kms_decrypt_scope(kms_key, queue_arn)})
            return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)

        key = self.args.kms_key or self.args.managed_key
        return pulumi.Output.all(self.queue_arn, key).apply(lambda values: document(*values))

    def grant_send(
        self, name: str, principal: WorkloadPrincipal, opts: Optional[pulumi.ResourceOptions] = None
    ) -> list[pulumi.Resource]:
        if principal.kind != "aws-iam-role":
            raise ValueError(f"only an AWS IAM role can send to an SQS queue, not {principal.kind}")
        return [aws.iam.RolePolicy(name, role=principal.ref, policy=self.send_policy(), opts=opts)]

    def keda_read_statement(self) -> pulumi.Output[dict]:
        return self.queue_arn.apply(lambda arn: {
            "Effect": "Allow", "Action": ["sqs:GetQueueAttributes"], "Resource": arn})

    def consume_policy(self) -> pulumi.Output[str]:
        """An IAM policy document allowing exactly the consume actions on this queue (and its key)."""
        def document(queue_arn: str, kms_key: Optional[str]) -> str:
            statements: list[dict] = [
                {"Sid": "ConsumeWorkQueue", "Effect": "Allow", "Action": CONSUME_ACTIONS, "Resource": queue_arn}
            ]
            if kms_key:
                statements.append({"Sid": "DecryptMessages", "Effect": "Allow", "Action": "kms:Decrypt",
                                   **kms_decrypt_scope(kms_key, queue_arn)})
            return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)

        key = self.args.kms_key or self.args.managed_key
        return pulumi.Output.all(self.queue_arn, key).apply(lambda values: document(*values))

    def grant_consume(
        self, name: str, principal: WorkloadPrincipal, opts: Optional[pulumi.ResourceOptions] = None
    ) -> list[pulumi.Resource]:
        if principal.kind != "aws-iam-role":
            raise ValueError(f"an SQS queue can only be consumed by an AWS IAM role, not {principal.kind}")
        return [aws.iam.RolePolicy(name, role=principal.ref, policy=self.consume_policy(), opts=opts)]
