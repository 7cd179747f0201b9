"""Capacity check: every pod fits one node of its pool, and the declared maximums fit the pools' maximums.

Demand is what the stack file allows at peak: a service's `max_replicas`, a per-message job's
`max_parallel_jobs`, one run of a scheduled or on-demand job, each times its requests. Supply is
`max_size` nodes times the estimated allocatable of the pool's smallest machine type (`node_types.py`).
Pools with a machine type the table does not know are skipped (docs/capacity.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

from ..errors import Problem
from .node_types import Allocatable, allocatable, format_cpu, format_memory
from .placement import effective_workloads, is_general_purpose
from .workloads import cpu_cores, memory_bytes

if TYPE_CHECKING:
    from ..spec.cluster import NodePoolSpec
    from ..spec.environment import EnvironmentSpec


@dataclass
class Demand:
    """Peak requests of the workloads that run on a set of pools, and who asked for them."""

    cpu: Decimal = Decimal(0)
    memory: Decimal = Decimal(0)
    gpus: int = 0
    parts: list[str] = field(default_factory=list)

    def add(self, path: str, pods: int, cpu: Decimal, memory: Decimal, gpus: int) -> None:
        self.cpu += pods * cpu
        self.memory += pods * memory
        self.gpus += pods * gpus
        per_pod = f"{format_cpu(cpu)} CPU/{format_memory(memory)}" + (f"/{gpus} GPU" if gpus else "")
        self.parts.append(f"{path} {pods} x {per_pod}")


def node_allocatable(cloud: str, pool: NodePoolSpec) -> Optional[Allocatable]:
    """The smallest node the pool can get (the autoscaler may pick any of its types); None if one is unknown."""
    gpus = pool.gpu.count if pool.gpu is not None else 0
    nodes = [allocatable(cloud, name, gpus) for name in pool.machine_types]
    if not nodes or any(node is None for node in nodes):
        return None
    known = [node for node in nodes if node is not None]
    smallest = min(known, key=lambda node: (node.cpu, node.memory))
    return Allocatable(smallest.machine_type, min(n.cpu for n in known), min(n.memory for n in known),
                       min(n.gpus for n in known))


def capacity_problems(spec: EnvironmentSpec) -> list[Problem]:
    cluster = spec.cluster
    if cluster is None:
        return []
    nodes = {name: node_allocatable(spec.cloud, pool) for name, pool in cluster.node_pools.items()}
    general = sorted(name for name, pool in cluster.node_pools.items() if is_general_purpose(pool))
    named: dict[str, Demand] = {name: Demand() for name in cluster.node_pools}
    anywhere = Demand()
    problems: list[Problem] = []
    for path, workload, pods in effective_workloads(spec):
        cpu, memory = cpu_cores(workload.resources.cpu), memory_bytes(workload.resources.memory)
        if cpu is None or memory is None:
            continue  # reported by the resources rules
        gpus = workload.resources.gpu
        candidates = [workload.node_pool] if workload.node_pool is not None else general
        sizes = [(name, nodes[name]) for name in candidates if name in nodes]
        if sizes and all(node is not None for _, node in sizes):
            if not any(_fits(node, cpu, memory, gpus) for _, node in sizes if node is not None):
                where = "; ".join(f"pool {name!r} ({node.machine_type}) about {node.describe()}"
                                  for name, node in sizes if node is not None)
                problems.append(Problem(
                    f"{path}.resources",
                    f"one pod requests {format_cpu(cpu)} CPU, {format_memory(memory)}"
                    + (f", {gpus} GPU" if gpus else "")
                    + f" but no node it may run on has that much allocatable ({where}); it would stay Pending",
                ))
        target = named[workload.node_pool] if workload.node_pool in named else anywhere
        target.add(path, pods, cpu, memory, gpus)

    for name in sorted(cluster.node_pools):
        if name in general:
            continue  # checked together with the workloads that may land on any untainted pool
        problem = _overcommit(f"cluster.node_pools.{name}.max_size", [name], named[name], cluster.node_pools, nodes)
        if problem:
            problems.append(problem)
    if general:
        shared = Demand(parts=list(anywhere.parts), cpu=anywhere.cpu, memory=anywhere.memory, gpus=anywhere.gpus)
        for name in general:
            demand = named[name]
            shared.cpu, shared.memory, shared.gpus = (shared.cpu + demand.cpu, shared.memory + demand.memory,
                                                      shared.gpus + demand.gpus)
            shared.parts.extend(demand.parts)
        path = f"cluster.node_pools.{general[0]}.max_size" if len(general) == 1 else "cluster.node_pools"
        problem = _overcommit(path, general, shared, cluster.node_pools, nodes)
        if problem:
            problems.append(problem)
    return problems


def _fits(node: Allocatable, cpu: Decimal, memory: Decimal, gpus: int) -> bool:
    return cpu <= node.cpu and memory <= node.memory and gpus <= node.gpus


def _overcommit(path: str, names: list[str], demand: Demand, pools: dict[str, NodePoolSpec],
                nodes: dict[str, Optional[Allocatable]]) -> Optional[Problem]:
    if not demand.parts or any(nodes[name] is None for name in names):
        return None
    supply_cpu = sum((pools[n].max_size * nodes[n].cpu for n in names), Decimal(0))  # type: ignore[union-attr]
    supply_memory = sum((pools[n].max_size * nodes[n].memory for n in names), Decimal(0))  # type: ignore[union-attr]
    supply_gpus = sum(pools[n].max_size * nodes[n].gpus for n in names)  # type: ignore[union-attr]
    if demand.cpu <= supply_cpu and demand.memory <= supply_memory and demand.gpus <= supply_gpus:
        return None
    held = " + ".join(f"{pools[n].max_size} x {nodes[n].machine_type}" for n in names)  # type: ignore[union-attr]
    gpu_text = lambda count: f", {count} GPU" if demand.gpus else ""  # noqa: E731
    message = (
        f"the declared maximums need {format_cpu(demand.cpu)} CPU, {format_memory(demand.memory)}"
        f"{gpu_text(demand.gpus)} ({'; '.join(demand.parts)}) but {held} nodes hold about "
        f"{format_cpu(supply_cpu)} CPU, {format_memory(supply_memory)}{gpu_text(supply_gpus)}"
    )
    if len(names) == 1:
        node = nodes[names[0]]
        assert node is not None
        needed = max(
            math.ceil(demand.cpu / node.cpu),
            math.ceil(demand.memory / node.memory),
            math.ceil(demand.gpus / node.gpus) if node.gpus else 0,
        )
        message += f": raise max_size to {needed}, or lower max_replicas / max_parallel_jobs"
    else:
        message += ": raise max_size, or lower max_replicas / max_parallel_jobs"
    return Problem(path, message)
