"""Rules for infrastructure delivered by the Pulumi Kubernetes Operator (`infra_delivery: operator`).

The workspace pod runs unattended in another cluster, so everything it needs must be reachable from there and
must not be a static secret: the state in a shared backend (never the pod's own disk), the secrets provider a
cloud key the workspace identity may use (never a passphrase), the identity itself federated (IRSA / GKE
Workload Identity), never access keys.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional

from ..errors import Problem
from .credentials import looks_like_credential, shown

if TYPE_CHECKING:  # the spec models import these rules
    from ..spec.environment import EnvironmentSpec

_REPOSITORY = re.compile(r"^(https://[^\s*]+|ssh://[^\s*]+|git@[^\s:*]+:[^\s*]+)$")
# Backends the Pulumi CLI logs in to that outlive the pod (CRD `backend` examples, pulumi-kubernetes-operator
# v2.9.0: Pulumi Cloud / self-hosted https, s3, azblob, gs).
_REMOTE_BACKENDS = ("s3://", "gs://", "azblob://", "https://")
# Secrets providers backed by a key service (CRD `secretsProvider` examples; `hashivault://` from the Pulumi
# docs on secrets providers); `default` is Pulumi Cloud's own, so only with an https backend.
_KEY_PROVIDERS = ("awskms://", "gcpkms://", "azurekeyvault://", "hashivault://")
_AWS_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
_GCP_SERVICE_ACCOUNT = re.compile(
    r"^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$")
# A Stack's name is a Kubernetes object name and a label value: a DNS-1123 label.
_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_BRANCH = re.compile(r"^(refs/heads/)?[A-Za-z0-9._/-]+$")


def operator_problems(spec: EnvironmentSpec, environment: Optional[str] = None) -> list[Problem]:
    operator = spec.operator
    if spec.infra_delivery == "push":
        if operator is not None:
            return [Problem("operator", "only applies with `infra_delivery: operator`")]
        return []
    if operator is None:
        return [Problem("operator", "required with `infra_delivery: operator`: the repository, state backend, "
                                    "secrets provider and cloud identity the operator's workspace uses")]
    problems: list[Problem] = []
    if not _REPOSITORY.match(operator.repository) or looks_like_credential(operator.repository):
        problems.append(Problem("operator.repository",
                                f"must be an https://, ssh:// or git@host:path Git URL without credentials or "
                                f"wildcards (got {shown(operator.repository)}); a private repository's token goes "
                                "in a Secret named by `operator.git_token_secret`"))
    if not _BRANCH.match(operator.branch) or ".." in operator.branch:
        problems.append(Problem("operator.branch", f"must be a branch name (got {shown(operator.branch)})"))
    if operator.repo_dir is not None and (operator.repo_dir.strip("/") == "" or operator.repo_dir.startswith("/")
                                          or ".." in operator.repo_dir.split("/")):
        problems.append(Problem("operator.repo_dir",
                                f"must be a relative directory inside the repository (got {operator.repo_dir!r})"))
    problems.extend(_backend_problems(operator.backend))
    problems.extend(_secrets_provider_problems(operator.secrets_provider, operator.backend))
    problems.extend(_identity_problems(spec))
    if environment is not None:
        if not _DNS_LABEL.match(environment):
            problems.append(Problem("infra_delivery",
                                    f"the stack name {environment!r} becomes the `Stack` object's name: use lowercase "
                                    "letters, digits and '-' (at most 63)"))
        if environment in operator.prerequisites:
            problems.append(Problem(f"operator.prerequisites.{environment}", "a stack cannot wait for itself"))
    return problems


def _backend_problems(backend: Optional[str]) -> list[Problem]:
    if backend is None:
        return [Problem("operator.backend",
                        "required with `infra_delivery: operator`: the state backend CI uses for this stack "
                        "(s3://, gs://, azblob:// or https://)")]
    if looks_like_credential(backend):
        return [Problem("operator.backend", f"holds a credential {shown(backend)}; name the backend only, the "
                                            "workspace authenticates with its cloud identity")]
    if backend.startswith("file://"):
        return [Problem("operator.backend",
                        f"{backend!r} is a local backend: it would be the workspace pod's own disk, lost with the pod, "
                        "and not the state CI wrote; use the shared backend (s3://, gs://, azblob:// or https://)")]
    if not backend.startswith(_REMOTE_BACKENDS) or len(backend) <= len(backend.split("://")[0]) + 3:
        return [Problem("operator.backend",
                        f"must be an s3://, gs://, azblob:// or https:// backend URL (got {shown(backend)})")]
    return []


def _secrets_provider_problems(provider: Optional[str], backend: Optional[str]) -> list[Problem]:
    if provider is None:
        return [Problem("operator.secrets_provider",
                        "required with `infra_delivery: operator`: the stack's cloud KMS key (awskms://, gcpkms://, "
                        "azurekeyvault://, hashivault://), the same as the stack file's `secretsprovider`")]
    if provider == "passphrase" or provider.startswith("passphrase"):
        return [Problem("operator.secrets_provider",
                        "a passphrase provider would need PULUMI_CONFIG_PASSPHRASE as a static secret in the "
                        "management cluster; use a cloud KMS key the workspace identity may use (awskms://, "
                        "gcpkms://, azurekeyvault://, hashivault://)")]
    if provider == "default":
        if backend is not None and not backend.startswith("https://"):
            return [Problem("operator.secrets_provider",
                            "`default` is Pulumi Cloud's secrets provider and needs an https:// backend; with "
                            f"{backend.split('://')[0]}:// state use a cloud KMS key")]
        return []
    if not provider.startswith(_KEY_PROVIDERS) or looks_like_credential(provider):
        return [Problem("operator.secrets_provider",
                        f"must be awskms://, gcpkms://, azurekeyvault://, hashivault:// or default "
                        f"(got {shown(provider)})")]
    return []


def _identity_problems(spec: EnvironmentSpec) -> list[Problem]:
    assert spec.operator is not None
    identity = spec.operator.cloud_identity
    if identity is None:
        what = "an IAM role ARN (IRSA)" if spec.cloud == "aws" else "a service account email (Workload Identity)"
        return [Problem("operator.cloud_identity",
                        f"required with `infra_delivery: operator`: {what} the workspace pod acts as, so no "
                        "static cloud keys are needed")]
    if spec.cloud == "aws":
        match = _AWS_ROLE_ARN.match(identity)
        if match is None:
            return [Problem("operator.cloud_identity",
                            f"must be an IAM role ARN such as arn:aws:iam::123456789012:role/platform-prod-operator "
                            f"(got {shown(identity)})")]
        if spec.aws_account_id is not None and match.group(1) != spec.aws_account_id:
            return [Problem("operator.cloud_identity",
                            f"is in account {match.group(1)}, but this stack runs in {spec.aws_account_id} "
                            "(aws_account_id)")]
        cluster = spec.cluster
        deployer_admin = cluster.deployer_admin if cluster is not None and cluster.deployer_admin is not None \
            else spec.tier == "dev"
        if cluster is not None and not deployer_admin and identity not in cluster.admins.values():
            return [Problem("operator.cloud_identity",
                            f"runs `pulumi up` (it installs KEDA and Argo CD), so outside dev it must be a named "
                            f"entry of cluster.admins, like the CI deployer (got {identity!r})")]
        return []
    if not _GCP_SERVICE_ACCOUNT.match(identity):
        return [Problem("operator.cloud_identity",
                        f"must be a service account email such as platform-operator@my-project.iam.gserviceaccount.com "
                        f"(got {shown(identity)})")]
    return []
