"""Physical names the components give cloud resources, shared with the validation rules (no cloud SDK imports)."""

import hashlib


def bounded(name: str, limit: int) -> str:
    """`name` if it fits, else a prefix plus a short hash of the whole name (stable, still unique)."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[: limit - 7].rstrip('-')}-{digest}"


def irsa_role_name(cluster_name: str, namespace: str, service_account: str) -> str:
    """The IAM role name of a workload identity on EKS (deterministic, so GitOps renders know its ARN)."""
    return bounded(f"{cluster_name}-{namespace}-{service_account}", 64)


def gcp_account_id(name: str) -> str:
    """The Google service account id for a workload identity named `name` (ids are at most 30 characters)."""
    return bounded(name, 30)


def queue_name(environment: str, key: str) -> str:
    """Physical name of a queue (SQS queue; Pub/Sub topic and subscription); its dead letters add `-dlq`."""
    return f"{environment}-{key}"


def dead_letter_name(queue_physical_name: str) -> str:
    return f"{queue_physical_name}-dlq"


def cluster_name(project: str, environment: str) -> str:
    return f"{project}-{environment}"
