"""Rules for Argo CD and delivery modes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..errors import Problem
from .credentials import looks_like_credential, shown

if TYPE_CHECKING:  # the spec models import these rules
    from ..spec.environment import EnvironmentSpec

_REPOSITORY = re.compile(r"^(https://[^\s*]+|ssh://[^\s*]+|git@[^\s:*]+:[^\s*]+)$")
_ACCOUNT = re.compile(r"^\d{12}$")


def argocd_problems(spec: EnvironmentSpec) -> list[Problem]:
    problems: list[Problem] = []
    if spec.aws_account_id is not None:
        if spec.cloud != "aws":
            problems.append(Problem("aws_account_id", "only applies when cloud is 'aws'"))
        elif not _ACCOUNT.match(spec.aws_account_id):
            problems.append(Problem("aws_account_id", f"must be 12 digits (got {spec.aws_account_id!r})"))
    if spec.aws_keep_role_paths and spec.cloud != "aws":
        problems.append(Problem("aws_keep_role_paths", "only applies when cloud is 'aws'"))
    if spec.delivery == "gitops" and spec.argocd is None:
        problems.append(Problem("delivery", "gitops delivery needs argocd (the deployment repository Argo CD pulls)"))
    if spec.argocd is None:
        return problems
    if spec.cluster is None:
        problems.append(Problem("argocd", "Argo CD runs on the environment's cluster: declare one"))
    if not _REPOSITORY.match(spec.argocd.repository):
        problems.append(Problem("argocd.repository",
                                f"must be an https://, ssh:// or git@host:path Git URL without wildcards "
                                f"(got {shown(spec.argocd.repository)})"))
    if spec.argocd.path is not None and (spec.argocd.path.strip("/") == "" or ".." in spec.argocd.path.split("/")):
        problems.append(Problem("argocd.path", f"must be a directory inside the repository (got {spec.argocd.path!r})"))
    if looks_like_credential(spec.argocd.repository):
        problems.append(Problem("argocd.repository",
                                "holds a credential (value hidden); keep the URL plain and set the token with "
                                "`pulumi config set --secret argocd_repo_password`"))
    if spec.argocd.username is not None and not spec.argocd.repository.startswith("https://"):
        problems.append(Problem("argocd.username", "only applies to an https:// repository"))
    return problems
