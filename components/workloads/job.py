"""`BatchJob`: the same workload as a CronJob (scheduled or on demand) or a KEDA ScaledJob (per message)."""

from __future__ import annotations

from typing import Optional

import pulumi
from pydantic import ConfigDict, Field

from ..cluster import Cluster
from ..kubernetes import kubernetes_resource, resource_name
from ..queues import WorkQueue
from ..spec.base import StrictModel
from ..spec.workload import JobSpec, WorkloadSpec
from . import manifests
from .identity import bind_identity, keda_pod_identity_provider, queue_environment, service_account


class BatchJobArgs(StrictModel):
    """Arguments of `BatchJob`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    workload_name: str = Field(description="Kubernetes name of the CronJob/ScaledJob and ServiceAccount. Required.")
    namespace: str = Field(description="Kubernetes namespace (must exist). Required.")
    job: JobSpec = Field(description="How and when it runs. Required.")
    workload: WorkloadSpec = Field(description="What runs (the job's own, or its service's with overrides). Required.")
    deadline_seconds: int = Field(description="Resolved activeDeadlineSeconds of each Job. Required.")
    cluster: Cluster = Field(description="Cluster to run on: its identity binder. Required.")
    queue: Optional[WorkQueue] = Field(None, description="The queue consumed. Required for per_message. Default unset.")
    deploy: bool = Field(True, description="Push delivery: create the objects with Pulumi. Default true.")
    depends_on: list[pulumi.Resource] = Field(
        default_factory=list, description="What the Kubernetes objects wait for (namespace, KEDA). Default none.")
    application: Optional[dict] = Field(
        None,
        description="GitOps: the Argo CD Application (manifest) that syncs this workload's directory of the "
                    "deployment repository; Pulumi keeps it, so removing the workload removes its objects. "
                    "Default unset.",
    )


class BatchJob(pulumi.ComponentResource):
    """A batch of N (schedule), of whatever an operator asks for (on demand), or of one (per message)."""

    manifests: list[dict]

    def __init__(self, name: str, args: BatchJobArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:index:BatchJob", name, None, opts)
        job, workload, workload_name, namespace = args.job, args.workload, args.workload_name, args.namespace
        identity = bind_identity(self, name, workload_name, namespace, args.cluster, args.queue)
        template = manifests.pod_template(
            workload_name, "job", workload, workload_name,
            queue_environment(args.queue, workload.max_message_seconds), restart_policy="Never", spread=False)
        job_spec = manifests.job_spec(template, job.retries, args.deadline_seconds)
        objects = [service_account(workload_name, namespace, "job", identity)]
        if job.mode == "per_message":
            assert args.queue is not None, "per_message jobs need a queue"
            authentication = f"{workload_name}-queue"
            objects += [
                manifests.trigger_authentication(authentication, namespace, keda_pod_identity_provider(args.cluster)),
                manifests.scaled_job(workload_name, namespace, args.queue.keda_trigger(authentication, 1, 0),
                                     job.max_parallel_jobs, job.history, job_spec),
            ]
        else:
            objects.append(manifests.cron_job(
                workload_name, namespace, job.schedule if job.mode == "schedule" else None, job.time_zone,
                job.concurrency_policy, job.starting_deadline_seconds, job.history, job_spec))
        self.manifests = objects
        deploy_opts = pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, *identity.resources])
        if args.deploy:
            for manifest in objects:
                kubernetes_resource(resource_name(name, manifest), manifest, deploy_opts)
        if args.application is not None:
            kubernetes_resource(f"{name}-application", args.application, deploy_opts)
        self.identity = identity
        self.register_outputs({"cloud_identity": identity.cloud_identity})
