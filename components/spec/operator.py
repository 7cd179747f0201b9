"""Infrastructure delivered by pull: the Pulumi Kubernetes Operator runs `pulumi up` for the stack.

`stackctl render` reads this block and writes a `pulumi.com/v1` `Stack` (PKO v2) for the environment; the
program itself ignores it. The rules that need the rest of the stack file are in `components/rules/operator.py`.
"""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from .base import Name, StrictModel

# How often the operator polls the branch for new commits and, with `continueResyncOnCommitMatch`, re-runs
# refresh + up at the same commit (drift correction). PKO treats anything below 60 as 60 (CRD
# `resyncFrequencySeconds`, pulumi-kubernetes-operator v2.9.0). Every resync is a full refresh of the stack
# (cloud API reads), so bigger stacks resync less often.
DEFAULT_RESYNC_SECONDS = {"dev": 300, "staging": 600, "prod": 900}


class PrerequisiteSpec(StrictModel):
    """Another operator-delivered stack that must have succeeded before this one runs."""

    succeeded_within_minutes: Optional[int] = Field(
        None,
        ge=1,
        le=10080,
        description=(
            "The prerequisite's last successful update must be at most this old; older, PKO re-runs it first "
            "(`prerequisites[].requirement.succeededWithinDuration`). Default unset: any success counts."
        ),
    )


class OperatorSpec(StrictModel):
    """Where the Pulumi Kubernetes Operator gets this stack from and what it runs as (`infra_delivery: operator`)."""

    repository: str = Field(
        description=(
            "Git URL of this infrastructure repository (the one holding `Pulumi.yaml` and `stacks/`), which "
            "the workspace pod clones: `https://...`, `ssh://...` or `git@host:path`. Required."
        )
    )
    branch: str = Field(
        "main",
        description=(
            "Branch the operator follows. Every commit that lands there is applied, so protect it: merges only "
            "through pull requests whose `stackctl check` passed (docs/deployment-loop.md). Default `main`."
        ),
    )
    repo_dir: Optional[str] = Field(
        None,
        description="Directory of `Pulumi.yaml` inside the repository. Default unset: the repository root.",
    )
    backend: Optional[str] = Field(
        None,
        description=(
            "The state backend the workspace logs in to: `s3://<bucket>`, `gs://<bucket>`, `azblob://<container>` "
            "or `https://` (Pulumi Cloud or self-hosted). Must be where CI keeps this stack's state; a `file://` "
            "backend would be the workspace pod's disk. Default unset; required with operator delivery."
        ),
    )
    secrets_provider: Optional[str] = Field(
        None,
        description=(
            "The stack's secrets provider, as in the stack file's `secretsprovider:`: a cloud KMS key the "
            "workspace identity may use (`awskms://...`, `gcpkms://...`, `azurekeyvault://...`, "
            "`hashivault://...`), or `default` with a Pulumi Cloud backend. Never `passphrase` (that would need "
            "the passphrase as a static secret in the management cluster). Default unset; required with operator "
            "delivery."
        ),
    )
    cloud_identity: Optional[str] = Field(
        None,
        description=(
            "The cloud identity the workspace pod acts as, instead of static keys: an IAM role ARN on aws (IRSA, "
            "the service account annotation `eks.amazonaws.com/role-arn`), a service account email on gcp "
            "(Workload Identity, `iam.gke.io/gcp-service-account`). On aws in staging and prod it must be "
            "listed in `cluster.admins` (it installs KEDA and Argo CD). Default unset; required with operator delivery."
        ),
    )
    namespace: Name = Field(
        "pulumi-stacks",
        description=(
            "Namespace of the management cluster that holds the `Stack`, its service account and workspace pod. "
            "Default `pulumi-stacks`."
        ),
    )
    service_account: Optional[Name] = Field(
        None,
        description="Kubernetes service account of the workspace pod. Default `pulumi-<stack>`.",
    )
    resync_seconds: Optional[int] = Field(
        None,
        ge=60,
        le=86400,
        description=(
            "Seconds between polls of the branch and between drift-correcting re-runs at an unchanged commit "
            f"(refresh, then up). Default per tier: {', '.join(f'{t} {s}' for t, s in DEFAULT_RESYNC_SECONDS.items())}."
        ),
    )
    prerequisites: dict[Name, PrerequisiteSpec] = Field(
        default_factory=dict,
        description=(
            "Other operator-delivered stacks (by stack name, in the same namespace) that must have succeeded "
            "before this one runs, e.g. a network stack before prod. Default none."
        ),
    )
    git_token_secret: Optional[Name] = Field(
        None,
        description=(
            "A private repository: the Secret in `namespace` whose key `accessToken` holds a read-only token "
            "for it (create it out of band; it never enters the stack file). Default unset: a public repository."
        ),
    )
    paused: bool = Field(
        False,
        description=(
            "Stop applying: the operator keeps previewing each commit (`preview: true`) but changes nothing, "
            "e.g. during an incident. Default false."
        ),
    )

    def resync_for(self, tier: str) -> int:
        """The resync period in seconds, with the tier's default."""
        return self.resync_seconds if self.resync_seconds is not None else DEFAULT_RESYNC_SECONDS[tier]
