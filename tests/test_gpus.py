"""GPUs on both clouds: GPU pools, the driver and device plugin, and workloads that request `nvidia.com/gpu`."""

from __future__ import annotations

from components.versions import NVIDIA_DEVICE_PLUGIN_CHART_REPOSITORY, NVIDIA_DEVICE_PLUGIN_CHART_VERSION
from tests.conftest import shipped_run
from tests.workload_helpers import manifest

GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}


def _job_pod(stack: str, name: str) -> dict:
    return manifest(shipped_run(stack).graph, "ScaledJob", name)["spec"]["jobTargetRef"]["template"]["spec"]


def test_aws_inference_job_requests_a_gpu_on_the_gpu_pool():
    pod = _job_pod("prod", "classify-image")
    [container] = pod["containers"]
    assert container["resources"]["requests"]["nvidia.com/gpu"] == "1"
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert pod["nodeSelector"] == {"platform.io/node-pool": "gpu"}
    assert pod["tolerations"] == [GPU_TOLERATION]


def test_aws_gpu_pool_boots_the_nvidia_ami_is_tainted_and_labelled_for_the_plugin_and_autoscaler():
    graph = shipped_run("prod").graph
    [group] = [r for r in graph.resources if r.type == "aws:eks/nodeGroup:NodeGroup" and r.name == "prod-gpu"]
    assert group.inputs["amiType"] == "AL2023_x86_64_NVIDIA"
    assert group.inputs["instanceTypes"] == ["g6.xlarge"]
    assert group.inputs["scalingConfig"]["minSize"] == 0
    assert group.inputs["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
    assert group.inputs["labels"] == {"platform.io/node-pool": "gpu", "nvidia.com/gpu.present": "true",
                                      "k8s.amazonaws.com/accelerator": "nvidia-l4"}
    [general] = [r for r in graph.resources if r.type == "aws:eks/nodeGroup:NodeGroup" and r.name == "prod-general"]
    assert general.inputs["amiType"] == "AL2023_x86_64_STANDARD"


def test_aws_gets_the_pinned_nvidia_device_plugin_in_a_privileged_namespace_of_its_own():
    graph = shipped_run("prod").graph
    [plugin] = [r for r in graph.of_type("kubernetes:helm.sh/v3:Release")
                if r.inputs["chart"] == "nvidia-device-plugin"]
    assert plugin.inputs["version"] == NVIDIA_DEVICE_PLUGIN_CHART_VERSION == "0.20.0"
    assert plugin.inputs["repositoryOpts"] == {"repo": NVIDIA_DEVICE_PLUGIN_CHART_REPOSITORY}
    assert plugin.inputs["namespace"] == "nvidia-device-plugin"
    [namespace] = [r for r in graph.resources if r.name == "prod-nvidia-device-plugin-namespace"]
    assert namespace.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert namespace.urn in plugin.dependencies
    # Stacks without GPU pools do not get it.
    assert not [r for r in shipped_run("staging").graph.resources if r.type == "platform:index:NvidiaDevicePlugin"]


def test_gcp_gpu_pool_attaches_the_accelerator_with_driver_installation():
    graph = shipped_run("gcp-dev").graph
    [pool] = [r for r in graph.of_type("gcp:container/nodePool:NodePool") if r.name == "gcp-dev-gpu"]
    config = pool.inputs["nodeConfig"]
    assert config["machineType"] == "n1-standard-4"
    assert config["guestAccelerators"] == [{"type": "nvidia-tesla-t4", "count": 1,
                                            "gpuDriverInstallationConfig": {"gpuDriverVersion": "DEFAULT"}}]
    assert config["labels"] == {"platform.io/node-pool": "gpu"}
    assert "taints" not in config or config["taints"] == []  # GKE taints GPU nodes itself
    assert pool.inputs["autoscaling"]["totalMinNodeCount"] == 0
    [general] = [r for r in graph.of_type("gcp:container/nodePool:NodePool") if r.name == "gcp-dev-general"]
    assert "guestAccelerators" not in general.inputs["nodeConfig"]
    # GKE runs the device plugin and autoscales its pools: no add-on for either.
    assert not [r for r in graph.resources if r.type in ("platform:index:NvidiaDevicePlugin",
                                                         "platform:index:ClusterAutoscaler")]


def test_gcp_inference_job_requests_a_gpu_and_tolerates_gkes_gpu_taint():
    pod = _job_pod("gcp-dev", "embed-one")
    [container] = pod["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert container["resources"]["requests"]["nvidia.com/gpu"] == "1"
    assert pod["nodeSelector"] == {"platform.io/node-pool": "gpu"}
    assert pod["tolerations"] == [GPU_TOLERATION]
    # Its service still runs on CPU nodes anywhere.
    embedder = manifest(shipped_run("gcp-dev").graph, "Deployment", "embedder")["spec"]["template"]["spec"]
    assert "nvidia.com/gpu" not in embedder["containers"][0]["resources"]["limits"]
    assert "nodeSelector" not in embedder


def test_direct_cluster_args_check_gpu_pools_too():
    import pytest

    from components import EksClusterArgs, GkeClusterArgs, GpuSpec, NodePoolSpec, SpecError

    with pytest.raises(SpecError, match=r"GkeClusterArgs: args.node_pools.gpu.gpu.type: required on gcp"):
        GkeClusterArgs(cluster_name="ml", project="acme-1", region="europe-west1", network="n", subnetwork="s",
                       pods_range_name="p", services_range_name="s",
                       node_pools={"gpu": NodePoolSpec(machine_types=["n1-standard-4"], gpu=GpuSpec())})
    with pytest.raises(SpecError, match=r"args.node_pools.gpu.gpu.count: \(2\) does not match g6.xlarge"):
        EksClusterArgs(cluster_name="ml", region="us-west-2", subnet_ids=["subnet-1"], private_access_cidrs=[],
                       node_pools={"gpu": NodePoolSpec(machine_types=["g6.xlarge"], gpu=GpuSpec(count=2))})
    EksClusterArgs(cluster_name="ml", region="us-west-2", subnet_ids=["subnet-1"], private_access_cidrs=[],
                   node_pools={"gpu": NodePoolSpec(machine_types=["g6.xlarge"], gpu=GpuSpec(count=1))})
