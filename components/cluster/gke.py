"""`GkeCluster`: a private, hardened GKE cluster on pulumi-gcp.

Pinned settings, each with the reason (after terraform-google-kubernetes-engine's safer-cluster):
- private nodes (no public IPs); private endpoint unless `public_endpoint`, plus master authorized
  networks, and the IAM-authorized DNS endpoint for CI outside the VPC;
- Workload Identity on, node metadata served by GKE_METADATA: pods never see node credentials;
- Shielded Nodes with secure boot and integrity monitoring; legacy ABAC off (RBAC only);
- application-layer secrets encryption with a Cloud KMS key rotated every 90 days;
- a least-privilege node service account instead of the Compute Engine default one;
- the default node pool removed: pools are declared, keyed by name, surge upgrades with max_unavailable 0;
- release channel REGULAR by default; logging and monitoring (with managed Prometheus) on;
- deletion protection in prod.
"""

from __future__ import annotations

import math
from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s
from pydantic import ConfigDict, Field, model_validator

from ..cloud_sdks import gcp
from ..errors import raise_problems
from ..identity import WorkloadPrincipal
from ..rules.bootstrap import merged, runner_cidrs
from ..rules.clusters import cluster_problems
from ..scheduling import declared_taints, node_labels
from ..spec.cluster import ClusterSpec, NodePoolSpec
from .base import Cluster, WorkloadIdentity, exec_kubeconfig
from .gke_binary_authorization import EVALUATION_MODE as BINARY_AUTHORIZATION_MODE
from .gke_binary_authorization import project_policy
from .gke_gpus import guest_accelerators
from .names import bounded, gcp_account_id

TAINT_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}
NODE_ROLES = ("roles/container.defaultNodeServiceAccount", "roles/artifactregistry.reader")
KEY_ROTATION_PERIOD = f"{90 * 24 * 3600}s"
# Regional node pools spread over the region's zones (three in every GKE region we target).
ZONES_PER_REGION = 3


class GkeClusterArgs(ClusterSpec):
    """Arguments of `GkeCluster`: the cluster spec plus where it runs."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    cluster_name: str = Field(description="The GKE cluster's name. Required.")
    project: str = Field(description="GCP project id. Required.")
    region: str = Field(
        description="Region: the cluster is regional (control plane replicated across zones). Required.")
    network: Any = Field(description="VPC network id or self link (Input[str]). Required.")
    subnetwork: Any = Field(description="Subnetwork id or self link (Input[str]). Required.")
    pods_range_name: str = Field(description="Subnetwork secondary range for pods. Required.")
    services_range_name: str = Field(description="Subnetwork secondary range for services. Required.")
    service_agent_email: Optional[Any] = Field(
        None,
        description=(
            "The GKE service agent's email (Input[str], e.g. `gcp.projects.ServiceIdentity.email` for "
            "`container.googleapis.com`), granted the secrets key; its Output orders the grant after the agent "
            "exists. Default: `service-<project number>@container-engine-robot.iam.gserviceaccount.com`."
        ),
    )
    depends_on: list[Any] = Field(
        default_factory=list,
        description="Resources every cloud resource of the cluster waits for, e.g. API enablements. Default none.",
    )
    boot_disk_key: bool = Field(
        False,
        description=(
            "Encrypt node boot disks with a rotating customer-managed Cloud KMS key of the cluster's own, granted "
            "to the Compute Engine service agent (CIS GKE 5.9.2); the Environment sets it in prod. Node pools "
            "created before keep their disks (the key is ignored on them) until they are replaced. Default false."
        ),
    )
    binary_authorization_images: Optional[list[str]] = Field(
        None,
        description=(
            "When set: enforce Binary Authorization (CIS GKE 5.10.4) with the project's policy, which denies every "
            "image except Google's system images, these workload images' repositories and the pinned add-on "
            "charts' images (`gke_binary_authorization.py`); the Environment sets it in prod. The policy is one "
            "per project. Default unset: not enforced."
        ),
    )

    @model_validator(mode="after")
    def _cloud_limits(self) -> GkeClusterArgs:
        # The same limits as a stack file's `cluster` section, so direct users fail before anything is sent.
        raise_problems("GkeClusterArgs", cluster_problems("gcp", "dev", "args", self))
        return self


class GkeCluster(Cluster):
    """GKE control plane, node pools, secrets encryption, Workload Identity, and a Kubernetes provider."""

    node_service_account_email: pulumi.Output[str]
    """The least-privilege Google service account the nodes run as."""
    secrets_key_id: pulumi.Output[str]
    """The Cloud KMS key that encrypts Kubernetes secrets (application-layer encryption)."""

    def __init__(self, name: str, args: GkeClusterArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:index:GkeCluster", name, None, opts)
        self.kubernetes_version = args.kubernetes_version
        self.node_pools = dict(args.node_pools)
        self._project = args.project
        protect = bool(args.protect)
        self._after = list(args.depends_on)
        # Invokes call APIs too (Resource Manager for the project number, GKE for engine versions): on a fresh
        # project they would fail SERVICE_DISABLED unless they wait for the enablements, like the resources.
        self._invoke = pulumi.InvokeOutputOptions(parent=self, depends_on=self._after)
        child = pulumi.ResourceOptions(parent=self, depends_on=self._after)
        guarded = pulumi.ResourceOptions(parent=self, protect=protect, depends_on=self._after)
        if args.service_agent_email is not None:
            agent_member = pulumi.Output.from_input(args.service_agent_email).apply(
                lambda email: f"serviceAccount:{email}")
        else:
            project = gcp.organizations.get_project_output(
                project_id=args.project, opts=self._invoke)
            agent_member = project.number.apply(
                lambda number: f"serviceAccount:service-{number}@container-engine-robot.iam.gserviceaccount.com")

        # Cloud KMS never deletes key rings, so the ring outlives a destroy (retain_on_delete). Its name is
        # Pulumi's autoname (`<resource name>-<random>`), so the next `up` of a destroyed stack creates a
        # fresh ring instead of failing 409 AlreadyExists on the old one. `ignore_changes` keeps the fixed
        # name (`<cluster>-keyring`) of rings created before, so upgrading never replaces a ring or its key.
        key_ring = gcp.kms.KeyRing(
            f"{name}-keyring", location=args.region,
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True, depends_on=self._after,
                                        ignore_changes=["name"]))
        secrets_key = gcp.kms.CryptoKey(
            f"{name}-secrets", name="kubernetes-secrets", key_ring=key_ring.id, rotation_period=KEY_ROTATION_PERIOD,
            purpose="ENCRYPT_DECRYPT", opts=guarded)
        key_grant = gcp.kms.CryptoKeyIAMMember(
            f"{name}-secrets-gke-agent",
            crypto_key_id=secrets_key.id,
            role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
            member=agent_member,
            opts=child,
        )

        boot_disk_key: Optional[pulumi.Output[str]] = None
        boot_disk_grants: list[pulumi.Resource] = []
        if args.boot_disk_key:
            boot_key = gcp.kms.CryptoKey(
                f"{name}-boot-disks", name="boot-disks", key_ring=key_ring.id, rotation_period=KEY_ROTATION_PERIOD,
                purpose="ENCRYPT_DECRYPT", opts=guarded)
            number = gcp.organizations.get_project_output(
                project_id=args.project, opts=self._invoke).number
            # Compute Engine encrypts the disks as its service agent (GKE "Use customer-managed encryption
            # keys": grant roles/cloudkms.cryptoKeyEncrypterDecrypter to service-<number>@compute-system...).
            boot_disk_grants.append(gcp.kms.CryptoKeyIAMMember(
                f"{name}-boot-disks-compute-agent", crypto_key_id=boot_key.id,
                role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
                member=number.apply(lambda n: f"serviceAccount:service-{n}@compute-system.iam.gserviceaccount.com"),
                opts=child))
            boot_disk_key = boot_key.id

        nodes_account = gcp.serviceaccount.Account(
            f"{name}-nodes", account_id=bounded(f"{args.cluster_name}-nodes", 30),
            display_name=f"GKE {args.cluster_name} nodes", opts=child)
        node_member = nodes_account.email.apply(lambda email: f"serviceAccount:{email}")
        node_grants = [
            gcp.projects.IAMMember(f"{name}-nodes-{role.split('/')[-1].replace('.', '-')}",
                                   project=args.project, role=role, member=node_member, opts=child)
            for role in NODE_ROLES
        ]
        node_security = dict(
            service_account=nodes_account.email,
            oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
            shielded_instance_config=gcp.container.ClusterNodeConfigShieldedInstanceConfigArgs(
                enable_secure_boot=True, enable_integrity_monitoring=True),
            workload_metadata_config=gcp.container.ClusterNodeConfigWorkloadMetadataConfigArgs(mode="GKE_METADATA"),
            metadata={"disable-legacy-endpoints": "true"},
        )

        admission = []
        if args.binary_authorization_images is not None:
            admission = [project_policy(f"{name}-binary-authorization", args.project,
                                        args.binary_authorization_images, child)]
        pinned = args.release_channel == "NONE"
        # Direct users keep the DNS endpoint open (unset = true); the Environment closes it in prod.
        reachable_by_dns = args.dns_endpoint and args.dns_endpoint_external is not False
        cluster = gcp.container.Cluster(
            f"{name}-cluster",
            name=args.cluster_name,
            location=args.region,
            network=args.network,
            subnetwork=args.subnetwork,
            remove_default_node_pool=True,
            initial_node_count=1,
            node_config=gcp.container.ClusterNodeConfigArgs(**node_security),
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name=args.pods_range_name,
                services_secondary_range_name=args.services_range_name,
            ),
            private_cluster_config=gcp.container.ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True,
                enable_private_endpoint=not args.public_endpoint,
                master_ipv4_cidr_block=args.master_cidr,
            ),
            master_authorized_networks_config=gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
                cidr_blocks=[gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                    cidr_block=cidr, display_name=f"authorized-{index}")
                    for index, cidr in enumerate(
                        merged(args.authorized_networks, runner_cidrs(args, "public_endpoint", "private_network")))],
            ),
            control_plane_endpoints_config=gcp.container.ClusterControlPlaneEndpointsConfigArgs(
                dns_endpoint_config=gcp.container.ClusterControlPlaneEndpointsConfigDnsEndpointConfigArgs(
                    allow_external_traffic=reachable_by_dns),
            ),
            # Pod-to-pod traffic on one node goes through the VPC too, so flow logs and firewall rules see it
            # (CIS GKE 5.6.1).
            enable_intranode_visibility=True,
            authenticator_groups_config=gcp.container.ClusterAuthenticatorGroupsConfigArgs(
                security_group=args.rbac_security_group) if args.rbac_security_group else None,
            release_channel=gcp.container.ClusterReleaseChannelArgs(
                channel="UNSPECIFIED" if pinned else args.release_channel),
            min_master_version=args.kubernetes_version,
            workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(
                workload_pool=f"{args.project}.svc.id.goog"),
            database_encryption=gcp.container.ClusterDatabaseEncryptionArgs(state="ENCRYPTED", key_name=secrets_key.id),
            enable_shielded_nodes=True,
            enable_legacy_abac=False,
            datapath_provider="ADVANCED_DATAPATH",
            logging_config=gcp.container.ClusterLoggingConfigArgs(
                enable_components=["SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER"]),
            monitoring_config=gcp.container.ClusterMonitoringConfigArgs(
                enable_components=["SYSTEM_COMPONENTS"],
                # KEDA scales on Pub/Sub backlog through Google Cloud Managed Service for Prometheus.
                managed_prometheus=gcp.container.ClusterMonitoringConfigManagedPrometheusArgs(enabled=True),
            ),
            # Kubernetes security posture (workload configuration audit). GKE retired the basic
            # vulnerability-scanning tier, so vulnerability_mode is left to the API default.
            security_posture_config=gcp.container.ClusterSecurityPostureConfigArgs(mode="BASIC"),
            binary_authorization=gcp.container.ClusterBinaryAuthorizationArgs(
                evaluation_mode=BINARY_AUTHORIZATION_MODE) if admission else None,
            deletion_protection=protect,
            opts=pulumi.ResourceOptions(
                parent=self, protect=protect,
                # Nodes (even the temporary default pool) must not boot before their account has its roles.
                depends_on=[*self._after, key_grant, *node_grants, *admission],
                # The API reports the first node pool's config here; the pools own node configuration, and
                # a diff on this field would replace the cluster.
                ignore_changes=["nodeConfig"],
            ),
        )
        self._cluster = cluster
        self.cluster_name = cluster.name
        self.endpoint = cluster.endpoint

        # Pinned (no release channel): nodes get the newest patch of the minor version and do not auto-upgrade.
        node_version = gcp.container.get_engine_versions_output(
            location=args.region, version_prefix=f"{args.kubernetes_version}.",
            opts=self._invoke).latest_node_version if pinned else None
        pool_opts = pulumi.ResourceOptions.merge(
            guarded, pulumi.ResourceOptions(depends_on=[*node_grants, *boot_disk_grants]))
        pools = [
            self._node_pool(name, pool_name, pool, cluster, node_security, node_version, pool_opts, boot_disk_key)
            for pool_name, pool in sorted(args.node_pools.items())
        ]
        # Private nodes only accept the control plane on 443 and 10250 by default; KEDA's metrics API server
        # (6443) and admission webhooks (9443) must be reachable from it too, or nothing scales.
        webhook_firewall = gcp.compute.Firewall(
            f"{name}-control-plane-to-webhooks",
            network=args.network,
            direction="INGRESS",
            source_ranges=[args.master_cidr],
            allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=["6443", "9443"])],
            target_service_accounts=[nodes_account.email],
            description=f"GKE {args.cluster_name} control plane to aggregated APIs and admission webhooks",
            opts=child,
        )

        if reachable_by_dns:
            server = cluster.control_plane_endpoints_config.apply(
                lambda config: f"https://{config['dns_endpoint_config']['endpoint']}")
            ca_data = None  # the DNS endpoint presents a publicly trusted certificate
        else:
            server = cluster.endpoint.apply(lambda endpoint: f"https://{endpoint}")
            ca_data = cluster.master_auth.apply(lambda auth: auth["cluster_ca_certificate"])
        self.kubeconfig = exec_kubeconfig(
            args.cluster_name, server, ca_data, "gke-gcloud-auth-plugin", [],
            extra_user={"provideClusterInfo": True,
                        "installHint": "Install it with: gcloud components install gke-gcloud-auth-plugin"},
        )
        self.provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=self.kubeconfig,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*pools, *node_grants]))
        self.webhook_access = [webhook_firewall]
        self.node_service_account_email = nodes_account.email
        self.secrets_key_id = secrets_key.id
        self.register_outputs({
            "cluster_name": self.cluster_name,
            "endpoint": self.endpoint,
            "kubeconfig": self.kubeconfig,
            "node_service_account_email": self.node_service_account_email,
        })

    def _node_pool(self, name: str, pool_name: str, pool: NodePoolSpec, cluster: gcp.container.Cluster,
                   node_security: dict, version: Optional[pulumi.Output[str]],
                   opts: pulumi.ResourceOptions,
                   boot_disk_key: Optional[pulumi.Output[str]] = None) -> gcp.container.NodePool:
        desired = pool.desired_size if pool.desired_size is not None else pool.min_size
        return gcp.container.NodePool(
            f"{name}-{pool_name}",
            # A prefix, not a fixed name: replacing a pool (new machine type) creates the new one first.
            name_prefix=bounded(f"{pool_name}-", 14),
            cluster=cluster.id,
            location=cluster.location,
            initial_node_count=max(1, math.ceil(desired / ZONES_PER_REGION)) if desired else 0,
            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                total_min_node_count=pool.min_size, total_max_node_count=pool.max_size, location_policy="BALANCED"),
            version=version,
            management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=version is None),
            upgrade_settings=gcp.container.NodePoolUpgradeSettingsArgs(strategy="SURGE", max_surge=1,
                                                                       max_unavailable=0),
            node_config=gcp.container.NodePoolNodeConfigArgs(
                machine_type=pool.machine_types[0],
                spot=pool.spot,
                disk_size_gb=pool.disk_size_gb,
                disk_type="pd-balanced",
                boot_disk_kms_key=boot_disk_key,
                labels=node_labels("gcp", pool_name, pool),
                taints=[gcp.container.NodePoolNodeConfigTaintArgs(key=t["key"], value=t["value"],
                                                                  effect=TAINT_EFFECTS[t["effect"]])
                        for t in declared_taints("gcp", pool)],
                # GKE installs the driver and device plugin, and taints the nodes nvidia.com/gpu=present itself.
                guest_accelerators=guest_accelerators(pool),
                service_account=node_security["service_account"],
                oauth_scopes=node_security["oauth_scopes"],
                metadata=node_security["metadata"],
                shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True),
                workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(
                    mode="GKE_METADATA"),
            ),
            # A boot-disk key only applies to pools created with it: changing it would replace a running pool.
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                ignore_changes=["initialNodeCount", "nodeConfig.bootDiskKmsKey"])),
        )

    def bind_workload_identity(self, name: str, namespace: str, service_account: str,
                               opts: Optional[pulumi.ResourceOptions] = None) -> WorkloadIdentity:
        """A Google service account that only `namespace/service_account` can impersonate (Workload Identity)."""
        account_opts = opts or pulumi.ResourceOptions(parent=self)
        account = gcp.serviceaccount.Account(
            name, account_id=gcp_account_id(name), display_name=f"{namespace}/{service_account} workload",
            opts=pulumi.ResourceOptions.merge(account_opts, pulumi.ResourceOptions(depends_on=self._after)))
        binding = gcp.serviceaccount.IAMMember(
            f"{name}-workload-identity",
            service_account_id=account.name,
            role="roles/iam.workloadIdentityUser",
            member=f"serviceAccount:{self._project}.svc.id.goog[{namespace}/{service_account}]",
            # The workload identity pool only exists once a cluster with Workload Identity does.
            opts=pulumi.ResourceOptions.merge(account_opts, pulumi.ResourceOptions(depends_on=[self._cluster])),
        )
        return WorkloadIdentity(
            principal=WorkloadPrincipal.gcp_service_account(account.email),
            annotations=account.email.apply(lambda email: {"iam.gke.io/gcp-service-account": email}),
            cloud_identity=account.email,
            resources=[account, binding],
            needs_token_mount=False,
        )
