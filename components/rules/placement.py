"""Rules for where workloads run: known pools, tainted pools only by name, GPUs only on GPU pools."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import Problem
from ..scheduling import node_taints

if TYPE_CHECKING:  # the spec models import these rules
    from ..spec.cluster import NodePoolSpec
    from ..spec.environment import EnvironmentSpec
    from ..spec.workload import JobSpec, WorkloadSpec


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


def placement_problems(spec: EnvironmentSpec) -> list[Problem]:
    cluster = spec.cluster
    if cluster is None:
        return []
    problems: list[Problem] = []
    for path, workload, _ in effective_workloads(spec):
        problems.extend(workload_placement_problems(path, workload, cluster.node_pools, "cluster.node_pools"))
    return problems


def workload_placement_problems(path: str, workload: WorkloadSpec, pools: dict[str, NodePoolSpec],
                                pools_field: str) -> list[Problem]:
    """Whether one workload fits the pools (`pools_field` names them in messages): stack file and component Args."""
    known = ", ".join(sorted(pools))
    pool_name, gpus = workload.node_pool, workload.resources.gpu
    if pool_name is not None and pool_name not in pools:
        return [Problem(f"{path}.node_pool", f"no node pool named {pool_name!r} in {pools_field} (pools: {known})")]
    pool = pools[pool_name] if pool_name is not None else None
    if gpus and (pool is None or pool.gpu is None):
        choices = ", ".join(sorted(name for name, p in pools.items() if p.gpu is not None)) or \
            "none; add a pool with `gpu:`"
        return [Problem(f"{path}.node_pool", f"resources.gpu ({gpus}) needs node_pool naming a GPU pool "
                                             f"(GPU pools: {choices})")]
    if pool is not None and pool.gpu is not None and not gpus:
        return [Problem(f"{path}.resources.gpu", f"node pool {pool_name!r} is a GPU pool; request GPUs "
                                                 "(resources.gpu) or run on another pool")]
    if pool is None and not gpus and not any(is_general_purpose(p) for p in pools.values()):
        return [Problem(f"{path}.node_pool", f"every node pool is tainted ({known}); name the one to run on")]
    return []
