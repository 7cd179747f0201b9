"""Push delivery: turn a manifest (dict) into the matching Pulumi Kubernetes resource."""

from __future__ import annotations

from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s

# Built-in kinds map to their typed resources, so Pulumi diffs them with the real schema. Named, not imported:
# the typed classes pull in most of pulumi_kubernetes (~0.7 s), which `stackctl --help` or a cloud-only stack
# never needs; `_typed` resolves one on first use.
TYPED: dict[tuple[str, str], str] = {
    ("v1", "Namespace"): "core.v1.Namespace",
    ("v1", "ServiceAccount"): "core.v1.ServiceAccount",
    ("v1", "Service"): "core.v1.Service",
    ("v1", "Secret"): "core.v1.Secret",
    ("apps/v1", "Deployment"): "apps.v1.Deployment",
    ("policy/v1", "PodDisruptionBudget"): "policy.v1.PodDisruptionBudget",
    ("autoscaling/v2", "HorizontalPodAutoscaler"): "autoscaling.v2.HorizontalPodAutoscaler",
    ("batch/v1", "CronJob"): "batch.v1.CronJob",
}
# Top-level manifest fields other than apiVersion/kind, by their Python argument names.
_ARGUMENTS = {"metadata": "metadata", "spec": "spec", "automountServiceAccountToken":
              "automount_service_account_token", "data": "data", "stringData": "string_data", "type": "type"}


def kubernetes_resource(name: str, manifest: dict[str, Any],
                        opts: Optional[pulumi.ResourceOptions] = None) -> pulumi.CustomResource:
    """Create the Pulumi resource for `manifest` (custom resources through `CustomResource`)."""
    api_version, kind = manifest["apiVersion"], manifest["kind"]
    fields = {k: v for k, v in manifest.items() if k not in ("apiVersion", "kind")}
    path = TYPED.get((api_version, kind))
    if path is None:
        return k8s.apiextensions.CustomResource(name, api_version=api_version, kind=kind, **fields, opts=opts)
    unknown = set(fields) - set(_ARGUMENTS)
    if unknown:
        raise ValueError(f"{kind} fields {sorted(unknown)} have no Pulumi argument mapping")
    return _typed(path)(name, **{_ARGUMENTS[k]: v for k, v in fields.items()}, opts=opts)


def _typed(path: str) -> Any:
    """`core.v1.Namespace` -> `pulumi_kubernetes.core.v1.Namespace`."""
    value: Any = k8s
    for part in path.split("."):
        value = getattr(value, part)
    return value


def resource_name(prefix: str, manifest: dict[str, Any]) -> str:
    """A stable logical name for a manifest's resource: `<prefix>-<kind>`."""
    return f"{prefix}-{manifest['kind'].lower()}"
