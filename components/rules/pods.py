"""Pod security rules over Kubernetes manifests (plain dicts), shared by the workload tests and the policy pack."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .workloads import image_tag

Manifest = dict[str, Any]
POD_TEMPLATE_PATHS = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "ScaledJob": ("spec", "jobTargetRef", "template"),
}


def pod_spec(manifest: Manifest) -> dict[str, Any] | None:
    """The pod spec inside a workload manifest (Deployment, CronJob, ScaledJob, Pod, ...), if any."""
    kind = manifest.get("kind")
    if kind == "Pod":
        return manifest.get("spec") or {}
    path = POD_TEMPLATE_PATHS.get(str(kind))
    if path is None:
        return None
    node: Any = manifest
    for key in (*path, "spec"):
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def pod_labels(manifest: Manifest) -> dict[str, Any]:
    """The labels of the pods a workload manifest creates (the Pod's own for a Pod)."""
    kind = manifest.get("kind")
    if kind == "Pod":
        return (manifest.get("metadata") or {}).get("labels") or {}
    node: Any = manifest
    for key in POD_TEMPLATE_PATHS.get(str(kind), ()):
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        return {}
    return (node.get("metadata") or {}).get("labels") or {}


def containers(pod: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key in ("initContainers", "containers"):
        yield from pod.get(key) or []


def _effective(pod: dict[str, Any], container: dict[str, Any], field: str) -> Any:
    value = (container.get("securityContext") or {}).get(field)
    return value if value is not None else (pod.get("securityContext") or {}).get(field)


def non_root_problems(pod: dict[str, Any]) -> list[str]:
    problems = []
    for c in containers(pod):
        if _effective(pod, c, "runAsNonRoot") is not True:
            problems.append(f"container {c.get('name')!r} does not set runAsNonRoot: true")
        user = _effective(pod, c, "runAsUser")
        if user == 0:
            problems.append(f"container {c.get('name')!r} runs as UID 0")
    return problems


def read_only_root_problems(pod: dict[str, Any]) -> list[str]:
    return [f"container {c.get('name')!r} has a writable root filesystem (set readOnlyRootFilesystem: true)"
            for c in containers(pod) if (c.get("securityContext") or {}).get("readOnlyRootFilesystem") is not True]


def privilege_problems(pod: dict[str, Any]) -> list[str]:
    problems = []
    if pod.get("hostNetwork") or pod.get("hostPID") or pod.get("hostIPC"):
        problems.append("pod shares a host namespace (hostNetwork/hostPID/hostIPC)")
    for c in containers(pod):
        security = c.get("securityContext") or {}
        if security.get("privileged") is True:
            problems.append(f"container {c.get('name')!r} is privileged")
        if security.get("allowPrivilegeEscalation") is not False:
            problems.append(f"container {c.get('name')!r} does not set allowPrivilegeEscalation: false")
        if "ALL" not in ((security.get("capabilities") or {}).get("drop") or []):
            problems.append(f"container {c.get('name')!r} does not drop all capabilities")
        if (security.get("capabilities") or {}).get("add"):
            problems.append(f"container {c.get('name')!r} adds capabilities {security['capabilities']['add']}")
    return problems


def resource_problems(pod: dict[str, Any]) -> list[str]:
    problems = []
    for c in containers(pod):
        resources = c.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
        missing = [r for r in ("cpu", "memory") if r not in requests]
        if missing:
            problems.append(f"container {c.get('name')!r} has no {' or '.join(missing)} request")
        if "memory" not in limits:
            problems.append(f"container {c.get('name')!r} has no memory limit")
    return problems


def image_pin_problems(pod: dict[str, Any], require_digest: bool) -> list[str]:
    problems = []
    for c in containers(pod):
        image = str(c.get("image") or "")
        if "@sha256:" in image:
            continue
        tag = image_tag(image)
        if tag is None:
            problems.append(f"container {c.get('name')!r} image {image!r} has no tag or digest")
        elif tag == "latest":
            problems.append(f"container {c.get('name')!r} image {image!r} uses 'latest'")
        elif require_digest:
            problems.append(f"container {c.get('name')!r} image {image!r} is not pinned by digest")
    return problems


def probe_problems(pod: dict[str, Any]) -> list[str]:
    return [f"container {c.get('name')!r} has no {kind} probe"
            for c in pod.get("containers") or []
            for kind in ("readiness", "liveness") if f"{kind}Probe" not in c]
