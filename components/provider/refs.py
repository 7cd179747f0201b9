"""A cluster and a queue created elsewhere, as a `Service` or `BatchJob` from another language names them.

A TypeScript program cannot hand the provider a Python `EksCluster` or `SqsWorkQueue` object; it hands over the
facts the workload needs from them (their outputs). `ClusterRef` and `QueueRef` are those facts (validated like
every spec), and `cluster_reference` / `queue_reference` turn them into objects with the interface the workload
components call (`bind_workload_identity`, `keda_trigger`, `consumer_env`, `grant_consume`), through the same
methods as the real classes, so a service's identity, grants and KEDA trigger are the ones a Python program gets.
Nothing here registers a resource: the cluster and the queue belong to whoever created them.
"""

from __future__ import annotations

from typing import Any, Literal, Optional

import pulumi
from pulumi.resource import DependencyResource
from pydantic import ConfigDict, Field, model_validator

from ..cluster import EksCluster, GkeCluster
from ..errors import Problem, raise_problems
from ..queues import PubSubWorkQueue, SqsWorkQueue, WorkQueueArgs
from ..spec.base import StrictModel
from ..workloads.network_policy import CallTarget


class ClusterRef(StrictModel):
    """The cluster a workload runs on, by the outputs of the `EksCluster` or `GkeCluster` that created it."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    cloud: Literal["aws", "gcp"] = Field(description="`aws` (EKS) or `gcp` (GKE). Required.")
    cluster_name: str = Field(
        description="The cluster's name (`clusterName` output): AWS workload role names derive from it. Required.")
    oidc_provider_arn: Any = Field(
        None, description="AWS: the cluster's `oidcProviderArn` output, which workload roles trust. Required on aws.")
    oidc_issuer: Any = Field(
        None, description="AWS: the cluster's `oidcIssuer` output (the OIDC issuer URL). Required on aws.")
    project: Optional[str] = Field(None, description="GCP: the cluster's project id. Required on gcp.")
    cluster_urn: Any = Field(
        None,
        description="GCP: the `GkeCluster`'s URN (its `urn`): Workload Identity bindings wait for the cluster, whose "
                    "identity pool they name. Required on gcp.")

    @model_validator(mode="after")
    def _per_cloud(self) -> ClusterRef:
        needed = ("oidc_provider_arn", "oidc_issuer") if self.cloud == "aws" else ("project", "cluster_urn")
        raise_problems("ClusterRef", [Problem(field, f"required when cloud is {self.cloud}")
                                      for field in needed if getattr(self, field) is None])
        return self


class QueueRef(StrictModel):
    """The queue a workload consumes, by the outputs of the `WorkQueue` that created it."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    cloud: Literal["aws", "gcp"] = Field(description="`aws` (SQS) or `gcp` (Pub/Sub). Required.")
    address: Any = Field(
        description="The queue's `consumerAddress` output: the SQS queue URL or the Pub/Sub subscription path "
                    "(`projects/<project>/subscriptions/<name>`). Required.")
    arn: Any = Field(None, description="AWS: the SQS queue ARN (`queueArn`), which the consume grant names. "
                                       "Required on aws.")
    kms_key: Any = Field(
        None, description="AWS: the key the queue is encrypted with, when customer-managed (its `kmsKey` or the "
                          "environment's queue key): consumers are granted kms:Decrypt on it, senders the data key. "
                          "Default none.")
    topic: Any = Field(
        None, description="GCP: the Pub/Sub topic path (the WorkQueue's `publishAddress`), which a workload that "
                          "sends to the queue is granted publishing on. Required on gcp in `sendsTo`.")

    @model_validator(mode="after")
    def _per_cloud(self) -> QueueRef:
        if self.cloud == "aws" and self.arn is None:
            raise_problems("QueueRef", [Problem("arn", "required when cloud is aws")])
        return self


class CallRef(StrictModel):
    """An exposed service a workload calls: its NetworkPolicy allows egress to those pods and ports only."""

    namespace: str = Field(description="The called service's namespace. Required.")
    workload_name: str = Field(description="The called service's workload name (its pods' `app.kubernetes.io/name`). "
                                           "Required.")
    ports: list[int] = Field(description="The ports it serves. Required.")


class _EksClusterReference(EksCluster):
    """An EKS cluster known by its IRSA facts; registers nothing (no `ComponentResource.__init__`)."""

    def __init__(self, ref: ClusterRef):   # noqa: D107 - deliberately not a resource registration
        self._cluster_name_value = ref.cluster_name
        self._irsa_trust_principal = pulumi.Output.all(
            ref.oidc_provider_arn, pulumi.Output.from_input(ref.oidc_issuer).apply(
                lambda url: url.removeprefix("https://")))


class _GkeClusterReference(GkeCluster):
    """A GKE cluster known by its project and URN; registers nothing."""

    def __init__(self, ref: ClusterRef):   # noqa: D107
        self._project = ref.project
        self._after: list[pulumi.Resource] = []
        self._cluster = DependencyResource(ref.cluster_urn)


class _SqsQueueReference(SqsWorkQueue):
    def __init__(self, ref: QueueRef):   # noqa: D107
        self.args = WorkQueueArgs(managed_key=ref.kms_key)
        self.queue_url = pulumi.Output.from_input(ref.address)
        self.queue_arn = pulumi.Output.from_input(ref.arn)
        self.consumer_address = self.publish_address = self.queue_url


class _PubSubQueueReference(PubSubWorkQueue):
    def __init__(self, ref: QueueRef):   # noqa: D107
        self.args = WorkQueueArgs()
        self.subscription_id = pulumi.Output.from_input(ref.address)
        self.subscription_name = self.subscription_id.apply(lambda path: path.rsplit("/", 1)[-1])
        self.consumer_address = self.subscription_id
        self.topic_id = pulumi.Output.from_input(ref.topic)
        self.topic_name = self.topic_id.apply(lambda path: path.rsplit("/", 1)[-1] if path else path)
        self.publish_address = self.topic_id


def cluster_reference(ref: ClusterRef) -> EksCluster | GkeCluster:
    """The cluster `ref` names, for `ServiceArgs.cluster` / `BatchJobArgs.cluster` (Python callers may use it too,
    for a cluster another program created)."""
    return _EksClusterReference(ref) if ref.cloud == "aws" else _GkeClusterReference(ref)


def queue_reference(ref: QueueRef) -> SqsWorkQueue | PubSubWorkQueue:
    """The queue `ref` names, for `ServiceArgs.queue` / `BatchJobArgs.queue`."""
    return _SqsQueueReference(ref) if ref.cloud == "aws" else _PubSubQueueReference(ref)


def call_target(ref: CallRef) -> CallTarget:
    """The exposed service `ref` names, for `ServiceArgs.calls` / `BatchJobArgs.calls`."""
    return CallTarget(namespace=ref.namespace, workload_name=ref.workload_name, ports=tuple(ref.ports))
