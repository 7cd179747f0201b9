"""Pulumi components for queue-driven services and batch jobs on EKS and GKE.

Import what you need from another Pulumi project:

    from components import SqsWorkQueue, WorkQueueArgs
    orders = SqsWorkQueue("orders", WorkQueueArgs(visibility_timeout_seconds=120))
"""

from .addons import ClusterAutoscaler, ClusterAutoscalerArgs, NvidiaDevicePlugin, NvidiaDevicePluginArgs
from .argocd import ArgoCdBootstrap, ArgoCdBootstrapArgs
from .cluster import Cluster, EksCluster, EksClusterArgs, GkeCluster, GkeClusterArgs, WorkloadIdentity
from .environment import Environment
from .errors import Problem, SpecError
from .gcp_services import GcpProjectServices, GcpProjectServicesArgs
from .identity import WorkloadPrincipal
from .keda import Keda, KedaArgs
from .network import AwsNetwork, AwsNetworkArgs, GcpNetwork, GcpNetworkArgs
from .queues import PubSubWorkQueue, SqsWorkQueue, WorkQueue, WorkQueueArgs, work_queue
from .spec import EnvironmentSpec, QueueSpec, parse_environment
from .spec.cluster import ClusterSpec, GpuSpec, NodePoolSpec, TaintSpec
from .spec.network import NetworkSpec
from .spec.workload import JobSpec, ServiceSpec, WorkloadSpec
from .stack_config import load_environment_spec
from .workloads import BatchJob, BatchJobArgs, Service, ServiceArgs

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
    "GcpProjectServices",
    "GcpProjectServicesArgs",
]
