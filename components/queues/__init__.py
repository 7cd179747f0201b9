"""Work queues: one interface (`WorkQueue`), an implementation per cloud."""

from __future__ import annotations

from typing import Optional

import pulumi

from .base import WorkQueue, WorkQueueArgs
from .pubsub import PubSubWorkQueue
from .sqs import SqsWorkQueue

IMPLEMENTATIONS: dict[str, type[WorkQueue]] = {"aws": SqsWorkQueue, "gcp": PubSubWorkQueue}


def work_queue(cloud: str, name: str, args: WorkQueueArgs, opts: Optional[pulumi.ResourceOptions] = None) -> WorkQueue:
    """The work queue implementation for `cloud` (`aws` or `gcp`)."""
    return IMPLEMENTATIONS[cloud](name, args, opts)


__all__ = ["PubSubWorkQueue", "SqsWorkQueue", "WorkQueue", "WorkQueueArgs", "work_queue"]
