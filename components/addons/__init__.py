"""Cluster add-ons that make capacity follow the queue: a node autoscaler and the GPU device plugin.

One module per add-on. (KEDA and Argo CD predate this package and stay in `components/keda.py` and
`components/argocd.py`.)
"""

from .cluster_autoscaler import ClusterAutoscaler, ClusterAutoscalerArgs
from .nvidia_device_plugin import NvidiaDevicePlugin, NvidiaDevicePluginArgs

__all__ = ["ClusterAutoscaler", "ClusterAutoscalerArgs", "NvidiaDevicePlugin", "NvidiaDevicePluginArgs"]
