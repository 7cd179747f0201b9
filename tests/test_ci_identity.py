"""The deploying CI identity's permissions (deploy/ci-identity/) cover every resource the shipped stacks emit.

Each recorded resource type maps to the API calls its provider makes to create, read and delete it; a new
resource type without an entry here fails, so the policy files cannot silently fall behind the program.
"""

from __future__ import annotations

import fnmatch
import json
from functools import cache

import pytest
from ruamel.yaml import YAML

from .conftest import REPO, SHIPPED_STACKS, shipped_run

AWS_POLICY = REPO / "deploy" / "ci-identity" / "aws-deployer-policy.json"
GCP_ROLE = REPO / "deploy" / "ci-identity" / "gcp-deployer-role.yaml"

# AWS resource type -> IAM actions its create/read/delete needs (AWS service authorization reference).
AWS_ACTIONS = {
    # Cluster Autoscaler node-template tags on a node group's Auto Scaling group (autoscaling/group_tag.go).
    "aws:autoscaling/tag:Tag": ["autoscaling:CreateOrUpdateTags", "autoscaling:DeleteTags",
                                "autoscaling:DescribeTags"],
    "aws:cloudwatch/logGroup:LogGroup": ["logs:AssociateKmsKey",
                                         "logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:DescribeLogGroups",
                                         "logs:DeleteLogGroup", "logs:TagResource"],
    "aws:ec2/eip:Eip": ["ec2:AllocateAddress", "ec2:ReleaseAddress", "ec2:DescribeAddresses", "ec2:CreateTags"],
    "aws:ec2/internetGateway:InternetGateway": ["ec2:CreateInternetGateway", "ec2:AttachInternetGateway",
                                                "ec2:DetachInternetGateway", "ec2:DeleteInternetGateway",
                                                "ec2:DescribeInternetGateways"],
    "aws:ec2/launchTemplate:LaunchTemplate": ["ec2:CreateLaunchTemplate", "ec2:CreateLaunchTemplateVersion",
                                              "ec2:DeleteLaunchTemplate", "ec2:DescribeLaunchTemplates",
                                              "ec2:DescribeLaunchTemplateVersions"],
    "aws:ec2/natGateway:NatGateway": ["ec2:CreateNatGateway", "ec2:DeleteNatGateway", "ec2:DescribeNatGateways"],
    "aws:ec2/route:Route": ["ec2:CreateRoute", "ec2:DeleteRoute", "ec2:DescribeRouteTables"],
    "aws:ec2/routeTable:RouteTable": ["ec2:CreateRouteTable", "ec2:DeleteRouteTable", "ec2:DescribeRouteTables"],
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ["ec2:AssociateRouteTable", "ec2:DisassociateRouteTable"],
    "aws:ec2/securityGroup:SecurityGroup": ["ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup",
                                            "ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupEgress"],
    "aws:ec2/subnet:Subnet": ["ec2:CreateSubnet", "ec2:DeleteSubnet", "ec2:DescribeSubnets", "ec2:CreateTags"],
    "aws:ec2/vpc:Vpc": ["ec2:CreateVpc", "ec2:DeleteVpc", "ec2:ModifyVpcAttribute", "ec2:DescribeVpcs",
                        "ec2:DescribeVpcAttribute"],
    "aws:eks/accessEntry:AccessEntry": ["eks:CreateAccessEntry", "eks:DescribeAccessEntry", "eks:DeleteAccessEntry"],
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": ["eks:AssociateAccessPolicy",
                                                                "eks:ListAssociatedAccessPolicies",
                                                                "eks:DisassociateAccessPolicy"],
    "aws:eks/addon:Addon": ["eks:CreateAddon", "eks:DescribeAddon", "eks:UpdateAddon", "eks:DeleteAddon",
                            "iam:PassRole"],
    # Creating an encrypted cluster: the caller passes the role and lets EKS create a grant on the key.
    "aws:eks/cluster:Cluster": ["eks:CreateCluster", "eks:DescribeCluster", "eks:UpdateClusterConfig",
                                "eks:DeleteCluster", "iam:PassRole", "kms:CreateGrant", "kms:DescribeKey",
                                "iam:CreateServiceLinkedRole", "ec2:DescribeSubnets"],
    "aws:eks/nodeGroup:NodeGroup": ["eks:CreateNodegroup", "eks:DescribeNodegroup", "eks:UpdateNodegroupConfig",
                                    "eks:DeleteNodegroup", "iam:PassRole", "ec2:RunInstances",
                                    "ec2:DescribeLaunchTemplateVersions"],
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ["iam:CreateOpenIDConnectProvider",
                                                            "iam:GetOpenIDConnectProvider",
                                                            "iam:DeleteOpenIDConnectProvider"],
    # Issue 14: flow logs deliver with a role passed to the flow-log service; the default group is adopted.
    "aws:ec2/flowLog:FlowLog": ["ec2:CreateFlowLogs", "ec2:DeleteFlowLogs", "ec2:DescribeFlowLogs", "iam:PassRole"],
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ["ec2:DescribeSecurityGroups",
                                                          "ec2:RevokeSecurityGroupIngress",
                                                          "ec2:RevokeSecurityGroupEgress", "ec2:CreateTags"],
    "aws:iam/role:Role": ["iam:CreateRole", "iam:GetRole", "iam:DeleteRole", "iam:TagRole",
                          "iam:ListInstanceProfilesForRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"],
    "aws:iam/rolePolicy:RolePolicy": ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"],
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ["iam:AttachRolePolicy", "iam:DetachRolePolicy",
                                                          "iam:ListAttachedRolePolicies"],
    "aws:kms/alias:Alias": ["kms:CreateAlias", "kms:DeleteAlias", "kms:ListAliases"],
    "aws:kms/key:Key": ["kms:CreateKey", "kms:DescribeKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy",
                        "kms:PutKeyPolicy",
                        "kms:GetKeyRotationStatus", "kms:ListResourceTags", "kms:ScheduleKeyDeletion"],
    "aws:secretsmanager/secret:Secret": ["secretsmanager:CreateSecret", "secretsmanager:DescribeSecret",
                                         "secretsmanager:GetResourcePolicy", "secretsmanager:UpdateSecret",
                                         "secretsmanager:TagResource", "secretsmanager:UntagResource",
                                         "secretsmanager:DeleteSecret"],
    "aws:sqs/queue:Queue": ["sqs:CreateQueue", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes",
                            "sqs:ListQueueTags", "sqs:TagQueue", "sqs:DeleteQueue"],
    "aws:sqs/queuePolicy:QueuePolicy": ["sqs:SetQueueAttributes", "sqs:GetQueueAttributes"],
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": ["sqs:SetQueueAttributes", "sqs:GetQueueAttributes"],
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ["ec2:AuthorizeSecurityGroupEgress",
                                                                "ec2:RevokeSecurityGroupEgress",
                                                                "ec2:DescribeSecurityGroupRules"],
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ["ec2:AuthorizeSecurityGroupIngress",
                                                                  "ec2:RevokeSecurityGroupIngress",
                                                                  "ec2:DescribeSecurityGroupRules"],
}
# Invokes the program makes on AWS (`deployer_admin`): who is running.
AWS_INVOKE_ACTIONS = ["sts:GetCallerIdentity", "iam:GetRole"]

GCP_PERMISSIONS = {
    # The provider PUTs the project's policy on create and delete (resetting the default) and GETs it on read
    # (terraform-provider-google resource_binary_authorization_policy.go; Binary Authorization "Permissions").
    "gcp:binaryauthorization/policy:Policy": ["binaryauthorization.policy.get", "binaryauthorization.policy.update"],
    "gcp:compute/firewall:Firewall": ["compute.firewalls.create", "compute.firewalls.get", "compute.firewalls.delete",
                                      "compute.networks.updatePolicy"],
    "gcp:compute/network:Network": ["compute.networks.create", "compute.networks.get", "compute.networks.delete",
                                    "compute.globalOperations.get"],
    "gcp:compute/router:Router": ["compute.routers.create", "compute.routers.get", "compute.routers.delete",
                                  "compute.networks.use", "compute.regionOperations.get"],
    "gcp:compute/routerNat:RouterNat": ["compute.routers.update", "compute.routers.get"],
    "gcp:compute/subnetwork:Subnetwork": ["compute.subnetworks.create", "compute.subnetworks.get",
                                          "compute.subnetworks.delete", "compute.subnetworks.update"],
    "gcp:container/cluster:Cluster": ["container.clusters.create", "container.clusters.get",
                                      "container.clusters.update", "container.clusters.delete",
                                      "container.operations.get", "iam.serviceAccounts.actAs",
                                      "compute.subnetworks.use"],
    "gcp:container/nodePool:NodePool": ["container.clusters.update", "container.clusters.get",
                                        "container.operations.get", "iam.serviceAccounts.actAs"],
    "gcp:kms/cryptoKey:CryptoKey": ["cloudkms.cryptoKeys.create", "cloudkms.cryptoKeys.get",
                                    "cloudkms.cryptoKeys.update", "cloudkms.cryptoKeyVersions.list",
                                    "cloudkms.cryptoKeyVersions.destroy"],
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": ["cloudkms.cryptoKeys.getIamPolicy",
                                                      "cloudkms.cryptoKeys.setIamPolicy"],
    "gcp:kms/keyRing:KeyRing": ["cloudkms.keyRings.create", "cloudkms.keyRings.get"],
    "gcp:projects/iAMMember:IAMMember": ["resourcemanager.projects.getIamPolicy",
                                         "resourcemanager.projects.setIamPolicy"],
    "gcp:projects/service:Service": ["serviceusage.services.enable", "serviceusage.services.get",
                                     "serviceusage.services.list", "serviceusage.operations.get"],
    "gcp:projects/serviceIdentity:ServiceIdentity": ["serviceusage.services.use"],
    "gcp:pubsub/subscription:Subscription": ["pubsub.subscriptions.create", "pubsub.subscriptions.get",
                                             "pubsub.subscriptions.update", "pubsub.subscriptions.delete",
                                             "pubsub.topics.attachSubscription"],
    "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": ["pubsub.subscriptions.getIamPolicy",
                                                               "pubsub.subscriptions.setIamPolicy"],
    "gcp:pubsub/topic:Topic": ["pubsub.topics.create", "pubsub.topics.get", "pubsub.topics.update",
                               "pubsub.topics.delete"],
    "gcp:pubsub/topicIAMMember:TopicIAMMember": ["pubsub.topics.getIamPolicy", "pubsub.topics.setIamPolicy"],
    "gcp:secretmanager/secret:Secret": ["secretmanager.secrets.create", "secretmanager.secrets.get",
                                        "secretmanager.secrets.update", "secretmanager.secrets.delete"],
    "gcp:secretmanager/secretIamMember:SecretIamMember": ["secretmanager.secrets.getIamPolicy",
                                                          "secretmanager.secrets.setIamPolicy"],
    "gcp:serviceaccount/account:Account": ["iam.serviceAccounts.create", "iam.serviceAccounts.get",
                                           "iam.serviceAccounts.update", "iam.serviceAccounts.delete"],
    "gcp:serviceaccount/iAMMember:IAMMember": ["iam.serviceAccounts.getIamPolicy",
                                               "iam.serviceAccounts.setIamPolicy"],
}
GCP_INVOKE_PERMISSIONS = ["resourcemanager.projects.get", "container.clusters.list"]
# GKE authorizes Kubernetes API calls through IAM too: kind -> the permission family of its objects.
# Reaching the API through the DNS endpoint needs `container.clusters.connect`.
GKE_KUBERNETES_FAMILIES = {
    "kubernetes:core/v1:Namespace": ["namespaces"],
    "kubernetes:core/v1:Secret": ["secrets"],
    "kubernetes:core/v1:ServiceAccount": ["serviceAccounts"],
    "kubernetes:apps/v1:Deployment": ["deployments"],
    "kubernetes:batch/v1:CronJob": ["cronJobs"],
    "kubernetes:policy/v1:PodDisruptionBudget": ["podDisruptionBudgets"],
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": ["networkPolicies"],
    "kubernetes:keda.sh/v1alpha1:ScaledJob": ["thirdPartyObjects"],
    "kubernetes:keda.sh/v1alpha1:ScaledObject": ["thirdPartyObjects"],
    "kubernetes:keda.sh/v1alpha1:TriggerAuthentication": ["thirdPartyObjects"],
    "kubernetes:external-secrets.io/v1:ExternalSecret": ["thirdPartyObjects"],
    "kubernetes:external-secrets.io/v1:SecretStore": ["thirdPartyObjects"],
    "kubernetes:argoproj.io/v1alpha1:AppProject": ["thirdPartyObjects"],
    "kubernetes:argoproj.io/v1alpha1:AppProjectPatch": ["thirdPartyObjects"],
    "kubernetes:argoproj.io/v1alpha1:Application": ["thirdPartyObjects"],
    # A chart installs CRDs, RBAC, webhooks and aggregated APIs (KEDA's metrics server) besides workloads.
    "kubernetes:helm.sh/v3:Release": ["secrets", "customResourceDefinitions", "clusterRoles", "clusterRoleBindings",
                                      "roles", "roleBindings", "mutatingWebhookConfigurations",
                                      "validatingWebhookConfigurations", "apiServices", "deployments", "services",
                                      "serviceAccounts", "configMaps"],
}
KUBERNETES_VERBS = ("create", "get", "list", "update", "delete")


@cache
def recorded_types(cloud: str) -> frozenset[str]:
    """Resource types the shipped stacks on `cloud` emit (components and providers excluded)."""
    types: set[str] = set()
    for stack in SHIPPED_STACKS:
        run = shipped_run(stack)
        if run.config.values["platform:cloud"] != cloud:
            continue
        for record in run.graph.resources:
            if record.custom and not record.type.startswith("pulumi:providers:"):
                types.add(record.type)
    return frozenset(types)


def allowed_aws_actions() -> list[str]:
    document = json.loads(AWS_POLICY.read_text())
    actions: list[str] = []
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        found = statement["Action"]
        actions.extend([found] if isinstance(found, str) else found)
    return actions


def aws_allows(action: str) -> bool:
    # IAM matches actions case-insensitively, with `*` and `?` wildcards.
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in allowed_aws_actions())


def gcp_role() -> dict:
    return YAML(typ="safe").load(GCP_ROLE.read_text())


def test_the_walk_sees_both_clouds():
    aws, gcp = recorded_types("aws"), recorded_types("gcp")
    assert "aws:eks/cluster:Cluster" in aws and "aws:sqs/queue:Queue" in aws
    assert "gcp:container/cluster:Cluster" in gcp and "gcp:projects/service:Service" in gcp


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_every_emitted_resource_type_has_a_permission_entry(cloud: str):
    known = set(AWS_ACTIONS) if cloud == "aws" else set(GCP_PERMISSIONS)
    cloud_types = {t for t in recorded_types(cloud) if t.startswith(f"{cloud}:")}
    assert cloud_types - known == set(), "add the new types' API calls here and to deploy/ci-identity/"


def test_the_aws_policy_allows_every_call_the_program_makes():
    missing = sorted({action for type_ in recorded_types("aws") if type_.startswith("aws:")
                      for action in AWS_ACTIONS[type_] if not aws_allows(action)}
                     | {action for action in AWS_INVOKE_ACTIONS if not aws_allows(action)})
    assert missing == []


def test_the_aws_policy_passes_roles_only_to_eks_and_ec2_and_grants_no_wildcard_service():
    document = json.loads(AWS_POLICY.read_text())
    [pass_role] = [s for s in document["Statement"] if s["Action"] == "iam:PassRole"]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": [
        "eks.amazonaws.com", "ec2.amazonaws.com", "vpc-flow-logs.amazonaws.com"]}}
    assert not [a for a in allowed_aws_actions() if a.endswith(":*") or a == "*"]
    # A managed policy holds at most 6,144 characters, whitespace not counted (IAM quotas).
    assert len("".join(AWS_POLICY.read_text().split())) <= 6144


def test_the_gcp_role_grants_every_permission_the_program_needs():
    role = gcp_role()
    assert role["stage"] == "GA" and role["title"]
    granted = set(role["includedPermissions"])
    needed = {p for type_ in recorded_types("gcp") if type_.startswith("gcp:") for p in GCP_PERMISSIONS[type_]}
    needed |= set(GCP_INVOKE_PERMISSIONS) | {"container.clusters.connect"}
    for type_ in recorded_types("gcp"):
        if type_.startswith("kubernetes:") and type_ in GKE_KUBERNETES_FAMILIES:
            needed |= {f"container.{family}.{verb}" for family in GKE_KUBERNETES_FAMILIES[type_]
                       for verb in KUBERNETES_VERBS}
    assert sorted(needed - granted) == []
    # Custom roles take no wildcards and no basic roles.
    assert all("*" not in p and p.count(".") >= 2 for p in granted)


def test_every_kubernetes_kind_on_gke_has_a_permission_family():
    kinds = {t for t in recorded_types("gcp") if t.startswith("kubernetes:")}
    assert kinds - set(GKE_KUBERNETES_FAMILIES) == set()
