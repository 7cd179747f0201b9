"""`NvidiaDevicePlugin`: advertises `nvidia.com/gpu` on EKS GPU nodes (AL2023 NVIDIA AMI).

The chart (NVIDIA/k8s-device-plugin v0.20.0) runs a DaemonSet that only schedules onto nodes labelled
`nvidia.com/gpu.present=true` (its default node affinity; GPU pools get that label) and tolerates the
`nvidia.com/gpu` taint. It mounts the kubelet's device-plugin directory from the host, so its namespace
enforces the `privileged` Pod Security Standard; nothing else runs there. GKE needs no such add-on.
"""

from __future__ import annotations

from typing import Any, Optional

import pulumi
from pydantic import Field

from ..spec.base import StrictModel
from ..versions import NVIDIA_DEVICE_PLUGIN_CHART_REPOSITORY, NVIDIA_DEVICE_PLUGIN_CHART_VERSION
from .helm import install_chart

NAMESPACE = "nvidia-device-plugin"


class NvidiaDevicePluginArgs(StrictModel):
    """Arguments of `NvidiaDevicePlugin`."""

    chart_version: str = Field(
        NVIDIA_DEVICE_PLUGIN_CHART_VERSION,
        description=f"nvidia-device-plugin chart version. Default `{NVIDIA_DEVICE_PLUGIN_CHART_VERSION}`.")


class NvidiaDevicePlugin(pulumi.ComponentResource):
    """The NVIDIA device plugin DaemonSet, installed from its pinned chart."""

    release: Any
    """The Helm release (`kubernetes:helm.sh/v3:Release`)."""

    def __init__(self, name: str, args: NvidiaDevicePluginArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:index:NvidiaDevicePlugin", name, None, opts)
        self.release = install_chart(
            self, name, chart="nvidia-device-plugin", release_name="nvidia-device-plugin",
            version=args.chart_version, repository=NVIDIA_DEVICE_PLUGIN_CHART_REPOSITORY, namespace=NAMESPACE,
            # Discovery (NFD, GFD) stays off: the node group labels GPU nodes itself.
            values={"gfd": {"enabled": False}, "nfd": {"enabled": False}},
            pod_security="privileged")
        self.register_outputs({"release_status": self.release.status})
