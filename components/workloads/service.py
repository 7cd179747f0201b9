"""`Service`: a long-running workload that pulls work from a queue and scales on its length."""

from __future__ import annotations

from typing import Optional

import pulumi
from pydantic import ConfigDict, Field

from ..cluster import Cluster
from ..kubernetes import kubernetes_resource, resource_name
from ..queues import WorkQueue
from ..spec.base import StrictModel
from ..spec.workload import ServiceSpec
from . import manifests
from .identity import bind_identity, keda_pod_identity_provider, queue_environment, service_account


class ServiceArgs(StrictModel):
    """Arguments of `Service`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    workload_name: str = Field(description="Kubernetes name of the Deployment, ServiceAccount etc. Required.")
    namespace: str = Field(description="Kubernetes namespace (must exist). Required.")
    spec: ServiceSpec = Field(description="What runs and how it scales. Required.")
    min_replicas: int = Field(description="Resolved minimum replicas (the tier default applied). Required.")
    cluster: Cluster = Field(description="Cluster to run on: its identity binder. Required.")
    queue: Optional[WorkQueue] = Field(None, description="The queue consumed (spec.queue resolved). Default unset.")
    deploy: bool = Field(
        True,
        description="Push delivery: create the Kubernetes objects with Pulumi. False (GitOps) only builds "
                    "`manifests` for the deployment repository. Default true.",
    )
    depends_on: list[pulumi.Resource] = Field(
        default_factory=list, description="What the Kubernetes objects wait for (namespace, KEDA). Default none.")
    application: Optional[dict] = Field(
        None,
        description="GitOps: the Argo CD Application (manifest) that syncs this workload's directory of the "
                    "deployment repository; Pulumi keeps it, so removing the workload removes its objects. "
                    "Default unset.",
    )


class Service(pulumi.ComponentResource):
    """Deployment + ServiceAccount (own cloud identity) + PodDisruptionBudget + KEDA ScaledObject (or HPA).

    With a queue, KEDA owns the replica count: the Deployment has no `replicas`, so neither Pulumi nor
    Argo CD fights the autoscaler.
    """

    manifests: list[dict]

    def __init__(self, name: str, args: ServiceArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:index:Service", name, None, opts)
        spec, workload_name, namespace = args.spec, args.workload_name, args.namespace
        identity = bind_identity(self, name, workload_name, namespace, args.cluster, args.queue)
        template = manifests.pod_template(
            workload_name, "service", spec, workload_name, queue_environment(args.queue, spec.max_message_seconds),
            restart_policy="Always", spread=True)
        objects = [
            service_account(workload_name, namespace, "service", identity),
            manifests.deployment(workload_name, namespace, template),
            manifests.pod_disruption_budget(workload_name, namespace),
        ]
        if args.queue is not None:
            authentication = f"{workload_name}-queue"
            objects += [
                manifests.trigger_authentication(authentication, namespace, keda_pod_identity_provider(args.cluster)),
                manifests.scaled_object(
                    workload_name, namespace,
                    args.queue.keda_trigger(authentication, spec.scaling.messages_per_replica,
                                            spec.scaling.activation_messages),
                    args.min_replicas, spec.scaling.max_replicas, spec.scaling.cooldown_seconds),
            ]
        else:
            objects.append(manifests.horizontal_pod_autoscaler(
                workload_name, namespace, args.min_replicas, spec.scaling.max_replicas,
                spec.scaling.cpu_target_percent))
        if spec.expose:
            objects.append(manifests.cluster_service(workload_name, namespace, spec.ports))
        self.manifests = objects
        deploy_opts = pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, *identity.resources])
        if args.deploy:
            for manifest in objects:
                kubernetes_resource(resource_name(name, manifest), manifest, deploy_opts)
        if args.application is not None:
            kubernetes_resource(f"{name}-application", args.application, deploy_opts)
        self.identity = identity
        self.register_outputs({"cloud_identity": identity.cloud_identity})
