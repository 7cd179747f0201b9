"""What EKS managed node groups need beyond their own API for Cluster Autoscaler and GPUs.

- The AMI: GPU pools boot the accelerated AL2023 NVIDIA AMI (driver and container toolkit; the device plugin is
  installed separately, see `components/addons/nvidia_device_plugin.py`). Valid `amiType` values:
  EKS API `CreateNodegroup` (AL2023_x86_64_STANDARD, AL2023_ARM_64_STANDARD, AL2023_x86_64_NVIDIA,
  AL2023_ARM_64_NVIDIA, ...).
- Scale from zero: with no node to copy, Cluster Autoscaler learns a group's labels and taints from
  `k8s.io/cluster-autoscaler/node-template/...` tags on the Auto Scaling group (kubernetes/autoscaler
  `cluster-autoscaler/cloudprovider/aws/README.md`, "Auto-Discovery Setup"). EKS tags the group for discovery
  (`k8s.io/cluster-autoscaler/enabled`, `k8s.io/cluster-autoscaler/<cluster>`) but does not copy node group
  labels or taints to it, and its DescribeNodegroup fallback only covers a group that never had nodes.
"""

from __future__ import annotations

import re

import pulumi

from ..cloud_sdks import aws
from ..scheduling import GPU_RESOURCE, declared_taints, node_labels
from ..spec.cluster import NodePoolSpec

TEMPLATE_TAG = "k8s.io/cluster-autoscaler/node-template"


def ami_type(pool: NodePoolSpec, arm: bool) -> str:
    if pool.gpu is not None:
        return "AL2023_ARM_64_NVIDIA" if arm else "AL2023_x86_64_NVIDIA"
    return "AL2023_ARM_64_STANDARD" if arm else "AL2023_x86_64_STANDARD"


def node_template_tags(pool_name: str, pool: NodePoolSpec) -> dict[str, str]:
    """The Auto Scaling group tags that describe a node of this pool to Cluster Autoscaler."""
    tags = {f"{TEMPLATE_TAG}/label/{key}": value for key, value in node_labels("aws", pool_name, pool).items()}
    for taint in declared_taints("aws", pool):
        tags[f"{TEMPLATE_TAG}/taint/{taint['key']}"] = f"{taint['value']}:{taint['effect']}"
    if pool.gpu is not None:
        tags[f"{TEMPLATE_TAG}/resources/{GPU_RESOURCE}"] = str(pool.gpu.count)
    return dict(sorted(tags.items()))


def tag_for_scale_from_zero(component: pulumi.ComponentResource, name: str, pool_name: str, pool: NodePoolSpec,
                            node_group: aws.eks.NodeGroup) -> list[aws.autoscaling.Tag]:
    """Tag the node group's Auto Scaling group with its node template.

    Every pool is tagged, not only those with `min_size: 0`, so changing a pool's sizes never creates or
    deletes resources; a tag exists exactly as long as the label or taint it describes.
    """
    group_name = node_group.resources.apply(lambda resources: resources[0].autoscaling_groups[0].name)
    return [
        aws.autoscaling.Tag(
            f"{name}-{pool_name}-asg-{re.sub(r'[^a-z0-9]+', '-', key.removeprefix(TEMPLATE_TAG + '/').lower())}",
            autoscaling_group_name=group_name,
            # Only Cluster Autoscaler reads these; instances get their labels and taints from the node group.
            tag=aws.autoscaling.TagTagArgs(key=key, value=value, propagate_at_launch=False),
            opts=pulumi.ResourceOptions(parent=component),
        )
        for key, value in node_template_tags(pool_name, pool).items()
    ]
