"""A workload's secrets from the cloud's secret manager, delivered by External Secrets Operator (ESO).

Per workload (nothing shared, nothing cluster-wide):
- a namespaced `SecretStore` that authenticates as the workload's own ServiceAccount: on AWS the IRSA role
  named by its `eks.amazonaws.com/role-arn` annotation (`auth.jwt.serviceAccountRef`), on GCP the Google
  service account bound to it by Workload Identity (`auth.workloadIdentity.serviceAccountRef`);
- an `ExternalSecret` that writes `<workload>-cloud-secrets`, one key per environment variable and one per
  secret file (`secret_files.file_key`);
- the cloud grant: read exactly the named secrets (AWS `secretsmanager:GetSecretValue` and `DescribeSecret` on
  the ARN of a secret the program creates, or on `arn:...:secret:<name>-??????` for one listed in
  `existing_secrets`, the six `?` matching the random suffix Secrets Manager appends and nothing else, plus
  `kms:Decrypt` through Secrets Manager on the prod secrets key; GCP `roles/secretmanager.secretAccessor` on each
  secret, after the secret exists when the program creates it).
Only these non-secret objects are applied or written to the deployment repository; the values travel from
the cloud to the cluster through ESO alone.

Field names: external-secrets v2.9.0 CRDs (`config/crds/bases/external-secrets.io_secretstores.yaml`,
`external-secrets.io_externalsecrets.yaml`), vendored in stackctl/crds. The fields ESO would default
(`target.creationPolicy`/`deletionPolicy`, `refreshInterval` in Go duration form) are written out, so Argo CD
sees no drift between the repository and the defaulted object.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi

from ..cloud_sdks import aws, gcp
from ..cluster import WorkloadIdentity
from ..spec.workload import WorkloadSpec
from . import manifests, secret_files

API_VERSION = "external-secrets.io/v1"
REFRESH_INTERVAL = "1h0m0s"
AWS_READ_ACTIONS = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
GCP_ACCESSOR_ROLE = "roles/secretmanager.secretAccessor"


@dataclass(frozen=True)
class SecretManagerTarget:
    """Where the environment's cloud secrets live (from the environment; no cloud call needed to render)."""

    cloud: str
    region: str
    gcp_project: Optional[str] = None
    cluster_name: Optional[str] = None
    # AWS: `arn:<partition>:secretsmanager:<region>:<account>:secret:` (an Output: the account may be looked up).
    aws_secret_arn_prefix: Any = None
    # The secrets the program creates, by name: AWS their ARN, GCP their secret id (Outputs, so a grant on one
    # waits for it). Others are granted by name (AWS: the ARN pattern; GCP: the id) and must exist.
    owned: dict[str, Any] = field(default_factory=dict)
    # AWS: the key the owned secrets are encrypted with (prod), which readers must be able to decrypt with.
    aws_key_arn: Any = None


def cloud_secret_names(workload: WorkloadSpec) -> list[str]:
    """The cloud secrets a workload reads, each once, sorted."""
    return sorted({ref.cloud_secret for ref in [*workload.secret_env.values(), *workload.secret_files.values()]
                   if ref.cloud_secret is not None})


def secret_store(workload_name: str, namespace: str, component: str, target: SecretManagerTarget) -> dict:
    service_account = {"name": workload_name}
    if target.cloud == "aws":
        provider: dict[str, Any] = {"aws": {"service": "SecretsManager", "region": target.region,
                                            "auth": {"jwt": {"serviceAccountRef": service_account}}}}
    else:
        provider = {"gcpsm": {"projectID": target.gcp_project, "auth": {"workloadIdentity": {
            # Stated rather than read from the metadata server, which ESO's pod may not be allowed to reach.
            "clusterLocation": target.region, "clusterName": target.cluster_name,
            "clusterProjectID": target.gcp_project, "serviceAccountRef": service_account}}}}
    name = manifests.cloud_secrets_name(workload_name)
    return {"apiVersion": API_VERSION, "kind": "SecretStore",
            "metadata": manifests.metadata(name, namespace, manifests.labels(workload_name, component)),
            "spec": {"provider": provider}}


def external_secret(workload_name: str, namespace: str, component: str, workload: WorkloadSpec) -> dict:
    data = []
    entries = [*sorted(workload.secret_env.items()),
               *[(secret_files.file_key(path), ref) for path, ref in sorted(workload.secret_files.items())]]
    for variable, ref in entries:
        if ref.cloud_secret is None:
            continue
        remote: dict[str, str] = {"key": ref.cloud_secret}
        if ref.key is not None:
            remote["property"] = ref.key
        if ref.version is not None:
            remote["version"] = ref.version
        data.append({"secretKey": variable, "remoteRef": remote})
    name = manifests.cloud_secrets_name(workload_name)
    return {"apiVersion": API_VERSION, "kind": "ExternalSecret",
            "metadata": manifests.metadata(name, namespace, manifests.labels(workload_name, component)),
            "spec": {"refreshInterval": REFRESH_INTERVAL,
                     "secretStoreRef": {"kind": "SecretStore", "name": name},
                     "target": {"name": name, "creationPolicy": "Owner", "deletionPolicy": "Retain"},
                     "data": data}}


def objects(workload_name: str, namespace: str, component: str, workload: WorkloadSpec,
            target: Optional[SecretManagerTarget]) -> list[dict]:
    """The SecretStore and ExternalSecret, or nothing when the workload reads no cloud secret."""
    if not cloud_secret_names(workload):
        return []
    if target is None:
        raise ValueError(f"workload {workload_name} reads cloud secrets but no secret manager target was given")
    return [secret_store(workload_name, namespace, component, target),
            external_secret(workload_name, namespace, component, workload)]


def aws_read_policy(arn_prefix: str, names: list[str], owned_arns: Optional[dict[str, str]] = None,
                    key_arn: Optional[str] = None, region: Optional[str] = None) -> str:
    """Read exactly the named secrets: the exact ARN of those the program creates, `<name>-??????` for the rest;
    with the secrets' key, decrypt through Secrets Manager only."""
    owned_arns = owned_arns or {}
    statements: list[dict] = [{
        "Sid": "ReadOwnSecrets", "Effect": "Allow", "Action": AWS_READ_ACTIONS,
        "Resource": [owned_arns[name] if name in owned_arns else f"{arn_prefix}{name}-??????" for name in names],
    }]
    if key_arn:
        statements.append({"Sid": "DecryptOwnSecrets", "Effect": "Allow", "Action": "kms:Decrypt",
                           "Resource": key_arn,
                           "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}}})
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def grant_read(name: str, identity: WorkloadIdentity, workload: WorkloadSpec,
               target: Optional[SecretManagerTarget], opts: pulumi.ResourceOptions) -> list[pulumi.Resource]:
    """Let the workload's cloud identity read exactly its own cloud secrets."""
    names = cloud_secret_names(workload)
    if not names or target is None:
        return []
    owned = {secret: target.owned[secret] for secret in names if secret in target.owned}
    if target.cloud == "aws":
        key = target.aws_key_arn if owned else None
        policy = pulumi.Output.all(target.aws_secret_arn_prefix, owned, key).apply(
            lambda values: aws_read_policy(values[0], names, values[1], values[2], target.region))
        return [aws.iam.RolePolicy(f"{name}-read-secrets", role=identity.principal.ref, policy=policy, opts=opts)]
    member = pulumi.Output.from_input(identity.principal.ref).apply(lambda email: f"serviceAccount:{email}")
    # An owned secret's id is its resource's Output: the grant waits for the secret to exist.
    return [gcp.secretmanager.SecretIamMember(
        f"{name}-read-secret-{secret}", project=target.gcp_project, secret_id=owned.get(secret, secret),
        role=GCP_ACCESSOR_ROLE, member=member, opts=opts) for secret in names]
