"""`ClusterAutoscaler`: Kubernetes Cluster Autoscaler for EKS managed node groups, with its own IRSA role.

Why Cluster Autoscaler and not Karpenter: see docs/capacity.md. In short, node pools here are managed node
groups keyed by name (their identity is a contract), and Cluster Autoscaler scales exactly those groups,
within each pool's `min_size`/`max_size`, with no CRDs and no second description of the nodes.

Configuration (kubernetes/autoscaler `cluster-autoscaler/cloudprovider/aws/README.md` and the chart's
`values.yaml` at cluster-autoscaler-chart-9.59.0):
- auto-discovery of the groups EKS tags `k8s.io/cluster-autoscaler/enabled` and
  `k8s.io/cluster-autoscaler/<cluster>`; the region is passed explicitly because nodes allow IMDSv2 with hop
  limit 1, so pods cannot ask instance metadata;
- `expander: least-waste` picks the group that leaves the least CPU and memory idle;
- `skip-nodes-with-local-storage: false`: every workload pod mounts an emptyDir at /tmp (read-only root
  filesystem); with the default, nodes running them could never be removed;
- IAM: the README's "full features" policy, with the two mutating actions limited by resource tag to this
  cluster's groups and `eks:DescribeNodegroup` to this cluster's node groups.
"""

from __future__ import annotations

import json
from typing import Any, Optional

import pulumi
from pydantic import ConfigDict, Field

from ..cloud_sdks import aws
from ..cluster import EksCluster
from ..scheduling import NODE_POOL_LABEL
from ..spec.base import StrictModel
from ..spec.cluster import NodePoolSpec
from ..versions import (
    CLUSTER_AUTOSCALER_CHART_REPOSITORY,
    CLUSTER_AUTOSCALER_CHART_VERSION,
    CLUSTER_AUTOSCALER_IMAGE_TAGS,
)
from .helm import install_chart

NAMESPACE = "cluster-autoscaler"
SERVICE_ACCOUNT = "cluster-autoscaler"
READ_ACTIONS = (
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
)
SCALE_ACTIONS = ("autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup")


class ClusterAutoscalerArgs(StrictModel):
    """Arguments of `ClusterAutoscaler`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    cluster: EksCluster = Field(description="The EKS cluster whose managed node groups it scales. Required.")
    cluster_name: str = Field(description="The EKS cluster's name (auto-discovery tag and IAM scope). Required.")
    region: str = Field(description="AWS region of the cluster. Required.")
    node_pools: dict[str, NodePoolSpec] = Field(
        description="The cluster's node pools, to run the autoscaler on an on-demand, untainted one. Required.")
    high_availability: bool = Field(
        False, description="Two replicas (leader-elected, one active) with a disruption budget (prod). Default false.")
    chart_version: str = Field(
        CLUSTER_AUTOSCALER_CHART_VERSION,
        description=f"Cluster Autoscaler chart version. Default `{CLUSTER_AUTOSCALER_CHART_VERSION}`.")


def scaling_policy(cluster_name: str, cluster_arn: str) -> str:
    """The IAM policy: read anything it must inspect, change only this cluster's groups."""
    nodegroups = cluster_arn.replace(":cluster/", ":nodegroup/", 1) + "/*/*"
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            # Describe and instance-type lookups support no resource-level permissions.
            {"Sid": "Inspect", "Effect": "Allow", "Action": list(READ_ACTIONS), "Resource": "*"},
            {"Sid": "ScaleThisClustersGroups", "Effect": "Allow", "Action": list(SCALE_ACTIONS), "Resource": "*",
             "Condition": {"StringEquals": {
                 "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
                 f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned",
             }}},
            # Labels and taints of a managed node group that has no node yet.
            {"Sid": "DescribeThisClustersNodeGroups", "Effect": "Allow", "Action": "eks:DescribeNodegroup",
             "Resource": nodegroups},
        ],
    }, sort_keys=True)


def home_pool(node_pools: dict[str, NodePoolSpec]) -> Optional[str]:
    """An untainted on-demand pool: the autoscaler must not run on nodes it may remove or Spot may reclaim."""
    steady = [name for name, pool in sorted(node_pools.items())
              if not pool.spot and not pool.taints and pool.gpu is None]
    return steady[0] if steady else None


class ClusterAutoscaler(pulumi.ComponentResource):
    """Cluster Autoscaler installed from its pinned chart, running as its own IRSA role."""

    release: Any
    """The Helm release (`kubernetes:helm.sh/v3:Release`)."""
    role_arn: pulumi.Output[str]
    """The autoscaler's own IRSA role."""

    def __init__(self, name: str, args: ClusterAutoscalerArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:index:ClusterAutoscaler", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        version = args.cluster.kubernetes_version
        if version not in CLUSTER_AUTOSCALER_IMAGE_TAGS:
            raise ValueError(f"no Cluster Autoscaler image pinned for Kubernetes {version}")
        identity = args.cluster.bind_workload_identity(f"{name}-controller", NAMESPACE, SERVICE_ACCOUNT, child)
        policy = aws.iam.RolePolicy(
            f"{name}-scale-node-groups", role=identity.principal.ref,
            policy=args.cluster.cluster_arn.apply(lambda arn: scaling_policy(args.cluster_name, arn)),
            opts=child)

        values: dict[str, Any] = {
            "cloudProvider": "aws",
            "awsRegion": args.region,
            "autoDiscovery": {"clusterName": args.cluster_name},
            "image": {"tag": CLUSTER_AUTOSCALER_IMAGE_TAGS[version]},
            "rbac": {"serviceAccount": {"create": True, "name": SERVICE_ACCOUNT, "annotations": identity.annotations}},
            "extraArgs": {"expander": "least-waste", "skip-nodes-with-local-storage": False},
            "replicaCount": 2 if args.high_availability else 1,
            "podDisruptionBudget": {"maxUnavailable": 1},
            "resources": {"requests": {"cpu": "100m", "memory": "300Mi"}, "limits": {"memory": "600Mi"}},
            "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "runAsGroup": 65534,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "containerSecurityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                         "capabilities": {"drop": ["ALL"]}},
        }
        pool = home_pool(args.node_pools)
        if pool is not None:
            values["nodeSelector"] = {NODE_POOL_LABEL: pool}
        self.release = install_chart(
            self, name, chart="cluster-autoscaler", release_name="cluster-autoscaler", version=args.chart_version,
            repository=CLUSTER_AUTOSCALER_CHART_REPOSITORY, namespace=NAMESPACE, values=values,
            depends_on=[*identity.resources, policy])
        self.role_arn = identity.cloud_identity
        self.register_outputs({"role_arn": self.role_arn, "release_status": self.release.status})
