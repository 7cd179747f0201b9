"""What each rule is about: severity, the benchmark items it implements, how to fix a violation, where to read more.

pulumi-policy >= 1.18 carries these on every policy (`severity`, `framework`, `remediation_steps`, `url`; see
pulumi_policy/policy.py `Policy.__init__`); the CLI and `stackctl check` (JSON, SARIF) show them next to a
violation. Benchmark item ids are those of CIS Amazon EKS Benchmark v1.5.0 and CIS GKE Benchmark v1.6.0, as
kube-bench lists them (aquasecurity/kube-bench cfg/eks-1.5.0/{policies,managedservices}.yaml and
cfg/gke-1.6.0/managedservices.yaml).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pulumi_policy import PolicyComplianceFramework, Severity


class Benchmark(NamedTuple):
    name: str
    version: str
    short: str      # how a reference names it: "EKS 5.4.2"


CIS_EKS = Benchmark("CIS Amazon EKS Benchmark", "1.5.0", "EKS")
CIS_GKE = Benchmark("CIS GKE Benchmark", "1.6.0", "GKE")
PLATFORM = Benchmark("Platform guardrails", "1", "docs/policy.md")


class About(NamedTuple):
    severity: Severity
    references: tuple[tuple[Benchmark, str], ...]   # (benchmark, item ids); empty for the platform's own rules
    remediation: str
    url: str


def _framework(references: tuple[tuple[Benchmark, str], ...]) -> PolicyComplianceFramework:
    if not references:
        return PolicyComplianceFramework(name=PLATFORM.name, version=PLATFORM.version, reference=PLATFORM.short)
    return PolicyComplianceFramework(
        name=" / ".join(b.name for b, _ in references),
        version=" / ".join(b.version for b, _ in references),
        reference="; ".join(f"{b.short} {ids}" for b, ids in references))


EKS_ENDPOINT = "https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html"
POD_SECURITY = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"

ABOUT: dict[str, About] = {
    "cluster-private-endpoint": About(
        Severity.HIGH, ((CIS_EKS, "5.4.1, 5.4.2"), (CIS_GKE, "5.6.3, 5.6.4, 5.6.5")),
        "Keep `cluster.public_endpoint: false` and reach the API from a runner inside the network "
        "(`cluster.deployer_access`, docs/bootstrap.md). A public endpoint needs `allow_public_endpoint` in the "
        "tier's policy config and a narrow `cluster.authorized_networks` list.", EKS_ENDPOINT),
    "cluster-secrets-encryption": About(
        Severity.HIGH, ((CIS_EKS, "5.3.1"), (CIS_GKE, "5.3.1")),
        "Use the EksCluster / GkeCluster components, which envelope-encrypt Secrets with a customer-managed key.",
        "https://docs.aws.amazon.com/eks/latest/userguide/enable-kms.html"),
    "cluster-control-plane-logging": About(
        Severity.MEDIUM, ((CIS_EKS, "2.1.1"), (CIS_GKE, "5.7.1")),
        "Keep `api`, `audit` and `authenticator` in `cluster.control_plane_logs`.",
        "https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html"),
    "cluster-supported-version": About(
        Severity.MEDIUM, ((CIS_GKE, "5.5.4"),),
        "Set `cluster.kubernetes_version` to a version in standard support (or `cluster.extended_support: true`); "
        "on GKE keep a `cluster.release_channel`.",
        "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html"),
    "gke-workload-identity": About(
        Severity.HIGH, ((CIS_GKE, "5.2.2, 5.4.1"),),
        "Use the GkeCluster component: Workload Identity on the cluster and GKE_METADATA on every node pool.",
        "https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity"),
    "gke-no-legacy-abac": About(
        Severity.HIGH, ((CIS_GKE, "5.8.3"),),
        "Do not set `enable_legacy_abac`; grant access with RBAC.",
        "https://cloud.google.com/kubernetes-engine/docs/how-to/hardening-your-cluster"),
    "cluster-deletion-protection": About(
        Severity.HIGH, (),
        "Leave `cluster.protect` unset (prod protects) or `true`; deleting a protected resource takes an "
        "explicit `pulumi state unprotect` and an `allow_destroy` entry.",
        "https://www.pulumi.com/docs/iac/concepts/options/protect/"),
    "stateful-resources-protected": About(
        Severity.HIGH, (),
        "Use the WorkQueue components and EksCluster, which protect queues, topics, subscriptions and log groups "
        "in prod (and retain queues, topics and subscriptions on delete); to delete one on purpose, unprotect it "
        "(`pulumi state unprotect <urn>`) and name it in `allow_destroy`.",
        "https://www.pulumi.com/docs/iac/concepts/options/protect/"),
    "retained-resources-readable": About(
        Severity.HIGH, (),
        "Use the Environment's queue key (prod protects it and retains it on delete with the queues), or protect "
        "and retain your own key; re-create a destroyed stack by importing the kept queues and key "
        "(`stackctl import-retained`, docs/bootstrap.md section 5).",
        "https://www.pulumi.com/docs/iac/concepts/options/retainondelete/"),
    "customer-managed-keys": About(
        Severity.MEDIUM, ((CIS_GKE, "5.9.2"),),
        "Leave prod's defaults: the Environment creates rotating keys for the queues (or set "
        "`queues.<name>.kms_key`), the EKS control-plane log group, the VPC flow logs and GKE boot disks.",
        "https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#customer-cmk"),
    "cluster-admins-limited": About(
        Severity.HIGH, ((CIS_EKS, "4.1.1"),),
        "List each admin in `cluster.admins` (the CI role included: `cluster.deployer_admin` is false outside dev) "
        "and keep the list short; grant others namespaced access.",
        "https://docs.aws.amazon.com/eks/latest/userguide/access-policies.html"),
    "gke-binary-authorization": About(
        Severity.HIGH, ((CIS_GKE, "5.10.4"),),
        "Use the Environment in prod (GkeCluster `binary_authorization_images`): the cluster enforces the "
        "project's policy (PROJECT_SINGLETON_POLICY_ENFORCE), which denies by default and lists only the "
        "environment's registries; never default to ALWAYS_ALLOW or dry-run.",
        "https://cloud.google.com/binary-authorization/docs/setting-up"),
    "gke-dns-endpoint-internal": About(
        Severity.MEDIUM, ((CIS_GKE, "5.6.3, 5.6.4"),),
        "Leave `cluster.dns_endpoint_external` unset in prod and reach the API from a runner inside the network "
        "(`cluster.deployer_access.via: private_network`). Setting it true is what this rule refuses; a reviewed "
        "exception also sets the rule to advisory in the tier's policy config (`\"gke-dns-endpoint-internal\": "
        "\"advisory\"` in policy/config/prod.json).",
        "https://cloud.google.com/kubernetes-engine/docs/concepts/network-isolation"),
    "cluster-public-endpoint-review": About(
        Severity.MEDIUM, ((CIS_EKS, "5.4.2"), (CIS_GKE, "5.6.4")),
        "Outside dev, reach a private API from a runner in an existing network (`cluster.deployer_access.via: "
        "private_network`, docs/bootstrap.md path b) and set `cluster.public_endpoint: false`.", EKS_ENDPOINT),
    "queue-encryption": About(
        Severity.MEDIUM, (),
        "Keep the SqsWorkQueue defaults (SSE-SQS) or name a customer-managed key in `queues.<name>.kms_key`.",
        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html"),
    "queue-dead-letter": About(
        Severity.MEDIUM, (),
        "Use the WorkQueue components, which always create the dead-letter queue and its redrive policy.",
        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/"
        "sqs-dead-letter-queues.html"),
    "queue-no-public-access": About(
        Severity.CRITICAL, (),
        "Remove the statement or binding that grants everyone (`*`, allUsers, allAuthenticatedUsers), or narrow "
        "it (and any AWS service principal) with an `aws:SourceArn` / `aws:SourceAccount` condition; grant named "
        "principals through `sends_to`, `queues.<key>.producers` or `grant_consume`.",
        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-security-best-practices.html"),
    "queue-senders-declared": About(
        Severity.HIGH, (),
        "Let workloads send through `sends_to: [<queue key>]` (a queue of this stack) and admit outside senders "
        "with `queues.<key>.producers`; remove hand-made send grants on other queues or topics.",
        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-security-best-practices.html"),
    "iam-no-wildcard-actions": About(
        Severity.HIGH, (),
        "List the actions the principal needs instead of `service:*` or `*`.",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"),
    "gcp-no-basic-roles": About(
        Severity.HIGH, ((CIS_GKE, "5.2.2"),),
        "Grant a predefined or custom role instead of roles/owner, roles/editor or roles/viewer.",
        "https://cloud.google.com/iam/docs/roles-overview#basic"),
    "workload-identity-single-subject": About(
        Severity.HIGH, ((CIS_EKS, "5.2.1"), (CIS_GKE, "5.2.2")),
        "Trust exactly one Kubernetes service account (`system:serviceaccount:<namespace>:<name>`) per role or "
        "Google service account.",
        "https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html"),
    "aws-roles-bounded": About(
        Severity.HIGH, (),
        "Create the role with `path=\"/platform/\"` and the platform's permissions boundary "
        "(components.identity.PLATFORM_ROLE_PATH, role_boundary_arn); the components do both.",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"),
    "k8s-run-as-non-root": About(
        Severity.HIGH, ((CIS_EKS, "4.5.2"),),
        "Keep `run_as_user` a non-zero user id of the workload (the default) and do not override the pod's "
        "`runAsNonRoot: true`.", POD_SECURITY),
    "k8s-read-only-root-filesystem": About(
        Severity.MEDIUM, ((CIS_EKS, "4.5.2"),),
        "Keep the read-only root filesystem; list the directories the program writes in `writable_paths`.",
        POD_SECURITY),
    "k8s-no-privilege-escalation": About(
        Severity.CRITICAL, ((CIS_EKS, "4.2.1, 4.2.2, 4.2.3, 4.2.4, 4.2.5"),),
        "Remove privileged mode, host namespaces, added capabilities and allowPrivilegeEscalation.",
        POD_SECURITY),
    "k8s-resource-limits": About(
        Severity.MEDIUM, (),
        "Set `resources.cpu` and `resources.memory` (requests) of the workload; a memory limit is derived.",
        "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"),
    "k8s-image-pinned": About(
        Severity.MEDIUM, (),
        "Set `image` to `repository@sha256:<digest>` (prod) or at least a tag other than `latest`.",
        "https://kubernetes.io/docs/concepts/containers/images/#image-names"),
    "k8s-probes": About(
        Severity.LOW, (),
        "Declare `probes.readiness` and `probes.liveness` of the service.",
        "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/"),
    "deployment-repo-manifests": About(
        Severity.HIGH, ((CIS_EKS, "4.2.1, 4.2.5, 4.5.2"),),
        "Fix the workload in the stack file (the rendered manifest names the rule it breaks); never edit the "
        "deployment repository by hand.", POD_SECURITY),
    "k8s-network-policy": About(
        Severity.HIGH, ((CIS_EKS, "4.3.2, 5.4.4"),),
        "Deploy workloads with the Service / BatchJob components, which give each one a default-deny NetworkPolicy "
        "with its DNS, HTTPS and (exposed services) `expose_to` allows.",
        "https://kubernetes.io/docs/concepts/services-networking/network-policies/"),
    "prod-service-availability": About(
        Severity.MEDIUM, (),
        "Set `scaling.min_replicas` >= 2 for prod services; the Service component adds the PodDisruptionBudget.",
        "https://kubernetes.io/docs/tasks/run-application/configure-pdb/"),
    "argocd-no-default-project": About(
        Severity.HIGH, (),
        "Use the environment's AppProject (the ArgoCdBootstrap component creates and names it).",
        "https://argo-cd.readthedocs.io/en/stable/user-guide/projects/"),
    "argocd-no-wildcards": About(
        Severity.HIGH, ((CIS_EKS, "4.1.3"),),
        "Name the repository, the destination namespaces and the cluster-scoped kinds the project may use.",
        "https://argo-cd.readthedocs.io/en/stable/operator-manual/project-specification/"),
    "argocd-admin-password-not-exported": About(
        Severity.CRITICAL, (),
        "Never export or manage argocd-initial-admin-secret; sign in through SSO and delete the initial secret.",
        "https://argo-cd.readthedocs.io/en/stable/operator-manual/user-management/"),
    "no-serverless-functions": About(
        Severity.LOW, (),
        "Run the work as a queue-pulling service or a batch job, or exempt the function with the "
        "`serverless-exemption: <reason>` tag or label.", "https://keda.sh/docs/latest/concepts/"),
    "services-pull-from-queues": About(
        Severity.LOW, (),
        "Give the service a `queue` so that it scales on the backlog, where the work allows it.",
        "https://keda.sh/docs/latest/concepts/scaling-deployments/"),
}


def about(name: str) -> dict[str, Any]:
    """The pulumi-policy keyword arguments describing rule `name` (KeyError for a rule nobody described)."""
    entry = ABOUT[name]
    return {"severity": entry.severity, "framework": _framework(entry.references),
            "remediation_steps": entry.remediation, "url": entry.url}
