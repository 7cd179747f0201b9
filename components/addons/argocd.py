"""`ArgoCdBootstrap`: Argo CD on the cluster, locked to this environment's deployment repository."""

from __future__ import annotations

from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s
from pydantic import ConfigDict, Field

from ..kubernetes import kubernetes_resource
from ..spec.argocd import ArgoCdSpec
from ..spec.base import StrictModel
from ..versions import ARGOCD_CHART_REPOSITORY, ARGOCD_CHART_VERSION, ARGOCD_IMAGE_REPOSITORIES
from . import argocd_manifests as argo
from .helm import install_chart


def chart_values(high_availability: bool) -> dict[str, Any]:
    """Helm values per tier: small in dev, highly available in prod."""
    replicas = 2 if high_availability else 1
    # The chart renders `minAvailable: 0` (protects nothing) unless maxUnavailable is set: argo-helm
    # charts/argo-cd/templates/argocd-server/pdb.yaml (same shape for every component). One pod at a time
    # may go, so a drain never takes a whole HA component down.
    pdb = {"enabled": True, "maxUnavailable": 1} if high_availability else {"enabled": False}
    images = ARGOCD_IMAGE_REPOSITORIES
    return {
        "crds": {"install": True, "keep": True},
        # Named here, not left to the chart: Binary Authorization admits exactly these repositories.
        "global": {"image": {"repository": images["argocd"]}},
        "redis": {"image": {"repository": images["redis"]}},
        # SSO is configured per organisation; the built-in Dex is not needed to start.
        "dex": {"enabled": False},
        "redis-ha": {
            "enabled": high_availability,
            "image": {"repository": images["redis"]},
            "haproxy": {"image": {"repository": images["haproxy"]}},
        },
        # More than one application controller means sharding, not HA: keep one.
        "controller": {"replicas": 1, "pdb": pdb},
        "server": {"replicas": replicas, "pdb": pdb},
        "repoServer": {"replicas": replicas, "pdb": pdb},
        "applicationSet": {"replicas": replicas, "pdb": pdb},
    }


class ArgoCdBootstrapArgs(StrictModel):
    """Arguments of `ArgoCdBootstrap`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    environment: str = Field(description="Environment name: names the projects and applications. Required.")
    spec: ArgoCdSpec = Field(description="Repository and revision to pull from. Required.")
    path: str = Field(description="The environment's directory in the deployment repository. Required.")
    namespaces: list[str] = Field(
        default_factory=list, description="Namespaces the environment's workloads may be deployed to. Default none.")
    high_availability: bool = Field(False, description="HA install (prod). Default false.")
    repository_password: Optional[Any] = Field(
        None, description="Secret Output: HTTPS password or token for the repository. Default unset.")
    repository_ssh_key: Optional[Any] = Field(
        None, description="Secret Output: SSH private key for the repository. Default unset.")
    chart_version: str = Field(
        ARGOCD_CHART_VERSION, description=f"argo-helm `argo-cd` chart version. Default `{ARGOCD_CHART_VERSION}`.")


class ArgoCdBootstrap(pulumi.ComponentResource):
    """Argo CD (Helm), the repository credential, the environment's AppProjects and its root app-of-apps.

    - `<env>` project: the deployment repository only, the environment's namespaces only, no cluster-scoped
      kinds, an explicit list of namespaced kinds. Workload Applications use it.
    - `<env>-bootstrap` project: Applications (in `argocd`) and Namespaces only. The root app-of-apps
      (`<path>/apps`) and the namespaces app (`<path>/namespaces`) use it.
    - The built-in `default` project is emptied, so nothing can deploy through it.
    """

    release: k8s.helm.v3.Release
    """The Argo CD Helm release."""
    project_name: str
    """The AppProject the environment's workload Applications belong to."""
    ready: list[pulumi.Resource]
    """What workload Applications must wait for (the projects and the repository credential)."""

    def __init__(self, name: str, args: ArgoCdBootstrapArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:index:ArgoCdBootstrap", name, None, opts)
        env, spec = args.environment, args.spec
        self.release = install_chart(
            self, name, chart="argo-cd", release_name="argocd", version=args.chart_version,
            repository=ARGOCD_CHART_REPOSITORY, namespace=argo.NAMESPACE,
            values=chart_values(args.high_availability))
        after_argo = pulumi.ResourceOptions(parent=self, depends_on=[self.release])
        repository = kubernetes_resource(
            f"{name}-repository",
            argo.repository_secret(env, spec.repository, spec.username, args.repository_password,
                                   args.repository_ssh_key),
            after_argo,
        )
        default_project = argo.locked_default_project()
        k8s.apiextensions.CustomResourcePatch(
            f"{name}-default-project",
            api_version=default_project["apiVersion"],
            kind=default_project["kind"],
            # Argo CD owns this object; take over just these fields.
            metadata={**default_project["metadata"], "annotations": {"pulumi.com/patchForce": "true"}},
            spec=default_project["spec"],
            opts=after_argo,
        )
        workloads = kubernetes_resource(
            f"{name}-project", argo.workload_project(env, spec.repository, args.namespaces), after_argo)
        bootstrap = kubernetes_resource(
            f"{name}-bootstrap-project", argo.bootstrap_project(env, spec.repository, args.namespaces), after_argo)
        after_projects = pulumi.ResourceOptions(parent=self, depends_on=[bootstrap, repository])
        self.namespaces_app = kubernetes_resource(f"{name}-namespaces-app", argo.application(
            f"{env}-namespaces", env, f"{env}-bootstrap", spec.repository, spec.revision,
            f"{args.path}/namespaces", argo.NAMESPACE, ignore_replicas=False), after_projects)
        self.root_app = kubernetes_resource(f"{name}-root-app", argo.application(
            f"{env}-root", env, f"{env}-bootstrap", spec.repository, spec.revision, f"{args.path}/apps",
            argo.NAMESPACE, ignore_replicas=False, recurse=True), after_projects)
        self.project_name = env
        self.ready = [workloads, repository, self.namespaces_app]
        self.register_outputs({"release_status": self.release.status})
