"""Where pods run: a pool's effective node labels and taints, and the placement a workload derives from them.

One source for both sides: the cluster components put these labels and taints on the nodes, the workload
manifests select and tolerate exactly them, so a pool's labels and taints are never typed twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from .rules.node_types import machine_type

if TYPE_CHECKING:
    from .spec.cluster import ClusterSpec, NodePoolSpec, TaintSpec
    from .spec.workload import WorkloadSpec

# Every node carries its pool's key under this label: the provider's own labels hold generated names
# (`eks.amazonaws.com/nodegroup`, `cloud.google.com/gke-nodepool` end in a random suffix), the map key is stable.
NODE_POOL_LABEL = "platform.io/node-pool"
GPU_RESOURCE = "nvidia.com/gpu"
# GKE taints GPU nodes with this itself; on EKS the node group carries it, so both clouds keep CPU-only pods
# off expensive GPU nodes the same way.
GPU_TAINT = {"key": GPU_RESOURCE, "value": "present", "effect": "NoSchedule"}
# The NVIDIA device plugin chart only schedules onto nodes with this label (or Node Feature Discovery's).
GPU_PRESENT_LABEL = "nvidia.com/gpu.present"
# Cluster Autoscaler (AWS) waits for a node with this label to advertise its GPUs before scaling again.
AWS_ACCELERATOR_LABEL = "k8s.amazonaws.com/accelerator"


def node_labels(cloud: str, key: str, pool: NodePoolSpec) -> dict[str, str]:
    """Kubernetes labels every node of the pool gets (the user's, the stable pool label, GPU markers on AWS)."""
    labels = {**pool.labels, NODE_POOL_LABEL: key}
    if pool.gpu is not None and cloud == "aws":
        hardware = machine_type(cloud, pool.machine_types[0])
        labels[GPU_PRESENT_LABEL] = "true"
        labels[AWS_ACCELERATOR_LABEL] = (hardware.gpu_type if hardware and hardware.gpu_type else "nvidia")
    return labels


def declared_taints(cloud: str, pool: NodePoolSpec) -> list[dict[str, str]]:
    """Taints the node pool resource declares: the user's, plus the GPU taint on EKS (GKE adds its own)."""
    taints = [_taint(t) for t in pool.taints]
    if pool.gpu is not None and cloud == "aws":
        taints.append(dict(GPU_TAINT))
    return taints


def node_taints(pool: NodePoolSpec) -> list[dict[str, str]]:
    """Taints nodes of the pool end up with, on either cloud."""
    return [_taint(t) for t in pool.taints] + ([dict(GPU_TAINT)] if pool.gpu is not None else [])


def _taint(taint: TaintSpec) -> dict[str, str]:
    return {"key": taint.key, "value": taint.value, "effect": taint.effect}


def placement(cluster: Optional[ClusterSpec], workload: WorkloadSpec) -> dict[str, Any]:
    """Pod spec fields (`nodeSelector`, `tolerations`) that put the workload on its pool; empty without one."""
    if cluster is None or workload.node_pool is None or workload.node_pool not in cluster.node_pools:
        return {}
    pool = cluster.node_pools[workload.node_pool]
    tolerations = [
        {"key": t["key"], "operator": "Equal", "value": t["value"], "effect": t["effect"]}
        if t["value"] else {"key": t["key"], "operator": "Exists", "effect": t["effect"]}
        for t in node_taints(pool)
    ]
    result: dict[str, Any] = {"nodeSelector": {NODE_POOL_LABEL: workload.node_pool}}
    if tolerations:
        result["tolerations"] = tolerations
    return result
