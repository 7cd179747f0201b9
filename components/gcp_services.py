"""`GcpProjectServices`: the service APIs a GCP environment uses, and the service agents its grants name.

A fresh project has almost every API off, and a service agent (`service-<number>@container-engine-robot...`,
`...@gcp-sa-pubsub...`) only exists once its API is on and its identity generated. Grants that name an
agent, CMEK topics and the cluster fail with SERVICE_DISABLED or "service account does not exist" until
then, so everything that uses an API depends on its enablement here.

APIs are never disabled on destroy: other stacks, or people, in the same project may use them, and
disabling `compute` would take every VM in the project with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Optional

import pulumi
from pydantic import Field

from .cloud_sdks import gcp
from .rules.queues import uses_environment_queue_key
from .rules.secrets import uses_cloud_secrets
from .spec.base import StrictModel
from .spec.environment import EnvironmentSpec

# What each part of an environment calls (service names: https://cloud.google.com/service-usage/docs/enabled-service).
# cloudresourcemanager: project lookups and project IAM grants; serviceusage itself must already be on
# (it is in every new project) or nothing can be enabled.
CLUSTER_APIS = (
    "cloudkms.googleapis.com",          # the secrets-encryption key ring and key
    "cloudresourcemanager.googleapis.com",
    "compute.googleapis.com",           # network, subnetwork, router, NAT, firewall, node VMs
    "container.googleapis.com",         # the GKE cluster and node pools
    "iam.googleapis.com",               # node and workload service accounts
    "logging.googleapis.com",           # cluster logging
    "monitoring.googleapis.com",        # cluster monitoring, Managed Prometheus (KEDA reads Pub/Sub backlog)
)
QUEUE_APIS = ("pubsub.googleapis.com",)
# Prod GKE enforces the project's Binary Authorization policy (components/cluster/gke_binary_authorization.py).
BINARY_AUTHORIZATION_APIS = ("binaryauthorization.googleapis.com",)
# Workloads reading secrets from Secret Manager (`secret_env` with `gcp_secret`): per-secret IAM grants, and
# External Secrets Operator impersonating each workload's Google service account through the IAM Credentials
# API (GenerateAccessToken; external-secrets v2.9.0 providers/v1/gcp/secretmanager/workload_identity.go).
SECRET_MANAGER_APIS = ("iamcredentials.googleapis.com", "secretmanager.googleapis.com")
# CMEK queues grant the Pub/Sub agent a Cloud KMS role.
CMEK_QUEUE_APIS = ("cloudkms.googleapis.com", "cloudresourcemanager.googleapis.com")
# Services whose agent a grant in this library names: the GKE agent (secrets key), the Pub/Sub agent
# (dead-lettering, CMEK topics).
AGENT_SERVICES = ("container.googleapis.com", "pubsub.googleapis.com")


def required_services(spec: EnvironmentSpec) -> list[str]:
    """The APIs an environment's resources call, from its spec."""
    services: set[str] = set()
    if spec.queues:
        services.update(QUEUE_APIS)
    if any(queue.kms_key for queue in spec.queues.values()) or uses_environment_queue_key(spec):
        services.update(CMEK_QUEUE_APIS)
    if spec.cluster is not None:
        services.update(CLUSTER_APIS)
        if spec.tier == "prod":
            services.update(BINARY_AUTHORIZATION_APIS)
    if uses_cloud_secrets(spec):
        services.update(SECRET_MANAGER_APIS)
    return sorted(services)


def short_name(service: str) -> str:
    """`container.googleapis.com` -> `container`: the stable suffix of the resource's name."""
    return service.split(".", 1)[0]


class GcpProjectServicesArgs(StrictModel):
    """Arguments of `GcpProjectServices`."""

    project: str = Field(description="GCP project id. Required.")
    services: list[str] = Field(
        description="Service APIs to enable, e.g. `container.googleapis.com`. Required.")


class GcpProjectServices(pulumi.ComponentResource):
    """One `gcp.projects.Service` per API (kept on destroy) and a `gcp.projects.ServiceIdentity` for each
    agent a grant names, created after its API."""

    apis: dict[str, gcp.projects.Service]
    """The enabled API per service name (e.g. `pubsub.googleapis.com`)."""
    agents: dict[str, gcp.projects.ServiceIdentity]
    """The service agent created per API that a grant names."""

    def __init__(self, name: str, args: GcpProjectServicesArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:index:GcpProjectServices", name, None, opts)
        self.apis = {
            service: gcp.projects.Service(
                f"{name}-{short_name(service)}",
                project=args.project,
                service=service,
                disable_on_destroy=False,
                # Never cascade: a destroy of this stack must not switch off what others depend on.
                disable_dependent_services=False,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for service in sorted(set(args.services))
        }
        self.agents = {
            service: gcp.projects.ServiceIdentity(
                f"{name}-{short_name(service)}-agent",
                project=args.project,
                service=service,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.apis[service]]),
            )
            for service in AGENT_SERVICES if service in self.apis
        }
        self.register_outputs({
            "services": sorted(self.apis),
            "agents": {short_name(s): agent.email for s, agent in self.agents.items()},
        })

    def enabled(self, services: Iterable[str]) -> list[pulumi.Resource]:
        """The enablements of `services` that this component manages: what their users depend on."""
        return [self.apis[s] for s in sorted(set(services)) if s in self.apis]

    def agent_email(self, service: str) -> Optional[pulumi.Output[str]]:
        """The email of `service`'s agent (carrying the dependency on its creation), if managed here."""
        agent = self.agents.get(service)
        return agent.email if agent is not None else None
