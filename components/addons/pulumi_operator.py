"""The Pulumi Kubernetes Operator (PKO v2): infrastructure by pull, like Argo CD for the workloads.

Two halves:

- `stack_objects(...)`: what `stackctl render` writes for an environment with `infra_delivery: operator`: the
  workspace's ServiceAccount (bound to a cloud identity by annotation: IRSA on aws, GKE Workload Identity on
  gcp; no static keys), its `system:auth-delegator` binding, and the `pulumi.com/v1` `Stack` that makes PKO
  clone this repository and run `pulumi up` for the stack on every new commit and, with
  `continueResyncOnCommitMatch`, again every `resyncFrequencySeconds` at the same commit (refresh first, so drift
  is corrected).
- `PulumiOperator`: installs PKO into a management cluster from its pinned chart (CRDs and RBAC included) and
  creates the cloud side of each workspace identity, with the deployer permissions of `deploy/ci-identity/`.

Facts from pulumi/pulumi-kubernetes-operator at tag v2.9.0 (commit b713fae5):
- the workspace pod runs as `spec.serviceAccountName`, which needs the `system:auth-delegator` ClusterRole
  (docs/migration.md, "Service Account"); it runs in the Stack's namespace;
- `spec.backend` becomes the workspace's `PULUMI_BACKEND_URL`, `spec.secretsProvider` the stack's provider
  (operator/internal/controller/pulumi/stack_controller.go, setupWorkspace);
- `useLocalStackOnly: true` makes the workspace select the stack without creating it (agent/pkg/server/server.go,
  SelectStack: "stack not found"), so a mistyped backend fails instead of starting an empty second stack;
- the agent passes no policy packs to the CLI (server.go: `// TODO:PolicyPack` in Preview and Up) and the Stack
  has no field for them; the pack runs through the CLI's `PULUMI_OPTION_POLICY_PACK` /
  `PULUMI_OPTION_POLICY_PACK_CONFIG` environment (Pulumi CLI >= 3.208.0), set with `envRefs` literals. The checkout
  is at `/share/workspace` (a link to `/share/source/<repoDir>`, workspace_controller.go), so the pack's path is
  absolute;
- there is no pause switch: `spec.preview: true` ("runs only preview operations, never actual updates") is the
  nearest, and is what `operator.paused` renders;
- the install is cluster-wide only (docs/migration.md, "Unsupported: Single-Namespace Installation").
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal, Optional

import pulumi
from pydantic import ConfigDict, Field, model_validator

from ..spec.base import Name, StrictModel
from ..spec.environment import EnvironmentSpec
from ..versions import PULUMI_OPERATOR_CHART, PULUMI_OPERATOR_CHART_VERSION, PULUMI_WORKSPACE_IMAGE
from ..workloads.manifests import MANAGED_BY, namespace

Manifest = dict[str, Any]

OPERATOR_NAMESPACE = "pulumi-kubernetes-operator"
STACK_API_VERSION = "pulumi.com/v1"
# Where the workspace pod's checkout of the project is (workspace_controller.go at v2.9.0).
WORKSPACE_DIR = "/share/workspace"
# Annotation naming the stack file the Stack reconciles (this repository's path), for people and tools.
STACK_FILE_ANNOTATION = "platform.io/stack-file"
# The annotation the cloud reads to federate a Kubernetes service account with its identity.
IDENTITY_ANNOTATIONS = {"aws": "eks.amazonaws.com/role-arn", "gcp": "iam.gke.io/gcp-service-account"}
# A Python program with the aws, gcp and kubernetes providers: the provider plugins dominate memory.
WORKSPACE_RESOURCES = {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "4Gi"}}

_AWS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
_GCP_KEY = re.compile(r"^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$")

# Installed with the package (deploy/ci-identity/ in this repository), so an installed wheel has it too.
DEPLOYER_POLICY_FILE = "aws-deployer-policy.json"


def service_account_name(environment: str, spec: EnvironmentSpec) -> str:
    assert spec.operator is not None
    return spec.operator.service_account or f"pulumi-{environment}"


def stack_objects(environment: str, spec: EnvironmentSpec, stack_file: str) -> list[Manifest]:
    """The ServiceAccount, its auth-delegator binding and the `Stack` for `environment` (operator delivery).

    `stack_file`: the stack file's path in this repository (`stacks/Pulumi.prod.yaml`), recorded on the Stack.
    """
    operator = spec.operator
    assert spec.infra_delivery == "operator" and operator is not None and operator.cloud_identity is not None
    account = service_account_name(environment, spec)
    labels = {"app.kubernetes.io/managed-by": MANAGED_BY, "app.kubernetes.io/part-of": environment}
    service_account: Manifest = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": account, "namespace": operator.namespace, "labels": labels,
                     "annotations": {IDENTITY_ANNOTATIONS[spec.cloud]: operator.cloud_identity}},
    }
    binding: Manifest = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": f"{operator.namespace}:{account}:system:auth-delegator", "labels": labels},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:auth-delegator"},
        "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": operator.namespace}],
    }
    stack_spec: dict[str, Any] = {
        "stack": environment,
        "projectRepo": operator.repository,
        "branch": operator.branch,
        "backend": operator.backend,
        "secretsProvider": operator.secrets_provider,
        "serviceAccountName": account,
        # Only stacks CI created (and wrote the first state of) are reconciled; see the module docstring.
        "useLocalStackOnly": True,
        "refresh": True,
        # Re-run at an unchanged commit every resync: refresh, then up, so drift is corrected.
        "continueResyncOnCommitMatch": True,
        "resyncFrequencySeconds": operator.resync_for(spec.tier),
        # Deleting the Stack object (or the file render wrote it to) must never destroy an environment:
        # that takes `pulumi destroy` by a person, with the protections of docs/security.md.
        "destroyOnFinalize": False,
        "preview": operator.paused,
        "envRefs": {
            "PULUMI_OPTION_POLICY_PACK": _literal(f"{WORKSPACE_DIR}/policy"),
            "PULUMI_OPTION_POLICY_PACK_CONFIG": _literal(f"{WORKSPACE_DIR}/policy/config/{spec.tier}.json"),
        },
        "workspaceTemplate": {"spec": {
            "image": PULUMI_WORKSPACE_IMAGE,
            "securityProfile": "restricted",
            "resources": WORKSPACE_RESOURCES,
        }},
    }
    if operator.repo_dir is not None:
        stack_spec["repoDir"] = operator.repo_dir.strip("/")
    if operator.git_token_secret is not None:
        stack_spec["gitAuth"] = {"accessToken": {"type": "Secret", "secret": {
            "name": operator.git_token_secret, "key": "accessToken"}}}
    if operator.prerequisites:
        stack_spec["prerequisites"] = [
            {"name": name, **({"requirement": {"succeededWithinDuration": f"{p.succeeded_within_minutes}m"}}
                              if p.succeeded_within_minutes is not None else {})}
            for name, p in sorted(operator.prerequisites.items())]
    stack: Manifest = {
        "apiVersion": STACK_API_VERSION,
        "kind": "Stack",
        "metadata": {"name": environment, "namespace": operator.namespace, "labels": labels,
                     "annotations": {STACK_FILE_ANNOTATION: stack_file}},
        "spec": stack_spec,
    }
    return [service_account, binding, stack]


def _literal(value: str) -> dict[str, Any]:
    return {"type": "Literal", "literal": {"value": value}}


class OperatorWorkspace(StrictModel):
    """The cloud identity of one environment's workspace pod, as its stack file's `operator` block names it."""

    cloud: Literal["aws", "gcp"] = Field(description="The environment's cloud. Required.")
    namespace: Name = Field(description="The Stack's namespace in the management cluster. Required.")
    service_account: Name = Field(description="The workspace pod's Kubernetes service account. Required.")
    cloud_identity: str = Field(description="IAM role ARN (aws) or service account email (gcp). Required.")
    gcp_project: Optional[str] = Field(None, description="gcp: the environment's project, where the deployer role "
                                                         "is granted. Default unset.")
    manage_role: bool = Field(True, description="aws: create the role named by `cloud_identity` (false: it exists, "
                                                "e.g. CI's deployer role, and only its trust statement is output). "
                                                "Default true.")
    state_bucket: str = Field(description="The state backend's bucket (`s3://<bucket>` or `gs://<bucket>`): the "
                                          "workspace reads and writes `.pulumi/` in it. Required.")
    secrets_key: str = Field(description="The secrets provider's key the workspace encrypts and decrypts with: "
                                         "aws, the key ARN (`arn:aws:kms:<region>:<account>:key/<id>`; an IAM grant "
                                         "on an alias ARN authorises nothing); gcp, "
                                         "`projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>`. Required.")

    @staticmethod
    def of(environment: str, spec: EnvironmentSpec, aws_secrets_key_arn: Optional[str] = None,
           manage_role: bool = True) -> OperatorWorkspace:
        """From a validated stack file. The bucket and, on gcp, the key come from `operator.backend` and
        `operator.secrets_provider`; an `awskms://alias/...` provider names an alias, so aws takes the key's ARN."""
        operator = spec.operator
        assert operator is not None and operator.cloud_identity is not None
        assert operator.backend is not None and operator.secrets_provider is not None
        scheme, _, rest = operator.backend.partition("://")
        if scheme not in ("s3", "gs"):
            raise ValueError(f"{environment}: operator.backend {operator.backend!r}: only s3:// and gs:// state "
                             "is granted here; grant Pulumi Cloud or azblob:// access yourself")
        bucket = rest.split("?", 1)[0].split("/", 1)[0]
        if spec.cloud == "gcp" and operator.secrets_provider.startswith("gcpkms://"):
            key = operator.secrets_provider.removeprefix("gcpkms://").split("?", 1)[0]
        elif aws_secrets_key_arn is not None:
            key = aws_secrets_key_arn
        else:
            raise ValueError(f"{environment}: name the KMS key ARN behind {operator.secrets_provider!r} "
                             "(aws_secrets_key_arn)")
        return OperatorWorkspace(cloud=spec.cloud, namespace=operator.namespace,
                                 service_account=service_account_name(environment, spec),
                                 cloud_identity=operator.cloud_identity, gcp_project=spec.gcp_project,
                                 state_bucket=bucket, secrets_key=key, manage_role=manage_role)

    @model_validator(mode="after")
    def _key_is_a_key(self) -> OperatorWorkspace:
        if self.cloud == "aws" and not _AWS_KEY_ARN.match(self.secrets_key):
            raise ValueError(f"secrets_key must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), "
                             f"not an alias (got {self.secrets_key!r})")
        if self.cloud == "gcp" and not _GCP_KEY.match(self.secrets_key):
            raise ValueError(f"secrets_key must be projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k> "
                             f"(got {self.secrets_key!r})")
        return self


class PulumiOperatorArgs(StrictModel):
    """Arguments of `PulumiOperator`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    workspaces: dict[Name, OperatorWorkspace] = Field(
        default_factory=dict,
        description="Per stack name: the workspace identity to create (`OperatorWorkspace.of(stack, spec)`). "
                    "Default none.")
    aws_oidc_provider_arn: Any = Field(
        None, description="aws workspaces: the management EKS cluster's IAM OIDC provider ARN (str or Output). "
                          "Default unset.")
    aws_oidc_issuer: Any = Field(
        None, description="aws workspaces: that provider's issuer without `https://` "
                          "(`oidc.eks.<region>.amazonaws.com/id/<id>`). Default unset.")
    gcp_workload_pool: Optional[str] = Field(
        None, description="gcp workspaces: the management GKE cluster's workload pool (`<project>.svc.id.goog`). "
                          "Default unset.")
    gcp_deployer_role: str = Field(
        "platformDeployer", description="gcp: the custom role from deploy/ci-identity/gcp-deployer-role.yaml, "
                                        "created in each environment's project. Default `platformDeployer`.")
    chart_version: str = Field(
        PULUMI_OPERATOR_CHART_VERSION,
        description=f"pulumi-kubernetes-operator chart version. Default `{PULUMI_OPERATOR_CHART_VERSION}`.")


def aws_trust_policy(oidc_provider_arn: str, issuer: str, namespace_name: str, account: str) -> str:
    """Only the one service account of the management cluster may assume the workspace role (IRSA)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": oidc_provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{issuer}:sub": f"system:serviceaccount:{namespace_name}:{account}",
                                       f"{issuer}:aud": "sts.amazonaws.com"}},
    }]}, sort_keys=True)


def workspace_policy(state_bucket: str, secrets_key_arn: str) -> str:
    """The CI deployer's policy (deploy/ci-identity/aws-deployer-policy.json, one source for both identities) and
    what CI's `pulumi login` needs besides: the state under `.pulumi/` (pulumi/pulumi sdk/go/common/workspace,
    `BookkeepingDir`) and the secrets key (gocloud.dev secrets/awskms: the keeper calls KMS Encrypt and Decrypt)."""
    import platform_ci_identity

    policy = json.loads(platform_ci_identity.read(DEPLOYER_POLICY_FILE))
    policy["Statement"] += [
        {"Sid": "PulumiStateList", "Effect": "Allow", "Action": "s3:ListBucket",
         "Resource": f"arn:aws:s3:::{state_bucket}"},
        {"Sid": "PulumiState", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
         "Resource": f"arn:aws:s3:::{state_bucket}/.pulumi/*"},
        {"Sid": "PulumiSecrets", "Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"],
         "Resource": secrets_key_arn},
    ]
    return json.dumps(policy, sort_keys=True, separators=(",", ":"))


class PulumiOperator(pulumi.ComponentResource):
    """PKO in a management cluster (pinned chart: operator, CRDs, cluster-wide RBAC), the namespaces of the
    Stacks, and each workspace's cloud identity with the deployer's permissions and nothing more.

    The Stacks, their ServiceAccounts and bindings are not created here: `stackctl render` writes them into the
    deployment repository (`pulumi-operator/<stack>/`), from which the management cluster applies them.
    """

    release: Any

    def __init__(self, name: str, args: PulumiOperatorArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:index:PulumiOperator", name, None, opts)
        import pulumi_kubernetes as k8s

        from ..kubernetes import kubernetes_resource

        child = pulumi.ResourceOptions(parent=self)
        # The operator pod runs as non-root with all capabilities dropped (chart values), but without a seccomp
        # profile, so its namespace enforces `baseline` like the other add-ons.
        operator_namespace = kubernetes_resource(f"{name}-namespace", namespace(OPERATOR_NAMESPACE, "baseline"),
                                                 child)
        self.release = k8s.helm.v3.Release(
            name,
            name="pulumi-kubernetes-operator",
            chart=PULUMI_OPERATOR_CHART,
            version=args.chart_version,
            namespace=OPERATOR_NAMESPACE,
            values={"rbac": {"create": True, "createClusterRole": True},
                    "serviceAccount": {"create": True}},
            atomic=True,
            cleanup_on_fail=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[operator_namespace]),
        )
        # Workspace pods use PKO's `restricted` security profile (Pod Security Standards, Restricted).
        self.namespaces = {
            ns: kubernetes_resource(f"{name}-stacks-{ns}", namespace(ns, "restricted"), child)
            for ns in sorted({w.namespace for w in args.workspaces.values()})}
        self.identities: dict[str, pulumi.Resource] = {}
        # aws: the trust statement that admits each workspace's service account (IRSA), also for a role this
        # component does not manage (`manage_role: false`): add it to that role's trust policy.
        self.aws_trust_policies: dict[str, pulumi.Output[str]] = {}
        for stack, workspace in sorted(args.workspaces.items()):
            if workspace.cloud == "aws":
                self._aws_identity(f"{name}-{stack}", stack, workspace, args)
            else:
                self.identities[stack] = self._gcp_identity(f"{name}-{stack}", workspace, args)
        self.register_outputs({"release_status": self.release.status, "aws_trust_policies": self.aws_trust_policies})

    def _aws_identity(self, name: str, stack: str, workspace: OperatorWorkspace, args: PulumiOperatorArgs) -> None:
        import pulumi_aws as aws

        if args.aws_oidc_provider_arn is None or args.aws_oidc_issuer is None:
            raise ValueError(f"{name}: aws workspaces need aws_oidc_provider_arn and aws_oidc_issuer "
                             "(the management cluster's IAM OIDC provider)")
        trust = pulumi.Output.all(args.aws_oidc_provider_arn, args.aws_oidc_issuer).apply(
            lambda v: aws_trust_policy(v[0], v[1], workspace.namespace, workspace.service_account))
        self.aws_trust_policies[stack] = trust
        if not workspace.manage_role:
            return
        child = pulumi.ResourceOptions(parent=self)
        # `arn:...:role/<path>/<name>`: the role is created where its ARN says (a path is fixed at creation).
        role_path, _, role_name = workspace.cloud_identity.split(":role", 1)[1].rpartition("/")
        # The permissions boundary is the deployer policy itself: whatever else is ever attached to this role
        # (by hand, by mistake), it can do no more than CI's deployer.
        policy = workspace_policy(workspace.state_bucket, workspace.secrets_key)
        boundary = aws.iam.Policy(f"{name}-boundary", name=f"{role_name}-boundary", policy=policy,
                                  description="Upper bound of the PKO workspace role", opts=child)
        role = aws.iam.Role(f"{name}-role", name=role_name, path=f"{role_path}/", assume_role_policy=trust,
                            permissions_boundary=boundary.arn, max_session_duration=3600,
                            description=f"PKO workspace {workspace.namespace}/{workspace.service_account}",
                            opts=child)
        aws.iam.RolePolicy(f"{name}-deployer", role=role.name, policy=policy, opts=child)
        self.identities[stack] = role

    def _gcp_identity(self, name: str, workspace: OperatorWorkspace, args: PulumiOperatorArgs) -> pulumi.Resource:
        import pulumi_gcp as gcp

        if args.gcp_workload_pool is None:
            raise ValueError(f"{name}: gcp workspaces need gcp_workload_pool (the management cluster's pool)")
        child = pulumi.ResourceOptions(parent=self)
        account_id, domain = workspace.cloud_identity.split("@", 1)
        project = domain.split(".", 1)[0]
        account = gcp.serviceaccount.Account(f"{name}-sa", account_id=account_id, project=project,
                                             display_name=f"PKO workspace {workspace.service_account}", opts=child)
        gcp.serviceaccount.IAMMember(
            f"{name}-workload-identity", service_account_id=account.name, role="roles/iam.workloadIdentityUser",
            member=f"serviceAccount:{args.gcp_workload_pool}[{workspace.namespace}/{workspace.service_account}]",
            opts=child)
        target = workspace.gcp_project or project
        member = account.email.apply(lambda email: f"serviceAccount:{email}")
        gcp.projects.IAMMember(f"{name}-deployer", project=target,
                               role=f"projects/{target}/roles/{args.gcp_deployer_role}", member=member, opts=child)
        # The state (objects under `.pulumi/` of the bucket) and the stack's secrets key, as CI's login needs.
        gcp.storage.BucketIAMMember(f"{name}-state", bucket=workspace.state_bucket, role="roles/storage.objectAdmin",
                                    member=member, opts=child)
        gcp.kms.CryptoKeyIAMMember(f"{name}-secrets", crypto_key_id=workspace.secrets_key,
                                   role="roles/cloudkms.cryptoKeyEncrypterDecrypter", member=member, opts=child)
        return account
