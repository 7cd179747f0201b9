"""`Keda`: KEDA installed from its Helm chart, with a cloud identity that can read queue lengths only."""

from __future__ import annotations

import json
from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s
from pydantic import ConfigDict, Field

from ..cloud_sdks import aws, gcp
from ..cluster import Cluster, EksCluster
from ..queues import WorkQueue
from ..spec.base import StrictModel
from ..versions import KEDA_CHART_REPOSITORY, KEDA_CHART_VERSION
from .helm import install_chart

NAMESPACE = "keda"
OPERATOR_SERVICE_ACCOUNT = "keda-operator"


class KedaArgs(StrictModel):
    """Arguments of `Keda`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    cluster: Cluster = Field(description="The cluster to install into (its provider and identity binder). Required.")
    queues: list[WorkQueue] = Field(
        default_factory=list, description="Queues KEDA scales on; its identity may read their length. Default none.")
    gcp_project: Optional[str] = Field(
        None, description="GCP: project whose metrics (Managed Prometheus) KEDA reads. Required on GKE.")
    high_availability: bool = Field(
        False, description="Two replicas of each KEDA component with disruption budgets (prod). Default false.")
    chart_version: str = Field(KEDA_CHART_VERSION, description=f"KEDA chart version. Default `{KEDA_CHART_VERSION}`.")


class Keda(pulumi.ComponentResource):
    """KEDA operator, metrics server and admission webhooks, authenticated to the cloud by pod identity.

    The operator runs as `keda/keda-operator`, bound to its own cloud identity: on AWS an IRSA role with
    `sqs:GetQueueAttributes` on the environment's queues; on GCP a service account with
    `roles/monitoring.viewer` (Pub/Sub backlog comes from Cloud Monitoring). Workload identities are never
    shared with KEDA.
    """

    release: k8s.helm.v3.Release
    """The KEDA Helm release (its CRDs exist once it is ready)."""

    def __init__(self, name: str, args: KedaArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:index:Keda", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        identity = args.cluster.bind_workload_identity(f"{name}-operator", NAMESPACE, OPERATOR_SERVICE_ACCOUNT, child)
        grants: list[pulumi.Resource] = []
        if isinstance(args.cluster, EksCluster):
            if args.queues:
                policy = pulumi.Output.all(*[q.keda_read_statement() for q in args.queues]).apply(
                    lambda statements: json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True))
                grants.append(aws.iam.RolePolicy(
                    f"{name}-operator-read-queues", role=identity.principal.ref, policy=policy, opts=child))
            pod_identity: dict[str, Any] = {"aws": {"irsa": {"enabled": True, "roleArn": identity.cloud_identity}}}
        else:
            grants.append(gcp.projects.IAMMember(
                f"{name}-operator-monitoring-viewer",
                project=args.gcp_project,
                role="roles/monitoring.viewer",
                member=identity.cloud_identity.apply(lambda email: f"serviceAccount:{email}"),
                opts=child,
            ))
            pod_identity = {"gcp": {"enabled": True, "gcpIAMServiceAccount": identity.cloud_identity}}

        values: dict[str, Any] = {"podIdentity": pod_identity}
        if args.high_availability:
            # The operator is leader-elected (one active, one warm); the metrics server and webhooks serve.
            values.update({
                "operator": {"replicaCount": 2},
                "metricsServer": {"replicaCount": 2},
                "webhooks": {"replicaCount": 2},
                "podDisruptionBudget": {"maxUnavailable": 1},
            })
        self.release = install_chart(
            self, name, chart="keda", release_name="keda", version=args.chart_version,
            repository=KEDA_CHART_REPOSITORY, namespace=NAMESPACE, values=values,
            # The control plane must reach KEDA's metrics API and webhooks before the release reports ready.
            depends_on=[*identity.resources, *grants, *args.cluster.webhook_access])
        self.register_outputs({"release_status": self.release.status})

