"""`Environment`: everything one stack declares, built from a validated `EnvironmentSpec`."""

from __future__ import annotations

from typing import Optional

import pulumi

from .cloud import cloud_provider
from .queues import WorkQueue, WorkQueueArgs, work_queue
from .spec import EnvironmentSpec


class Environment(pulumi.ComponentResource):
    """One environment: its cloud provider and work queues (clusters and workloads build on these).

    Child resources are named `<environment>-<map key>-...`, so renaming or reordering anything else in
    the stack file never changes their identity.
    """

    queues: dict[str, WorkQueue]
    queue_addresses: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, spec: EnvironmentSpec, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:index:Environment", name, None, opts)
        self.spec = spec
        self.provider = cloud_provider(name, spec, pulumi.ResourceOptions(parent=self))
        cloud_opts = pulumi.ResourceOptions(parent=self, providers=[self.provider])

        self.queues = {
            key: work_queue(
                spec.cloud,
                f"{name}-{key}",
                WorkQueueArgs(**queue.model_dump(), physical_name=f"{name}-{key}"),
                cloud_opts,
            )
            for key, queue in sorted(spec.queues.items())
        }
        self.queue_addresses = pulumi.Output.all(
            **{key: queue.consumer_address for key, queue in self.queues.items()}
        )
        self.register_outputs({"queue_addresses": self.queue_addresses})
