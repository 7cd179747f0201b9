"""Cloud identities that workloads run as, in one shape the queue and cluster layers can share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi


@dataclass(frozen=True)
class WorkloadPrincipal:
    """Who gets access: an AWS IAM role (by name) or a GCP service account (by email)."""

    kind: Literal["aws-iam-role", "gcp-service-account"]
    ref: pulumi.Input[str]

    @staticmethod
    def aws_role(role_name: pulumi.Input[str]) -> WorkloadPrincipal:
        return WorkloadPrincipal("aws-iam-role", role_name)

    @staticmethod
    def gcp_service_account(email: pulumi.Input[str]) -> WorkloadPrincipal:
        return WorkloadPrincipal("gcp-service-account", email)


# The managed policy every IAM role the platform creates carries as its permissions boundary: the deploying
# identity may create and change roles only with it (deploy/ci-identity/aws-deployer-policy.json), so it cannot
# make a role more powerful than the boundary, itself included. Shipped as deploy/ci-identity/aws-role-boundary.json.
ROLE_BOUNDARY_POLICY_NAME = "platform-role-boundary"


def role_boundary_arn(partition: str, account: str) -> str:
    """The default permissions boundary of the platform's roles in an account."""
    return f"arn:{partition}:iam::{account}:policy/{ROLE_BOUNDARY_POLICY_NAME}"
