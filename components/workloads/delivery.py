"""Pass (d) of a workload, delivery: push (Pulumi creates the objects in the cluster) or GitOps (Pulumi creates
only the Argo CD Application that pulls them from the deployment repository, where `stackctl render` writes them)."""

from __future__ import annotations

import pulumi

from ..cluster import WorkloadIdentity
from ..kubernetes import kubernetes_resource, resource_name
from ..spec.workload import WorkloadSpec
from .common import WorkloadArgs
from .manifests import Manifest

# pulumi-kubernetes waits (10 minutes by default) for a Deployment's replicas to become ready; with this
# annotation it returns once the object is applied (pulumi/pulumi-kubernetes#417, "Allow awaiters to be
# skipped by setting an annotation").
SKIP_AWAIT = "pulumi.com/skipAwait"


def skip_await_for_external_secrets(component: pulumi.ComponentResource, deployment: Manifest,
                                    spec: WorkloadSpec, objects: list[Manifest]) -> None:
    """Push delivery: do not let `pulumi up` wait for pods that read Secrets this program does not create.

    The Secrets live in a namespace the same run creates, so on the first `up` they cannot exist yet and
    the pods sit in CreateContainerConfigError until someone (or a secrets operator) creates them: an
    await would time out. The Deployment is applied without waiting, and the warning says what to create.
    Pods start as soon as the Secrets exist; nothing else changes.
    """
    metadata = deployment["metadata"]
    metadata["annotations"] = {**metadata.get("annotations", {}), SKIP_AWAIT: "true"}
    namespace = metadata["namespace"]
    # The cloud secrets the ExternalSecret among the delivered objects reads (`cloud_secrets.cloud_secret_names`).
    cloud = sorted({entry["remoteRef"]["key"] for manifest in objects if manifest["kind"] == "ExternalSecret"
                    for entry in manifest["spec"]["data"]})
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


def deliver(component: pulumi.ComponentResource, name: str, args: WorkloadArgs, workload: WorkloadSpec,
            objects: list[Manifest], identity: WorkloadIdentity) -> None:
    """Push: create `objects` with Pulumi (a Deployment reading Secrets applied without waiting for its pods).
    GitOps: create only the Argo CD Application that pulls them."""
    if args.deploy and (workload.secret_env or workload.secret_files):
        for manifest in objects:
            if manifest["kind"] == "Deployment":
                skip_await_for_external_secrets(component, manifest, workload, objects)
    opts = pulumi.ResourceOptions(parent=component, depends_on=[*args.depends_on, *identity.resources])
    if args.deploy:
        for manifest in objects:
            kubernetes_resource(resource_name(name, manifest), manifest, opts)
    if args.application is not None:
        kubernetes_resource(f"{name}-application", args.application, opts)
