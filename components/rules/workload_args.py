"""The stack file's per-workload rules, for `Service` and `BatchJob` built directly from Python.

A stack file's services and jobs are checked by `components.rules.workloads` when it is loaded; a program that
builds the components itself gets the same rules here, with the same messages, at the argument's path
(`args.spec.max_message_seconds` instead of `services.orders.max_message_seconds`). What needs the whole
environment (capacity of the pools for every workload together, the tier's image pinning) is checked by
`Environment` (`EnvironmentSpec.problems`), not by one component; placement on the cluster's node pools is checked
here when the cluster says what its pools are (`EksCluster`, `GkeCluster`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

from ..errors import Problem
from .placement import workload_placement_problems
from .workloads import (
    SYSTEM_NAMESPACES,
    job_shape_problems,
    message_time_problem,
    service_shape_problems,
    workload_problems,
)

if TYPE_CHECKING:
    from ..spec.workload import WorkloadSpec
    from ..workloads import BatchJobArgs, ServiceArgs
    from ..workloads.common import WorkloadArgs


@dataclass(frozen=True)
class _Context:
    """What `workload_problems` reads from an environment, for one component: its cloud, no queues by name (the
    queue is a component argument) and no tier (tier rules are the environment's)."""

    cloud: str
    tier: str = "dev"
    queues: dict[str, Any] = field(default_factory=dict)


def _cloud(args: WorkloadArgs) -> str:
    from ..cluster import GkeCluster

    return "gcp" if isinstance(args.cluster, GkeCluster) else "aws"


def _common(path: str, workload: WorkloadSpec, args: WorkloadArgs) -> list[Problem]:
    # The queue is `args.queue` (a component), not a name to look up: checked below against its own arguments.
    problems = workload_problems(path, workload.model_copy(update={"queue": None}), _Context(_cloud(args)))
    queue_args: Optional[Any] = getattr(args.queue, "args", None)
    if queue_args is not None:
        message = message_time_problem(workload.max_message_seconds, queue_args.visibility_timeout_seconds,
                                       "args.queue.visibility_timeout_seconds")
        if message:
            problems.append(Problem(f"{path}.max_message_seconds", message))
    pools = getattr(args.cluster, "node_pools", None)
    if pools:
        problems.extend(workload_placement_problems(path, workload, pools, "args.cluster.node_pools"))
    if args.namespace in SYSTEM_NAMESPACES:
        problems.append(Problem("args.namespace", f"{args.namespace!r} is reserved for the platform; use the "
                                                  "workload's own namespace"))
    return problems


def service_args_problems(args: ServiceArgs) -> list[Problem]:
    return [*_common("args.spec", args.spec, args),
            *service_shape_problems("args.spec", args.spec, args.min_replicas, args.queue is not None,
                                    "args.min_replicas")]


def job_args_problems(args: BatchJobArgs) -> list[Problem]:
    return [*_common("args.workload", args.workload, args),
            *job_shape_problems("args.job", args.job, args.queue is not None, "args.queue")]
