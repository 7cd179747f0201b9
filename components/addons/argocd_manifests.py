"""Argo CD objects as manifests: projects, applications and the repository credential."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

from ..workloads.manifests import MANAGED_BY, Manifest

NAMESPACE = "argocd"
IN_CLUSTER = "https://kubernetes.default.svc"
FINALIZER = "resources-finalizer.argocd.argoproj.io"
API_VERSION = "argoproj.io/v1alpha1"
# The only kinds a workload application may create: exactly what the workload components render.
WORKLOAD_KINDS = [
    ("", "ServiceAccount"), ("", "Service"), ("apps", "Deployment"), ("policy", "PodDisruptionBudget"),
    ("autoscaling", "HorizontalPodAutoscaler"), ("batch", "CronJob"), ("keda.sh", "ScaledObject"),
    ("keda.sh", "ScaledJob"), ("keda.sh", "TriggerAuthentication"), ("networking.k8s.io", "NetworkPolicy"),
    # Cloud secrets: only the store and the request; the Secret itself is written by External Secrets Operator.
    ("external-secrets.io", "SecretStore"), ("external-secrets.io", "ExternalSecret"),
]
RETRY = {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"}}


def _labels(environment: str) -> dict[str, str]:
    return {"app.kubernetes.io/managed-by": MANAGED_BY, "app.kubernetes.io/part-of": environment}


def workload_project(environment: str, repository: str, namespaces: list[str]) -> Manifest:
    """The environment's project: its deployment repo only, its own namespaces only, no cluster-scoped kinds."""
    return {
        "apiVersion": API_VERSION,
        "kind": "AppProject",
        "metadata": {"name": environment, "namespace": NAMESPACE, "labels": _labels(environment)},
        "spec": {
            "description": f"Workloads of the {environment} environment",
            "sourceRepos": [repository],
            "destinations": [{"server": IN_CLUSTER, "namespace": ns} for ns in sorted(namespaces)],
            "clusterResourceWhitelist": [],
            "namespaceResourceWhitelist": [{"group": group, "kind": kind} for group, kind in WORKLOAD_KINDS],
            "orphanedResources": {"warn": True},
        },
    }


def bootstrap_project(environment: str, repository: str, namespaces: Sequence[str] = ()) -> Manifest:
    """The project of the root app-of-apps and the namespaces app: Applications, Namespaces and each workload
    namespace's default-deny NetworkPolicy (synced with its namespace, so no workload app shares it)."""
    return {
        "apiVersion": API_VERSION,
        "kind": "AppProject",
        "metadata": {"name": f"{environment}-bootstrap", "namespace": NAMESPACE, "labels": _labels(environment)},
        "spec": {
            "description": f"App-of-apps and namespaces of the {environment} environment",
            "sourceRepos": [repository],
            "destinations": [{"server": IN_CLUSTER, "namespace": ns} for ns in [NAMESPACE, *namespaces]],
            "clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}],
            "namespaceResourceWhitelist": [{"group": "argoproj.io", "kind": "Application"},
                                           {"group": "networking.k8s.io", "kind": "NetworkPolicy"}],
            "orphanedResources": {"warn": True},
        },
    }


def locked_default_project() -> Manifest:
    """Argo CD recreates the permissive `default` project; this empties it so nothing can use it."""
    return {
        "apiVersion": API_VERSION,
        "kind": "AppProject",
        "metadata": {"name": "default", "namespace": NAMESPACE},
        "spec": {"sourceRepos": [], "destinations": [], "clusterResourceWhitelist": [],
                 "namespaceResourceWhitelist": []},
    }


def application(name: str, environment: str, project: str, repository: str, revision: str, path: str,
                destination_namespace: str, ignore_replicas: bool, recurse: bool = False) -> Manifest:
    """An Application that syncs `path` automatically, pruning what was deleted from Git and healing drift."""
    spec: dict[str, Any] = {
        "project": project,
        "source": {"repoURL": repository, "targetRevision": revision, "path": path,
                   "directory": {"recurse": recurse}},
        "destination": {"server": IN_CLUSTER, "namespace": destination_namespace},
        "syncPolicy": {
            "automated": {"prune": True, "selfHeal": True},
            "syncOptions": ["PruneLast=true"],
            "retry": RETRY,
        },
    }
    if ignore_replicas:
        # KEDA / the HPA own the replica count; without RespectIgnoreDifferences a sync would still reset it.
        spec["ignoreDifferences"] = [{"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}]
        spec["syncPolicy"]["syncOptions"].append("RespectIgnoreDifferences=true")
    return {
        "apiVersion": API_VERSION,
        "kind": "Application",
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "labels": _labels(environment),
            # Deleting the Application deletes what it deployed (cascade), so nothing is stranded.
            "finalizers": [FINALIZER],
        },
        "spec": spec,
    }


def repository_secret(environment: str, repository: str, username: Optional[str], password: Any,
                      ssh_key: Any) -> Manifest:
    data: dict[str, Any] = {"url": repository, "type": "git"}
    if username is not None:
        data["username"] = username
    if password is not None:
        data["password"] = password
    if ssh_key is not None:
        data["sshPrivateKey"] = ssh_key
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": f"{environment}-deployment-repository",
            "namespace": NAMESPACE,
            "labels": {**_labels(environment), "argocd.argoproj.io/secret-type": "repository"},
        },
        "type": "Opaque",
        "stringData": data,
    }
