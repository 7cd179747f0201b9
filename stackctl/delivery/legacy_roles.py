"""The deployer's statement for the roles a stack made before roles moved to `/platform/<environment>/`.

With `aws_keep_role_paths: true` such a stack keeps its roles where they are (docs/bootstrap.md, Upgrading), and
the deployer, whose role rights hold only under `/platform/`, must be given those roles by exact ARN: the
statements of the shipped deployer policy that name `role/platform/*`, with that resource replaced by the
stack's own roles. No wildcard, so nothing else that was in the account comes into reach.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError

PLATFORM_ROLES = "arn:aws:iam::*:role/platform/*"


def legacy_role_arns(state) -> list[str]:
    """The ARNs of the state's roles that are not under `/platform/` (`state`: a read `pulumi stack export`)."""
    arns = {str(r.outputs.get("arn", "")) for r in state.resources if r.type == "aws:iam/role:Role"}
    return sorted(arn for arn in arns if arn and ":role/platform/" not in arn)


def deployer_statements(arns: list[str]) -> dict:
    """A policy document: each role statement of the shipped deployer policy, for exactly `arns`."""
    import platform_ci_identity

    shipped = json.loads(platform_ci_identity.read("aws-deployer-policy.json"))
    statements = []
    for statement in shipped["Statement"]:
        if statement.get("Resource") != PLATFORM_ROLES or statement["Effect"] != "Allow":
            continue
        statements.append({**statement, "Sid": f"Legacy{statement['Sid']}", "Resource": arns})
    return {"Version": "2012-10-17", "Statement": statements}


def legacy_roles(label: str, keeps_paths: bool, state_path: Path) -> str:
    """The document to print for a stack (`label`: its stack file) from its export, or an `InputError`."""
    from ..diff.state import read_export

    if not keeps_paths:
        raise InputError(f"{label}: aws_keep_role_paths: set it to true first, or the next `pulumi up` replaces "
                         "these roles (and the EKS cluster) instead of keeping them")
    arns = legacy_role_arns(read_export(state_path))
    if not arns:
        raise InputError(f"{state_path}: no role off /platform/: every role is where the deployer policy reaches "
                         "it; remove aws_keep_role_paths")
    return json.dumps(deployer_statements(arns), indent=2) + "\n"
