"""The deployment repository layout for GitOps delivery.

    <path>/namespaces/namespace-<namespace>.yaml     synced by the `<env>-namespaces` Application
    <path>/<workload>/<kind>-<name>.yaml             synced by the `<env>-<workload>` Application
    <path>/apps/                                     watched by the root app-of-apps (team-owned Applications)
"""

from __future__ import annotations

from typing import Any

Manifest = dict[str, Any]


def manifest_file(manifest: Manifest) -> str:
    return f"{manifest['kind'].lower()}-{manifest['metadata']['name']}.yaml"


def deployment_files(path: str, namespaces: dict[str, Manifest],
                     workloads: dict[str, list[Manifest]]) -> dict[str, Any]:
    """`{"path": <env dir>, "files": {repository path: manifest}}` for every object Argo CD should apply."""
    files = {f"{path}/namespaces/{manifest_file(m)}": m for _, m in sorted(namespaces.items())}
    for workload, objects in sorted(workloads.items()):
        for manifest in objects:
            files[f"{path}/{workload}/{manifest_file(manifest)}"] = manifest
    return {"path": path, "files": dict(sorted(files.items()))}
