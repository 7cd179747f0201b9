"""Pulumi components for queue-driven services and batch jobs on EKS and GKE.

Import what you need from another Pulumi project:

    from components import SqsWorkQueue, WorkQueueArgs
    orders = SqsWorkQueue("orders", WorkQueueArgs(visibility_timeout_seconds=120))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers and IDEs; at runtime names load on first use (below)
    from .addons import ClusterAutoscaler, ClusterAutoscalerArgs, NvidiaDevicePlugin, NvidiaDevicePluginArgs
    from .addons.argocd import ArgoCdBootstrap, ArgoCdBootstrapArgs
    from .addons.keda import Keda, KedaArgs
    from .addons.pulumi_operator import OperatorWorkspace, PulumiOperator, PulumiOperatorArgs
    from .cluster import Cluster, EksCluster, EksClusterArgs, GkeCluster, GkeClusterArgs, WorkloadIdentity
    from .environment import Environment
    from .errors import Problem, SpecError
    from .gcp_services import GcpProjectServices, GcpProjectServicesArgs
    from .identity import WorkloadPrincipal
    from .network import AwsNetwork, AwsNetworkArgs, GcpNetwork, GcpNetworkArgs
    from .queues import PubSubWorkQueue, SqsWorkQueue, WorkQueue, WorkQueueArgs, work_queue
    from .spec import EnvironmentSpec, QueueSpec, parse_environment
    from .spec.cluster import ClusterSpec, GpuSpec, NodePoolSpec, TaintSpec
    from .spec.network import NetworkSpec
    from .spec.workload import JobSpec, ServiceSpec, WorkloadSpec
    from .stack_config import load_environment_spec
    from .workloads import BatchJob, BatchJobArgs, Service, ServiceArgs

# Name -> module that defines it. Importing `components` (or one submodule such as `components.rules`) stays
# cheap; `from components import X` imports X's module on first use, so a policy pack or `stackctl --help`
# does not pay for every component and both clouds' SDKs.
_EXPORTS = {
    "ArgoCdBootstrap": ".addons.argocd",
    "ArgoCdBootstrapArgs": ".addons.argocd",
    "BatchJob": ".workloads",
    "BatchJobArgs": ".workloads",
    "JobSpec": ".spec.workload",
    "Keda": ".addons.keda",
    "KedaArgs": ".addons.keda",
    "Service": ".workloads",
    "ServiceArgs": ".workloads",
    "ServiceSpec": ".spec.workload",
    "WorkloadSpec": ".spec.workload",
    "AwsNetwork": ".network",
    "AwsNetworkArgs": ".network",
    "Cluster": ".cluster",
    "ClusterSpec": ".spec.cluster",
    "EksCluster": ".cluster",
    "EksClusterArgs": ".cluster",
    "GcpNetwork": ".network",
    "GcpNetworkArgs": ".network",
    "GkeCluster": ".cluster",
    "GkeClusterArgs": ".cluster",
    "NetworkSpec": ".spec.network",
    "NodePoolSpec": ".spec.cluster",
    "TaintSpec": ".spec.cluster",
    "WorkloadIdentity": ".cluster",
    "Environment": ".environment",
    "EnvironmentSpec": ".spec",
    "Problem": ".errors",
    "PubSubWorkQueue": ".queues",
    "QueueSpec": ".spec",
    "SpecError": ".errors",
    "SqsWorkQueue": ".queues",
    "WorkQueue": ".queues",
    "WorkQueueArgs": ".queues",
    "WorkloadPrincipal": ".identity",
    "load_environment_spec": ".stack_config",
    "parse_environment": ".spec",
    "work_queue": ".queues",
    "ClusterAutoscaler": ".addons",
    "ClusterAutoscalerArgs": ".addons",
    "GpuSpec": ".spec.cluster",
    "NvidiaDevicePlugin": ".addons",
    "NvidiaDevicePluginArgs": ".addons",
    "OperatorWorkspace": ".addons.pulumi_operator",
    "PulumiOperator": ".addons.pulumi_operator",
    "PulumiOperatorArgs": ".addons.pulumi_operator",
    "GcpProjectServices": ".gcp_services",
    "GcpProjectServicesArgs": ".gcp_services",
}

__all__ = [
    "ArgoCdBootstrap",
    "ArgoCdBootstrapArgs",
    "BatchJob",
    "BatchJobArgs",
    "JobSpec",
    "Keda",
    "KedaArgs",
    "Service",
    "ServiceArgs",
    "ServiceSpec",
    "WorkloadSpec",
    "AwsNetwork",
    "AwsNetworkArgs",
    "Cluster",
    "ClusterSpec",
    "EksCluster",
    "EksClusterArgs",
    "GcpNetwork",
    "GcpNetworkArgs",
    "GkeCluster",
    "GkeClusterArgs",
    "NetworkSpec",
    "NodePoolSpec",
    "TaintSpec",
    "WorkloadIdentity",
    "Environment",
    "EnvironmentSpec",
    "Problem",
    "PubSubWorkQueue",
    "QueueSpec",
    "SpecError",
    "SqsWorkQueue",
    "WorkQueue",
    "WorkQueueArgs",
    "WorkloadPrincipal",
    "load_environment_spec",
    "parse_environment",
    "work_queue",
    "ClusterAutoscaler",
    "ClusterAutoscalerArgs",
    "GpuSpec",
    "NvidiaDevicePlugin",
    "NvidiaDevicePluginArgs",
    "OperatorWorkspace",
    "PulumiOperator",
    "PulumiOperatorArgs",
    "GcpProjectServices",
    "GcpProjectServicesArgs",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(module, __name__), name)
    except ModuleNotFoundError as exc:  # a cloud SDK the install left out: say which extra brings it
        from .cloud_sdks import EXTRAS, missing_sdk_error

        if exc.name not in EXTRAS:
            raise
        raise missing_sdk_error(exc.name) from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
