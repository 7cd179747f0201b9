"""Rules for GPU pools and the node labels and taints the platform owns, shared by stack files and direct
users of `EksClusterArgs` / `GkeClusterArgs` (through `rules.clusters.node_pool_problems`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import Problem
from ..scheduling import AWS_ACCELERATOR_LABEL, GPU_PRESENT_LABEL, GPU_RESOURCE, NODE_POOL_LABEL
from .node_types import machine_type

if TYPE_CHECKING:  # the spec models import these rules
    from ..spec.cluster import NodePoolSpec

RESERVED_LABELS = (NODE_POOL_LABEL, GPU_PRESENT_LABEL, AWS_ACCELERATOR_LABEL)


def gpu_pool_problems(cloud: str, path: str, pool: NodePoolSpec) -> list[Problem]:
    problems = [Problem(f"{path}.labels.{label}", "is set by the platform; remove it")
                for label in RESERVED_LABELS if label in pool.labels]
    problems += [Problem(f"{path}.taints[{index}]", f"{GPU_RESOURCE} taints are set by the platform on GPU pools")
                 for index, taint in enumerate(pool.taints) if taint.key == GPU_RESOURCE]
    if cloud == "gcp":
        if pool.gpu is not None and pool.gpu.type is None:
            problems.append(Problem(f"{path}.gpu.type", "required on gcp: the accelerator type, e.g. nvidia-l4"))
        return problems
    known = {name: machine_type(cloud, name) for name in pool.machine_types}
    if pool.gpu is None:
        with_gpus = [name for name, hardware in known.items() if hardware is not None and hardware.gpus]
        if with_gpus:
            problems.append(Problem(f"{path}.gpu", f"{with_gpus} have GPUs: declare `gpu:` so nodes get the NVIDIA "
                                                   "AMI and device plugin (or choose CPU instance types)"))
        return problems
    if pool.gpu.type is not None:
        problems.append(Problem(f"{path}.gpu.type", "only applies on gcp; on aws the instance type decides"))
    for name, hardware in known.items():
        if hardware is not None and hardware.gpus == 0:
            problems.append(Problem(f"{path}.machine_types", f"{name} has no GPU; a GPU pool needs g5, g6, p5, ..."))
        elif hardware is not None and hardware.gpus != pool.gpu.count:
            problems.append(Problem(f"{path}.gpu.count",
                                    f"({pool.gpu.count}) does not match {name}, which has {hardware.gpus} GPU(s)"))
    return problems
