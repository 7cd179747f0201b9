"""Desired state of an environment's Kubernetes cluster (EKS or GKE)."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from .base import Name, StrictModel

DEFAULT_KUBERNETES_VERSION = "1.35"


class TaintSpec(StrictModel):
    """A node taint: only pods that tolerate it are scheduled on the pool."""

    key: str = Field(description="Taint key, e.g. `workload`. Required.")
    value: str = Field("", description="Taint value. Default empty.")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = Field(
        "NoSchedule", description="What happens to pods that do not tolerate it. Default `NoSchedule`."
    )


class GpuSpec(StrictModel):
    """NVIDIA GPUs on every node of a pool; its nodes are tainted `nvidia.com/gpu=present:NoSchedule`."""

    type: Optional[str] = Field(
        None,
        description=(
            "GCP: the accelerator type attached to each node, e.g. `nvidia-l4` or `nvidia-tesla-t4` (required "
            "on gcp). AWS: leave unset, the instance type decides (g5, g6, p5, ...). Default unset."
        ),
    )
    count: int = Field(
        1, ge=1, le=16,
        description="GPUs per node (on aws it must match the instance types). Default 1.",
    )
    driver_version: Literal["DEFAULT", "LATEST"] = Field(
        "DEFAULT",
        description=(
            "GCP: the NVIDIA driver GKE installs (`DEFAULT` for the node version, or `LATEST`). AWS: the "
            "accelerated AMI (`AL2023_*_NVIDIA`) carries the driver. Default `DEFAULT`."
        ),
    )


class NodePoolSpec(StrictModel):
    """A group of identical nodes (EKS managed node group, GKE node pool). The map key is its identity."""

    machine_types: list[str] = Field(
        min_length=1,
        description=(
            "Instance types (AWS, several allowed: Spot draws from all of them) or exactly one machine type "
            "(GCP), e.g. `[m7i.large, m6i.large]` or `[e2-standard-4]`. Required."
        ),
    )
    spot: bool = Field(False, description="Run on Spot capacity (cheaper, can be reclaimed). Default false.")
    min_size: int = Field(1, ge=0, le=1000, description="Fewest nodes the autoscaler keeps. Default 1.")
    max_size: int = Field(3, ge=1, le=1000, description="Most nodes the autoscaler may add. Default 3.")
    desired_size: Optional[int] = Field(
        None,
        ge=0,
        le=1000,
        description=(
            "Nodes at creation. Ignored afterwards so `pulumi up` never fights the cluster autoscaler. "
            "Default: min_size."
        ),
    )
    disk_size_gb: int = Field(50, ge=20, le=16384, description="Root volume size per node, encrypted. Default 50.")
    labels: dict[str, str] = Field(default_factory=dict, description="Kubernetes node labels. Default none.")
    taints: list[TaintSpec] = Field(default_factory=list, description="Kubernetes node taints. Default none.")
    gpu: Optional[GpuSpec] = Field(
        None,
        description=(
            "Make this a GPU pool: AWS uses the NVIDIA accelerated AMI and installs the NVIDIA device plugin; "
            "GCP attaches the accelerator and installs its driver. Default unset (no GPUs)."
        ),
    )


class DeployerAccessSpec(StrictModel):
    """How the runner that runs `pulumi up` reaches the Kubernetes API, on the very first run included.

    The same run that creates the cluster installs KEDA, Argo CD and workloads through the Kubernetes API,
    so the runner must reach it as soon as the cluster exists. Checked when the stack file is loaded.
    """

    via: Literal["public_endpoint", "private_network", "dns_endpoint"] = Field(
        description=(
            "`public_endpoint`: the API's public endpoint, open only to `runner_cidrs` and "
            "`authorized_networks` (needs `public_endpoint: true`; the policy pack flags it outside dev). "
            "`private_network`: the private endpoint, from a runner inside the network: the stack's own runner "
            "subnet (AWS `network.runner_subnet`; the first `up` is then two-phase, docs/bootstrap.md) or a "
            "network that exists before this stack (`network.existing_vpc` / `network.existing_network`). "
            "`dns_endpoint`: GCP only, the IAM-authorized DNS endpoint (`dns_endpoint: true`). Required."
        ),
    )
    runner_cidrs: list[str] = Field(
        default_factory=list,
        description=(
            "The networks the runner connects from: its egress (NAT) addresses for `public_endpoint`, its "
            "subnet for `private_network`. They are added to the API allow-list (EKS public access CIDRs or "
            "a port-443 rule on the cluster security group; GKE master authorized networks). Required for "
            "`public_endpoint` and, on AWS, `private_network`; not allowed with `dns_endpoint`. Default none."
        ),
    )


class ClusterSpec(StrictModel):
    """The environment's managed Kubernetes cluster with production-safe defaults."""

    kubernetes_version: str = Field(
        DEFAULT_KUBERNETES_VERSION,
        description=(
            "Kubernetes minor version. EKS: the cluster version; GKE: the minimum version, which the release "
            f"channel upgrades from. Default `{DEFAULT_KUBERNETES_VERSION}`."
        ),
    )
    extended_support: bool = Field(
        False,
        description=(
            "AWS: allow EKS extended support (costs extra once standard support ends). Default false: the "
            "upgrade policy is STANDARD and versions past standard support are refused."
        ),
    )
    release_channel: Literal["RAPID", "REGULAR", "STABLE", "EXTENDED", "NONE"] = Field(
        "REGULAR",
        description=(
            "GCP: release channel that keeps control plane and nodes patched; `NONE` pins "
            "`kubernetes_version` and leaves upgrades to you. Default `REGULAR`."
        ),
    )
    public_endpoint: bool = Field(
        False,
        description=(
            "Expose the Kubernetes API on a public IP, reachable only from `authorized_networks` and the "
            "`deployer_access` runner networks: an explicit opt-in, flagged by the policy pack outside dev. "
            "Default false: the API is private (see `deployer_access` for how `pulumi up` reaches it)."
        ),
    )
    authorized_networks: list[str] = Field(
        default_factory=list,
        description=(
            "CIDRs allowed to reach the API besides the `deployer_access` runner networks. AWS: the public "
            "endpoint's allow-list (EKS public access CIDRs), so only with `public_endpoint: true`; a public "
            "endpoint needs these or `deployer_access.runner_cidrs`, as it is never open to all. GKE: the master "
            "authorized networks, for the public and the private endpoint. Default none."
        ),
    )
    private_access_cidrs: Optional[list[str]] = Field(
        None,
        description=(
            "AWS: networks (in or connected to the VPC, e.g. your CI runners' subnet) allowed to reach the "
            "private API on port 443, besides the nodes (their own security group) and the `deployer_access` "
            "runner networks. Default none: nothing else reaches the API, not even the rest of the VPC."
        ),
    )
    dns_endpoint: bool = Field(
        True,
        description=(
            "GCP: enable the control plane's DNS-based endpoint, authorized by IAM, so CI outside the VPC can "
            "reach a private cluster without a public IP. Default true."
        ),
    )
    master_cidr: str = Field(
        "172.16.0.0/28", description="GCP: the /28 range for the private control plane. Default `172.16.0.0/28`."
    )
    admins: dict[Name, str] = Field(
        default_factory=dict,
        description=(
            "AWS: IAM principals (role or user ARNs) that get cluster-admin through EKS access entries, keyed "
            "by a name. Default none."
        ),
    )
    deployer_admin: Optional[bool] = Field(
        None,
        description=(
            "AWS: give the IAM principal running `pulumi up` cluster-admin through an access entry of its own, so "
            "the same run can install KEDA and Argo CD. When false, that principal must be listed in `admins` (a "
            "named, reviewed admin; the run stops with an error otherwise), which is how staging and prod keep "
            "their admins explicit (CIS EKS 4.1.1). Run `up` from one identity (your CI role). Default: true in "
            "dev, false in staging and prod (EksCluster used directly: true)."
        ),
    )
    control_plane_logs: list[Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]] = Field(
        default_factory=lambda: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
        description=(
            "AWS: control-plane log types sent to CloudWatch; api, audit and authenticator are required. "
            "Default all five. (GKE always logs system components, workloads and the API server.)"
        ),
    )
    log_retention_days: int = Field(
        90,
        description="AWS: retention of the control-plane log group, in days; one of CloudWatch's values (1, 3, 5, "
                    "7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, "
                    "3653). Default 90.",
    )
    addon_versions: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "AWS: pin EKS add-on versions (`vpc-cni`, `coredns`, `kube-proxy`, `aws-ebs-csi-driver`) over the "
            "versions this library pins for the Kubernetes version. Default none."
        ),
    )
    node_pools: dict[Name, NodePoolSpec] = Field(
        min_length=1, description="Node pools keyed by name; at least one. Required."
    )
    protect: Optional[bool] = Field(
        None,
        description=(
            "Protect the cluster, node pools and encryption keys from deletion (Pulumi `protect`, plus the "
            "cloud's deletion protection). Default: true in prod, false elsewhere; set false explicitly to "
            "tear down a prod cluster."
        ),
    )
    deployer_access: Optional[DeployerAccessSpec] = Field(
        None,
        description=(
            "How the runner that runs `pulumi up` reaches the Kubernetes API (see docs/bootstrap.md). Default "
            "unset: derived when unambiguous (GKE with `dns_endpoint`; a public endpoint; a private endpoint "
            "in an existing network with `private_access_cidrs` or `authorized_networks`), otherwise a stack "
            "that deploys Kubernetes objects is refused at load time, because its first `up` could not reach "
            "its own API."
        ),
    )
    dns_endpoint_external: Optional[bool] = Field(
        None,
        description=(
            "GCP: accept user traffic on the DNS endpoint from outside Google's network (IAM still authorizes "
            "every call). Default: true outside prod, false in prod, where CI reaches the API through a network "
            "(`deployer_access.via: private_network`) unless this is set true explicitly."
        ),
    )
    rbac_security_group: Optional[str] = Field(
        None,
        pattern=r"^gke-security-groups@[A-Za-z0-9.-]+$",
        description=(
            "GCP: Google Groups for RBAC: the `gke-security-groups@<your domain>` group whose member groups "
            "RoleBindings may name (CIS GKE 5.8.2). Default unset."
        ),
    )
