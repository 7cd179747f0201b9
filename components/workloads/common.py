"""What every workload component shares: its arguments (where it runs, what it reaches, how it is delivered)."""

from __future__ import annotations

from typing import Any, Optional

import pulumi
from pydantic import ConfigDict, Field

from ..cluster import Cluster
from ..queues import WorkQueue
from ..spec.base import StrictModel
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
                    "`components.scheduling.placement`. Default: those of the pool the workload's `node_pool` names "
                    "on the cluster; without `node_pool`, any untainted node.",
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

