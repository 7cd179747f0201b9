"""`EksCluster`: an EKS cluster on pulumi-aws with production-safe defaults.

Secure posture, each with the reason:
- private API endpoint; public only with an allow-list (a public API is the most-attacked surface);
- secrets envelope-encrypted with a dedicated KMS key, rotated yearly (etcd backups hold secrets);
- control-plane logs (api, audit, authenticator at least) kept `log_retention_days` (forensics);
- access entries (authentication mode API) instead of the aws-auth ConfigMap (auditable, no lockout);
- nodes in their own security group: the API's 443 admits them and declared runner networks, not the VPC;
- IMDSv2 with hop limit 1 on nodes, so pods cannot take the node's role: they use IRSA;
- node volumes encrypted; node groups ignore `desiredSize` after creation (the autoscaler owns it);
- upgrade policy STANDARD: extended support (paid) only when asked for.
"""

from __future__ import annotations

import json
from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s
from pydantic import ConfigDict, Field, model_validator

from ..cloud_sdks import aws
from ..errors import Problem, raise_problems
from ..identity import PLATFORM_ROLE_PATH, ROLE_PATH_PATTERN, WorkloadPrincipal, role_boundary_arn
from ..kms_policies import cloudwatch_logs_statement, key_policy
from ..rules.bootstrap import merged, runner_cidrs
from ..rules.clusters import cluster_problems, is_arm_instance_type
from ..scheduling import declared_taints, node_labels
from ..spec.cluster import ClusterSpec, NodePoolSpec
from ..versions import EKS_ADDON_VERSIONS
from .base import Cluster, WorkloadIdentity, exec_kubeconfig
from .eks_autoscaling import ami_type, tag_for_scale_from_zero
from .eks_network import node_security_group
from .names import bounded, irsa_role_name

CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
TAINT_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}


def same_principal(listed: str, caller: str) -> bool:
    """Whether two IAM role/user ARNs name one principal: IAM names are case-insensitive and an ARN may
    or may not carry the role's path (`role/ci/Deployer` and `role/Deployer` are the same role)."""
    def key(arn: str) -> tuple[str, str, str]:
        head, _, resource = arn.partition(":iam::")
        account, _, path = resource.partition(":")
        kind, _, name = path.partition("/")
        return account, kind, name.rsplit("/", 1)[-1].lower()
    return key(listed) == key(caller)


def managed_policy(name: str) -> str:
    return f"arn:aws:iam::aws:policy/{name}"


def _assume_role_policy(service: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service},
                       "Action": ["sts:AssumeRole", "sts:TagSession"]}],
    }, sort_keys=True)


class EksClusterArgs(ClusterSpec):
    """Arguments of `EksCluster`: the cluster spec plus where it runs."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    cluster_name: str = Field(description="The EKS cluster's name. Required.")
    region: str = Field(description="AWS region, used in the kubeconfig. Required.")
    subnet_ids: Any = Field(description="Private subnet ids (Input[list[str]]) for the control plane ENIs and nodes. "
                                        "Required.")
    log_key: Optional[str] = Field(
        None,
        pattern=r"^(create|arn:aws[a-z-]*:kms:.+)$",
        description=(
            "Customer-managed KMS key for the control-plane log group: `create` (a rotating key of the cluster's "
            "own, with a key policy for CloudWatch Logs; the Environment's choice in prod), a key ARN, or unset "
            "(CloudWatch's own encryption). Default unset."
        ),
    )

    permissions_boundary: Optional[str] = Field(
        None,
        description=(
            "Permissions boundary (a managed policy ARN) of every IAM role the cluster creates: its own, the "
            "nodes', the add-ons' and the workloads'. Default `arn:<partition>:iam::<account>:policy/"
            "platform-role-boundary` (deploy/ci-identity/aws-role-boundary.json)."
        ),
    )
    role_path: str = Field(
        PLATFORM_ROLE_PATH,
        pattern=ROLE_PATH_PATTERN,
        description=(
            "IAM path of every IAM role the cluster creates (its own, the nodes', the add-ons', the "
            "workloads'): `/platform/` or a path under it (an `Environment` uses `/platform/<environment>/`). "
            "The deployer policy (deploy/ci-identity/) may create, change and pass roles only there. "
            "Default `/platform/`."
        ),
    )

    @model_validator(mode="after")
    def _cloud_limits(self) -> EksClusterArgs:
        # The same limits as a stack file's `cluster` section, so direct users fail before anything is sent.
        problems = cluster_problems("aws", "dev", "args", self)
        if not self.public_endpoint and self.private_access_cidrs is None and not runner_cidrs(self, "private_network"):
            problems.append(Problem("args.private_access_cidrs", "the API endpoint is private and no network may "
                                    "reach it: list the networks that run Pulumi or kubectl (or [] when you manage "
                                    "access to the cluster security group yourself), or set public_endpoint with "
                                    "authorized_networks, or deployer_access (docs/bootstrap.md)"))
        raise_problems("EksClusterArgs", problems)
        return self


def _resolved_addon_versions(args: EksClusterArgs) -> dict[str, str]:
    pinned = dict(EKS_ADDON_VERSIONS.get(args.kubernetes_version, {}))
    pinned.update(args.addon_versions)
    return pinned


class EksCluster(Cluster):
    """EKS control plane, managed node groups, core add-ons, IRSA, and a Kubernetes provider."""

    oidc_provider_arn: pulumi.Output[str]
    """The IAM OIDC provider of the cluster's issuer (IRSA trust policies name it)."""
    oidc_issuer: pulumi.Output[str]
    """The cluster's OIDC issuer URL."""
    node_role_arn: pulumi.Output[str]
    """The IAM role of the managed node groups."""
    secrets_key_arn: pulumi.Output[str]
    """The KMS key that encrypts Kubernetes secrets."""

    def __init__(self, name: str, args: EksClusterArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:index:EksCluster", name, None, opts)
        self.kubernetes_version = args.kubernetes_version
        self.node_pools = dict(args.node_pools)
        self._cluster_name_value = args.cluster_name
        self._role_path = args.role_path
        protect = bool(args.protect)
        self._deployer = self._deploying_identity(args)
        child = pulumi.ResourceOptions(parent=self)
        guarded = pulumi.ResourceOptions(parent=self, protect=protect)

        invoke = pulumi.InvokeOutputOptions(parent=self)
        where = pulumi.Output.all(aws.get_partition_output(opts=invoke).partition,
                                  aws.get_region_output(opts=invoke).region,
                                  aws.get_caller_identity_output(opts=invoke).account_id)
        self._boundary: pulumi.Input[str] = args.permissions_boundary or where.apply(
            lambda w: role_boundary_arn(w[0], w[2]))
        secrets_key = aws.kms.Key(
            f"{name}-secrets",
            description=f"EKS {args.cluster_name} Kubernetes secrets envelope encryption",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            # The cluster role's IAM policy below grants EKS its use, through the account statement.
            policy=where.apply(lambda w: key_policy(w[0], w[2])),
            opts=guarded,
        )
        aws.kms.Alias(f"{name}-secrets", name=f"alias/eks/{args.cluster_name}", target_key_id=secrets_key.key_id,
                      opts=child)

        cluster_role = aws.iam.Role(
            f"{name}-cluster-role", assume_role_policy=_assume_role_policy("eks.amazonaws.com"),
            path=args.role_path, permissions_boundary=self._boundary, opts=child)
        attachments = [aws.iam.RolePolicyAttachment(
            f"{name}-cluster-role-policy", role=cluster_role.name,
            policy_arn=managed_policy("AmazonEKSClusterPolicy"), opts=child)]
        attachments.append(aws.iam.RolePolicy(
            f"{name}-cluster-encryption",
            role=cluster_role.name,
            policy=secrets_key.arn.apply(lambda arn: json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Resource": arn,
                               "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"]}],
            }, sort_keys=True)),
            opts=child,
        ))
        # Created before the cluster so EKS writes into a group with our retention, not a never-expiring one.
        log_group_name = f"/aws/eks/{args.cluster_name}/cluster"
        log_key: Optional[pulumi.Input[str]] = args.log_key if args.log_key != "create" else None
        if args.log_key == "create":
            log_key = aws.kms.Key(
                f"{name}-control-plane-logs",
                description=f"EKS {args.cluster_name} control-plane logs",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=where.apply(lambda w: key_policy(
                    w[0], w[2], cloudwatch_logs_statement(w[0], w[1], w[2], [log_group_name]))),
                opts=guarded,
            ).arn
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane",
            name=log_group_name,
            retention_in_days=args.log_retention_days,
            kms_key_id=log_key,
            # Audit logs are evidence: protected with the cluster.
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )

        cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=args.cluster_name,
            version=args.kubernetes_version,
            role_arn=cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=args.subnet_ids,
                endpoint_private_access=True,
                endpoint_public_access=args.public_endpoint,
                public_access_cidrs=(merged(args.authorized_networks, runner_cidrs(args, "public_endpoint"))
                                     if args.public_endpoint else None),
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=secrets_key.arn),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=list(args.control_plane_logs),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=False,
            ),
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(
                support_type="EXTENDED" if args.extended_support else "STANDARD"),
            # Core add-ons are installed below as managed add-ons, pinned and upgradable.
            bootstrap_self_managed_addons=False,
            deletion_protection=protect,
            opts=pulumi.ResourceOptions(parent=self, protect=protect, depends_on=[log_group, *attachments]),
        )
        self._cluster = cluster
        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.endpoint = cluster.endpoint
        self.oidc_issuer = cluster.identities.apply(lambda ids: ids[0]["oidcs"][0]["issuer"])
        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc", url=self.oidc_issuer, client_id_lists=["sts.amazonaws.com"], opts=child)
        self._oidc = oidc
        self.oidc_provider_arn = oidc.arn
        # What every IRSA trust policy names: the provider and the issuer's host. One Output per cluster that
        # each role's policy applies, rather than the same pair lifted again for every role.
        self._irsa_trust_principal = pulumi.Output.all(
            oidc.arn, self.oidc_issuer.apply(lambda url: url.removeprefix("https://")))

        admin_associations = self._access_entries(name, args, cluster)
        cluster_sg = cluster.vpc_config.cluster_security_group_id
        # The private endpoint answers only what EKS's cluster security group admits: itself (the control
        # plane). Nodes get their own group (below); whoever runs Pulumi or kubectl needs an explicit rule,
        # for exactly the networks declared, never the whole VPC.
        api_access = [
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-api-from-{cidr.replace('.', '-').replace('/', '-')}",
                security_group_id=cluster_sg,
                ip_protocol="tcp", from_port=443, to_port=443, cidr_ipv4=cidr,
                description=f"Kubernetes API of {args.cluster_name} from {cidr}",
                opts=child,
            )
            for cidr in sorted(set(args.private_access_cidrs or []) | set(runner_cidrs(args, "private_network")))
        ]
        node_sg, node_rules, self.webhook_access = node_security_group(name, args.cluster_name, cluster, child)

        node_role = aws.iam.Role(
            f"{name}-node-role", assume_role_policy=_assume_role_policy("ec2.amazonaws.com"),
            path=args.role_path, permissions_boundary=self._boundary, opts=child)
        node_policies = [
            aws.iam.RolePolicyAttachment(f"{name}-node-{policy}", role=node_role.name,
                                         policy_arn=managed_policy(policy), opts=child)
            for policy in ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly")
        ]
        self.node_role_arn = node_role.arn

        versions = _resolved_addon_versions(args)
        # The CNI's permissions belong to its own service account, not to every pod's node role.
        vpc_cni_role = self.irsa_role(f"{name}-vpc-cni", "kube-system", "aws-node",
                                      managed_policies=[managed_policy("AmazonEKS_CNI_Policy")])
        early_addons = [
            # The CNI's network policy agent enforces the workloads' NetworkPolicies (off unless enabled:
            # https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html).
            self._addon(name, cluster, "vpc-cni", versions, service_account_role_arn=vpc_cni_role.arn,
                        configuration_values=json.dumps({"enableNetworkPolicy": "true"})),
            self._addon(name, cluster, "kube-proxy", versions),
        ]
        node_groups = [
            self._node_group(name, pool_name, pool, args, cluster, node_role, node_sg,
                             [*node_policies, *early_addons, *node_rules], guarded)
            for pool_name, pool in sorted(args.node_pools.items())
        ]
        ebs_role = self.irsa_role(f"{name}-ebs-csi", "kube-system", "ebs-csi-controller-sa",
                                  managed_policies=[managed_policy("service-role/AmazonEBSCSIDriverPolicy")])
        # CoreDNS and the EBS controller are Deployments: they only become healthy once nodes exist.
        late_addons = [
            self._addon(name, cluster, "coredns", versions, depends_on=node_groups),
            self._addon(name, cluster, "aws-ebs-csi-driver", versions, depends_on=node_groups,
                        service_account_role_arn=ebs_role.arn),
        ]

        self.secrets_key_arn = secrets_key.arn
        self.kubeconfig = exec_kubeconfig(
            args.cluster_name,
            cluster.endpoint,
            cluster.certificate_authority.apply(lambda ca: ca["data"]),
            "aws",
            ["eks", "get-token", "--cluster-name", cluster.name, "--region", args.region, "--output", "json"],
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            # Kubernetes resources wait for access (the deployer's entry), nodes and cluster DNS.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*admin_associations, *api_access, *node_groups, *late_addons]),
        )
        self.register_outputs({
            "cluster_name": self.cluster_name,
            "endpoint": self.endpoint,
            "kubeconfig": self.kubeconfig,
            "oidc_provider_arn": self.oidc_provider_arn,
            "node_role_arn": self.node_role_arn,
        })

    # -- pieces -----------------------------------------------------------------------------------

    def _deploying_identity(self, args: EksClusterArgs) -> tuple[str, list[str]]:
        """(the principal running `pulumi up`, the `admins` keys naming it), checked before any resource exists:
        the run installs KEDA and Argo CD with the deployer's access, so without an entry it would fail half-way.
        Resolved now, not as an Output: whether the deployer needs an entry of its own decides which resources
        exist, and EKS refuses a second access entry for one principal."""
        caller = aws.get_caller_identity(opts=pulumi.InvokeOptions(parent=self))
        # An assumed-role session ARN is not a valid access entry principal; its issuing role is.
        deployer = aws.iam.get_session_context(arn=caller.arn, opts=pulumi.InvokeOptions(parent=self)).issuer_arn
        listed = [key for key, arn in args.admins.items() if same_principal(arn, deployer)]
        if args.deployer_admin is False and not listed:
            raise_problems("EksClusterArgs", [Problem(
                "cluster.admins",
                f"the identity running `pulumi up` ({deployer}) is not listed, and `cluster.deployer_admin` is "
                "false (the default outside dev): add it as a named admin, e.g. `ci: <its role ARN>`, or set "
                "`cluster.deployer_admin: true`")])
        return deployer, listed

    def _access_entries(self, name: str, args: EksClusterArgs, cluster: aws.eks.Cluster) -> list[pulumi.Resource]:
        admins: dict[str, pulumi.Input[str]] = dict(sorted(args.admins.items()))
        deployer, listed = self._deployer
        if listed:
            pulumi.log.info(
                f"the deploying identity {deployer} is cluster.admins.{listed[0]}: it gets cluster-admin "
                "through that access entry, not a second one (deployer_admin)", resource=self)
        elif args.deployer_admin is not False:
            admins["deployer"] = deployer
        associations = []
        for key, principal in admins.items():
            entry = aws.eks.AccessEntry(
                f"{name}-admin-{key}", cluster_name=cluster.name, principal_arn=principal, type="STANDARD",
                opts=pulumi.ResourceOptions(parent=self))
            associations.append(aws.eks.AccessPolicyAssociation(
                f"{name}-admin-{key}",
                cluster_name=cluster.name,
                principal_arn=entry.principal_arn,
                policy_arn=CLUSTER_ADMIN_POLICY,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=pulumi.ResourceOptions(parent=self),
            ))
        return associations

    def _addon(self, name: str, cluster: aws.eks.Cluster, addon: str, versions: dict[str, str],
               depends_on: Optional[list[pulumi.Resource]] = None, **extra: Any) -> aws.eks.Addon:
        return aws.eks.Addon(
            f"{name}-{addon}",
            cluster_name=cluster.name,
            addon_name=addon,
            addon_version=versions.get(addon),
            # Take over what EKS pre-created on create; keep user tuning on later upgrades.
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            **extra,
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on or []),
        )

    def _node_group(self, name: str, pool_name: str, pool: NodePoolSpec, args: EksClusterArgs,
                    cluster: aws.eks.Cluster, node_role: aws.iam.Role, node_sg: aws.ec2.SecurityGroup,
                    depends_on: list[pulumi.Resource], opts: pulumi.ResourceOptions) -> aws.eks.NodeGroup:
        arm = is_arm_instance_type(pool.machine_types[0])
        template = aws.ec2.LaunchTemplate(
            f"{name}-{pool_name}",
            description=f"EKS {args.cluster_name} node group {pool_name}",
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1),
            block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name="/dev/xvda",
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=pool.disk_size_gb, volume_type="gp3", encrypted="true", delete_on_termination="true"),
            )],
            tag_specifications=[aws.ec2.LaunchTemplateTagSpecificationArgs(
                resource_type="instance", tags={"Name": f"{args.cluster_name}-{pool_name}"})],
            update_default_version=True,
            # Nodes carry their own group, not EKS's cluster group (which EKS applies when the template
            # names none): the control plane's group then admits nodes on 443 only.
            vpc_security_group_ids=[node_sg.id],
            opts=pulumi.ResourceOptions(parent=self),
        )
        desired = pool.desired_size if pool.desired_size is not None else pool.min_size
        node_group = aws.eks.NodeGroup(
            f"{name}-{pool_name}",
            cluster_name=cluster.name,
            # A prefix, not a fixed name: replacing a group (new instance types) creates the new one first.
            node_group_name_prefix=bounded(f"{pool_name}-", 37),
            node_role_arn=node_role.arn,
            subnet_ids=args.subnet_ids,
            version=cluster.version,
            ami_type=ami_type(pool, arm),
            capacity_type="SPOT" if pool.spot else "ON_DEMAND",
            instance_types=list(pool.machine_types),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=pool.min_size, max_size=pool.max_size, desired_size=desired),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable_percentage=33),
            node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)),
            labels=node_labels("aws", pool_name, pool),
            taints=[aws.eks.NodeGroupTaintArgs(key=t["key"], value=t["value"] or None,
                                               effect=TAINT_EFFECTS[t["effect"]])
                    for t in declared_taints("aws", pool)],
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                depends_on=depends_on,
                ignore_changes=["scalingConfig.desiredSize"],
            )),
        )
        tag_for_scale_from_zero(self, name, pool_name, pool, node_group)
        return node_group

    # -- identity ---------------------------------------------------------------------------------

    # A cluster known only by reference (components.provider.refs) has no boundary of its own: its workloads'
    # roles get the account's default one, so a deployer limited to it can still create them.
    _boundary: Optional[pulumi.Input[str]] = None
    _role_path: str = PLATFORM_ROLE_PATH

    def _role_boundary(self) -> pulumi.Input[str]:
        if self._boundary is None:
            invoke = pulumi.InvokeOutputOptions()
            self._boundary = pulumi.Output.all(aws.get_partition_output(opts=invoke).partition,
                                               aws.get_caller_identity_output(opts=invoke).account_id).apply(
                lambda values: role_boundary_arn(values[0], values[1]))
        return self._boundary

    def irsa_role(self, name: str, namespace: str, service_account: str, *,
                  managed_policies: Optional[list[str]] = None, role_name: Optional[str] = None,
                  opts: Optional[pulumi.ResourceOptions] = None) -> aws.iam.Role:
        """An IAM role that only `system:serviceaccount:<namespace>:<service_account>` of this cluster can assume."""
        trust = self._irsa_trust_principal.apply(lambda values: json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": values[0]},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {
                    f"{values[1]}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                    f"{values[1]}:aud": "sts.amazonaws.com",
                }},
            }],
        }, sort_keys=True))
        role_opts = opts or pulumi.ResourceOptions(parent=self)
        # A named role cannot have its replacement (a new path, say) created beside it: IAM names are unique in
        # the account whatever the path, so the old one goes first.
        named = pulumi.ResourceOptions(delete_before_replace=True) if role_name else None
        role = aws.iam.Role(name, name=role_name, path=self._role_path, assume_role_policy=trust,
                            permissions_boundary=self._role_boundary(),
                            opts=pulumi.ResourceOptions.merge(role_opts, named))
        for policy_arn in managed_policies or []:
            aws.iam.RolePolicyAttachment(f"{name}-{policy_arn.rsplit('/', 1)[-1]}", role=role.name,
                                         policy_arn=policy_arn, opts=role_opts)
        return role

    def bind_workload_identity(self, name: str, namespace: str, service_account: str,
                               opts: Optional[pulumi.ResourceOptions] = None) -> WorkloadIdentity:
        # A deterministic role name makes the ARN (and so the ServiceAccount annotation) known before
        # deployment, which GitOps renders need.
        role_name = irsa_role_name(self._cluster_name_value, namespace, service_account)
        role = self.irsa_role(name, namespace, service_account, role_name=role_name, opts=opts)
        return WorkloadIdentity(
            principal=WorkloadPrincipal.aws_role(role.name),
            annotations=role.arn.apply(lambda arn: {"eks.amazonaws.com/role-arn": arn}),
            cloud_identity=role.arn,
            resources=[role],
            # The EKS pod identity webhook projects its own `aws-iam-token` volume into pods using this
            # service account, so the default Kubernetes API token stays unmounted.
            needs_token_mount=False,
        )
