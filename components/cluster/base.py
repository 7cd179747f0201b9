"""The cloud-neutral cluster interface the workload layers build on."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

import pulumi
import pulumi_kubernetes as k8s

from ..identity import WorkloadPrincipal

if TYPE_CHECKING:
    from ..spec.cluster import NodePoolSpec

EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


@dataclass
class WorkloadIdentity:
    """A Kubernetes service account bound to a cloud identity.

    Grant the `principal` what the workload needs (e.g. `WorkQueue.grant_consume`) and put `annotations`
    on the Kubernetes ServiceAccount.
    """

    principal: WorkloadPrincipal
    annotations: pulumi.Output[dict[str, str]]
    cloud_identity: pulumi.Output[str]
    """The IAM role ARN (AWS) or Google service account email (GCP)."""
    resources: list[pulumi.Resource] = field(default_factory=list)
    # Whether pods must mount a projected service-account token for the cloud to accept them (IRSA
    # injects its own projected token; GKE's metadata server needs none).
    needs_token_mount: bool = False


def exec_kubeconfig(name: str, server: pulumi.Input[str], ca_data: Optional[pulumi.Input[str]],
                    command: str, args: list[Any], extra_user: Optional[dict] = None) -> pulumi.Output[str]:
    """A kubeconfig (JSON) whose credentials come from an exec plugin: no token is ever stored."""

    def render(values: list[Any]) -> str:
        server_value, ca_value, *arg_values = values
        cluster: dict[str, Any] = {"server": server_value}
        if ca_value:
            cluster["certificate-authority-data"] = ca_value
        user = {"exec": {"apiVersion": EXEC_API_VERSION, "command": command, "args": arg_values,
                         "interactiveMode": "Never", **(extra_user or {})}}
        return json.dumps({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": name, "cluster": cluster}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
            "users": [{"name": name, "user": user}],
        }, sort_keys=True)

    # Secret: it names the endpoint and is the key to the cluster for whoever holds cloud credentials.
    return pulumi.Output.secret(pulumi.Output.all(server, ca_data, *args).apply(render))


class Cluster(pulumi.ComponentResource):
    """A managed Kubernetes cluster: `EksCluster` (AWS) or `GkeCluster` (GCP)."""

    cluster_name: pulumi.Output[str]
    """The cluster's name in the cloud."""
    endpoint: pulumi.Output[str]
    """The Kubernetes API server's URL."""
    kubeconfig: pulumi.Output[str]
    """Secret kubeconfig (JSON) using exec-plugin auth (`aws eks get-token` / `gke-gcloud-auth-plugin`)."""
    provider: k8s.Provider
    """A Kubernetes provider for this cluster; pass it to Kubernetes resources (or a parent's providers)."""
    kubernetes_version: str
    """The Kubernetes minor version the control plane runs (e.g. `1.35`)."""
    node_pools: dict[str, NodePoolSpec]
    """The node pools, keyed by name as in the args (a workload's `node_pool` names one)."""
    webhook_access: Sequence[pulumi.Resource] = ()
    """Network rules that let the control plane reach webhooks and aggregated APIs on the nodes (GKE
    firewall, EKS node security group rules): add-ons serving them (KEDA) must depend on these."""

    def bind_workload_identity(self, name: str, namespace: str, service_account: str,
                               opts: Optional[pulumi.ResourceOptions] = None) -> WorkloadIdentity:
        """Create a cloud identity that exactly `namespace/service_account` in this cluster can use."""
        raise NotImplementedError
