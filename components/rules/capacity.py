"""Capacity check: every pod fits one node of its pool, and the declared maximums pack into the pools' maximums.

Demand is what the stack file allows at peak: a service's `max_replicas`, a per-message job's
`max_parallel_jobs`, one run of a scheduled or on-demand job, each with its requests, plus the add-on pods the
platform installs on the untainted pools (KEDA, Cluster Autoscaler; `ADDON_PODS`). Supply is `max_size` nodes
of the pool's smallest machine type, each with its estimated allocatable (`node_types.py`). Pods are packed
onto nodes first-fit decreasing, as a scheduler filling nodes would at best: a 2-CPU pod takes a whole
3.72-CPU node when two do not fit, which a sum of CPU across the pool does not see. Pools with a machine type
the table does not know are skipped (docs/capacity.md).
"""

from __future__ import annotations

import functools
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


MIB = Decimal(2**20)
# Deployments the platform installs on the untainted pools, with the requests their charts set (DaemonSets are in
# node_types.SYSTEM_PODS_*). KEDA: kedacore/charts keda/values.yaml `resources` at chart 2.20.2, the pinned version
# (commit 1444d00d90d7668cf7f53f270777d039371d90d0, fetched December 2026): operator, metrics server and admission
# webhooks 100m/100Mi each. Cluster Autoscaler: components/addons/cluster_autoscaler.py sets 100m/300Mi. Argo CD
# (argo-helm charts/argo-cd/values.yaml, `resources: {}` for every component at commit af0a9310, chart 10.1.1) and
# External Secrets Operator set no requests by default, so the scheduler counts them as zero.
KEDA_PODS = (("keda-operator", Decimal("0.1"), 100 * MIB), ("keda-metrics-apiserver", Decimal("0.1"), 100 * MIB),
             ("keda-admission-webhooks", Decimal("0.1"), 100 * MIB))
CLUSTER_AUTOSCALER_POD = ("cluster-autoscaler", Decimal("0.1"), 300 * MIB)


@dataclass
class Demand:
    """Peak requests of the workloads that run on a set of pools, and who asked for them."""

    cpu: Decimal = Decimal(0)
    memory: Decimal = Decimal(0)
    gpus: int = 0
    parts: list[str] = field(default_factory=list)
    # (cpu, memory, gpus) -> pods of that shape
    shapes: dict[tuple[Decimal, Decimal, int], int] = field(default_factory=dict)

    def add(self, path: str, pods: int, cpu: Decimal, memory: Decimal, gpus: int) -> None:
        self.cpu += pods * cpu
        self.memory += pods * memory
        self.gpus += pods * gpus
        self.shapes[(cpu, memory, gpus)] = self.shapes.get((cpu, memory, gpus), 0) + pods
        per_pod = f"{format_cpu(cpu)} CPU/{format_memory(memory)}" + (f"/{gpus} GPU" if gpus else "")
        self.parts.append(f"{path} {pods} x {per_pod}")

    def merge(self, other: Demand) -> None:
        self.cpu, self.memory, self.gpus = self.cpu + other.cpu, self.memory + other.memory, self.gpus + other.gpus
        self.parts.extend(other.parts)
        for shape, pods in other.shapes.items():
            self.shapes[shape] = self.shapes.get(shape, 0) + pods


def addon_pods(spec: EnvironmentSpec) -> list[tuple[str, int, Decimal, Decimal]]:
    """(path, pods, CPU, memory) of the add-on Deployments the Environment installs for this spec."""
    from ..spec.resolve import job_workload

    replicas = 2 if spec.tier == "prod" else 1
    found = []
    scaled = any(s.queue for s in spec.services.values()) or any(
        j.mode == "per_message" and job_workload(j, spec.services).queue for j in spec.jobs.values()
        if j.service is None or j.service in spec.services)
    if scaled:
        found += [(f"add-ons {name}", replicas, cpu, memory) for name, cpu, memory in KEDA_PODS]
    if spec.cloud == "aws":
        name, cpu, memory = CLUSTER_AUTOSCALER_POD
        found.append((f"add-ons {name}", replicas, cpu, memory))
    return found


def _room(cpu: Decimal, memory: Decimal, gpus: int, most: int, cpu_left: Decimal, memory_left: Decimal,
          gpus_left: int) -> int:
    """How many pods of one shape (at most `most`) fit what a node has left."""
    limits = [int(cpu_left // cpu) if cpu else most, int(memory_left // memory) if memory else most,
              gpus_left // gpus if gpus else most]
    return max(0, min(limits))


def pack(shapes: dict[tuple[Decimal, Decimal, int], int], pools: list[tuple[str, Allocatable, Optional[int]]]
         ) -> tuple[dict[str, int], int]:
    """First-fit decreasing of pods onto nodes: (nodes opened per pool, pods left over). A pool's node count is
    capped by its max_size (None: no cap). Pods of one shape are placed many at a time; a shape that fits no
    node of these pools is left out (the per-pod check reports it)."""
    opened: dict[str, int] = {name: 0 for name, _, _ in pools}
    nodes: list[list] = []              # [pool, cpu left, memory left, gpus left]
    left = 0
    for (cpu, memory, gpus), count in sorted(shapes.items(), key=lambda item: (item[0][2], item[0][0], item[0][1]),
                                            reverse=True):

        room = functools.partial(_room, cpu, memory, gpus, count)
        for node in nodes:
            if not count:
                break
            placed = min(count, room(node[1], node[2], node[3]))
            node[1], node[2], node[3] = node[1] - placed * cpu, node[2] - placed * memory, node[3] - placed * gpus
            count -= placed
        if not any(room(shape.cpu, shape.memory, shape.gpus) for _, shape, _ in pools):
            continue  # fits no node at all: reported per pod, not as a shortage of nodes
        for name, shape, cap in pools:
            per_node = room(shape.cpu, shape.memory, shape.gpus)
            while count and per_node and (cap is None or opened[name] < cap):
                placed = min(count, per_node)
                nodes.append([name, shape.cpu - placed * cpu, shape.memory - placed * memory,
                              shape.gpus - placed * gpus])
                opened[name] += 1
                count -= placed
        left += count
    return opened, left


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
        for path, pods, cpu, memory in addon_pods(spec):
            anywhere.add(path, pods, cpu, memory, 0)
        shared = Demand()
        shared.merge(anywhere)
        for name in general:
            shared.merge(named[name])
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
    shapes = [(n, nodes[n], pools[n].max_size) for n in names]
    _, left = pack(demand.shapes, shapes)  # type: ignore[arg-type]
    if not left:
        return None
    held = " + ".join(f"{pools[n].max_size} x {nodes[n].machine_type}" for n in names)  # type: ignore[union-attr]
    gpu_text = f", {demand.gpus} GPU" if demand.gpus else ""
    message = (f"the declared maximums need {format_cpu(demand.cpu)} CPU, {format_memory(demand.memory)}{gpu_text} "
               f"({'; '.join(demand.parts)}) and do not pack into {held} nodes")
    if len(names) == 1:
        name, node = names[0], nodes[names[0]]
        assert node is not None
        needed, _ = pack(demand.shapes, [(name, node, None)])
        message += (f": pool {name!r} needs {needed[name]} nodes of {node.machine_type} (about {node.describe()} "
                    f"allocatable each, pods packed whole); raise max_size to {needed[name]}, or lower max_replicas "
                    "/ max_parallel_jobs")
    else:
        first = next(n for n in names if pack(demand.shapes, [(n, nodes[n], None)])[1] == 0)  # type: ignore
        more, _ = pack(demand.shapes, [*[(n, nodes[n], pools[n].max_size) for n in names if n != first],
                                       (first, nodes[first], None)])  # type: ignore[list-item]
        extra = more[first] - pools[first].max_size
        message += (f" ({left} pods left over): pool {first!r} needs {pools[first].max_size + extra} nodes "
                    f"({extra} more); raise max_size, or lower max_replicas / max_parallel_jobs")
    return Problem(path, message)
