"""The destroy guard: stateful resources must not be deleted or replaced by accident.

Pulumi has no "fail if anything would be deleted" flag, and Terraform's `prevent_destroy` disappears with
the block that declares it. Here the acknowledgement is data in the stack file (`allow_destroy`), named
per resource and removed once the change is applied, so it cannot silently cover the next deletion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .steps import DiffResult, Step

# Resources whose deletion loses data or takes down everything inside them.
STATEFUL_TYPES = frozenset({
    "aws:sqs/queue:Queue",                     # messages, including the dead-letter queue's
    "aws:sns/topic:Topic",
    "aws:kms/key:Key",                         # data encrypted with it becomes unreadable
    "aws:cloudwatch/logGroup:LogGroup",        # control-plane and audit logs
    "aws:eks/cluster:Cluster",
    "aws:eks/nodeGroup:NodeGroup",
    "gcp:pubsub/topic:Topic",
    "gcp:pubsub/subscription:Subscription",    # unacknowledged messages
    "gcp:kms/keyRing:KeyRing",
    "gcp:kms/cryptoKey:CryptoKey",
    "gcp:container/cluster:Cluster",
    "gcp:container/nodePool:NodePool",
    "gcp:logging/projectBucketConfig:ProjectBucketConfig",
    "kubernetes:core/v1:Namespace",            # deleting one deletes every object in it
    "kubernetes:core/v1:PersistentVolumeClaim",
})


def is_stateful(step: Step) -> bool:
    return step.type in STATEFUL_TYPES or step.protect


@dataclass
class GuardResult:
    blocked: list[Step] = field(default_factory=list)
    acknowledged: list[Step] = field(default_factory=list)
    # Entries that match no guarded step (already applied: remove them) or more than one (name the URN).
    unused: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)


def guarded_steps(result: DiffResult) -> list[Step]:
    """Deletes and replaces of stateful or protected resources. A retained delete keeps the resource
    (and its data) in the cloud, so it is not guarded, unless it is protected (prod's queues are both:
    the engine refuses the delete, so the guard says so first); a retained replace still swaps in an empty one."""
    return [s for s in result.steps
            if is_stateful(s) and (s.op == "replace"
                                   or (s.op == "delete" and (s.protect or not s.retain_on_delete)))]


def evaluate(result: DiffResult, allow_destroy: list[str]) -> GuardResult:
    guarded = guarded_steps(result)
    outcome = GuardResult()
    acknowledged: set[str] = set()
    for entry in allow_destroy:
        matching = [s for s in guarded if entry in (s.urn, s.old_urn) or entry == s.name]
        if entry.startswith("urn:"):
            matching = [s for s in matching if entry in (s.urn, s.old_urn)]
        if not matching:
            outcome.unused.append(entry)
        elif len(matching) > 1:
            outcome.ambiguous.append(entry)
        else:
            acknowledged.add(matching[0].urn)
    for step in guarded:
        (outcome.acknowledged if step.urn in acknowledged else outcome.blocked).append(step)
    return outcome
