"""Platform add-ons installed from pinned Helm charts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..kubernetes import kubernetes_resource
from ..workloads import manifests


def install_chart(component: pulumi.ComponentResource, name: str, *, chart: str, release_name: str, version: str,
                  repository: str, namespace: str, values: dict[str, Any],
                  depends_on: Sequence[pulumi.Resource] = (),
                  pod_security: str = "baseline") -> k8s.helm.v3.Release:
    """A namespace of its own (`baseline` Pod Security unless the add-on needs node access) and a pinned
    release in it.

    `atomic`: a failed install or upgrade is rolled back, so a broken add-on never lingers half-applied.
    """
    namespace_resource = kubernetes_resource(
        f"{name}-namespace", manifests.namespace(namespace, pod_security), pulumi.ResourceOptions(parent=component))
    return k8s.helm.v3.Release(
        name,
        name=release_name,
        chart=chart,
        version=version,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=repository),
        namespace=namespace,
        values=values,
        atomic=True,
        cleanup_on_fail=True,
        opts=pulumi.ResourceOptions(parent=component, depends_on=[namespace_resource, *depends_on]),
    )
