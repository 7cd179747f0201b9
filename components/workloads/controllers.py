"""Pass (c) of a workload, its controllers: what runs the pod template and keeps it running. A `Service`: a
Deployment with a PodDisruptionBudget, scaled by a KEDA ScaledObject on its queue (or an HPA on CPU), a
ClusterIP Service when exposed. A `BatchJob`: a KEDA ScaledJob (per message) or a CronJob (scheduled or
suspended for on-demand runs) of Jobs. Both: the workload's NetworkPolicy (`network_policy.py`)."""

from __future__ import annotations

from typing import Any, Optional

from ..cluster import Cluster, EksCluster
from ..spec.workload import JobSpec, ServiceSpec, WorkloadSpec
from .common import WorkloadArgs
from .manifests import Manifest, labels, metadata, selector
from .network_policy import network_policy

NEVER = "0 0 31 2 *"  # February 31st: a schedule that never fires (on-demand CronJobs are also suspended)


def keda_pod_identity_provider(cluster: Cluster) -> str:
    return "aws" if isinstance(cluster, EksCluster) else "gcp"


def for_service(args: WorkloadArgs, spec: ServiceSpec, min_replicas: int, callers: list[str],
                template: dict[str, Any]) -> list[Manifest]:
    """The Deployment running `template`, its disruption budget, its autoscaler, its Service when exposed, and
    its NetworkPolicy, in that order (`min_replicas`, `callers`: those of `ServiceArgs`). With a queue, KEDA
    owns the replica count: the Deployment has no `replicas`, so neither Pulumi nor Argo CD fights the
    autoscaler."""
    workload_name, namespace = args.workload_name, args.namespace
    objects = [
        deployment(workload_name, namespace, template),
        pod_disruption_budget(workload_name, namespace),
    ]
    if args.queue is not None:
        authentication = f"{workload_name}-queue"
        objects += [
            trigger_authentication(authentication, namespace, keda_pod_identity_provider(args.cluster)),
            scaled_object(
                workload_name, namespace,
                args.queue.keda_trigger(authentication, spec.scaling.messages_per_replica,
                                        spec.scaling.activation_messages),
                min_replicas, spec.scaling.max_replicas, spec.scaling.cooldown_seconds),
        ]
    else:
        objects.append(horizontal_pod_autoscaler(
            workload_name, namespace, min_replicas, spec.scaling.max_replicas,
            spec.scaling.cpu_target_percent))
    if spec.expose:
        objects.append(cluster_service(workload_name, namespace, spec.ports))
    objects.append(network_policy(workload_name, namespace, "service", keda_pod_identity_provider(args.cluster),
                                  spec.ports if spec.expose else {}, [*spec.expose_to, *callers],
                                  spec.egress, args.calls))
    return objects


def for_job(args: WorkloadArgs, job: JobSpec, workload: WorkloadSpec, deadline_seconds: int,
            template: dict[str, Any]) -> list[Manifest]:
    """The ScaledJob (per message) or CronJob (scheduled, on demand) of Jobs running `template`, and the
    NetworkPolicy (`job`, `workload`, `deadline_seconds`: those of `BatchJobArgs`)."""
    workload_name, namespace = args.workload_name, args.namespace
    spec = job_spec(template, job.retries, deadline_seconds)
    objects: list[Manifest] = []
    if job.mode == "per_message":
        if args.queue is None:
            raise ValueError(f"job {workload_name}: per_message jobs need a queue")
        authentication = f"{workload_name}-queue"
        objects += [
            trigger_authentication(authentication, namespace, keda_pod_identity_provider(args.cluster)),
            scaled_job(workload_name, namespace, args.queue.keda_trigger(authentication, 1, 0),
                       job.max_parallel_jobs, job.history, spec),
        ]
    else:
        objects.append(cron_job(
            workload_name, namespace, job.schedule if job.mode == "schedule" else None, job.time_zone,
            job.concurrency_policy, job.starting_deadline_seconds, job.history, spec))
    objects.append(network_policy(workload_name, namespace, "job", keda_pod_identity_provider(args.cluster),
                                  ports={}, expose_to=[], egress_rules=workload.egress, calls=args.calls))
    return objects


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
