"""Resources that hold data: in prod they are `protect`ed, and the destroy guard (`stackctl diff
--deny-destroy`) blocks their deletion. One list, read by the policy pack and checked against the guard's."""

# type token -> why losing it hurts
DATA_TYPES: dict[str, str] = {
    "aws:sqs/queue:Queue": "its messages (a dead-letter queue holds the ones that failed)",
    "aws:sns/topic:Topic": "its subscriptions and undelivered messages",
    "aws:cloudwatch/logGroup:LogGroup": "control-plane and audit logs",
    "gcp:pubsub/topic:Topic": "its subscriptions and the messages published to it",
    "gcp:pubsub/subscription:Subscription": "its unacknowledged messages",
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": "its logs",
}

# Keys a retained resource's data is encrypted with: deleting one makes the data it kept unreadable (AWS KMS
# deletes a key after its waiting period; the Google provider destroys a CryptoKey's versions on delete).
# type -> the property that names the key
KEY_TYPES = ("aws:kms/key:Key", "gcp:kms/cryptoKey:CryptoKey", "gcp:kms/keyRing:KeyRing")
DATA_KEY_FIELDS: dict[str, str] = {
    "aws:sqs/queue:Queue": "kmsMasterKeyId",
    "aws:secretsmanager/secret:Secret": "kmsKeyId",
    "aws:sns/topic:Topic": "kmsMasterKeyId",
    "aws:cloudwatch/logGroup:LogGroup": "kmsKeyId",
    "gcp:pubsub/topic:Topic": "kmsKeyName",
}


# The Pub/Sub agent's role on a retained queue key: kept with the key (the kept topics need it), never adopted
# (re-adding an IAM member merges into the key's policy; there is nothing to import).
AGENT_GRANT = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
# Kept with a retained queue so it works as before once adopted again (the DLQ's TLS-only policy and redrive
# permission, the Pub/Sub agent's rights to dead-letter), and written again on re-create, not adopted: creating
# each sets an attribute or merges an IAM member, which succeeds where it is already set. Producers' grants are
# not kept (components/queues/sqs.py).
KEPT_WITH_QUEUES = ("aws:sqs/queuePolicy:QueuePolicy", "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
                    "gcp:pubsub/topicIAMMember:TopicIAMMember",
                    "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember")
NOT_ADOPTED_TYPES = (AGENT_GRANT, *KEPT_WITH_QUEUES)


def retained_resources(spec, environment: str) -> list[str]:
    """`<type>::<name>` of every resource the Environment retains on delete (`retainOnDelete`): what a destroy
    leaves in the cloud and a re-create adopts (`adopt_retained`). Mirrors the components; tests compare it
    with every shipped stack's graph."""
    kept: list[str] = []
    if spec.tier == "prod":
        for key in sorted(spec.queues):
            base = f"{environment}-{key}"
            if spec.cloud == "aws":
                kept += [f"aws:sqs/queue:Queue::{base}-queue", f"aws:sqs/queue:Queue::{base}-dlq",
                         f"aws:sqs/queuePolicy:QueuePolicy::{base}-dlq-policy",
                         f"aws:sqs/redriveAllowPolicy:RedriveAllowPolicy::{base}-dlq-redrive-allow"]
            else:
                kept += [f"gcp:pubsub/topic:Topic::{base}-topic", f"gcp:pubsub/topic:Topic::{base}-dlq-topic",
                         f"gcp:pubsub/subscription:Subscription::{base}-subscription",
                         f"gcp:pubsub/subscription:Subscription::{base}-dlq-subscription",
                         f"gcp:pubsub/topicIAMMember:TopicIAMMember::{base}-dlq-agent-publisher",
                         f"gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember::{base}-agent-subscriber"]
    from .queues import uses_environment_queue_key

    if uses_environment_queue_key(spec):
        kept += ([f"aws:kms/key:Key::{environment}-queues"] if spec.cloud == "aws" else
                 [f"gcp:kms/keyRing:KeyRing::{environment}-queues",
                  f"gcp:kms/cryptoKey:CryptoKey::{environment}-queues",
                  f"{AGENT_GRANT}::{environment}-queues-kms-agent"])
    if spec.cloud == "gcp" and spec.tier == "prod":
        from .work_path import member_suffix

        kept += [f"{AGENT_GRANT}::{environment}-kms-agent-{member_suffix(key)}"
                 for key in sorted({queue.kms_key for queue in spec.queues.values() if queue.kms_key})]
    if spec.cloud == "gcp" and spec.cluster is not None:
        kept.append(f"gcp:kms/keyRing:KeyRing::{environment}-keyring")
    kept += _owned_secrets(spec, environment)
    return sorted(kept)


def _owned_secrets(spec, environment: str) -> list[str]:
    """Prod's secret containers the Environment creates (and the AWS key they are encrypted with): retained."""
    from ..spec.resolve import job_workload
    from ..workloads.cloud_secrets import cloud_secret_names
    from .secrets import uses_cloud_secrets

    if spec.tier != "prod" or spec.cluster is None or not uses_cloud_secrets(spec):
        return []
    workloads = [*spec.services.values(), *(job_workload(job, spec.services) for job in spec.jobs.values())]
    names = sorted({secret for workload in workloads for secret in cloud_secret_names(workload)}
                   - set(spec.existing_secrets))
    if not names:
        return []
    if spec.cloud == "aws":
        return [f"aws:kms/key:Key::{environment}-app-secrets",
                *(f"aws:secretsmanager/secret:Secret::{environment}-secret-{n}" for n in names)]
    return [f"gcp:secretmanager/secret:Secret::{environment}-secret-{n}" for n in names]


def adoptable_resources(spec, environment: str) -> list[str]:
    """What a re-create adopts (`adopt_retained`): the retained resources, except the GKE cluster's key ring. That
    ring is retained only because Cloud KMS cannot delete rings; the cluster's keys in it are gone with the cluster
    (their versions destroyed) but keep their names, so adopting the ring would make the next run create
    `kubernetes-secrets` in it again (409). Its autoname gives the next run a fresh ring instead."""
    return [key for key in retained_resources(spec, environment)
            if key != f"gcp:kms/keyRing:KeyRing::{environment}-keyring"
            and not key.startswith(tuple(f"{t}::" for t in NOT_ADOPTED_TYPES))]


def adopt_problems(spec, environment: str) -> list:
    from ..errors import Problem

    kept = set(adoptable_resources(spec, environment))
    return [Problem(f"adopt_retained.{key}",
                    "names no resource this stack retains on delete and adopts; `stackctl import-retained "
                    f"{environment}` lists them ({', '.join(sorted(kept)) or 'none'})")
            for key in sorted(spec.adopt_retained) if key not in kept]
