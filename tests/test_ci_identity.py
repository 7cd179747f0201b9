"""The deploying CI identity's permissions (deploy/ci-identity/) cover every resource the shipped stacks emit.

Each recorded resource type maps to the API calls its provider makes to create, read and delete it; a new
resource type without an entry here fails, so the policy files cannot silently fall behind the program.
"""

from __future__ import annotations

import fnmatch
import json
import re
from functools import cache

import pytest
from ruamel.yaml import YAML

from components.identity import PLATFORM_ROLE_PATH

from .conftest import REPO, SHIPPED_STACKS, load_stack_yaml, shipped_run
from .iam_eval import ALLOW, DENY, IMPLICIT_DENY, evaluate

AWS_POLICY = REPO / "deploy" / "ci-identity" / "aws-deployer-policy.json"
GCP_ROLE = REPO / "deploy" / "ci-identity" / "gcp-deployer-role.yaml"
GCP_GRANTS_ROLE = REPO / "deploy" / "ci-identity" / "gcp-deployer-grants-role.yaml"

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
# AWS resource type -> IAM actions its in-place update needs: the calls the provider's Update makes for a changed
# property (terraform-provider-aws `internal/service/<service>/<resource>.go`, the `resource...Update` function;
# the action names as the AWS service authorization reference spells them). [] where every property forces a
# replacement (create + delete, covered above) or the update reuses the create call.
AWS_UPDATE_ACTIONS = {
    "aws:autoscaling/tag:Tag": [],                                         # ForceNew; create is CreateOrUpdateTags
    "aws:cloudwatch/logGroup:LogGroup": ["logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
                                         "logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource",
                                         "logs:UntagResource"],
    "aws:ec2/eip:Eip": ["ec2:CreateTags", "ec2:DeleteTags"],
    "aws:ec2/internetGateway:InternetGateway": ["ec2:CreateTags", "ec2:DeleteTags"],
    "aws:ec2/launchTemplate:LaunchTemplate": ["ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate"],
    "aws:ec2/natGateway:NatGateway": ["ec2:CreateTags", "ec2:DeleteTags"],
    "aws:ec2/route:Route": ["ec2:ReplaceRoute"],
    "aws:ec2/routeTable:RouteTable": ["ec2:CreateTags", "ec2:DeleteTags"],
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ["ec2:ReplaceRouteTableAssociation"],
    "aws:ec2/securityGroup:SecurityGroup": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress",
                                            "ec2:AuthorizeSecurityGroupEgress", "ec2:CreateTags", "ec2:DeleteTags"],
    "aws:ec2/subnet:Subnet": ["ec2:ModifySubnetAttribute", "ec2:CreateTags", "ec2:DeleteTags"],
    "aws:ec2/vpc:Vpc": ["ec2:ModifyVpcAttribute", "ec2:CreateTags", "ec2:DeleteTags"],
    "aws:ec2/flowLog:FlowLog": ["ec2:CreateTags", "ec2:DeleteTags"],
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ["ec2:AuthorizeSecurityGroupIngress",
                                                          "ec2:AuthorizeSecurityGroupEgress"],
    "aws:eks/accessEntry:AccessEntry": ["eks:UpdateAccessEntry"],
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": [],       # ForceNew
    "aws:eks/addon:Addon": ["eks:UpdateAddon", "eks:DescribeUpdate"],
    "aws:eks/cluster:Cluster": ["eks:UpdateClusterConfig", "eks:UpdateClusterVersion", "eks:DescribeUpdate",
                                "eks:TagResource", "eks:UntagResource"],
    "aws:eks/nodeGroup:NodeGroup": ["eks:UpdateNodegroupConfig", "eks:UpdateNodegroupVersion",
                                    "eks:DescribeUpdate"],
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ["iam:UpdateOpenIDConnectProviderThumbprint",
                                                            "iam:AddClientIDToOpenIDConnectProvider",
                                                            "iam:RemoveClientIDFromOpenIDConnectProvider"],
    # iam/role.go resourceRoleUpdate: description, trust policy, max session, boundary, tags.
    "aws:iam/role:Role": ["iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole",
                          "iam:PutRolePermissionsBoundary", "iam:TagRole", "iam:UntagRole"],
    "aws:iam/rolePolicy:RolePolicy": ["iam:PutRolePolicy"],
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": [],               # ForceNew
    "aws:kms/alias:Alias": ["kms:UpdateAlias"],
    # kms/key.go resourceKeyUpdate: enabled, description, rotation, policy, tags.
    "aws:kms/key:Key": ["kms:EnableKey", "kms:DisableKey", "kms:UpdateKeyDescription", "kms:EnableKeyRotation",
                        "kms:DisableKeyRotation", "kms:PutKeyPolicy", "kms:TagResource", "kms:UntagResource"],
    "aws:sqs/queue:Queue": ["sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue"],
    # secretsmanager/secret.go resourceSecretUpdate: description, KMS key (UpdateSecret), tags.
    "aws:secretsmanager/secret:Secret": ["secretsmanager:UpdateSecret", "secretsmanager:TagResource",
                                         "secretsmanager:UntagResource"],
    "aws:sqs/queuePolicy:QueuePolicy": ["sqs:SetQueueAttributes"],
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": ["sqs:SetQueueAttributes"],
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ["ec2:ModifySecurityGroupRules"],
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ["ec2:ModifySecurityGroupRules"],
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
        if statement["Effect"] != "Allow":
            continue
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
    assert not [s for s in document["Statement"] if s["Effect"] == "Deny" and s["Action"] == "*"]
    # A managed policy holds at most 6,144 characters, whitespace not counted (IAM quotas).
    assert len("".join(AWS_POLICY.read_text().split())) <= 6144


def test_the_gcp_role_grants_every_permission_the_program_needs():
    role = gcp_role()
    assert role["stage"] == "GA" and role["title"]
    # The deployer holds both roles; project grants only through the conditional one (tested below).
    granted = set(role["includedPermissions"]) | set(
        YAML(typ="safe").load(GCP_GRANTS_ROLE.read_text())["includedPermissions"])
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


# --- issue 24, item 4: a deployer that cannot escalate --------------------------------------------------------

BOUNDARY_FILE = REPO / "deploy" / "ci-identity" / "aws-role-boundary.json"
ACCOUNT = "123456789012"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/platform-role-boundary"


def deployer() -> dict:
    return json.loads(AWS_POLICY.read_text())


def role_arn(name: str, path: str = PLATFORM_ROLE_PATH) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role{path}{name}"


# Every call the provider makes on a role, once it exists (create, update, delete; iam/role.go and the
# attachment and inline-policy resources).
ROLE_CHANGES = ("iam:DeleteRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
                "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy",
                "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary")


def test_every_emitted_type_has_its_update_calls_and_the_policy_allows_them():
    aws_types = {t for t in recorded_types("aws") if t.startswith("aws:")}
    assert aws_types - set(AWS_UPDATE_ACTIONS) == set(), "add the new types' update calls to AWS_UPDATE_ACTIONS"
    missing = sorted({a for t in aws_types for a in AWS_UPDATE_ACTIONS[t] if not aws_allows(a)})
    assert missing == []
    # The calls the review found missing.
    for action in ("kms:UpdateKeyDescription", "kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:EnableKey",
                   "kms:DisableKey", "iam:UpdateRoleDescription"):
        assert aws_allows(action), action


def test_the_deployer_creates_roles_only_with_the_platform_boundary():
    policy, role = deployer(), role_arn("platform-prod-orders-orders")
    assert evaluate(policy, "iam:CreateRole", role) == IMPLICIT_DENY
    assert evaluate(policy, "iam:CreateRole", role, {"iam:PermissionsBoundary": BOUNDARY}) == ALLOW
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    assert evaluate(policy, "iam:CreateRole", role, {"iam:PermissionsBoundary": admin}) == IMPLICIT_DENY
    for action in ("iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary"):
        assert evaluate(policy, action, role) == IMPLICIT_DENY, action
        assert evaluate(policy, action, role, {"iam:PermissionsBoundary": BOUNDARY}) == ALLOW, action
    # Off the platform's path, not even with the boundary: the deployer's own role included.
    for name in ("deployer", "Admin", "attacker-role", "platform-prod-orders-orders"):
        assert evaluate(policy, "iam:CreateRole", role_arn(name, "/"), {"iam:PermissionsBoundary": BOUNDARY}) \
            == IMPLICIT_DENY
        assert evaluate(policy, "iam:AttachRolePolicy", role_arn(name, "/"),
                        {"iam:PermissionsBoundary": BOUNDARY}) == IMPLICIT_DENY
    # Nor can it take the boundary off, or rewrite the boundary.
    assert evaluate(policy, "iam:DeleteRolePermissionsBoundary", role) == DENY
    assert evaluate(policy, "iam:CreatePolicyVersion", BOUNDARY) == DENY


@pytest.mark.parametrize("existing", ["prod-admin", "dev-ci", "staging-breakglass", "platform-admin",
                                      "ops/prod-admin", "platformer/admin"])
def test_roles_the_platform_did_not_create_are_out_of_reach(existing: str):
    """Issue 24: a role that already exists in the account (an admin role named like an environment, say) cannot be
    changed, deleted or passed: the deployer's role rights hold only on the platform's path, and a role gets a path
    only at creation, where the boundary is required. Rewriting such a role's trust policy and assuming it was the
    way to administrator."""
    policy, arn = deployer(), f"arn:aws:iam::{ACCOUNT}:role/{existing}"
    with_boundary = {"iam:PermissionsBoundary": BOUNDARY}
    for action in ROLE_CHANGES:
        assert evaluate(policy, action, arn) == IMPLICIT_DENY, action
        assert evaluate(policy, action, arn, with_boundary) == IMPLICIT_DENY, action
    for service in ("ec2.amazonaws.com", "eks.amazonaws.com", "vpc-flow-logs.amazonaws.com"):
        # Passing it to EC2 is running an instance with its instance profile: refused too.
        assert evaluate(policy, "iam:PassRole", arn, {"iam:PassedToService": service}) == IMPLICIT_DENY


def test_the_deployer_registers_only_eks_issuers():
    """Identity providers are registered only for issuers shaped like EKS's (`oidc.eks.<region>.amazonaws.com/
    id/<id>`). IAM's `*` spans `/`, so this narrows mistakes rather than proving ownership; what a token of any
    issuer could reach is capped by the role boundary, as for the deployer itself."""
    policy = deployer()
    eks = f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71"
    assert evaluate(policy, "iam:CreateOpenIDConnectProvider", eks) == ALLOW
    for issuer in ("oidc.eks.attacker.example/id/1", "token.actions.githubusercontent.com", "accounts.google.com"):
        arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer}"
        assert evaluate(policy, "iam:CreateOpenIDConnectProvider", arn) == IMPLICIT_DENY, issuer


def test_the_deployer_passes_only_the_platforms_roles():
    policy = deployer()
    to_ec2 = {"iam:PassedToService": "ec2.amazonaws.com"}
    assert evaluate(policy, "iam:PassRole", role_arn("prod-node-role-3f2a1b0"), to_ec2) == ALLOW
    assert evaluate(policy, "iam:PassRole", role_arn("prod-node-role-3f2a1b0", "/"), to_ec2) == IMPLICIT_DENY
    assert evaluate(policy, "iam:PassRole", role_arn("Admin", "/"), to_ec2) == IMPLICIT_DENY
    assert evaluate(policy, "iam:PassRole", role_arn("prod-node-role-3f2a1b0"),
                    {"iam:PassedToService": "lambda.amazonaws.com"}) == IMPLICIT_DENY


def test_the_boundary_grants_no_iam_change():
    boundary = json.loads(BOUNDARY_FILE.read_text())
    for action in ("iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PassRole",
                   "iam:CreateUser", "iam:CreateAccessKey", "sts:AssumeRole", "iam:UpdateAssumeRolePolicy"):
        assert evaluate(boundary, action, "*") == IMPLICIT_DENY, action
    # ... and still what the platform's roles do: pull work, read secrets, write flow logs, run nodes.
    for action in ("sqs:ReceiveMessage", "kms:Decrypt", "secretsmanager:GetSecretValue", "logs:PutLogEvents",
                   "ec2:CreateNetworkInterface", "autoscaling:SetDesiredCapacity", "ecr:BatchGetImage"):
        assert evaluate(boundary, action, "*") == ALLOW, action


@pytest.mark.parametrize("stack", [s for s in SHIPPED_STACKS if load_stack_yaml(s)["config"]["cloud"] == "aws"])
def test_every_role_the_stacks_create_is_on_the_platform_path_with_the_boundary(stack: str):
    run = shipped_run(stack)
    policy = deployer()
    roles = run.graph.of_type("aws:iam/role:Role")
    assert roles
    for record in roles:
        assert record.inputs["permissionsBoundary"] == BOUNDARY, record.name
        # Each environment's roles on its own path under the platform's: a deployer per environment in a shared
        # account can be scoped to `role/platform/<environment>/*`.
        assert record.inputs["path"] == f"{PLATFORM_ROLE_PATH}{stack}/", record.name
        # The ARN the role gets (the offline provider builds it as IAM does: path, then name) is one the deployer
        # may create with the boundary, then update, delete and pass.
        arn = record.outputs["arn"]
        assert arn == role_arn(record.outputs["name"], f"{PLATFORM_ROLE_PATH}{stack}/"), record.name
        assert evaluate(policy, "iam:CreateRole", arn, {"iam:PermissionsBoundary": BOUNDARY}) == ALLOW, arn
        for action in ROLE_CHANGES:
            context = {"iam:PermissionsBoundary": BOUNDARY}   # present on every call once the role carries it
            assert evaluate(policy, action, arn, context) == ALLOW, (action, arn)
        # A fixed name cannot be created beside its replacement: the old role goes first.
        assert record.deleteBeforeReplace == bool(record.inputs.get("name")), record.name


GCP_GRANTS_CONDITION = REPO / "deploy" / "ci-identity" / "gcp-deployer-grants-condition.yaml"
# Permissions that let a holder raise its own rights on a project (change any binding, edit custom roles,
# mint credentials for any service account).
GCP_ESCALATION = {"resourcemanager.projects.setIamPolicy", "iam.roles.create", "iam.roles.update",
                  "iam.serviceAccountKeys.create", "iam.serviceAccounts.getAccessToken",
                  "iam.serviceAccounts.signJwt", "iam.serviceAccounts.implicitDelegation"}


def granted_project_roles() -> set[str]:
    roles = set()
    for stack in SHIPPED_STACKS:
        run = shipped_run(stack)
        roles |= {r.inputs["role"] for r in run.graph.of_type("gcp:projects/iAMMember:IAMMember")}
    return roles


def test_the_gcp_deployer_cannot_grant_itself_more():
    assert set(gcp_role()["includedPermissions"]) & GCP_ESCALATION == set()
    grants = YAML(typ="safe").load(GCP_GRANTS_ROLE.read_text())
    assert sorted(grants["includedPermissions"]) == ["resourcemanager.projects.getIamPolicy",
                                                     "resourcemanager.projects.setIamPolicy"]
    condition = YAML(typ="safe").load(GCP_GRANTS_CONDITION.read_text())
    expression = condition["expression"]
    assert expression.startswith("api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([")
    allowed = set(re.findall(r"'(roles/[^']+)'", expression))
    # Exactly the project-level roles the program grants: none missing (the run would fail), none extra.
    assert allowed == granted_project_roles()
    assert not {r for r in allowed if r in ("roles/owner", "roles/editor") or r.startswith("roles/iam.")
                or r.startswith("roles/resourcemanager.")}


# --- the pack's rule that turns the deployer's AccessDenied into a preview-time refusal ----------------------

ROLE_URN = "urn:pulumi:prod::platform::platform:index:Environment$aws:iam/role:Role::prod-orders-api"


def _role_rule(props: dict, urn: str = ROLE_URN, config: dict | None = None) -> list[str]:
    from types import SimpleNamespace

    from platform_policy.guardrails import identity

    reported: list[str] = []
    args = SimpleNamespace(resource_type="aws:iam/role:Role", urn=urn, props=props,
                           get_config=lambda: config or {})
    identity._bounded_roles(args, reported.append)
    return reported


@pytest.mark.parametrize(("props", "config", "expected"), [
    ({"path": PLATFORM_ROLE_PATH, "permissionsBoundary": BOUNDARY}, None, []),
    ({"path": "/platform/prod/", "permissionsBoundary": BOUNDARY}, None, []),
    ({"path": "/platformer/", "permissionsBoundary": BOUNDARY}, None, ["is on the path '/platformer/'"]),
    ({"path": PLATFORM_ROLE_PATH, "permissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/team/platform-role-boundary"},
     None, []),
    ({"path": "/", "permissionsBoundary": BOUNDARY}, None, ["is on the path '/', not '/platform/' or under it"]),
    ({"permissionsBoundary": BOUNDARY}, None, ["is on the path '/', not '/platform/' or under it"]),
    ({"path": PLATFORM_ROLE_PATH}, None, ["has no permissions boundary"]),
    ({"path": PLATFORM_ROLE_PATH, "permissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/pko-boundary"}, None,
     [f"has the permissions boundary arn:aws:iam::{ACCOUNT}:policy/pko-boundary, not the policy "
      "'platform-role-boundary'"]),
    ({"path": PLATFORM_ROLE_PATH, "permissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/acme-boundary"},
     {"boundary_policy": "acme-boundary"}, []),
])
def test_the_pack_refuses_roles_the_deployer_could_not_create(props, config, expected):
    reported = _role_rule(props, config=config)
    assert len(reported) == len(expected), reported
    assert all(r.startswith(e) for r, e in zip(reported, expected, strict=True)), reported


def test_the_operators_workspace_roles_are_not_the_platforms():
    # Bounded by the deployer policy and kept off the platform's path on purpose (docs/bootstrap.md section 6).
    urn = ("urn:pulumi:mgmt::management::platform:index:PulumiOperator$aws:iam/role:Role::pko-dev-role")
    assert _role_rule({"path": "/", "permissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/x"}, urn) == []


def test_a_deployer_per_environment_can_be_scoped_to_its_environments_roles():
    """docs/bootstrap.md section 2: in an account several environments share, each environment's deployer gets the
    shipped policy with its role statements narrowed to `role/platform/<environment>/*`."""
    scoped = json.loads(AWS_POLICY.read_text().replace("role/platform/*", "role/platform/dev/*"))
    with_boundary = {"iam:PermissionsBoundary": BOUNDARY}
    dev, prod = role_arn("platform-dev-orders-orders", "/platform/dev/"), role_arn("platform-prod-x", "/platform/prod/")
    for action in ROLE_CHANGES:
        assert evaluate(scoped, action, dev, with_boundary) == ALLOW, action
        assert evaluate(scoped, action, prod, with_boundary) == IMPLICIT_DENY, action
    assert evaluate(scoped, "iam:PassRole", prod, {"iam:PassedToService": "ec2.amazonaws.com"}) == IMPLICIT_DENY


# What reaches every service account, topic, subscription, secret or key of the project: IAM Conditions cannot name
# service accounts, topics or subscriptions (keys and secrets are not narrowed either), so it is the documented
# project requirement (docs/bootstrap.md section 3).
GCP_PROJECT_WIDE = {"iam.serviceAccounts.actAs", "iam.serviceAccounts.setIamPolicy", "pubsub.topics.setIamPolicy",
                    "pubsub.subscriptions.setIamPolicy", "secretmanager.secrets.setIamPolicy",
                    "cloudkms.cryptoKeys.setIamPolicy"}


def test_the_gcp_deployers_project_wide_reach_is_exactly_the_documented_one():
    granted = set(gcp_role()["includedPermissions"])
    reach = {p for p in granted if p.endswith(".setIamPolicy") or p in ("iam.serviceAccounts.actAs",
                                                                        "iam.serviceAccounts.getAccessToken")}
    assert reach == GCP_PROJECT_WIDE, "a new project-wide grant: narrow it, or document it beside these"
    section = (REPO / "docs" / "bootstrap.md").read_text().split("## 3.")[1].split("## 4.")[0]
    for named in ("iam.serviceAccounts.actAs", "iam.serviceAccounts.setIamPolicy",
                  "iam.automaticIamGrantsForDefaultServiceAccounts", "no service account more"):
        assert named in section, named
