"""What every workload shares: a ServiceAccount bound to its own cloud identity, with queue access."""

from __future__ import annotations

from typing import Any, Optional

import pulumi

from ..cluster import Cluster, EksCluster, WorkloadIdentity
from ..queues import WorkQueue
from . import manifests


def keda_pod_identity_provider(cluster: Cluster) -> str:
    return "aws" if isinstance(cluster, EksCluster) else "gcp"


def bind_identity(component: pulumi.ComponentResource, name: str, workload_name: str, namespace: str,
                  cluster: Cluster, queue: Optional[WorkQueue]) -> WorkloadIdentity:
    """A cloud identity only `namespace/workload_name` can use, allowed to consume `queue` and nothing else."""
    child = pulumi.ResourceOptions(parent=component)
    identity = cluster.bind_workload_identity(name, namespace, workload_name, child)
    if queue is not None:
        identity.resources.extend(queue.grant_consume(f"{name}-consume", identity.principal, child))
    return identity


def queue_environment(queue: Optional[WorkQueue], max_message_seconds: int) -> dict[str, Any]:
    env: dict[str, Any] = {"MAX_MESSAGE_SECONDS": str(max_message_seconds)}
    if queue is not None:
        env.update(queue.consumer_env())
    return env


def service_account(workload_name: str, namespace: str, component: str, identity: WorkloadIdentity) -> dict:
    return manifests.service_account(workload_name, namespace, component, identity.annotations)
