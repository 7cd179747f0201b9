"""Cluster add-ons: a node autoscaler and the GPU device plugin (capacity follows the queue), and External
Secrets Operator (secrets from the cloud's secret manager).

One module per add-on. (KEDA and Argo CD predate this package and stay in `components/keda.py` and
`components/argocd.py`.)
"""

from .cluster_autoscaler import ClusterAutoscaler, ClusterAutoscalerArgs
from .external_secrets import ExternalSecrets, ExternalSecretsArgs
from .nvidia_device_plugin import NvidiaDevicePlugin, NvidiaDevicePluginArgs

__all__ = ["ClusterAutoscaler", "ClusterAutoscalerArgs", "ExternalSecrets", "ExternalSecretsArgs",
           "NvidiaDevicePlugin", "NvidiaDevicePluginArgs"]
