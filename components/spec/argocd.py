"""Desired state of Argo CD and pull-style delivery from the deployment repository."""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from .base import StrictModel


class ArgoCdSpec(StrictModel):
    """Argo CD, installed on the cluster, pulling this environment's desired state from a deployment repo."""

    repository: str = Field(
        description=(
            "The deployment repository's Git URL (`https://...` or `git@...`), kept separate from application "
            "code. Required."
        )
    )
    revision: str = Field("main", description="Branch, tag or commit Argo CD follows. Default `main`.")
    path: Optional[str] = Field(
        None,
        description=(
            "Directory of this environment in the deployment repository. Workload manifests go to "
            "`<path>/<workload>/`, namespaces to `<path>/namespaces/`, and the root app-of-apps watches "
            "`<path>/apps/`. Default: the stack name."
        ),
    )
    username: Optional[str] = Field(
        None,
        description=(
            "HTTPS username for the repository. Its password or token is the secret setting "
            "`argocd_repo_password` (`pulumi config set --secret argocd_repo_password ...`); an SSH key is "
            "`argocd_repo_ssh_key`. Default unset (a public repository, or SSH)."
        ),
    )
    high_availability: Optional[bool] = Field(
        None,
        description=(
            "Redis HA, two replicas of the API server, repo server and ApplicationSet controller, and "
            "PodDisruptionBudgets. Default: true in prod, false elsewhere."
        ),
    )
