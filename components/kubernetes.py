"""Push delivery: turn a manifest (dict) into the matching Pulumi Kubernetes resource."""

from __future__ import annotations

from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s

# Built-in kinds map to their typed resources, so Pulumi diffs them with the real schema.
TYPED: dict[tuple[str, str], Any] = {
    ("v1", "Namespace"): k8s.core.v1.Namespace,
    ("v1", "ServiceAccount"): k8s.core.v1.ServiceAccount,
    ("v1", "Service"): k8s.core.v1.Service,
    ("v1", "Secret"): k8s.core.v1.Secret,
    ("apps/v1", "Deployment"): k8s.apps.v1.Deployment,
    ("policy/v1", "PodDisruptionBudget"): k8s.policy.v1.PodDisruptionBudget,
    ("autoscaling/v2", "HorizontalPodAutoscaler"): k8s.autoscaling.v2.HorizontalPodAutoscaler,
    ("batch/v1", "CronJob"): k8s.batch.v1.CronJob,
}
# Top-level manifest fields other than apiVersion/kind, by their Python argument names.
_ARGUMENTS = {"metadata": "metadata", "spec": "spec", "automountServiceAccountToken":
              "automount_service_account_token", "data": "data", "stringData": "string_data", "type": "type"}


def kubernetes_resource(name: str, manifest: dict[str, Any],
                        opts: Optional[pulumi.ResourceOptions] = None) -> pulumi.CustomResource:
    """Create the Pulumi resource for `manifest` (custom resources through `CustomResource`)."""
    api_version, kind = manifest["apiVersion"], manifest["kind"]
    fields = {k: v for k, v in manifest.items() if k not in ("apiVersion", "kind")}
    typed = TYPED.get((api_version, kind))
    if typed is None:
        return k8s.apiextensions.CustomResource(name, api_version=api_version, kind=kind, **fields, opts=opts)
    unknown = set(fields) - set(_ARGUMENTS)
    if unknown:
        raise ValueError(f"{kind} fields {sorted(unknown)} have no Pulumi argument mapping")
    return typed(name, **{_ARGUMENTS[k]: v for k, v in fields.items()}, opts=opts)


def resource_name(prefix: str, manifest: dict[str, Any]) -> str:
    """A stable logical name for a manifest's resource: `<prefix>-<kind>`."""
    return f"{prefix}-{manifest['kind'].lower()}"
