"""`stackctl import-retained`: the `adopt_retained` block that re-attaches what a destroy kept.

In prod the queues, topics, subscriptions and the key they are encrypted with are retained on delete: a
`pulumi destroy` leaves them in the cloud, with their names taken. The next `pulumi up` of the same stack would
try to create them again and fail (SQS `QueueAlreadyExists`, Pub/Sub 409), so the stack file names them with
their cloud ids under `adopt_retained`, and the program adopts them with the `import` resource option.

Ids come from a `pulumi stack export` taken before the destroy (`--state`, matched by URN); without it, ids
that follow from the stack file are derived (an SQS queue's URL, a Pub/Sub topic's or subscription's path) and
the rest (KMS keys, Cloud KMS rings and keys, whose ids the cloud picks) are reported as missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from components.rules.stateful import NOT_ADOPTED_TYPES

from ..engine.graph import Graph
from ..errors import InputError


@dataclass
class Retained:
    key: str                 # `<type>::<name>`, as `adopt_retained` takes it
    urn: str
    id: Optional[str]        # None: not derivable, needs --state
    how: str                 # where the id came from, or how to find it


@dataclass(frozen=True)
class Where:
    """What a derived id needs from the stack file."""

    region: str = ""
    aws_account_id: str = ""
    gcp_project: str = ""


def derived_id(type_: str, inputs: dict, where: Where) -> Optional[str]:
    name = inputs.get("name")
    if not isinstance(name, str) or name.startswith("["):
        return None
    if type_ == "aws:sqs/queue:Queue" and where.aws_account_id and where.region:
        return f"https://sqs.{where.region}.amazonaws.com/{where.aws_account_id}/{name}"
    if type_ == "gcp:pubsub/topic:Topic" and where.gcp_project:
        return f"projects/{where.gcp_project}/topics/{name}"
    if type_ == "gcp:pubsub/subscription:Subscription" and where.gcp_project:
        return f"projects/{where.gcp_project}/subscriptions/{name}"
    return None


def _derived_secret_id(type_: str, inputs: dict, where: Where) -> Optional[str]:
    secret = inputs.get("secretId")
    if type_ == "gcp:secretmanager/secret:Secret" and isinstance(secret, str) and where.gcp_project:
        return f"projects/{where.gcp_project}/secrets/{secret}"
    return None


FINDING = {
    "aws:kms/key:Key": ("the key id: `aws kms describe-key --key-id <arn>` (the ARN: the queues' KmsMasterKeyId "
                        "for the queue key, a secret's KmsKeyId for the secrets key)"),
    "gcp:kms/keyRing:KeyRing": "projects/<project>/locations/<region>/keyRings/<name>: `gcloud kms keyrings list`",
    "gcp:kms/cryptoKey:CryptoKey": "projects/<project>/locations/<region>/keyRings/<ring>/cryptoKeys/queues",
    "aws:secretsmanager/secret:Secret": "the secret's ARN: `aws secretsmanager describe-secret --secret-id <name>`",
}


def retained(graph: Graph, where: Where, state=None) -> list[Retained]:
    """The retained resources a re-create adopts. A retained Cloud KMS key ring is adopted only when a retained key
    lives in it (the queue key's ring); the GKE cluster's ring is not: its keys are destroyed with the cluster but
    keep their names, so the next run must get a fresh (autonamed) ring."""
    kept_rings = {urn for record in graph.resources if record.retainOnDelete
                  and record.type == "gcp:kms/cryptoKey:CryptoKey" for urn in record.dependencies}
    found = []
    for record in graph.resources:
        if not record.retainOnDelete or not record.custom or record.type in NOT_ADOPTED_TYPES:
            continue
        if record.type == "gcp:kms/keyRing:KeyRing" and record.urn not in kept_rings:
            continue
        key = f"{record.type}::{record.name}"
        prior = state.by_urn.get(record.urn) if state is not None else None
        if prior is not None and prior.id:
            found.append(Retained(key, record.urn, prior.id, f"from {state.source}"))
            continue
        derived = derived_id(record.type, record.inputs, where) or _derived_secret_id(record.type, record.inputs,
                                                                                      where)
        if derived is not None:
            found.append(Retained(key, record.urn, derived, "derived from the stack file"))
        else:
            found.append(Retained(key, record.urn, None, FINDING.get(record.type, "its cloud id")))
    return found


def adopt_block(stack_file: str, items: list[Retained]) -> str:
    lines = [f"# {stack_file}, under `config:`: adopt what the last destroy kept; remove after the next `pulumi up`",
             "  adopt_retained:"]
    for item in items:
        lines.append(f'    "{item.key}": "{item.id}"')
    return "\n".join(lines) + "\n"


def import_retained(project, stack: str, graph: Graph, state_path: Optional[Path]) -> tuple[str, list[Retained]]:
    """(the block to print, the retained resources whose id is missing)."""
    from ..diff.state import read_export
    from ..engine.project import read_stack_config

    values = read_stack_config(project, stack).values
    where = Where(**{key: values.get(f"{project.name}:{key}", "") for key in ("region", "aws_account_id",
                                                                              "gcp_project")})
    state = read_export(state_path) if state_path is not None else None
    items = retained(graph, where, state)
    if not items:
        raise InputError(f"{project.stack_label(stack)}: the stack retains nothing on delete (prod keeps its queues "
                         "and their keys)")
    missing = [item for item in items if item.id is None]
    return adopt_block(project.stack_label(stack), [i for i in items if i.id is not None]), missing
