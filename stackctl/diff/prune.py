"""The GitOps prune set: Kubernetes objects that leave the rendered deployment repository.

For `delivery: gitops` the objects are not Pulumi resources: `stackctl render` writes them into the
deployment repository and Argo CD applies them. An object whose file disappears is pruned by Argo CD
(its Applications sync with `prune: true`), so it belongs in the same review as Pulumi's deletes. Objects
annotated `argocd.argoproj.io/sync-options: Prune=confirm` wait for a person to confirm
(https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/, "Resource Pruning With Confirmation").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SYNC_OPTIONS = "argocd.argoproj.io/sync-options"


@dataclass(frozen=True)
class PrunedObject:
    path: str
    kind: str
    name: str
    namespace: str
    confirm: bool

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "namespace": self.namespace, "name": self.name,
                "pruneConfirm": self.confirm}


def _files(outputs: dict[str, Any] | None) -> dict[str, Any]:
    deployment = (outputs or {}).get("deployment_files")
    if isinstance(deployment, dict) and isinstance(deployment.get("files"), dict):
        return deployment["files"]
    return {}


def _sync_options(manifest: dict[str, Any]) -> set[str]:
    annotations = (manifest.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(SYNC_OPTIONS, "") if isinstance(annotations, dict) else ""
    return {option.strip() for option in str(value).split(",") if option.strip()}


def prune_set(old_outputs: dict[str, Any] | None, new_outputs: dict[str, Any] | None) -> list[PrunedObject]:
    """Objects rendered from the old outputs' `deployment_files` but not from the new ones."""
    old, new = _files(old_outputs), _files(new_outputs)
    pruned = []
    for path in sorted(set(old) - set(new)):
        manifest = old[path] if isinstance(old[path], dict) else {}
        metadata = manifest.get("metadata") or {}
        pruned.append(PrunedObject(
            path=path, kind=str(manifest.get("kind", "?")), name=str(metadata.get("name", "?")),
            namespace=str(metadata.get("namespace", "")), confirm="Prune=confirm" in _sync_options(manifest),
        ))
    return pruned


def file_changes(old_outputs: dict[str, Any] | None, new_outputs: dict[str, Any] | None) -> dict[str, list[str]]:
    """Rendered files added to or changed in the deployment repository (Argo CD applies them)."""
    old, new = _files(old_outputs), _files(new_outputs)
    return {
        "added": sorted(set(new) - set(old)),
        "changed": sorted(path for path in set(old) & set(new) if old[path] != new[path]),
    }
