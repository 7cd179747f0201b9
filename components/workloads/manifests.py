"""The vocabulary every workload object is written in: labels, selector, metadata, namespace (plain manifests:
dicts, camelCase, values may be Outputs).

The objects themselves come from the passes that use this vocabulary (`identity.py`, `pod.py`,
`controllers.py`): they are the single source of the objects, push delivery hands them to Pulumi, GitOps
delivery writes them to the deployment repository, so both modes produce the same objects for the same spec.
"""

from __future__ import annotations

from typing import Any, Optional

MANAGED_BY = "platform"

Manifest = dict[str, Any]


def labels(name: str, component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }


def selector(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name}


def metadata(name: str, namespace: Optional[str], object_labels: dict[str, str],
             annotations: Optional[Any] = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": object_labels}
    if namespace is not None:
        meta["namespace"] = namespace
    if annotations is not None:
        meta["annotations"] = annotations
    return meta


# Argo CD waits for a person to confirm before pruning or deleting an object carrying this
# (https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/: "Prune=confirm", "Delete=confirm";
# several options in one annotation are separated by ",").
CONFIRM_DELETION = {"argocd.argoproj.io/sync-options": "Prune=confirm,Delete=confirm"}


def namespace(name: str, enforce: str = "restricted", confirm_deletion: bool = False) -> Manifest:
    """A namespace enforcing a Pod Security Standard (workloads: `restricted`; non-compliant pods are
    rejected). Platform add-ons use `baseline` and are warned about anything short of `restricted`.
    `confirm_deletion`: Argo CD prunes or deletes it only after a person confirms (prod)."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": metadata(name, None, {
            "app.kubernetes.io/managed-by": MANAGED_BY,
            "pod-security.kubernetes.io/enforce": enforce,
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/warn": "restricted",
        }, dict(CONFIRM_DELETION) if confirm_deletion else None),
    }


def cloud_secrets_name(workload_name: str) -> str:
    """The Kubernetes Secret External Secrets Operator writes a workload's cloud secrets into."""
    return f"{workload_name}-cloud-secrets"
