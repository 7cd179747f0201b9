"""Pass (b) of a workload, the pod template: its container (image, resources, command, environment with the
queue variables and secret references, probes, ports, security context) and its pod (service account, security
context, writable and secret-file volumes, placement, spread)."""

from __future__ import annotations

from typing import Any, Optional

from .. import scheduling
from ..queues import WorkQueue
from ..rules.work_path import send_variable
from ..scheduling import GPU_RESOURCE
from ..spec.workload import ProbeSpec, SecretRef, WorkloadSpec
from . import secret_files
from .common import WorkloadArgs
from .manifests import cloud_secrets_name, labels, selector

# Pods get this long beyond the longest message to stop pulling and exit cleanly.
SHUTDOWN_GRACE_SECONDS = 30
# A node autoscaler (Cluster Autoscaler, GKE's) never removes a node under a pod with this annotation, so a
# running Job is not killed halfway to save a node; finished pods no longer count (kubernetes/autoscaler
# FAQ, "What types of pods can prevent CA from removing a node?").
RUN_TO_COMPLETION = {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"}


def template(args: WorkloadArgs, workload: WorkloadSpec, kind: str, restart_policy: str, spread: bool,
             annotations: Optional[dict[str, str]] = None) -> dict[str, Any]:
    """The pod template of `workload` run as `args` place it (`kind`: the pods' `app.kubernetes.io/component`)."""
    env = queue_environment(args.queue, workload.max_message_seconds, args.sends_to)
    return pod_template(args.workload_name, kind, workload, args.workload_name, env,
                        restart_policy=restart_policy, spread=spread, placement=pool_placement(args, workload),
                        annotations=annotations)


def pool_placement(args: WorkloadArgs, workload: WorkloadSpec) -> dict[str, Any]:
    """`args.placement`, else the node selector and tolerations of the pool `workload.node_pool` names."""
    if args.placement or workload.node_pool is None or not getattr(args.cluster, "node_pools", None):
        return args.placement
    return scheduling.placement(args.cluster, workload)  # type: ignore[arg-type]  # reads only node_pools


def queue_environment(queue: Optional[WorkQueue], max_message_seconds: int,
                      sends_to: Optional[dict[str, WorkQueue]] = None) -> dict[str, Any]:
    env: dict[str, Any] = {"MAX_MESSAGE_SECONDS": str(max_message_seconds)}
    for key, target in sorted((sends_to or {}).items()):
        env.update(target.publish_env(send_variable(key)))
    if queue is not None:
        env.update(queue.consumer_env())
    return env


def _probe(probe: ProbeSpec, workload: WorkloadSpec) -> dict[str, Any]:
    timing = {"initialDelaySeconds": probe.initial_delay_seconds, "periodSeconds": probe.period_seconds,
              "failureThreshold": probe.failure_threshold}
    if probe.command is not None:
        return {"exec": {"command": list(probe.command)}, **timing}
    port = probe.port or sorted(workload.ports)[0]
    if probe.http_path is not None:
        return {"httpGet": {"path": probe.http_path, "port": port}, **timing}
    return {"tcpSocket": {"port": port}, **timing}


def _probes(workload: WorkloadSpec) -> dict[str, Any]:
    result = {}
    for kind in ("readiness", "liveness"):
        probe = getattr(workload.probes, kind)
        if probe is None and workload.ports:
            probe = ProbeSpec()  # declared ports: check the first one over TCP
        if probe is not None:
            result[f"{kind}Probe"] = _probe(probe, workload)
    return result


def _volume_name(path: str) -> str:
    cleaned = "".join(c if c.isalnum() else "-" for c in path.strip("/").lower()).strip("-")
    return f"writable-{cleaned or 'root'}"[:63]


def _secret_key_ref(workload_name: str, variable: str, ref: SecretRef) -> dict[str, str]:
    if ref.cloud_secret is not None:
        # The ExternalSecret stores each value under its environment variable's name.
        return {"name": cloud_secrets_name(workload_name), "key": variable}
    return {"name": str(ref.secret), "key": str(ref.key)}


def container(name: str, workload: WorkloadSpec, extra_env: dict[str, Any]) -> dict[str, Any]:
    resources = workload.resources
    requests = {"cpu": resources.cpu, "memory": resources.memory}
    limits = {"memory": resources.memory_limit or resources.memory}
    if resources.cpu_limit is not None:
        limits["cpu"] = resources.cpu_limit
    if resources.gpu:
        # Extended resources cannot be overcommitted: request and limit must be equal.
        requests[GPU_RESOURCE] = limits[GPU_RESOURCE] = str(resources.gpu)
    env = [{"name": key, "value": value} for key, value in sorted({**workload.env, **extra_env}.items())]
    env += [{"name": key, "valueFrom": {"secretKeyRef": _secret_key_ref(name, key, ref)}}
            for key, ref in sorted(workload.secret_env.items())]
    probes = _probes(workload)
    spec: dict[str, Any] = {
        "name": name,
        "image": workload.image,
        "imagePullPolicy": "IfNotPresent",
        "resources": {"requests": requests, "limits": limits},
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": workload.run_as_user,
            "runAsGroup": workload.run_as_user,
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [{"name": _volume_name(path), "mountPath": path} for path in workload.writable_paths]
        + secret_files.volume_mounts(workload),
        **probes,
    }
    if workload.command is not None:
        spec["command"] = list(workload.command)
    if workload.args is not None:
        spec["args"] = list(workload.args)
    if env:
        spec["env"] = env
    if workload.ports:
        spec["ports"] = [{"name": port_name, "containerPort": port, "protocol": "TCP"}
                         for port_name, port in sorted(workload.ports.items())]
    return spec


def pod_template(name: str, component: str, workload: WorkloadSpec, service_account_name: str,
                 extra_env: dict[str, Any], restart_policy: str, spread: bool,
                 placement: Optional[dict[str, Any]] = None,
                 annotations: Optional[dict[str, str]] = None) -> dict[str, Any]:
    """`placement`: the node selector and tolerations of the workload's pool (`components.scheduling`)."""
    spec: dict[str, Any] = {
        "serviceAccountName": service_account_name,
        "automountServiceAccountToken": False,
        "restartPolicy": restart_policy,
        "terminationGracePeriodSeconds": workload.max_message_seconds + SHUTDOWN_GRACE_SECONDS,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": workload.run_as_user,
            "runAsGroup": workload.run_as_user,
            "fsGroup": workload.run_as_user,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container(name, workload, extra_env)],
        "volumes": [{"name": _volume_name(path), "emptyDir": {"sizeLimit": "1Gi"}}
                    for path in workload.writable_paths]
        + secret_files.volumes(name, workload, cloud_secrets_name(name)),
    }
    spec.update(placement or {})
    if spread:
        spec["topologySpreadConstraints"] = [
            {"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": selector(name)}}
            for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
        ]
    pod_metadata: dict[str, Any] = {"labels": labels(name, component)}
    if annotations:
        pod_metadata["annotations"] = dict(annotations)
    return {"metadata": pod_metadata, "spec": spec}
