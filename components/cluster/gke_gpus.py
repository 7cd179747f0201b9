"""GPUs on GKE Standard node pools: the accelerator, its count, and the driver GKE installs.

GKE (cloud.google.com/kubernetes-engine/docs/how-to/gpus) installs the NVIDIA driver when
`gpu_driver_installation_config.gpu_driver_version` is `DEFAULT` or `LATEST`, runs the device plugin itself,
and taints GPU nodes `nvidia.com/gpu=present:NoSchedule`; pods tolerate that taint through their placement
(`components.scheduling`).
"""

from __future__ import annotations

from typing import Optional

from ..cloud_sdks import gcp
from ..spec.cluster import NodePoolSpec


def guest_accelerators(pool: NodePoolSpec) -> Optional[list[gcp.container.NodePoolNodeConfigGuestAcceleratorArgs]]:
    if pool.gpu is None or pool.gpu.type is None:
        return None
    return [gcp.container.NodePoolNodeConfigGuestAcceleratorArgs(
        type=pool.gpu.type,
        count=pool.gpu.count,
        gpu_driver_installation_config=gcp.container.NodePoolNodeConfigGuestAcceleratorGpuDriverInstallationConfigArgs(
            gpu_driver_version=pool.gpu.driver_version),
    )]
