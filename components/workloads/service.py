"""`Service`: a long-running workload that pulls work from a queue and scales on its length."""

from __future__ import annotations

from typing import Optional

import pulumi
from pydantic import Field

from ..spec.workload import ServiceSpec
from . import cloud_secrets, manifests
from .common import WorkloadArgs, bind_identity, deliver, keda_pod_identity_provider, queue_environment, service_account
from .network_policy import network_policy

# pulumi-kubernetes waits (10 minutes by default) for a Deployment's replicas to become ready; with this
# annotation it returns once the object is applied (pulumi/pulumi-kubernetes#417, "Allow awaiters to be
# skipped by setting an annotation").
SKIP_AWAIT = "pulumi.com/skipAwait"


def skip_await_for_external_secrets(component: pulumi.ComponentResource, deployment: dict,
                                    spec: ServiceSpec) -> None:
    """Push delivery: do not let `pulumi up` wait for pods that read Secrets this program does not create.

    The Secrets live in a namespace the same run creates, so on the first `up` they cannot exist yet and
    the pods sit in CreateContainerConfigError until someone (or a secrets operator) creates them: an
    await would time out. The Deployment is applied without waiting, and the warning says what to create.
    Pods start as soon as the Secrets exist; nothing else changes.
    """
    metadata = deployment["metadata"]
    metadata["annotations"] = {**metadata.get("annotations", {}), SKIP_AWAIT: "true"}
    namespace = metadata["namespace"]
    cloud = cloud_secrets.cloud_secret_names(spec)
    if cloud:
        pulumi.log.info(
            f"Deployment {namespace}/{metadata['name']} reads cloud secret {', '.join(cloud)} through External "
            f"Secrets Operator: `pulumi up` applies it without waiting for ready pods ({SKIP_AWAIT}); its pods "
            f"start once the secret exists in the cloud and ESO has synced it", resource=component)
    secrets = sorted({f"{ref.secret} (key {ref.key})" for ref in [*spec.secret_env.values(),
                                                                  *spec.secret_files.values()]
                      if ref.secret is not None})
    if not secrets:
        return
    pulumi.log.warn(
        f"Deployment {namespace}/{metadata['name']} reads Secret {', '.join(secrets)}, which this program does "
        f"not create: `pulumi up` applies it without waiting for ready pods ({SKIP_AWAIT}); its pods start "
        f"once the Secret exists, e.g. `kubectl -n {namespace} create secret generic <name> --from-literal=<key>=...`",
        resource=component)


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
        super().__init__("platform:index:Service", name, None, opts)
        spec, workload_name, namespace = args.spec, args.workload_name, args.namespace
        identity = bind_identity(self, name, args, spec)
        template = manifests.pod_template(
            workload_name, "service", spec, workload_name,
            queue_environment(args.queue, spec.max_message_seconds, args.sends_to),
            restart_policy="Always", spread=True,
            placement=args.placement)
        deployment = manifests.deployment(workload_name, namespace, template)
        if args.deploy and (spec.secret_env or spec.secret_files):
            skip_await_for_external_secrets(self, deployment, spec)
        objects = [
            service_account(args, "service", identity),
            *cloud_secrets.objects(workload_name, namespace, "service", spec, args.secret_manager),
            deployment,
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
        objects.append(network_policy(workload_name, namespace, "service", keda_pod_identity_provider(args.cluster),
                                      spec.ports if spec.expose else {}, [*spec.expose_to, *args.callers],
                                      spec.egress, args.calls))
        self.manifests = objects
        self.identity = identity
        deliver(self, name, args, objects, identity)
        self.register_outputs({"cloud_identity": identity.cloud_identity})
