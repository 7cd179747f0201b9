"""Clusters: private endpoints, encryption, logging, supported versions, GKE hardening, protection."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from components.rules.clusters import REQUIRED_EKS_LOGS, is_open_to_the_internet
from components.versions import EKS_EXTENDED_SUPPORT_VERSIONS, EKS_STANDARD_SUPPORT_VERSIONS, GKE_VERSIONS

from ._common import get, plain
from ._metadata import about

EKS = "aws:eks/cluster:Cluster"
GKE = "gcp:container/cluster:Cluster"


def _private_endpoint(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    allow_public = bool(args.get_config().get("allow_public_endpoint", False))
    if args.resource_type == EKS:
        vpc = get(plain(args.props), "vpcConfig", default={}) or {}
        if vpc.get("endpointPrivateAccess") is not True:
            report_violation("the EKS API has no private endpoint (vpcConfig.endpointPrivateAccess)")
        if vpc.get("endpointPublicAccess") is not False:
            cidrs = vpc.get("publicAccessCidrs") or []
            if not allow_public:
                report_violation("the EKS API is public; keep it private (publicAccessCidrs: "
                                 f"{cidrs or 'unrestricted'})")
            elif not cidrs or any(is_open_to_the_internet(c) for c in cidrs):
                report_violation("the public EKS API is open to the whole internet; list the allowed CIDRs")
    elif args.resource_type == GKE:
        private = get(plain(args.props), "privateClusterConfig", default={}) or {}
        if private.get("enablePrivateNodes") is not True:
            report_violation("GKE nodes have public IPs (privateClusterConfig.enablePrivateNodes)")
        if private.get("enablePrivateEndpoint") is not True:
            cidrs = [b.get("cidrBlock") for b in get(plain(args.props), "masterAuthorizedNetworksConfig", "cidrBlocks",
                                                     default=[]) or []]
            if not allow_public:
                report_violation("the GKE control plane has a public endpoint")
            elif not cidrs or any(is_open_to_the_internet(str(c)) for c in cidrs):
                report_violation("the public GKE endpoint has no narrow master authorized networks")


cluster_private_endpoint = ResourceValidationPolicy(
    name="cluster-private-endpoint",
    **about("cluster-private-endpoint"),
    description="Kubernetes API endpoints are private; a public one needs `allow_public_endpoint` and an allow-list.",
    validate=_private_endpoint,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties={
        "allow_public_endpoint": {"type": "boolean", "default": False,
                                  "description": "Allow a public endpoint restricted to listed CIDRs."}}),
)


def _secrets_encryption(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == EKS:
        configs = plain(args.props).get("encryptionConfig") or {}
        if not get(configs, "provider", "keyArn") or "secrets" not in (configs.get("resources") or []):
            report_violation("Kubernetes secrets are not envelope-encrypted with a KMS key (encryptionConfig)")
    elif args.resource_type == GKE:
        encryption = plain(args.props).get("databaseEncryption") or {}
        if encryption.get("state") != "ENCRYPTED" or not encryption.get("keyName"):
            report_violation("application-layer secrets encryption is off (databaseEncryption)")


cluster_secrets_encryption = ResourceValidationPolicy(
    name="cluster-secrets-encryption",
    **about("cluster-secrets-encryption"),
    description="Kubernetes secrets are encrypted with a customer-managed key (KMS / Cloud KMS).",
    validate=_secrets_encryption,
    enforcement_level=EnforcementLevel.MANDATORY,
)


def _control_plane_logging(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == EKS:
        missing = [t for t in REQUIRED_EKS_LOGS if t not in (plain(args.props).get("enabledClusterLogTypes") or [])]
        if missing:
            report_violation(f"control-plane log types {missing} are not enabled")
    elif args.resource_type == GKE:
        components = get(plain(args.props), "loggingConfig", "enableComponents", default=[]) or []
        missing = [c for c in ("SYSTEM_COMPONENTS", "APISERVER") if c not in components]
        if missing:
            report_violation(f"control-plane logging components {missing} are not enabled")


cluster_control_plane_logging = ResourceValidationPolicy(
    name="cluster-control-plane-logging",
    **about("cluster-control-plane-logging"),
    description="Control-plane logs (API server, audit, authenticator) are collected.",
    validate=_control_plane_logging,
    enforcement_level=EnforcementLevel.MANDATORY,
)


def _supported_version(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == EKS:
        version = str(plain(args.props).get("version") or "")
        extended = get(plain(args.props), "upgradePolicy", "supportType") == "EXTENDED"
        allowed = EKS_STANDARD_SUPPORT_VERSIONS + (EKS_EXTENDED_SUPPORT_VERSIONS if extended else ())
        if version not in allowed:
            report_violation(f"EKS version {version or 'unset'} is not supported "
                             f"(standard support: {', '.join(EKS_STANDARD_SUPPORT_VERSIONS)})")
    elif args.resource_type == GKE:
        version = plain(args.props).get("minMasterVersion")
        channel = get(plain(args.props), "releaseChannel", "channel")
        if version is None and channel in (None, "UNSPECIFIED"):
            report_violation("no release channel and no pinned version")
        elif version is not None and ".".join(str(version).split(".")[:2]) not in GKE_VERSIONS:
            report_violation(f"GKE version {version} is not supported ({', '.join(GKE_VERSIONS)})")


cluster_supported_version = ResourceValidationPolicy(
    name="cluster-supported-version",
    **about("cluster-supported-version"),
    description="Clusters run a Kubernetes version in (standard) support.",
    validate=_supported_version,
    enforcement_level=EnforcementLevel.MANDATORY,
)


def _gke_workload_identity(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == GKE:
        if not get(plain(args.props), "workloadIdentityConfig", "workloadPool"):
            report_violation("Workload Identity is off (workloadIdentityConfig.workloadPool)")
    elif args.resource_type == "gcp:container/nodePool:NodePool":
        if get(plain(args.props), "nodeConfig", "workloadMetadataConfig", "mode") != "GKE_METADATA":
            report_violation("node pool does not serve GKE_METADATA: pods could read node credentials")


gke_workload_identity = ResourceValidationPolicy(
    name="gke-workload-identity",
    **about("gke-workload-identity"),
    description="GKE clusters use Workload Identity and node pools hide node credentials (GKE_METADATA).",
    validate=_gke_workload_identity,
    enforcement_level=EnforcementLevel.MANDATORY,
)


def _no_legacy_abac(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == GKE and plain(args.props).get("enableLegacyAbac") is True:
        report_violation("legacy ABAC is enabled; use RBAC only")


gke_no_legacy_abac = ResourceValidationPolicy(
    name="gke-no-legacy-abac",
    **about("gke-no-legacy-abac"),
    description="GKE legacy ABAC authorization is disabled.",
    validate=_no_legacy_abac,
    enforcement_level=EnforcementLevel.MANDATORY,
)

PROTECTED_TYPES = {
    EKS: "deletionProtection",
    GKE: "deletionProtection",
    "aws:eks/nodeGroup:NodeGroup": None,
    "gcp:container/nodePool:NodePool": None,
    "aws:kms/key:Key": None,
    "gcp:kms/cryptoKey:CryptoKey": None,
}


def _deletion_protection(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in PROTECTED_TYPES:
        return
    if not args.opts.protect:
        report_violation(f"{args.resource_type} is not `protect`ed: a `pulumi destroy` or rename would delete it")
    field = PROTECTED_TYPES[args.resource_type]
    if field and plain(args.props).get(field) is not True:
        report_violation(f"the cloud's deletion protection ({field}) is off")


cluster_deletion_protection = ResourceValidationPolicy(
    name="cluster-deletion-protection",
    **about("cluster-deletion-protection"),
    description="Clusters, node pools and their keys are protected from deletion (prod).",
    validate=_deletion_protection,
    enforcement_level=EnforcementLevel.MANDATORY,
)

def _public_endpoint_review(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = plain(args.props)
    if args.resource_type == EKS:
        vpc = get(props, "vpcConfig", default={}) or {}
        if vpc.get("endpointPublicAccess") is not False:
            cidrs = vpc.get("publicAccessCidrs") or ["unrestricted"]
            report_violation(f"the EKS API has a public endpoint (open to {', '.join(map(str, cidrs))}); outside dev "
                             "prefer a private endpoint reached from a runner inside an existing network "
                             "(docs/bootstrap.md, path b)")
    elif args.resource_type == GKE:
        private = get(props, "privateClusterConfig", default={}) or {}
        if private.get("enablePrivateEndpoint") is not True:
            report_violation("the GKE control plane has a public endpoint; outside dev prefer the IAM-authorized "
                             "DNS endpoint or a private endpoint (docs/bootstrap.md)")


# Day one from an outside runner may open the API to the runner's addresses (an explicit opt-in in the stack
# file). That is fine in dev, worth a reviewer's look in staging (advisory), and refused in prod by
# `cluster-private-endpoint` unless prod's policy config opts in; this rule keeps the exception visible.
cluster_public_endpoint_review = ResourceValidationPolicy(
    name="cluster-public-endpoint-review",
    **about("cluster-public-endpoint-review"),
    description="A public Kubernetes API endpoint, even allow-listed, is flagged for review outside dev.",
    validate=_public_endpoint_review,
    enforcement_level=EnforcementLevel.ADVISORY,
)

def _dns_endpoint_external(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == GKE and get(plain(args.props), "controlPlaneEndpointsConfig", "dnsEndpointConfig",
                                         "allowExternalTraffic") is True:
        report_violation("the DNS endpoint accepts traffic from the internet (IAM-gated): in prod leave "
                         "`cluster.dns_endpoint_external` unset (or false) and reach the API through a network "
                         "(`cluster.deployer_access.via: private_network`); to keep it open as a reviewed exception, "
                         "set \"gke-dns-endpoint-internal\": \"advisory\" in the tier's policy config "
                         "(policy/config/prod.json)")


gke_dns_endpoint_internal = ResourceValidationPolicy(
    name="gke-dns-endpoint-internal",
    **about("gke-dns-endpoint-internal"),
    description="The GKE DNS endpoint takes no traffic from outside Google's network (prod).",
    validate=_dns_endpoint_external,
    enforcement_level=EnforcementLevel.MANDATORY,
)

BINARY_AUTHORIZATION_POLICY = "gcp:binaryauthorization/policy:Policy"


def _binary_authorization(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = plain(args.props)
    if args.resource_type == GKE:
        mode = get(props, "binaryAuthorization", "evaluationMode")
        if mode != "PROJECT_SINGLETON_POLICY_ENFORCE":
            report_violation(f"Binary Authorization is not enforced (binaryAuthorization.evaluationMode is {mode!r}, "
                             "not PROJECT_SINGLETON_POLICY_ENFORCE): any image can run")
    elif args.resource_type == BINARY_AUTHORIZATION_POLICY:
        rule = props.get("defaultAdmissionRule") or {}
        if rule.get("evaluationMode") == "ALWAYS_ALLOW":
            report_violation("the Binary Authorization policy admits every image by default (ALWAYS_ALLOW)")
        if rule.get("enforcementMode") != "ENFORCED_BLOCK_AND_AUDIT_LOG":
            report_violation(f"the Binary Authorization policy only audits (enforcementMode "
                             f"{rule.get('enforcementMode')!r})")


gke_binary_authorization = ResourceValidationPolicy(
    name="gke-binary-authorization",
    **about("gke-binary-authorization"),
    description="GKE clusters enforce a deny-by-default Binary Authorization policy (prod).",
    validate=_binary_authorization,
    enforcement_level=EnforcementLevel.MANDATORY,
)

CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def _admins(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    limit = int(args.get_config().get("max_admins", 3))
    by_cluster: dict[str, list] = {}
    for resource in args.resources:
        if (resource.resource_type == "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
                and resource.props.get("policyArn") == CLUSTER_ADMIN_POLICY):
            by_cluster.setdefault(str(resource.props.get("clusterName")), []).append(resource)
    for cluster, associations in sorted(by_cluster.items()):
        for resource in sorted(associations, key=lambda r: r.name)[limit:]:
            report_violation(f"cluster {cluster} has {len(associations)} cluster-admin principals (at most {limit}): "
                             f"{resource.props.get('principalArn')} is one too many", resource.urn)


cluster_admins_limited = StackValidationPolicy(
    name="cluster-admins-limited",
    **about("cluster-admins-limited"),
    description="Few principals are cluster-admin (prod), each named in the stack file.",
    validate=_admins,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties={
        "max_admins": {"type": "integer", "default": 3, "minimum": 1,
                       "description": "Most principals with AmazonEKSClusterAdminPolicy on one cluster."}}),
)

POLICIES = [
    cluster_admins_limited,
    gke_dns_endpoint_internal, gke_binary_authorization,
    cluster_private_endpoint, cluster_secrets_encryption, cluster_control_plane_logging,
    cluster_supported_version, gke_workload_identity, gke_no_legacy_abac, cluster_deletion_protection,
    cluster_public_endpoint_review,
]
