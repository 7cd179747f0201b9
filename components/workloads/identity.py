"""Pass (a) of a workload, identity and grants: the cloud identity only the workload's ServiceAccount can use,
what it is allowed (consume its queue, send to its `sends_to` queues, read its own cloud secrets), and the
objects that carry it into the cluster (the ServiceAccount; the SecretStore and ExternalSecret of its cloud
secrets, `cloud_secrets.py`)."""

from __future__ import annotations

from typing import Any

import pulumi

from ..cluster import WorkloadIdentity
from ..spec.workload import WorkloadSpec
from . import cloud_secrets
from .common import WorkloadArgs
from .manifests import Manifest, labels, metadata


def bind(component: pulumi.ComponentResource, name: str, args: WorkloadArgs, workload: WorkloadSpec,
         kind: str) -> tuple[WorkloadIdentity, list[Manifest]]:
    """A cloud identity only `namespace/workload_name` can use, allowed to consume its queue, send to its
    `sends_to` queues and read its own cloud secrets, and nothing else; with the workload's ServiceAccount and
    its cloud secrets' SecretStore and ExternalSecret (`kind`: the objects' `app.kubernetes.io/component`)."""
    child = pulumi.ResourceOptions(parent=component)
    identity = args.cluster.bind_workload_identity(name, args.namespace, args.workload_name, child)
    account = service_account(args.workload_name, args.namespace, kind, identity.annotations)
    if args.queue is not None:
        identity.resources.extend(args.queue.grant_consume(f"{name}-consume", identity.principal, child))
    for key, queue in sorted(args.sends_to.items()):
        identity.resources.extend(queue.grant_send(f"{name}-send-{key}", identity.principal, child))
    identity.resources.extend(cloud_secrets.grant_read(
        name, identity, workload, args.secret_manager,
        pulumi.ResourceOptions(parent=component, depends_on=args.secret_grants_depend_on)))
    return identity, [account, *cloud_secrets.objects(args.workload_name, args.namespace, kind, workload,
                                                       args.secret_manager)]


def service_account(name: str, ns: str, component: str, annotations: Any) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata(name, ns, labels(name, component), annotations),
        "automountServiceAccountToken": False,
    }
