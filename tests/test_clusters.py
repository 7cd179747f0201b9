"""EKS and GKE: the inputs that carry each safe default, protection in prod, and the kubeconfig."""

from __future__ import annotations

import copy
import json

import pytest

from stackctl.engine.runner import run_stack

from .conftest import load_stack_yaml, shipped_run, wire_value

EKS = "platform:index:Environment$platform:index:EksCluster$"
GKE = "platform:index:Environment$platform:index:GkeCluster$"


def resource(stack: str, qualified: str, name: str):
    return shipped_run(stack).graph.by_urn[f"urn:pulumi:{stack}::platform::{qualified}::{name}"]


def eks(stack: str, type_: str, name: str):
    return resource(stack, EKS + type_, name)


# --- EKS ---------------------------------------------------------------------------------------


def test_eks_endpoint_is_private_and_encrypted_with_its_own_rotating_key():
    # prod: the API stays private (the runner sits in the existing network); dev opts into a public one.
    cluster = eks("prod", "aws:eks/cluster:Cluster", "prod-cluster")
    key = eks("prod", "aws:kms/key:Key", "prod-secrets")
    assert cluster.inputs["vpcConfig"]["endpointPrivateAccess"] is True
    assert cluster.inputs["vpcConfig"]["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in cluster.inputs["vpcConfig"]
    assert cluster.inputs["encryptionConfig"] == {"provider": {"keyArn": key.outputs["arn"]}, "resources": ["secrets"]}
    assert key.inputs["enableKeyRotation"] is True
    assert cluster.inputs["version"] == "1.35"


def test_eks_logs_access_mode_and_upgrade_policy():
    cluster = eks("dev", "aws:eks/cluster:Cluster", "dev-cluster")
    assert set(cluster.inputs["enabledClusterLogTypes"]) >= {"api", "audit", "authenticator"}
    assert cluster.inputs["accessConfig"] == {"authenticationMode": "API",
                                              "bootstrapClusterCreatorAdminPermissions": False}
    assert cluster.inputs["upgradePolicy"] == {"supportType": "STANDARD"}
    log_group = eks("dev", "aws:cloudwatch/logGroup:LogGroup", "dev-control-plane")
    assert log_group.inputs["name"] == "/aws/eks/platform-dev/cluster"
    assert log_group.urn in cluster.dependencies


def test_eks_admins_come_from_access_entries_including_the_deployer():
    associations = [r for r in shipped_run("staging").graph.of_type("aws:eks/accessPolicyAssociation:"
                                                                      "AccessPolicyAssociation")]
    assert sorted(r.name for r in associations) == ["staging-admin-deployer", "staging-admin-platform-team"]
    for association in associations:
        assert association.inputs["policyArn"] == (
            "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy")
        assert association.inputs["accessScope"] == {"type": "cluster"}
    entry = eks("staging", "aws:eks/accessEntry:AccessEntry", "staging-admin-platform-team")
    assert entry.inputs["principalArn"] == "arn:aws:iam::123456789012:role/PlatformAdmin"
    # The deployer's assumed-role session is turned into its role ARN (a session cannot hold an entry).
    deployer = eks("staging", "aws:eks/accessEntry:AccessEntry", "staging-admin-deployer")
    assert deployer.inputs["principalArn"] == "arn:aws:iam::123456789012:role/deployer"


def test_node_groups_are_hardened_and_leave_desired_size_to_the_autoscaler():
    group = eks("staging", "aws:eks/nodeGroup:NodeGroup", "staging-batch")
    template = eks("staging", "aws:ec2/launchTemplate:LaunchTemplate", "staging-batch")
    assert group.ignoreChanges == ["scalingConfig.desiredSize"]
    assert group.inputs["scalingConfig"] == {"minSize": 0, "maxSize": 10, "desiredSize": 0}
    assert group.inputs["capacityType"] == "SPOT"
    assert group.inputs["amiType"] == "AL2023_x86_64_STANDARD"
    assert group.inputs["taints"] == [{"key": "workload", "value": "batch", "effect": "NO_SCHEDULE"}]
    assert group.inputs["labels"] == {"workload": "batch", "platform.io/node-pool": "batch"}
    assert group.inputs["nodeGroupNamePrefix"] == "batch-"
    assert group.inputs["launchTemplate"] == {"id": template.id, "version": "1"}
    assert template.inputs["metadataOptions"] == {"httpEndpoint": "enabled", "httpTokens": "required",
                                                  "httpPutResponseHopLimit": 1}
    [disk] = template.inputs["blockDeviceMappings"]
    assert disk["ebs"]["encrypted"] == "true" and disk["ebs"]["volumeType"] == "gp3"


def test_core_addons_are_pinned_and_ordered_around_the_nodes():
    addons = {r.inputs["addonName"]: r for r in shipped_run("dev").graph.of_type("aws:eks/addon:Addon")}
    assert {name: a.inputs["addonVersion"] for name, a in addons.items()} == {
        "vpc-cni": "v1.22.4-eksbuild.3", "kube-proxy": "v1.35.3-eksbuild.13",
        "coredns": "v1.14.3-eksbuild.3", "aws-ebs-csi-driver": "v1.62.0-eksbuild.1"}
    node_group = eks("dev", "aws:eks/nodeGroup:NodeGroup", "dev-general")
    assert addons["vpc-cni"].urn in node_group.dependencies
    assert node_group.urn in addons["coredns"].dependencies
    assert node_group.urn in addons["aws-ebs-csi-driver"].dependencies


@pytest.mark.parametrize("role_name, service_account", [
    ("dev-vpc-cni", "system:serviceaccount:kube-system:aws-node"),
    ("dev-ebs-csi", "system:serviceaccount:kube-system:ebs-csi-controller-sa"),
])
def test_irsa_trust_is_scoped_to_exactly_one_service_account(role_name: str, service_account: str):
    role = eks("dev", "aws:iam/role:Role", role_name)
    oidc = eks("dev", "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "dev-oidc")
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    issuer = oidc.inputs["url"].removeprefix("https://")
    assert statement["Principal"] == {"Federated": oidc.outputs["arn"]}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {"StringEquals": {f"{issuer}:sub": service_account,
                                                       f"{issuer}:aud": "sts.amazonaws.com"}}


def test_prod_protects_cluster_node_groups_and_keys():
    graph = shipped_run("prod").graph
    protected = {(r.type, r.name) for r in graph.resources if r.protect}
    assert protected == {
        ("aws:eks/cluster:Cluster", "prod-cluster"), ("aws:kms/key:Key", "prod-secrets"),
        ("aws:eks/nodeGroup:NodeGroup", "prod-general"), ("aws:eks/nodeGroup:NodeGroup", "prod-batch"),
        ("aws:eks/nodeGroup:NodeGroup", "prod-gpu"),
        # Issue 14: every key and everything holding data (tests/test_hardening.py).
        ("aws:kms/key:Key", "prod-control-plane-logs"), ("aws:kms/key:Key", "prod-flow-logs"),
        ("aws:kms/key:Key", "prod-queues"), ("aws:cloudwatch/logGroup:LogGroup", "prod-control-plane"),
        ("aws:cloudwatch/logGroup:LogGroup", "prod-flow-logs"),
        # Issue 22: the secret containers the program creates, and the key they are encrypted with.
        ("aws:secretsmanager/secret:Secret", "prod-secret-orders/db-url"), ("aws:kms/key:Key", "prod-app-secrets"),
        *{("aws:sqs/queue:Queue", f"prod-{queue}-{kind}") for queue in load_stack_yaml("prod")["config"]["queues"]
          for kind in ("queue", "dlq")},
    }
    assert eks("prod", "aws:eks/cluster:Cluster", "prod-cluster").inputs["deletionProtection"] is True
    assert not any(r.protect for r in shipped_run("dev").graph.resources)
    assert eks("dev", "aws:eks/cluster:Cluster", "dev-cluster").inputs["deletionProtection"] is False


def test_prod_protection_can_be_turned_off_explicitly(make_project):
    config = copy.deepcopy(load_stack_yaml("prod")["config"])
    config["cluster"]["protect"] = False
    graph = run_stack(make_project({"prod": config}), "prod").graph
    assert not any(r.protect for r in graph.resources if "platform:index:EksCluster" in r.urn)
    # The switch is the cluster's: prod's data (queues, flow logs and their keys) stays protected (issue 14).
    assert {r.type for r in graph.resources if r.protect} == {
        "aws:sqs/queue:Queue", "aws:kms/key:Key", "aws:cloudwatch/logGroup:LogGroup",
        "aws:secretsmanager/secret:Secret"}
    assert not [r for r in graph.resources if r.protect and r.type == "aws:cloudwatch/logGroup:LogGroup"
                and r.name != "prod-flow-logs"]


def test_public_endpoint_is_an_explicit_opt_in_with_an_allow_list(make_project):
    config = copy.deepcopy(load_stack_yaml("dev")["config"])
    config["cluster"].update(public_endpoint=True, authorized_networks=["198.51.100.0/24"])
    graph = run_stack(make_project({"dev": config}), "dev").graph
    [cluster] = graph.of_type("aws:eks/cluster:Cluster")
    assert cluster.inputs["vpcConfig"]["endpointPublicAccess"] is True
    # The declared runner networks (deployer_access) join the allow-list after the listed ones.
    assert cluster.inputs["vpcConfig"]["publicAccessCidrs"] == ["198.51.100.0/24", "203.0.113.0/28"]


def test_kubeconfig_is_secret_and_uses_aws_eks_get_token():
    graph = shipped_run("dev").graph
    provider = eks("dev", "pulumi:providers:kubernetes", "dev-k8s")
    assert provider.inputs["kubeconfig"] == "[secret]"
    component = graph.by_urn["urn:pulumi:dev::platform::platform:index:Environment$platform:index:EksCluster::dev"]
    assert component.outputs["kubeconfig"] == "[secret]"
    kubeconfig = json.loads(wire_value(provider, "kubeconfig"))
    cluster = eks("dev", "aws:eks/cluster:Cluster", "dev-cluster")
    assert kubeconfig["clusters"][0]["cluster"]["server"] == cluster.outputs["endpoint"]
    user = kubeconfig["users"][0]["user"]
    assert "token" not in user and "client-key-data" not in user
    assert user["exec"]["command"] == "aws"
    assert user["exec"]["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert user["exec"]["args"] == ["eks", "get-token", "--cluster-name", "platform-dev", "--region", "us-east-1",
                                    "--output", "json"]


def test_subnets_are_tagged_for_eks_load_balancers_and_ranges_follow_zone_letters():
    graph = shipped_run("staging").graph
    subnets = {r.name: r.inputs for r in graph.of_type("aws:ec2/subnet:Subnet")}
    assert subnets["staging-private-us-east-1a"]["cidrBlock"] == "10.0.0.0/19"
    assert subnets["staging-private-us-east-1c"]["cidrBlock"] == "10.0.64.0/19"
    assert subnets["staging-public-us-east-1b"]["cidrBlock"] == "10.0.196.0/22"
    assert subnets["staging-public-us-east-1a"]["tags"]["kubernetes.io/role/elb"] == "1"
    assert subnets["staging-private-us-east-1a"]["tags"]["kubernetes.io/role/internal-elb"] == "1"
    assert subnets["staging-private-us-east-1a"]["tags"]["kubernetes.io/cluster/platform-staging"] == "shared"
    assert len(graph.of_type("aws:ec2/natGateway:NatGateway")) == 3
    assert len(shipped_run("dev").graph.of_type("aws:ec2/natGateway:NatGateway")) == 1


def test_existing_vpc_creates_no_network(make_project):
    config = copy.deepcopy(load_stack_yaml("dev")["config"])
    config["network"] = {"existing_vpc": {"vpc_id": "vpc-0abc", "private_subnet_ids": ["subnet-1", "subnet-2"]}}
    config["cluster"]["private_access_cidrs"] = ["10.99.0.0/16"]   # the runners' network, peered with the VPC
    graph = run_stack(make_project({"dev": config}), "dev").graph
    assert not [r for r in graph.resources if r.type.startswith("aws:ec2/") and r.type not in (
        "aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/securityGroup:SecurityGroup")]
    [cluster] = graph.of_type("aws:eks/cluster:Cluster")
    assert cluster.inputs["vpcConfig"]["subnetIds"] == ["subnet-1", "subnet-2"]


# --- GKE ---------------------------------------------------------------------------------------


def gke(type_: str, name: str, stack: str = "gcp-dev"):
    return resource(stack, GKE + type_, name)


def test_gke_is_private_hardened_and_encrypted():
    cluster = gke("gcp:container/cluster:Cluster", "gcp-dev-cluster").inputs
    key = gke("gcp:kms/cryptoKey:CryptoKey", "gcp-dev-secrets")
    assert cluster["privateClusterConfig"]["enablePrivateNodes"] is True
    assert cluster["privateClusterConfig"]["enablePrivateEndpoint"] is True
    assert cluster["workloadIdentityConfig"] == {"workloadPool": "acme-platform-dev.svc.id.goog"}
    assert cluster["enableShieldedNodes"] is True and cluster["enableLegacyAbac"] is False
    assert cluster["removeDefaultNodePool"] is True
    assert cluster["releaseChannel"] == {"channel": "REGULAR"}
    assert cluster["databaseEncryption"] == {"state": "ENCRYPTED", "keyName": key.id}
    assert key.inputs["rotationPeriod"] == "7776000s"
    assert set(cluster["loggingConfig"]["enableComponents"]) >= {"SYSTEM_COMPONENTS", "WORKLOADS"}
    assert cluster["monitoringConfig"]["managedPrometheus"] == {"enabled": True}
    assert cluster["deletionProtection"] is False
    assert cluster["nodeConfig"]["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    nodes = gke("gcp:serviceaccount/account:Account", "gcp-dev-nodes")
    assert cluster["nodeConfig"]["serviceAccount"] == nodes.outputs["email"]


def test_gke_node_pools_surge_without_unavailability_and_autoscale():
    pool = gke("gcp:container/nodePool:NodePool", "gcp-dev-general")
    assert pool.inputs["upgradeSettings"] == {"strategy": "SURGE", "maxSurge": 1, "maxUnavailable": 0}
    assert pool.inputs["autoscaling"]["totalMinNodeCount"] == 1
    assert pool.inputs["autoscaling"]["totalMaxNodeCount"] == 10
    assert pool.inputs["management"] == {"autoRepair": True, "autoUpgrade": True}
    assert pool.inputs["nodeConfig"]["shieldedInstanceConfig"] == {"enableSecureBoot": True,
                                                                    "enableIntegrityMonitoring": True}
    assert pool.ignoreChanges == ["initialNodeCount", "nodeConfig.bootDiskKmsKey"]  # boot key: issue 14


def test_gke_secrets_key_is_usable_by_the_gke_service_agent_only():
    grant = gke("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "gcp-dev-secrets-gke-agent")
    assert grant.inputs["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    assert grant.inputs["member"] == (
        "serviceAccount:service-123456789012@container-engine-robot.iam.gserviceaccount.com")


def test_gke_kubeconfig_is_secret_and_uses_the_gke_auth_plugin_over_the_dns_endpoint():
    provider = gke("pulumi:providers:kubernetes", "gcp-dev-k8s")
    assert provider.inputs["kubeconfig"] == "[secret]"
    kubeconfig = json.loads(wire_value(provider, "kubeconfig"))
    assert kubeconfig["users"][0]["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert kubeconfig["clusters"][0]["cluster"]["server"].endswith(".europe-west1.gke.goog")


def test_gke_prod_has_deletion_protection_and_protected_resources(make_project):
    config = copy.deepcopy(load_stack_yaml("gcp-dev")["config"])
    config["tier"] = "prod"
    del config["services"], config["jobs"]
    graph = run_stack(make_project({"gcp-prod": config}), "gcp-prod").graph
    [cluster] = graph.of_type("gcp:container/cluster:Cluster")
    assert cluster.inputs["deletionProtection"] is True
    assert {r.type for r in graph.resources if r.protect} == {
        "gcp:container/cluster:Cluster", "gcp:container/nodePool:NodePool", "gcp:kms/cryptoKey:CryptoKey",
        "gcp:pubsub/topic:Topic", "gcp:pubsub/subscription:Subscription"}  # queues: issue 14


def test_eks_private_api_admits_the_runner_network_on_443_before_kubernetes_resources_run():
    rule = eks("prod", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "prod-api-from-10-40-255-0-24")
    cluster = eks("prod", "aws:eks/cluster:Cluster", "prod-cluster")
    assert rule.inputs == {"securityGroupId": cluster.outputs["vpcConfig"]["clusterSecurityGroupId"],
                           "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "10.40.255.0/24",
                           "description": "Kubernetes API of platform-prod from 10.40.255.0/24"}
    assert rule.urn in eks("prod", "pulumi:providers:kubernetes", "prod-k8s").dependencies


def test_gke_control_plane_reaches_keda_webhooks_on_private_nodes():
    [firewall] = shipped_run("gcp-dev").graph.of_type("gcp:compute/firewall:Firewall")
    nodes = gke("gcp:serviceaccount/account:Account", "gcp-dev-nodes")
    assert firewall.inputs["sourceRanges"] == ["172.16.0.0/28"]
    assert firewall.inputs["allows"] == [{"protocol": "tcp", "ports": ["6443", "9443"]}]
    assert firewall.inputs["targetServiceAccounts"] == [nodes.outputs["email"]]


def test_gke_nodes_wait_for_their_roles_and_the_cluster_ignores_reported_node_config():
    cluster = gke("gcp:container/cluster:Cluster", "gcp-dev-cluster")
    pool = gke("gcp:container/nodePool:NodePool", "gcp-dev-general")
    grants = [r.urn for r in shipped_run("gcp-dev").graph.of_type("gcp:projects/iAMMember:IAMMember")
              if r.name.startswith("gcp-dev-nodes-")]
    assert len(grants) == 2
    assert set(grants) <= set(cluster.dependencies) and set(grants) <= set(pool.dependencies)
    assert cluster.ignoreChanges == ["nodeConfig"]
    assert "nodeVersion" not in cluster.inputs and "version" not in pool.inputs


def test_gke_pinned_version_pins_node_pools_and_stops_auto_upgrades(make_project):
    config = copy.deepcopy(load_stack_yaml("gcp-dev")["config"])
    config["cluster"]["release_channel"] = "NONE"
    graph = run_stack(make_project({"gcp-dev": config}), "gcp-dev").graph
    [cluster] = graph.of_type("gcp:container/cluster:Cluster")
    pools = graph.of_type("gcp:container/nodePool:NodePool")
    assert cluster.inputs["releaseChannel"] == {"channel": "UNSPECIFIED"}
    assert [pool.name for pool in pools] == ["gcp-dev-general", "gcp-dev-gpu"]
    for pool in pools:
        assert pool.inputs["version"].startswith("1.35.")
        assert pool.inputs["management"] == {"autoRepair": True, "autoUpgrade": False}


def test_workload_identity_bindings_wait_for_the_cluster_that_creates_the_pool():
    graph = shipped_run("gcp-dev").graph
    cluster = gke("gcp:container/cluster:Cluster", "gcp-dev-cluster")
    bindings = graph.of_type("gcp:serviceaccount/iAMMember:IAMMember")
    assert bindings and all(cluster.urn in b.dependencies for b in bindings)
