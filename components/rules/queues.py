"""Cloud limits on work queues that the cloud-neutral `QueueSpec` cannot express alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import Problem

if TYPE_CHECKING:  # the spec models import these rules
    from ..spec.queue import QueueSpec

# Pub/Sub hard limits (https://cloud.google.com/pubsub/quotas#resource_limits).
PUBSUB_MAX_ACK_DEADLINE_SECONDS = 600
PUBSUB_MAX_RETENTION_SECONDS = 7 * 24 * 3600
PUBSUB_MIN_DELIVERY_ATTEMPTS = 5
PUBSUB_MAX_DELIVERY_ATTEMPTS = 100
SQS_MAX_RETENTION_SECONDS = 14 * 24 * 3600


def dead_letter_retention(cloud: str, queue: QueueSpec) -> int:
    """The dead-letter retention to apply: the user's value, else the cloud's maximum."""
    if queue.dead_letter_retention_seconds is not None:
        return queue.dead_letter_retention_seconds
    return PUBSUB_MAX_RETENTION_SECONDS if cloud == "gcp" else SQS_MAX_RETENTION_SECONDS


def queue_problems(cloud: str, path: str, queue: QueueSpec) -> list[Problem]:
    """Problems with one queue on the given cloud; `path` is the queue's field path (`queues.<name>`)."""
    from .work_path import producer_problems

    problems: list[Problem] = producer_problems(cloud, path, queue)
    if cloud == "gcp":
        if queue.visibility_timeout_seconds > PUBSUB_MAX_ACK_DEADLINE_SECONDS:
            problems.append(Problem(
                f"{path}.visibility_timeout_seconds",
                f"must be <= {PUBSUB_MAX_ACK_DEADLINE_SECONDS} on gcp, the Pub/Sub ack deadline limit "
                f"(got {queue.visibility_timeout_seconds})",
            ))
        for field in ("message_retention_seconds", "dead_letter_retention_seconds"):
            value = getattr(queue, field)
            if value is not None and value > PUBSUB_MAX_RETENTION_SECONDS:
                problems.append(Problem(
                    f"{path}.{field}",
                    f"must be <= {PUBSUB_MAX_RETENTION_SECONDS} (7 days) on gcp (got {value})",
                ))
        if not PUBSUB_MIN_DELIVERY_ATTEMPTS <= queue.max_receive_count <= PUBSUB_MAX_DELIVERY_ATTEMPTS:
            problems.append(Problem(
                f"{path}.max_receive_count",
                f"must be between {PUBSUB_MIN_DELIVERY_ATTEMPTS} and {PUBSUB_MAX_DELIVERY_ATTEMPTS} on gcp "
                f"(Pub/Sub max_delivery_attempts; got {queue.max_receive_count})",
            ))
        if queue.fifo:
            problems.append(Problem(
                f"{path}.fifo",
                "FIFO queues are an SQS feature; on gcp use Pub/Sub ordering keys in the publisher instead",
            ))
        if queue.kms_key is not None and not queue.kms_key.startswith("projects/"):
            problems.append(Problem(
                f"{path}.kms_key",
                "must be a Cloud KMS key name 'projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>' on gcp",
            ))
    else:
        if queue.kms_key is not None and not queue.kms_key.startswith(("arn:", "alias/")):
            problems.append(Problem(
                f"{path}.kms_key",
                "must be a KMS key ARN or an 'alias/...' name on aws",
            ))
    return problems


def uses_environment_queue_key(spec) -> bool:
    """Prod creates one customer-managed key for the environment's queues that name no `kms_key` of their own."""
    return spec.tier == "prod" and any(not queue.kms_key for queue in spec.queues.values())
