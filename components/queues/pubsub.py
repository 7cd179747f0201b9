"""GCP work queue: a Pub/Sub topic and pull subscription with a dead-letter topic."""

from __future__ import annotations

from typing import Optional

import pulumi

from ..cloud_sdks import gcp
from ..errors import raise_problems
from ..identity import WorkloadPrincipal
from ..rules.queues import dead_letter_retention, queue_problems
from ..rules.work_path import member_suffix
from .base import WorkQueue, WorkQueueArgs

# Redelivery backoff for nacked or expired messages: quick first retry, capped at the Pub/Sub maximum.
RETRY_MIN_BACKOFF = "10s"
RETRY_MAX_BACKOFF = "600s"
# A dead letter is inspected by a person, not a worker, so its ack deadline only needs to be short.
DEAD_LETTER_ACK_DEADLINE_SECONDS = 60


KMS_AGENT_ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
PUBLISHER_ROLE = "roles/pubsub.publisher"

MONITORING_PROMETHEUS = "https://monitoring.googleapis.com/v1/projects/{project}/location/global/prometheus"


def backlog_query(subscription_path: str) -> str:
    """PromQL (Cloud Monitoring's metric naming) for a subscription's unacknowledged messages."""
    subscription = subscription_path.rsplit("/", 1)[-1]
    return ('sum(pubsub_googleapis_com:subscription_num_undelivered_messages'
            f'{{monitored_resource="pubsub_subscription",subscription_id="{subscription}"}})')


def project_of(path: str) -> str:
    """`projects/<project>/subscriptions/<name>` -> project."""
    return path.split("/")[1]


def pubsub_agent_member(email: Optional[pulumi.Input[str]], invoke: pulumi.InvokeOutputOptions
                        ) -> pulumi.Output[str]:
    """`serviceAccount:<the Pub/Sub service agent>`: from its email when given (its Output orders the grants after
    the agent exists), else derived from the project number (the agent must already exist)."""
    if email is not None:
        return pulumi.Output.from_input(email).apply(lambda value: f"serviceAccount:{value}")
    project = gcp.organizations.get_project_output(opts=invoke)
    return project.number.apply(
        lambda number: f"serviceAccount:service-{number}@gcp-sa-pubsub.iam.gserviceaccount.com")


def _duration(seconds: int) -> str:
    return f"{seconds}s"


class PubSubWorkQueue(WorkQueue):
    """Pub/Sub topic + pull subscription with dead-lettering, retry backoff and no expiry.

    Dead letters go to a second topic with its own subscription, so they are kept (a topic without a
    subscription drops messages). The Pub/Sub service agent gets exactly the two roles dead-lettering
    needs: publisher on the dead-letter topic, subscriber on the source subscription.
    """

    topic_id: pulumi.Output[str]
    """The topic producers publish to (`projects/<project>/topics/<name>`)."""
    topic_name: pulumi.Output[str]
    """The topic's short name."""
    subscription_id: pulumi.Output[str]
    """The pull subscription consumers read (`projects/<project>/subscriptions/<name>`)."""
    subscription_name: pulumi.Output[str]
    """The subscription's short name."""
    dead_letter_topic_id: pulumi.Output[str]
    """The dead-letter topic."""
    dead_letter_subscription_id: pulumi.Output[str]
    """The subscription that keeps dead-lettered messages for inspection."""

    def __init__(self, name: str, args: WorkQueueArgs, opts: Optional[pulumi.ResourceOptions] = None):
        # Checked before anything is registered: the limits a stack file's queues get, for direct users too.
        raise_problems(f"PubSubWorkQueue {name!r}", queue_problems("gcp", "args", args))
        super().__init__("platform:index:PubSubWorkQueue", name, None, opts)
        self.args = args
        self.physical_name = args.physical_name or name
        # Depending on the API's enablement: on a fresh project the first call would fail SERVICE_DISABLED.
        child = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))
        key = args.kms_key or args.managed_key
        kms: dict = {"kms_key_name": key} if key is not None else {}
        dead_letter_retention_duration = _duration(dead_letter_retention("gcp", args))
        never_expire = gcp.pubsub.SubscriptionExpirationPolicyArgs(ttl="")

        # The agent lookup calls the Resource Manager API: it waits for the enablements like the resources do.
        service_agent = pubsub_agent_member(args.service_agent_email, pulumi.InvokeOutputOptions(
            parent=self, depends_on=list(args.depends_on)))
        # Messages are data: protected in prod and kept in the cloud (retainOnDelete) if they leave the stack.
        keep = pulumi.ResourceOptions(protect=args.protect or None, retain_on_delete=args.protect or None)
        stateful = pulumi.ResourceOptions.merge(child, keep)
        topic_opts = stateful
        if key is not None:
            # Pub/Sub encrypts with the key as its service agent; without this grant topic creation fails. Made
            # here only when the caller does not make it once per key (`key_agent_grant`).
            # Kept with protected topics (retainOnDelete): they stay readable only while the agent may use the key.
            key_grant = args.key_agent_grant or gcp.kms.CryptoKeyIAMMember(
                f"{name}-kms-agent", crypto_key_id=key, role=KMS_AGENT_ROLE, member=service_agent,
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                    retain_on_delete=args.protect or None)))
            topic_opts = pulumi.ResourceOptions.merge(
                pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, key_grant]), keep)

        dead_letter_topic = gcp.pubsub.Topic(
            f"{name}-dlq-topic", name=f"{self.physical_name}-dlq", **kms, opts=topic_opts
        )
        dead_letter_subscription = gcp.pubsub.Subscription(
            f"{name}-dlq-subscription",
            name=f"{self.physical_name}-dlq",
            topic=dead_letter_topic.id,
            ack_deadline_seconds=DEAD_LETTER_ACK_DEADLINE_SECONDS,
            message_retention_duration=dead_letter_retention_duration,
            expiration_policy=never_expire,
            opts=stateful,
        )
        topic = gcp.pubsub.Topic(f"{name}-topic", name=self.physical_name, **kms, opts=topic_opts)
        subscription = gcp.pubsub.Subscription(
            f"{name}-subscription",
            name=self.physical_name,
            topic=topic.id,
            ack_deadline_seconds=args.visibility_timeout_seconds,
            message_retention_duration=_duration(args.message_retention_seconds),
            expiration_policy=never_expire,
            dead_letter_policy=gcp.pubsub.SubscriptionDeadLetterPolicyArgs(
                dead_letter_topic=dead_letter_topic.id,
                max_delivery_attempts=args.max_receive_count,
            ),
            retry_policy=gcp.pubsub.SubscriptionRetryPolicyArgs(
                minimum_backoff=RETRY_MIN_BACKOFF, maximum_backoff=RETRY_MAX_BACKOFF
            ),
            opts=stateful,
        )

        # The Pub/Sub agent's rights on a kept topic and subscription stay with them (as the key grant does):
        # without them a kept subscription cannot dead-letter. Re-adding a member on re-create is idempotent.
        kept_with_queue = pulumi.ResourceOptions(parent=self, retain_on_delete=args.protect or None)
        gcp.pubsub.TopicIAMMember(
            f"{name}-dlq-agent-publisher",
            topic=dead_letter_topic.name,
            role="roles/pubsub.publisher",
            member=service_agent,
            opts=kept_with_queue,
        )
        gcp.pubsub.SubscriptionIAMMember(
            f"{name}-agent-subscriber",
            subscription=subscription.name,
            role="roles/pubsub.subscriber",
            member=service_agent,
            opts=kept_with_queue,
        )

        # Senders outside the platform: publisher on this topic only. Named by a digest of the member, so the
        # list's order does not matter and removing one sender removes only its grant. Not kept on destroy: a
        # removed sender's grant must go, and a retained resource is never deleted.
        for member in sorted(set(args.producers.principals)):
            gcp.pubsub.TopicIAMMember(f"{name}-producer-{member_suffix(member)}", topic=topic.name,
                                      role=PUBLISHER_ROLE, member=member, opts=child)

        self._subscription = subscription
        self.topic_id = topic.id
        self.topic_name = topic.name
        self.subscription_id = subscription.id
        self.subscription_name = subscription.name
        self.dead_letter_topic_id = dead_letter_topic.id
        self.dead_letter_subscription_id = dead_letter_subscription.id
        self.consumer_address = subscription.id
        self.publish_address = topic.id
        self.dead_letter_address = dead_letter_subscription.id
        self.register_outputs({
            "topic_id": self.topic_id,
            "subscription_id": self.subscription_id,
            "dead_letter_topic_id": self.dead_letter_topic_id,
            "dead_letter_subscription_id": self.dead_letter_subscription_id,
        })

    def keda_trigger(self, authentication: str, target: int, activation: int) -> dict:
        # KEDA deprecated its gcp-pubsub scaler; it recommends the Prometheus scaler against Google Cloud
        # Managed Service for Prometheus, which serves Cloud Monitoring's Pub/Sub metrics.
        return {
            "type": "prometheus",
            "metadata": {
                "serverAddress": self.subscription_id.apply(
                    lambda path: MONITORING_PROMETHEUS.format(project=project_of(path))),
                "query": self.subscription_id.apply(backlog_query),
                "threshold": str(target),
                "activationThreshold": str(activation),
            },
            "authenticationRef": {"name": authentication},
        }

    def consumer_env(self) -> dict[str, pulumi.Output[str]]:
        return {
            "WORK_QUEUE_KIND": pulumi.Output.from_input("pubsub"),
            "WORK_QUEUE_ADDRESS": self.subscription_id,
            "GOOGLE_CLOUD_PROJECT": self.subscription_id.apply(project_of),
        }

    def endpoints(self) -> dict[str, pulumi.Output[str]]:
        return {"topic": self.topic_id, "subscription": self.subscription_id,
                "dead_letter_subscription": self.dead_letter_subscription_id}

    def publish_env(self, variable: str) -> dict[str, pulumi.Output[str]]:
        return {
            "SEND_QUEUE_KIND": pulumi.Output.from_input("pubsub"),
            variable: self.topic_id,
            "GOOGLE_CLOUD_PROJECT": self.topic_id.apply(project_of),
        }

    def grant_send(
        self, name: str, principal: WorkloadPrincipal, opts: Optional[pulumi.ResourceOptions] = None
    ) -> list[pulumi.Resource]:
        if principal.kind != "gcp-service-account":
            raise ValueError(f"only a GCP service account can publish to a Pub/Sub topic, not {principal.kind}")
        member = pulumi.Output.from_input(principal.ref).apply(lambda email: f"serviceAccount:{email}")
        # Publisher on this topic only (pubsub.topics.publish); Pub/Sub's agent encrypts with the key, so a
        # publisher needs no key role.
        return [gcp.pubsub.TopicIAMMember(name, topic=self.topic_name, role=PUBLISHER_ROLE, member=member,
                                          opts=opts)]

    def grant_consume(
        self, name: str, principal: WorkloadPrincipal, opts: Optional[pulumi.ResourceOptions] = None
    ) -> list[pulumi.Resource]:
        if principal.kind != "gcp-service-account":
            raise ValueError(
                f"a Pub/Sub subscription can only be consumed by a GCP service account, not {principal.kind}")
        member = pulumi.Output.from_input(principal.ref).apply(lambda email: f"serviceAccount:{email}")
        # Subscriber on this subscription only: pull, acknowledge and modify ack deadlines; no topic access.
        return [gcp.pubsub.SubscriptionIAMMember(
            name, subscription=self.subscription_name, role="roles/pubsub.subscriber", member=member, opts=opts
        )]
