"""Cluster add-ons: KEDA (queue-driven scaling), the Argo CD bootstrap (GitOps delivery), a node autoscaler and the
GPU device plugin (capacity follows the queue), and External Secrets Operator (secrets from the cloud's secret
manager), with the Helm release helper they install their charts through (`helm.py`). `pulumi_operator.py` is
for a management cluster: the Pulumi Kubernetes Operator that reconciles operator-delivered stacks.

One module per add-on (`argocd_manifests.py` holds the Argo CD objects the bootstrap and the workloads share).
"""

from .argocd import ArgoCdBootstrap, ArgoCdBootstrapArgs
from .cluster_autoscaler import ClusterAutoscaler, ClusterAutoscalerArgs
from .external_secrets import ExternalSecrets, ExternalSecretsArgs
from .keda import Keda, KedaArgs
from .nvidia_device_plugin import NvidiaDevicePlugin, NvidiaDevicePluginArgs
from .pulumi_operator import OperatorWorkspace, PulumiOperator, PulumiOperatorArgs

__all__ = ["ArgoCdBootstrap", "ArgoCdBootstrapArgs", "ClusterAutoscaler", "ClusterAutoscalerArgs", "ExternalSecrets",
           "ExternalSecretsArgs", "Keda", "KedaArgs", "NvidiaDevicePlugin", "NvidiaDevicePluginArgs",
           "OperatorWorkspace", "PulumiOperator", "PulumiOperatorArgs"]
