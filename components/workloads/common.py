"""What every workload component shares: its placement arguments, its identity, and its delivery."""

from __future__ import annotations

from typing import Any, Optional

import pulumi
from pydantic import ConfigDict, Field

from ..cluster import Cluster, EksCluster, WorkloadIdentity
from ..kubernetes import kubernetes_resource, resource_name
from ..queues import WorkQueue
from ..rules.work_path import send_variable
from ..spec.base import StrictModel
from ..spec.workload import WorkloadSpec
from . import cloud_secrets, manifests
from .cloud_secrets import SecretManagerTarget
from .network_policy import CallTarget


class WorkloadArgs(StrictModel):
    """Where a workload runs and how its objects are delivered (shared by `ServiceArgs` and `BatchJobArgs`)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    workload_name: str = Field(description="Kubernetes name of the workload's objects and ServiceAccount. Required.")
    namespace: str = Field(description="Kubernetes namespace (must exist). Required.")
    cluster: Cluster = Field(description="Cluster to run on: its identity binder. Required.")
    queue: Optional[WorkQueue] = Field(None, description="The queue consumed. Default unset.")
    sends_to: dict[str, WorkQueue] = Field(
        default_factory=dict,
        description="Queues the workload sends to, by queue key (the key names the environment variable, "
                    "`SEND_QUEUE_<KEY>`, and the grant). Default none.")
    calls: list[CallTarget] = Field(
        default_factory=list,
        description="Exposed services the workload calls (its NetworkPolicy allows their pods and ports). "
                    "Default none.")
    deploy: bool = Field(
        True,
        description="Push delivery: create the Kubernetes objects with Pulumi. False (GitOps) only builds "
                    "`manifests` for the deployment repository. Default true.",
    )
    placement: dict[str, Any] = Field(
        default_factory=dict,
        description="Pod spec fields that put the pods on their node pool (`nodeSelector`, `tolerations`), from "
                    "`components.scheduling.placement`. Default none: any untainted node.",
    )
    depends_on: list[pulumi.Resource] = Field(
        default_factory=list, description="What the Kubernetes objects wait for (namespace, KEDA). Default none.")
    application: Optional[dict] = Field(
        None,
        description="GitOps: the Argo CD Application (manifest) that syncs this workload's directory of the "
                    "deployment repository; Pulumi keeps it, so removing the workload removes its objects. "
                    "Default unset.",
    )
    secret_manager: Optional[SecretManagerTarget] = Field(
        None,
        description="Where the environment's cloud secrets live; required when the workload's `secret_env` names "
                    "an `aws_secret` or `gcp_secret`. Default unset.",
    )
    secret_grants_depend_on: list[pulumi.Resource] = Field(
        default_factory=list,
        description="What the cloud secret grants wait for (GCP: the Secret Manager API). Default none.")


def keda_pod_identity_provider(cluster: Cluster) -> str:
    return "aws" if isinstance(cluster, EksCluster) else "gcp"


def bind_identity(component: pulumi.ComponentResource, name: str, args: WorkloadArgs,
                  workload: Optional[WorkloadSpec] = None) -> WorkloadIdentity:
    """A cloud identity only `namespace/workload_name` can use, allowed to consume its queue and read its own
    cloud secrets, and nothing else."""
    child = pulumi.ResourceOptions(parent=component)
    identity = args.cluster.bind_workload_identity(name, args.namespace, args.workload_name, child)
    if args.queue is not None:
        identity.resources.extend(args.queue.grant_consume(f"{name}-consume", identity.principal, child))
    for key, queue in sorted(args.sends_to.items()):
        identity.resources.extend(queue.grant_send(f"{name}-send-{key}", identity.principal, child))
    if workload is not None:
        identity.resources.extend(cloud_secrets.grant_read(
            name, identity, workload, args.secret_manager,
            pulumi.ResourceOptions(parent=component, depends_on=args.secret_grants_depend_on)))
    return identity


def queue_environment(queue: Optional[WorkQueue], max_message_seconds: int,
                      sends_to: Optional[dict[str, WorkQueue]] = None) -> dict[str, Any]:
    env: dict[str, Any] = {"MAX_MESSAGE_SECONDS": str(max_message_seconds)}
    for key, target in sorted((sends_to or {}).items()):
        env.update(target.publish_env(send_variable(key)))
    if queue is not None:
        env.update(queue.consumer_env())
    return env


def service_account(args: WorkloadArgs, component: str, identity: WorkloadIdentity) -> dict:
    return manifests.service_account(args.workload_name, args.namespace, component, identity.annotations)


def deliver(component: pulumi.ComponentResource, name: str, args: WorkloadArgs, objects: list[dict],
            identity: WorkloadIdentity) -> None:
    """Push: create `objects` with Pulumi. GitOps: create only the Argo CD Application that pulls them."""
    opts = pulumi.ResourceOptions(parent=component, depends_on=[*args.depends_on, *identity.resources])
    if args.deploy:
        for manifest in objects:
            kubernetes_resource(resource_name(name, manifest), manifest, opts)
    if args.application is not None:
        kubernetes_resource(f"{name}-application", args.application, opts)
