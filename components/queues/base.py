"""The cloud-neutral work queue interface."""

from __future__ import annotations

from typing import Any, Optional

import pulumi
from pydantic import Field

from ..identity import WorkloadPrincipal
from ..spec.queue import QueueSpec


class WorkQueueArgs(QueueSpec):
    """Arguments of a work queue component: the queue spec plus its physical name."""

    physical_name: Optional[str] = Field(
        None,
        pattern=r"^[a-zA-Z][a-zA-Z0-9_-]{0,70}$",
        description=(
            "The queue's name in the cloud (SQS queue name, Pub/Sub topic and subscription name); the "
            "dead-letter queue gets the same name plus `-dlq`. Default: the component's resource name."
        ),
    )
    service_agent_email: Optional[Any] = Field(
        None,
        description=(
            "GCP: the Pub/Sub service agent's email (Input[str], e.g. `gcp.projects.ServiceIdentity.email`), "
            "granted the dead-letter and CMEK roles; its Output orders the grants after the agent exists. "
            "Default: `service-<project number>@gcp-sa-pubsub.iam.gserviceaccount.com` (must already exist)."
        ),
    )
    depends_on: list[Any] = Field(
        default_factory=list,
        description="Resources the queue's cloud resources wait for, e.g. the API enablement. Default none.",
    )
    managed_key: Optional[Any] = Field(
        None,
        description=(
            "A customer-managed key created in the same program (Input[str]: an AWS KMS key ARN or a Cloud KMS "
            "CryptoKey id), used when `kms_key` is unset: the Environment's per-environment queue key in prod. "
            "SQS consumers are granted kms:Decrypt on it; the Pub/Sub agent gets encrypter/decrypter. Default unset."
        ),
    )
    key_agent_grant: Optional[Any] = Field(
        None,
        description=(
            "GCP: the Pub/Sub service agent's grant on the queue's key, made by the caller once per key (the "
            "Environment does, so removing one queue never removes the grant the others use); the topics wait for "
            "it and the queue makes none of its own. Default unset: the queue grants the agent on its key itself."
        ),
    )
    protect: bool = Field(
        False,
        description=(
            "Protect the queue and its dead-letter queue (SQS queues; Pub/Sub topics and subscriptions) from "
            "deletion (`protect`) and keep them in the cloud if they ever leave the stack (`retainOnDelete`): "
            "their messages are data. The Environment sets it in prod. Default false."
        ),
    )


class WorkQueue(pulumi.ComponentResource):
    """A queue that workers pull from, with a dead-letter queue for messages that keep failing.

    Implementations: `SqsWorkQueue` (AWS) and `PubSubWorkQueue` (GCP). Layers above only use what is
    declared here.
    """

    consumer_address: pulumi.Output[str]
    """What consumer code is configured with: the SQS queue URL or the Pub/Sub subscription path."""
    publish_address: pulumi.Output[str]
    """Where producers send messages: the SQS queue URL or the Pub/Sub topic path."""
    dead_letter_address: pulumi.Output[str]
    """The dead-letter queue URL (SQS) or subscription path (Pub/Sub) for inspection and redrive."""
    physical_name: str
    """The queue's cloud name, known before deployment."""
    args: WorkQueueArgs
    """The arguments it was built with (a workload's `max_message_seconds` is checked against them)."""

    def keda_trigger(self, authentication: str, target: int, activation: int) -> dict:
        """A KEDA trigger scaling on this queue's backlog (waiting and in-flight messages).

        `target` messages per replica (or per Job), `activation` messages to scale up from zero; the
        trigger authenticates with the TriggerAuthentication named `authentication`.
        """
        raise NotImplementedError

    def consumer_env(self) -> dict[str, pulumi.Output[str]]:
        """Environment variables that tell a consumer where its queue is."""
        raise NotImplementedError

    def endpoints(self) -> dict[str, pulumi.Output[str]]:
        """What other stacks and applications need to find this queue (the `queue_endpoints` stack output)."""
        raise NotImplementedError

    def publish_env(self, variable: str) -> dict[str, pulumi.Output[str]]:
        """Environment variables that tell a producer where to send: `variable` holds the publish address,
        `SEND_QUEUE_KIND` the kind, and `AWS_REGION` or `GOOGLE_CLOUD_PROJECT` where the queue lives."""
        raise NotImplementedError

    def grant_send(
        self, name: str, principal: WorkloadPrincipal, opts: Optional[pulumi.ResourceOptions] = None
    ) -> list[pulumi.Resource]:
        """Let `principal` put messages on this queue (and use its key to encrypt them) and nothing else."""
        raise NotImplementedError

    def keda_read_statement(self) -> pulumi.Output[dict]:
        """AWS: the IAM statement that lets KEDA's operator read this queue's length (nothing more)."""
        raise NotImplementedError

    def grant_consume(
        self, name: str, principal: WorkloadPrincipal, opts: Optional[pulumi.ResourceOptions] = None
    ) -> list[pulumi.Resource]:
        """Let `principal` receive, acknowledge and extend messages of this queue and nothing else.

        The grant resources are created with `opts` (parent them to the consuming workload, so removing
        the workload removes its access).
        """
        raise NotImplementedError
