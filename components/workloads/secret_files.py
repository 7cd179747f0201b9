"""A workload's secret files: `secret_files` entries mounted read-only from Kubernetes Secrets.

Files of one directory share one `projected` volume mounted read-only at that directory (a directory may hold
files from several Secrets, which one `secret` volume cannot), so the kubelet keeps them current when the
Secret changes (a `subPath` mount of a single file would never be updated). Every file is written with mode
0400; the pod's `fsGroup` (the workload's group) makes the kubelet add group read, so the files are readable
by the workload's own user and group only (kubernetes.io, "Configure a Security Context for a Pod or
Container": fsGroup ownership applies to secret and projected volumes).

A cloud secret's file comes from the workload's `<workload>-cloud-secrets` Secret that External Secrets
Operator writes (`cloud_secrets.py`), under `file_key(path)`; a Kubernetes Secret's file from that Secret's key.
"""

from __future__ import annotations

import hashlib
import posixpath
from typing import Any

from ..spec.workload import WorkloadSpec

FILE_MODE = 0o400


def file_key(path: str) -> str:
    """The key of a cloud secret file inside `<workload>-cloud-secrets`: environment variable names have no
    '-', so no variable's key can equal it; a digest keeps it a valid Secret key for any path."""
    return f"file-{hashlib.sha256(path.encode()).hexdigest()[:16]}"


def volume_name(directory: str) -> str:
    cleaned = "".join(c if c.isalnum() else "-" for c in directory.strip("/").lower()).strip("-")
    # Names are DNS labels: a digest keeps two long directories from sharing a truncated name.
    return f"secret-files-{hashlib.sha256(directory.encode()).hexdigest()[:8]}-{cleaned}"[:63].rstrip("-")


def _directories(workload: WorkloadSpec) -> dict[str, list[str]]:
    by_directory: dict[str, list[str]] = {}
    for path in sorted(workload.secret_files):
        by_directory.setdefault(posixpath.dirname(path), []).append(path)
    return by_directory


def volumes(workload_name: str, workload: WorkloadSpec, cloud_secrets_name: str) -> list[dict[str, Any]]:
    result = []
    for directory, paths in sorted(_directories(workload).items()):
        by_secret: dict[str, list[dict[str, str]]] = {}
        for path in paths:
            ref = workload.secret_files[path]
            secret, key = ((cloud_secrets_name, file_key(path)) if ref.cloud_secret is not None
                           else (str(ref.secret), str(ref.key)))
            by_secret.setdefault(secret, []).append({"key": key, "path": posixpath.basename(path)})
        result.append({"name": volume_name(directory), "projected": {
            "defaultMode": FILE_MODE,
            "sources": [{"secret": {"name": secret, "items": items}} for secret, items in sorted(by_secret.items())],
        }})
    return result


def volume_mounts(workload: WorkloadSpec) -> list[dict[str, Any]]:
    return [{"name": volume_name(directory), "mountPath": directory, "readOnly": True}
            for directory in sorted(_directories(workload))]
