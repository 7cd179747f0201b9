"""The deployment repository layout for GitOps delivery.

    <path>/namespaces/namespace-<namespace>.yaml     synced by the `<env>-namespaces` Application
    <path>/namespaces/networkpolicy-<namespace>-default-deny.yaml   (same app) the namespace-wide default deny
    <path>/<workload>/<kind>-<name>.yaml             synced by the `<env>-<workload>` Application
    <path>/apps/                                     watched by the root app-of-apps (team-owned Applications)
"""

from __future__ import annotations

from typing import Any, Optional

Manifest = dict[str, Any]


def manifest_file(manifest: Manifest) -> str:
    return f"{manifest['kind'].lower()}-{manifest['metadata']['name']}.yaml"


def deployment_files(path: str, namespaces: dict[str, Manifest],
                     workloads: dict[str, list[Manifest]],
                     namespace_policies: Optional[dict[str, Manifest]] = None) -> dict[str, Any]:
    """`{"path": <env dir>, "files": {repository path: manifest}}` for every object Argo CD should apply.
    `namespace_policies`: namespace -> its default-deny NetworkPolicy, synced by the namespaces app (one name
    in every namespace, so the file name carries the namespace)."""
    files = {f"{path}/namespaces/{manifest_file(m)}": m for _, m in sorted(namespaces.items())}
    for namespace, policy in sorted((namespace_policies or {}).items()):
        files[f"{path}/namespaces/networkpolicy-{namespace}-default-deny.yaml"] = policy
    for workload, objects in sorted(workloads.items()):
        for manifest in objects:
            files[f"{path}/{workload}/{manifest_file(manifest)}"] = manifest
    return {"path": path, "files": dict(sorted(files.items()))}
