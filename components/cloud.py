"""Explicit cloud providers for an environment, so region, project and tags come from the spec."""

from __future__ import annotations

import pulumi

from .cloud_sdks import aws, gcp
from .spec import EnvironmentSpec


def standard_labels(environment: str, spec: EnvironmentSpec) -> dict[str, str]:
    """Tags/labels on every resource: who manages it and which environment it belongs to."""
    labels = {
        "environment": environment,
        "tier": spec.tier,
        "managed-by": "pulumi",
        "pulumi-project": pulumi.get_project(),
    }
    labels.update(spec.labels)
    return labels


def cloud_provider(environment: str, spec: EnvironmentSpec, opts: pulumi.ResourceOptions) -> pulumi.ProviderResource:
    """The environment's AWS or GCP provider, tagging/labelling everything it creates."""
    labels = standard_labels(environment, spec)
    if spec.cloud == "aws":
        return aws.Provider(
            f"{environment}-aws",
            region=spec.region,
            default_tags=aws.ProviderDefaultTagsArgs(tags=labels),
            # A stack can only ever change its own account, whatever credentials the caller has.
            allowed_account_ids=[spec.aws_account_id] if spec.aws_account_id else None,
            opts=opts,
        )
    return gcp.Provider(
        f"{environment}-gcp",
        project=spec.gcp_project,
        region=spec.region,
        default_labels=labels,
        opts=opts,
    )
