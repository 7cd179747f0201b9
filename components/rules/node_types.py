"""What one node of a machine type can give pods: a small vendored table and each cloud's reservation formula.

The capacity check (`rules/capacity.py`) needs node *allocatable* (capacity minus what the kubelet, the OS and
eviction keep back) before any node exists, so it is estimated here the way each cloud's node images compute it.
Machine types missing from the table are not guessed: the check skips their pool (documented in
docs/capacity.md); add a row to cover a new type.

Sources (checked November 2026):
- vCPU, memory and GPUs: the EC2 instance type pages (aws.amazon.com/ec2/instance-types/: general purpose
  m6i/m7i, compute optimised c6i/c7i/c7a, accelerated g4dn/g5/g6) and the Compute Engine machine families
  guide (cloud.google.com/compute/docs/general-purpose-machines, .../accelerator-optimized-machines).
- EKS max pods per instance (VPC CNI, no prefix delegation): ENIs x (IPv4 addresses per ENI - 1) + 2, as
  awslabs/amazon-eks-ami `nodeadm/internal/kubelet/eni_max_pods.go` computes it.
- EKS reservations: awslabs/amazon-eks-ami `nodeadm/internal/kubelet/config.go`: kube-reserved memory
  11 MiB x max pods + 255 MiB; CPU 6% of the first core, 1% of the second, 0.5% of cores 3-4, 0.25% above;
  eviction at 100 MiB available.
- GKE reservations: cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes: memory 25% of the first
  4 GiB, 20% of the next 4, 10% of the next 8, 6% of the next 112, 2% above 128 GiB; the same CPU ranges
  as EKS; eviction at 100 MiB available.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

MIB = Decimal(2**20)
GIB = Decimal(2**30)
EVICTION_MIB = 100
# DaemonSets every node runs (CNI, kube-proxy, CSI node plugin, metrics and log agents; GPU nodes add the
# device plugin) request roughly this much; an estimate, so the check errs on the side of warning early.
SYSTEM_PODS_CPU = Decimal("0.2")
SYSTEM_PODS_MEMORY = 300 * MIB


@dataclass(frozen=True)
class MachineType:
    """Hardware of one machine type, and on AWS how many pods the VPC CNI lets it run."""

    vcpus: int
    memory_gib: Decimal
    gpus: int = 0
    gpu_type: Optional[str] = None  # the `k8s.amazonaws.com/accelerator` label value Cluster Autoscaler reads
    max_pods: Optional[int] = None  # AWS only


AWS_MACHINE_TYPES: dict[str, MachineType] = {
    "m6i.large": MachineType(2, Decimal(8), max_pods=29),
    "m7i.large": MachineType(2, Decimal(8), max_pods=29),
    "m6i.xlarge": MachineType(4, Decimal(16), max_pods=58),
    "m7i.xlarge": MachineType(4, Decimal(16), max_pods=58),
    "m6i.2xlarge": MachineType(8, Decimal(32), max_pods=58),
    "m7i.2xlarge": MachineType(8, Decimal(32), max_pods=58),
    "c6i.2xlarge": MachineType(8, Decimal(16), max_pods=58),
    "c7i.2xlarge": MachineType(8, Decimal(16), max_pods=58),
    "c7a.2xlarge": MachineType(8, Decimal(16), max_pods=58),
    "g4dn.xlarge": MachineType(4, Decimal(16), 1, "nvidia-tesla-t4", max_pods=29),
    "g5.xlarge": MachineType(4, Decimal(16), 1, "nvidia-a10g", max_pods=58),
    "g5.2xlarge": MachineType(8, Decimal(32), 1, "nvidia-a10g", max_pods=58),
    "g6.xlarge": MachineType(4, Decimal(16), 1, "nvidia-l4", max_pods=58),
    "g6.2xlarge": MachineType(8, Decimal(32), 1, "nvidia-l4", max_pods=58),
}

# GCP GPUs are attached per node pool (`gpu.type`, `gpu.count`), except that G2 machines come with L4s.
GCP_MACHINE_TYPES: dict[str, MachineType] = {
    "e2-standard-2": MachineType(2, Decimal(8)),
    "e2-standard-4": MachineType(4, Decimal(16)),
    "e2-standard-8": MachineType(8, Decimal(32)),
    "n2-standard-4": MachineType(4, Decimal(16)),
    "n2-standard-8": MachineType(8, Decimal(32)),
    "n1-standard-4": MachineType(4, Decimal(15)),
    "n1-standard-8": MachineType(8, Decimal(30)),
    "g2-standard-4": MachineType(4, Decimal(16), 1, "nvidia-l4"),
    "g2-standard-8": MachineType(8, Decimal(32), 1, "nvidia-l4"),
}


@dataclass(frozen=True)
class Allocatable:
    """What pods can request on one node (after system DaemonSets), in cores, bytes and GPUs."""

    machine_type: str
    cpu: Decimal
    memory: Decimal
    gpus: int

    def describe(self) -> str:
        text = f"{format_cpu(self.cpu)} CPU, {format_memory(self.memory)}"
        return text + (f", {self.gpus} GPU" if self.gpus else "")


def format_cpu(cores: Decimal) -> str:
    return f"{cores.quantize(Decimal('0.001')).normalize():f}"


def format_memory(size: Decimal) -> str:
    if size < GIB:
        return f"{(size / MIB).quantize(Decimal('1'))} MiB"
    return f"{(size / GIB).quantize(Decimal('0.1'))} GiB"


def machine_type(cloud: str, name: str) -> Optional[MachineType]:
    return (AWS_MACHINE_TYPES if cloud == "aws" else GCP_MACHINE_TYPES).get(name)


def _reserved_cpu_millicores(vcpus: int) -> Decimal:
    total = vcpus * 1000
    reserved = Decimal(0)
    # (range start, range end, reserved per ten thousand)
    for start, end, per_10k in ((0, 1000, 600), (1000, 2000, 100), (2000, 4000, 50), (4000, 10**9, 25)):
        if total > start:
            reserved += Decimal(min(total, end) - start) * per_10k / 10000
    return reserved


def _gke_reserved_memory(memory: Decimal) -> Decimal:
    reserved = Decimal(0)
    for start, end, percent in ((0, 4, 25), (4, 8, 20), (8, 16, 10), (16, 128, 6), (128, 10**6, 2)):
        low, high = start * GIB, end * GIB
        if memory > low:
            reserved += (min(memory, high) - low) * percent / 100
    return reserved


def allocatable(cloud: str, name: str, gpus_per_node: int = 0) -> Optional[Allocatable]:
    """Estimated allocatable of one node of `name`, or None for a type this table does not know."""
    hardware = machine_type(cloud, name)
    if hardware is None:
        return None
    memory = hardware.memory_gib * GIB
    if cloud == "aws":
        assert hardware.max_pods is not None
        reserved_memory = (11 * hardware.max_pods + 255) * MIB
    else:
        reserved_memory = _gke_reserved_memory(memory)
    cpu = Decimal(hardware.vcpus) - _reserved_cpu_millicores(hardware.vcpus) / 1000 - SYSTEM_PODS_CPU
    memory_left = memory - reserved_memory - EVICTION_MIB * MIB - SYSTEM_PODS_MEMORY
    return Allocatable(name, cpu, memory_left, gpus_per_node or hardware.gpus)
