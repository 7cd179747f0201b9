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


# The IAM path of every role the platform creates. A role's path is fixed at creation (no API changes it), and the
# deploying identity may create roles on it only with the boundary above; so "on this path" means "made by the
# platform, with the boundary", and the deployer's rights to change, delete and pass roles are scoped to it. A
# name prefix could not do that: roles named `prod-*` may exist in the account already (an admin role, say), and
# the deployer could rewrite their trust policy. The path must be reserved for the platform in the account.
PLATFORM_ROLE_PATH = "/platform/"
# Components take a path under it (`role_path`); an `Environment` uses its own, `/platform/<environment>/`, so a
# deployer per environment can be scoped to its environment's roles (`role/platform/<environment>/*`).
ROLE_PATH_PATTERN = r"^/platform/([a-z0-9][a-z0-9-]*/)*$"


def platform_role_path(environment: str | None = None) -> str:
    """The IAM path of the platform's roles, or of one environment's."""
    return f"{PLATFORM_ROLE_PATH}{environment}/" if environment else PLATFORM_ROLE_PATH


def role_boundary_arn(partition: str, account: str) -> str:
    """The default permissions boundary of the platform's roles in an account."""
    return f"arn:{partition}:iam::{account}:policy/{ROLE_BOUNDARY_POLICY_NAME}"
