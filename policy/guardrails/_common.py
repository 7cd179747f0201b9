"""Small helpers shared by the rule modules."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import ReportViolation, StackValidationArgs

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ScaledJob", "Pod")


# Values that `plain` returns as they are (checked by exact type first: most of a manifest is leaves, and the
# ABC checks below cost more than the conversion).
_LEAVES = frozenset({str, bool, int, type(None), bytes})


def plain(value: Any) -> Any:
    """Resource properties as plain dicts and lists (the SDK hands policies read-only proxies), with whole
    numbers as ints (the wire carries every number as a double)."""
    kind = type(value)
    if kind in _LEAVES:
        return value
    if kind is float:
        return int(value) if value.is_integer() else value
    if isinstance(value, Mapping):
        return {str(k): plain(value[k]) for k in value}
    # The SDK's list proxy is a Sequence, not a list: formatting one prints `<..._ListProxy object at 0x...>`.
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [plain(value[i]) for i in range(len(value))]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def get(value: Any, *path: str, default: Any = None) -> Any:
    """Nested lookup in resource properties: get(props, "vpcConfig", "endpointPublicAccess")."""
    node = value
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return default
        node = node[key]
    return node


def kubernetes_kind(resource_type: str) -> str | None:
    """`kubernetes:apps/v1:Deployment` -> `Deployment` (None for other providers and Helm)."""
    if not resource_type.startswith("kubernetes:") or "helm.sh" in resource_type:
        return None
    return resource_type.rsplit(":", 1)[-1]


def report_all(report_violation: ReportViolation, problems: list[str], urn: str | None = None) -> None:
    for problem in problems:
        report_violation(problem, urn)


def cluster_objects(args: StackValidationArgs) -> Iterator[tuple[str, dict[str, Any], str | None]]:
    """Every Kubernetes object the cluster gets: (where, manifest, urn).

    Push: the Kubernetes resources Pulumi applies. GitOps: the manifests rendered into the deployment
    repository, which the stack exports as `deployment_files` (the root stack's outputs).
    """
    for resource in args.resources:
        kind = kubernetes_kind(resource.resource_type)
        if kind is not None and not kind.endswith("Patch"):
            yield resource.name, plain(resource.props), resource.urn
        if resource.resource_type == "pulumi:pulumi:Stack":
            files = get(resource.props, "deployment_files", "files", default={}) or {}
            for path, manifest in sorted(files.items()):
                if isinstance(manifest, Mapping):
                    yield path, plain(manifest), resource.urn
