"""Cluster Autoscaler on EKS: pinned chart, its own narrowly scoped IRSA role, scale from zero."""

from __future__ import annotations

import json

from components.versions import CLUSTER_AUTOSCALER_CHART_VERSION, CLUSTER_AUTOSCALER_IMAGE_TAGS
from tests.conftest import shipped_run, stackctl

PREFIX = "urn:pulumi:prod::platform::platform:index:Environment$platform:index:ClusterAutoscaler"


def _resource(stack: str, type_: str, name: str):
    [found] = [r for r in shipped_run(stack).graph.resources if r.type == type_ and r.name == name]
    return found


def test_preview_json_shows_the_autoscaler_and_its_identity():
    result = stackctl("preview", "prod", "--json")
    assert result.returncode == 0, result.stderr
    resources = {r["urn"]: r for r in json.loads(result.stdout)["resources"]}
    assert f"{PREFIX}::prod-cluster-autoscaler" in resources
    role = resources[f"{PREFIX}$aws:iam/role:Role::prod-cluster-autoscaler-controller"]
    assert role["inputs"]["name"] == "platform-prod-cluster-autoscaler-cluster-autoscaler"
    release = resources[f"{PREFIX}$kubernetes:helm.sh/v3:Release::prod-cluster-autoscaler"]
    annotations = release["inputs"]["values"]["rbac"]["serviceAccount"]["annotations"]
    assert annotations == {"eks.amazonaws.com/role-arn":
                           "arn:aws:iam::123456789012:role/platform/prod/platform-prod-cluster-autoscaler-cluster-autoscaler"}


def test_role_trusts_only_the_autoscaler_service_account():
    role = _resource("prod", "aws:iam/role:Role", "prod-cluster-autoscaler-controller")
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    subjects = [v for k, v in statement["Condition"]["StringEquals"].items() if k.endswith(":sub")]
    assert subjects == ["system:serviceaccount:cluster-autoscaler:cluster-autoscaler"]


def test_policy_changes_only_this_clusters_groups():
    policy = json.loads(_resource("prod", "aws:iam/rolePolicy:RolePolicy",
                                  "prod-cluster-autoscaler-scale-node-groups").inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    scale = statements["ScaleThisClustersGroups"]
    assert sorted(scale["Action"]) == ["autoscaling:SetDesiredCapacity",
                                       "autoscaling:TerminateInstanceInAutoScalingGroup"]
    assert scale["Condition"] == {"StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
                                                   "aws:ResourceTag/k8s.io/cluster-autoscaler/platform-prod": "owned"}}
    assert statements["DescribeThisClustersNodeGroups"]["Resource"] == (
        "arn:aws:eks:us-west-2:123456789012:nodegroup/platform-prod/*/*")
    inspect = statements["Inspect"]
    assert all(action.split(":")[1].startswith(("Describe", "Get")) for action in inspect["Action"])


def test_chart_is_pinned_and_matches_the_cluster_minor_version():
    values = {}
    for stack, version in (("dev", "1.35"), ("prod", "1.35")):
        release = _resource(stack, "kubernetes:helm.sh/v3:Release", f"{stack}-cluster-autoscaler")
        assert release.inputs["version"] == CLUSTER_AUTOSCALER_CHART_VERSION == "9.59.0"
        assert release.inputs["repositoryOpts"] == {"repo": "https://kubernetes.github.io/autoscaler"}
        values[stack] = release.inputs["values"]
        assert values[stack]["image"]["tag"] == CLUSTER_AUTOSCALER_IMAGE_TAGS[version] == "v1.35.2"
        assert values[stack]["autoDiscovery"] == {"clusterName": f"platform-{stack}"}
        assert values[stack]["extraArgs"]["skip-nodes-with-local-storage"] is False
    assert values["prod"]["awsRegion"] == "us-west-2" and values["prod"]["replicaCount"] == 2
    assert values["dev"]["replicaCount"] == 1
    # Never on the Spot or GPU pools it scales down.
    assert values["prod"]["nodeSelector"] == {"platform.io/node-pool": "general"}


def test_spot_pool_describes_its_nodes_to_the_autoscaler_for_scale_from_zero():
    graph = shipped_run("prod").graph
    group = _resource("prod", "aws:eks/nodeGroup:NodeGroup", "prod-batch")
    assert group.inputs["scalingConfig"]["minSize"] == 0 and group.inputs["capacityType"] == "SPOT"
    tags = {r.inputs["tag"]["key"]: r for r in graph.of_type("aws:autoscaling/tag:Tag")
            if r.name.startswith("prod-batch-")}
    template = "k8s.io/cluster-autoscaler/node-template"
    assert {key: r.inputs["tag"]["value"] for key, r in tags.items()} == {
        f"{template}/label/platform.io/node-pool": "batch",
        f"{template}/label/workload": "batch",
        f"{template}/taint/workload": "batch:NoSchedule",
    }
    for tag in tags.values():
        assert tag.inputs["tag"]["propagateAtLaunch"] is False
        assert tag.inputs["autoscalingGroupName"].startswith("eks-batch-")
        assert group.urn in tag.dependencies
    gpu_tags = {r.inputs["tag"]["key"]: r.inputs["tag"]["value"] for r in graph.of_type("aws:autoscaling/tag:Tag")
                if r.name.startswith("prod-gpu-")}
    assert gpu_tags[f"{template}/taint/nvidia.com/gpu"] == "present:NoSchedule"
    assert gpu_tags[f"{template}/resources/nvidia.com/gpu"] == "1"
