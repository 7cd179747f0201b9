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
