"""Managed Kubernetes clusters behind one interface (`Cluster`)."""

from .base import Cluster, WorkloadIdentity, exec_kubeconfig
from .eks import EksCluster, EksClusterArgs
from .gke import GkeCluster, GkeClusterArgs

__all__ = ["Cluster", "EksCluster", "EksClusterArgs", "GkeCluster", "GkeClusterArgs", "WorkloadIdentity",
           "exec_kubeconfig"]
