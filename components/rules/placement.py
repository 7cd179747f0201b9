"""Rules for where workloads run: known pools, tainted pools only by name, GPUs only on GPU pools."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import Problem
from ..scheduling import AWS_ACCELERATOR_LABEL, GPU_PRESENT_LABEL, GPU_RESOURCE, NODE_POOL_LABEL, node_taints
from .node_types import machine_type

if TYPE_CHECKING:  # the spec models import these rules
    from ..spec.cluster import NodePoolSpec
    from ..spec.environment import EnvironmentSpec
    from ..spec.workload import JobSpec, WorkloadSpec

RESERVED_LABELS = (NODE_POOL_LABEL, GPU_PRESENT_LABEL, AWS_ACCELERATOR_LABEL)


def effective_workloads(spec: EnvironmentSpec) -> Iterator[tuple[str, WorkloadSpec, int]]:
    """(path, effective workload, most pods it may run at once) for every service and job."""
    from ..spec.resolve import job_workload

    for name, service in sorted(spec.services.items()):
        yield f"services.{name}", service, service.scaling.max_replicas
    for name, job in sorted(spec.jobs.items()):
        if job.service is not None and job.service not in spec.services:
            continue  # reported by the jobs rules
        yield f"jobs.{name}", job_workload(job, spec.services), _job_pods(job)


def _job_pods(job: JobSpec) -> int:
    # A CronJob with concurrencyPolicy Allow can overlap runs; one run at a time is what Forbid and Replace
    # guarantee and what an on-demand job is meant for.
    return job.max_parallel_jobs if job.mode == "per_message" else 1


def is_general_purpose(pool: NodePoolSpec) -> bool:
    """A pool any workload may land on: no taints (GPU pools are tainted too)."""
    return not node_taints(pool)


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


def placement_problems(spec: EnvironmentSpec) -> list[Problem]:
    cluster = spec.cluster
    if cluster is None:
        return []
    problems: list[Problem] = []
    for name, pool in cluster.node_pools.items():
        problems.extend(gpu_pool_problems(spec.cloud, f"cluster.node_pools.{name}", pool))
    pools = cluster.node_pools
    known = ", ".join(sorted(pools))
    gpu_pools = sorted(name for name, pool in pools.items() if pool.gpu is not None)
    general = sorted(name for name, pool in pools.items() if is_general_purpose(pool))
    for path, workload, _ in effective_workloads(spec):
        pool_name, gpus = workload.node_pool, workload.resources.gpu
        if pool_name is not None and pool_name not in pools:
            problems.append(Problem(f"{path}.node_pool", f"no node pool named {pool_name!r} in cluster.node_pools "
                                                         f"(pools: {known})"))
            continue
        pool = pools[pool_name] if pool_name is not None else None
        if gpus and (pool is None or pool.gpu is None):
            choices = ", ".join(gpu_pools) or "none; add a pool with `gpu:`"
            problems.append(Problem(f"{path}.node_pool", f"resources.gpu ({gpus}) needs node_pool naming a GPU pool "
                                                         f"(GPU pools: {choices})"))
        elif pool is not None and pool.gpu is not None and not gpus:
            problems.append(Problem(f"{path}.resources.gpu",
                                    f"node pool {pool_name!r} is a GPU pool; request GPUs (resources.gpu) or run "
                                    "on another pool"))
        elif pool is None and not gpus and not general:
            problems.append(Problem(f"{path}.node_pool",
                                    f"every node pool is tainted ({known}); name the one to run on"))
    return problems
