"""`BatchJob`: the same workload as a CronJob (scheduled or on demand) or a KEDA ScaledJob (per message)."""

from __future__ import annotations

from typing import Optional

import pulumi
from pydantic import Field

from ..spec.workload import JobSpec, WorkloadSpec
from . import cloud_secrets, manifests
from .common import WorkloadArgs, bind_identity, deliver, keda_pod_identity_provider, queue_environment, service_account
from .network_policy import network_policy


class BatchJobArgs(WorkloadArgs):
    """Arguments of `BatchJob`."""

    job: JobSpec = Field(description="How and when it runs. Required.")
    workload: WorkloadSpec = Field(description="What runs (the job's own, or its service's with overrides). Required.")
    deadline_seconds: int = Field(description="Resolved activeDeadlineSeconds of each Job. Required.")


class BatchJob(pulumi.ComponentResource):
    """A batch of N (schedule), of whatever an operator asks for (on demand), or of one (per message)."""

    manifests: list[dict]

    def __init__(self, name: str, args: BatchJobArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:index:BatchJob", name, None, opts)
        job, workload, workload_name, namespace = args.job, args.workload, args.workload_name, args.namespace
        identity = bind_identity(self, name, args, workload)
        template = manifests.pod_template(
            workload_name, "job", workload, workload_name,
            queue_environment(args.queue, workload.max_message_seconds, args.sends_to), restart_policy="Never",
            spread=False,
            placement=args.placement, annotations=manifests.RUN_TO_COMPLETION)
        job_spec = manifests.job_spec(template, job.retries, args.deadline_seconds)
        objects = [service_account(args, "job", identity),
                   *cloud_secrets.objects(workload_name, namespace, "job", workload, args.secret_manager)]
        if job.mode == "per_message":
            if args.queue is None:
                raise ValueError(f"job {workload_name}: per_message jobs need a queue")
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
        objects.append(network_policy(workload_name, namespace, "job", keda_pod_identity_provider(args.cluster),
                                      ports={}, expose_to=[], egress_rules=workload.egress, calls=args.calls))
        self.manifests = objects
        self.identity = identity
        deliver(self, name, args, objects, identity)
        self.register_outputs({"cloud_identity": identity.cloud_identity})
