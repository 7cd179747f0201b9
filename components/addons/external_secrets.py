"""`ExternalSecrets`: External Secrets Operator (ESO), which copies cloud secrets into Kubernetes Secrets.

Why ESO (and not the Secrets Store CSI driver): one maintained operator covers AWS Secrets Manager and GCP
Secret Manager alike; it runs as an ordinary Deployment (the CSI driver and its cloud providers are a
privileged DaemonSet on every node mounting host paths); each workload gets its own namespaced SecretStore
that authenticates as the workload's own ServiceAccount, so the operator holds no cloud identity of its own;
and only non-secret objects (SecretStore, ExternalSecret) go to the deployment repository. See
docs/security.md.

The operator has no cloud permissions: it asks the Kubernetes API for a token of the workload's ServiceAccount
and exchanges it for that workload's cloud identity. Only namespaced stores are processed: cluster-wide
stores and push secrets (`processClusterStore`, `processClusterExternalSecret`, `processClusterPushSecret`,
`processPushSecret`, all in the chart's values.yaml at helm-chart-2.9.0) are switched off, so no object can
read or write secrets across namespaces.

Its admission webhook listens on 10250 (`webhook.port`), which private GKE nodes accept from the control plane
by default and the EKS node security group opens (`CONTROL_PLANE_TO_NODE_PORTS`); the release waits for those
rules (`cluster.webhook_access`) like KEDA's.
"""

from __future__ import annotations

from typing import Any, Optional

import pulumi
from pydantic import ConfigDict, Field

from ..spec.base import StrictModel
from ..versions import EXTERNAL_SECRETS_CHART_REPOSITORY, EXTERNAL_SECRETS_CHART_VERSION
from .helm import install_chart

NAMESPACE = "external-secrets"


class ExternalSecretsArgs(StrictModel):
    """Arguments of `ExternalSecrets`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    high_availability: bool = Field(
        False, description="Two replicas of the controller (leader-elected), webhook and cert controller, with "
                           "disruption budgets (prod). Default false.")
    chart_version: str = Field(
        EXTERNAL_SECRETS_CHART_VERSION,
        description=f"external-secrets chart version. Default `{EXTERNAL_SECRETS_CHART_VERSION}`.")
    depends_on: list[pulumi.Resource] = Field(
        default_factory=list, description="What the release waits for (the control plane's webhook access). "
                                          "Default none.")


def chart_values(high_availability: bool) -> dict[str, Any]:
    values: dict[str, Any] = {
        "installCRDs": True,
        "processClusterStore": False,
        "processClusterExternalSecret": False,
        "processClusterPushSecret": False,
        "processPushSecret": False,
    }
    if high_availability:
        budget = {"podDisruptionBudget": {"enabled": True, "minAvailable": 1}}
        values.update({"replicaCount": 2, "leaderElect": True, **budget,
                       "webhook": {"replicaCount": 2, **budget},
                       "certController": {"replicaCount": 2, **budget}})
    return values


class ExternalSecrets(pulumi.ComponentResource):
    """External Secrets Operator installed from its pinned chart, CRDs included."""

    release: Any

    def __init__(self, name: str, args: ExternalSecretsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:index:ExternalSecrets", name, None, opts)
        self.release = install_chart(
            self, name, chart="external-secrets", release_name="external-secrets", version=args.chart_version,
            repository=EXTERNAL_SECRETS_CHART_REPOSITORY, namespace=NAMESPACE,
            values=chart_values(args.high_availability), depends_on=args.depends_on)
        self.register_outputs({"release_status": self.release.status})
