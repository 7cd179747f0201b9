"""`BatchJob`: the same workload as a CronJob (scheduled or on demand) or a KEDA ScaledJob (per message)."""

from __future__ import annotations

from typing import Optional

import pulumi
from pydantic import Field

from ..errors import raise_problems
from ..rules.workload_args import job_args_problems
from ..spec.workload import JobSpec, WorkloadSpec
from . import controllers, pod
from .common import WorkloadArgs
from .delivery import deliver
from .identity import bind


class BatchJobArgs(WorkloadArgs):
    """Arguments of `BatchJob`."""

    job: JobSpec = Field(description="How and when it runs. Required.")
    workload: WorkloadSpec = Field(description="What runs (the job's own, or its service's with overrides). Required.")
    deadline_seconds: int = Field(description="Resolved activeDeadlineSeconds of each Job. Required.")


class BatchJob(pulumi.ComponentResource):
    """A batch of N (schedule), of whatever an operator asks for (on demand), or of one (per message)."""

    manifests: list[dict]

    def __init__(self, name: str, args: BatchJobArgs, opts: Optional[pulumi.ResourceOptions] = None):
        # Checked before anything is registered: the rules a stack file's workloads get, for direct users too.
        raise_problems(f"BatchJob {name!r}", job_args_problems(args))
        super().__init__("platform:index:BatchJob", name, None, opts)
        identity, identity_objects = bind(self, name, args, args.workload, "job")
        template = pod.template(args, args.workload, "job", restart_policy="Never", spread=False,
                                annotations=pod.RUN_TO_COMPLETION)
        controller_objects = controllers.for_job(args, args.job, args.workload, args.deadline_seconds, template)
        self.manifests = [*identity_objects, *controller_objects]
        self.identity = identity
        deliver(self, name, args, args.workload, self.manifests, identity)
        self.register_outputs({"cloud_identity": identity.cloud_identity})
