"""Desired state of one work queue (and its dead-letter queue)."""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from .base import StrictModel


class ProducersSpec(StrictModel):
    """Senders outside the platform that may put messages on a queue (workloads of the environment use
    `sends_to` instead)."""

    principals: list[str] = Field(
        default_factory=list,
        description=(
            "AWS: IAM role or user ARNs (`arn:aws:iam::<account>:role/<name>`; they must exist before `pulumi up`), "
            "allowed `sqs:SendMessage` and `sqs:GetQueueUrl` by the queue policy and, on the environment's queue key, "
            "`kms:GenerateDataKey` and `kms:Decrypt` through SQS. GCP: members such as "
            "`serviceAccount:<name>@<project>.iam.gserviceaccount.com`, granted `roles/pubsub.publisher` on the "
            "topic. Default none."
        ),
    )
    sources: list[str] = Field(
        default_factory=list,
        description=(
            "AWS only: SNS topics, EventBridge rules and S3 buckets by ARN. Each becomes a queue policy statement "
            "for its service principal (`sns`, `events` or `s3.amazonaws.com`) limited by an `aws:SourceArn` "
            "condition, and, on the environment's queue key, a key policy statement letting that service "
            "encrypt for exactly those sources. Default none."
        ),
    )
    bucket_owner: Optional[str] = Field(
        None,
        pattern=r"^\d{12}$",
        description=(
            "AWS: the account that owns the S3 buckets in `sources`. S3 bucket ARNs carry no account, and a "
            "bucket name freed by its owner can be taken by another account, so S3's statements also require "
            "`aws:SourceAccount` to be this account (confused-deputy protection, as the S3 and SQS guides advise). "
            "Default: the queue's own account."
        ),
    )


class QueueSpec(StrictModel):
    """A work queue with a dead-letter queue. The map key in `queues` is the queue's identity."""

    visibility_timeout_seconds: int = Field(
        60,
        ge=30,
        le=43200,
        description=(
            "How long a received message stays invisible to other consumers before it is redelivered "
            "(SQS visibility timeout; Pub/Sub ack deadline, at most 600 on GCP). Must cover the longest "
            "time one message may take to process. Default 60."
        ),
    )
    message_retention_seconds: int = Field(
        345600,
        ge=600,
        le=1209600,
        description=(
            "How long an unconsumed message is kept: 10 minutes to 14 days (at most 7 days on Pub/Sub). "
            "Default 345600 (4 days)."
        ),
    )
    max_receive_count: int = Field(
        5,
        ge=1,
        le=1000,
        description=(
            "Deliveries of one message before it moves to the dead-letter queue (SQS maxReceiveCount; "
            "Pub/Sub max_delivery_attempts, 5..100 on GCP). Default 5."
        ),
    )
    dead_letter_retention_seconds: Optional[int] = Field(
        None,
        ge=600,
        le=1209600,
        description=(
            "How long dead letters are kept for inspection and redrive. Default: the cloud's maximum "
            "(14 days on SQS, 7 days on Pub/Sub), so failures outlive a long weekend."
        ),
    )
    protect: Optional[bool] = Field(
        None,
        description=(
            "Protect the queue and its dead-letter queue from deletion (Pulumi `protect`) and keep them in the "
            "cloud if they leave the stack (`retainOnDelete`): their messages are data. Default: true in prod, "
            "false elsewhere. Pulumi refuses to delete or replace a protected resource, so a change that must "
            "(`fifo: true` replaces both queues) first sets `protect: false` and applies that alone (`pulumi up` "
            "changes only the flag), then the change, named under `allow_destroy`. In prod the policy "
            "`stateful-resources-protected` refuses an unprotected queue: set it advisory in policy/config/prod.json "
            "for that change, and back after."
        ),
    )
    fifo: bool = Field(
        False,
        description="AWS only: a FIFO queue (exactly-once processing, ordered per message group). Default false.",
    )
    producers: ProducersSpec = Field(
        default_factory=ProducersSpec,
        description=(
            "Senders outside the platform (another team's role, an SNS topic, an EventBridge rule, an S3 bucket, "
            "a GCP service account). A queue with its own `kms_key`: that key's owner must also let them use it. "
            "Default none."
        ),
    )
    kms_key: Optional[str] = Field(
        None,
        description=(
            "Customer-managed encryption key: a KMS key ARN or alias (AWS) or a Cloud KMS key name "
            "`projects/../locations/../keyRings/../cryptoKeys/..` (GCP). Default: the cloud's managed "
            "server-side encryption (SSE-SQS; Google-managed keys), which is always on."
        ),
    )
