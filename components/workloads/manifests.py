"""Kubernetes objects for workloads, as plain manifests (dicts, camelCase, values may be Outputs).

These functions are the single source of the objects: push delivery hands them to Pulumi, GitOps delivery
writes them to the deployment repository, so both modes produce the same objects for the same spec.
"""

from __future__ import annotations

from typing import Any, Optional

from ..scheduling import GPU_RESOURCE
from ..spec.workload import ProbeSpec, SecretRef, WorkloadSpec
from . import secret_files

MANAGED_BY = "platform"
# Pods get this long beyond the longest message to stop pulling and exit cleanly.
SHUTDOWN_GRACE_SECONDS = 30
NEVER = "0 0 31 2 *"  # February 31st: a schedule that never fires (on-demand CronJobs are also suspended)

Manifest = dict[str, Any]
# A node autoscaler (Cluster Autoscaler, GKE's) never removes a node under a pod with this annotation, so a
# running Job is not killed halfway to save a node; finished pods no longer count (kubernetes/autoscaler
# FAQ, "What types of pods can prevent CA from removing a node?").
RUN_TO_COMPLETION = {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"}


def labels(name: str, component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }


def selector(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name}


def metadata(name: str, namespace: Optional[str], object_labels: dict[str, str],
             annotations: Optional[Any] = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": object_labels}
    if namespace is not None:
        meta["namespace"] = namespace
    if annotations is not None:
        meta["annotations"] = annotations
    return meta


# Argo CD waits for a person to confirm before pruning or deleting an object carrying this
# (https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/: "Prune=confirm", "Delete=confirm";
# several options in one annotation are separated by ",").
CONFIRM_DELETION = {"argocd.argoproj.io/sync-options": "Prune=confirm,Delete=confirm"}


def namespace(name: str, enforce: str = "restricted", confirm_deletion: bool = False) -> Manifest:
    """A namespace enforcing a Pod Security Standard (workloads: `restricted`; non-compliant pods are
    rejected). Platform add-ons use `baseline` and are warned about anything short of `restricted`.
    `confirm_deletion`: Argo CD prunes or deletes it only after a person confirms (prod)."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": metadata(name, None, {
            "app.kubernetes.io/managed-by": MANAGED_BY,
            "pod-security.kubernetes.io/enforce": enforce,
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/warn": "restricted",
        }, dict(CONFIRM_DELETION) if confirm_deletion else None),
    }


def service_account(name: str, ns: str, component: str, annotations: Any) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata(name, ns, labels(name, component), annotations),
        "automountServiceAccountToken": False,
    }


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


def cloud_secrets_name(workload_name: str) -> str:
    """The Kubernetes Secret External Secrets Operator writes a workload's cloud secrets into."""
    return f"{workload_name}-cloud-secrets"


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
        **_probes(workload),
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


def deployment(name: str, ns: str, template: dict[str, Any]) -> Manifest:
    """No `replicas`: KEDA or the HPA owns the count, and Argo CD must not reset it."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(name, ns, labels(name, "service")),
        "spec": {
            "selector": {"matchLabels": selector(name)},
            "revisionHistoryLimit": 5,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
            "template": template,
        },
    }


def pod_disruption_budget(name: str, ns: str) -> Manifest:
    # maxUnavailable (not minAvailable) keeps node drains possible at any replica count, including 0 and 1.
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(name, ns, labels(name, "service")),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(name)}},
    }


def trigger_authentication(name: str, ns: str, provider: str) -> Manifest:
    """KEDA reads queue length with its own operator identity, never the workload's."""
    pod_identity: dict[str, Any] = {"provider": provider}
    if provider == "aws":
        pod_identity["identityOwner"] = "keda"
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "TriggerAuthentication",
        "metadata": metadata(name, ns, labels(name, "autoscaling")),
        "spec": {"podIdentity": pod_identity},
    }


def scaled_object(name: str, ns: str, trigger: dict[str, Any], min_replicas: int, max_replicas: int,
                  cooldown_seconds: int) -> Manifest:
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": metadata(name, ns, labels(name, "autoscaling")),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicaCount": min_replicas,
            "maxReplicaCount": max_replicas,
            "pollingInterval": 30,
            "cooldownPeriod": cooldown_seconds,
            "triggers": [trigger],
        },
    }


def horizontal_pod_autoscaler(name: str, ns: str, min_replicas: int, max_replicas: int, cpu_percent: int) -> Manifest:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata(name, ns, labels(name, "autoscaling")),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": min_replicas,
            "maxReplicas": max_replicas,
            "metrics": [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu_percent}}}],
        },
    }


def cluster_service(name: str, ns: str, ports: dict[str, int]) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(name, ns, labels(name, "service")),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(name),
            "ports": [{"name": port_name, "port": port, "targetPort": port_name, "protocol": "TCP"}
                      for port_name, port in sorted(ports.items())],
        },
    }


def job_spec(template: dict[str, Any], retries: int, deadline_seconds: int) -> dict[str, Any]:
    return {
        "backoffLimit": retries,
        "activeDeadlineSeconds": deadline_seconds,
        # Finished Jobs and their pods are garbage-collected after a day; history limits keep the latest.
        "ttlSecondsAfterFinished": 86400,
        "template": template,
    }


def cron_job(name: str, ns: str, schedule: Optional[str], time_zone: str, concurrency_policy: str,
             starting_deadline_seconds: int, history: int, job: dict[str, Any]) -> Manifest:
    """A CronJob; without a schedule it is suspended, to be run by hand (`kubectl create job --from`)."""
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": metadata(name, ns, labels(name, "job")),
        "spec": {
            "schedule": schedule or NEVER,
            "timeZone": time_zone,
            "suspend": schedule is None,
            "concurrencyPolicy": concurrency_policy,
            "startingDeadlineSeconds": starting_deadline_seconds,
            "successfulJobsHistoryLimit": history,
            "failedJobsHistoryLimit": history,
            "jobTemplate": {"metadata": {"labels": labels(name, "job")}, "spec": job},
        },
    }


def scaled_job(name: str, ns: str, trigger: dict[str, Any], max_parallel_jobs: int, history: int,
               job: dict[str, Any]) -> Manifest:
    """One Job per message: each Job pulls one message, processes it and exits."""
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledJob",
        "metadata": metadata(name, ns, labels(name, "job")),
        "spec": {
            "jobTargetRef": {"parallelism": 1, "completions": 1, **job},
            "pollingInterval": 30,
            "maxReplicaCount": max_parallel_jobs,
            "successfulJobsHistoryLimit": history,
            "failedJobsHistoryLimit": history,
            # `default` subtracts running Jobs from the queue length; the SQS count includes in-flight
            # messages, so a message being processed does not start a second Job.
            "scalingStrategy": {"strategy": "default"},
            "triggers": [trigger],
        },
    }
