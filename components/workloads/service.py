"""`Service`: a long-running workload that pulls work from a queue and scales on its length."""

from __future__ import annotations

from typing import Optional

import pulumi
from pydantic import Field

from ..errors import raise_problems
from ..rules.workload_args import service_args_problems
from ..spec.workload import ServiceSpec
from . import controllers, pod
from .common import WorkloadArgs
from .delivery import deliver
from .identity import bind


class ServiceArgs(WorkloadArgs):
    """Arguments of `Service`."""

    spec: ServiceSpec = Field(description="What runs and how it scales. Required.")
    min_replicas: int = Field(description="Resolved minimum replicas (the tier default applied). Required.")
    callers: list[str] = Field(
        default_factory=list,
        description="Namespaces of the workloads that call this service (`calls`): its NetworkPolicy admits them "
                    "like those in `expose_to`. Default none.")


class Service(pulumi.ComponentResource):
    """Deployment + ServiceAccount (own cloud identity) + PodDisruptionBudget + KEDA ScaledObject (or HPA).

    With a queue, KEDA owns the replica count: the Deployment has no `replicas`, so neither Pulumi nor
    Argo CD fights the autoscaler.
    """

    manifests: list[dict]

    def __init__(self, name: str, args: ServiceArgs, opts: Optional[pulumi.ResourceOptions] = None):
        # Checked before anything is registered: the rules a stack file's workloads get, for direct users too.
        raise_problems(f"Service {name!r}", service_args_problems(args))
        super().__init__("platform:index:Service", name, None, opts)
        identity, identity_objects = bind(self, name, args, args.spec, "service")
        template = pod.template(args, args.spec, "service", restart_policy="Always", spread=True)
        controller_objects = controllers.for_service(args, args.spec, args.min_replicas, args.callers, template)
        self.manifests = [*identity_objects, *controller_objects]
        self.identity = identity
        deliver(self, name, args, args.spec, self.manifests, identity)
        self.register_outputs({"cloud_identity": identity.cloud_identity})
