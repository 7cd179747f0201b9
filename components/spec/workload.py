"""Desired state of services and batch jobs: one workload spec feeds every runtime shape."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from .base import Name, StrictModel

DEFAULT_RUN_AS_USER = 10001


class SecretRef(StrictModel):
    """Where a secret value comes from: a Kubernetes Secret that already exists in the workload's namespace
    (`secret` + `key`), or a secret in the cloud's secret manager (`aws_secret` or `gcp_secret`), synced into
    the namespace by External Secrets Operator and readable only by this workload's cloud identity.
    Exactly one of `secret`, `aws_secret`, `gcp_secret`."""

    secret: Optional[str] = Field(None, description="Name of the Kubernetes Secret. Default unset.")
    key: Optional[str] = Field(
        None,
        description="With `secret`: the key inside the Secret (required). With a cloud secret: the property to "
                    "take from a JSON secret value. Default unset: with a cloud secret, the whole value.",
    )
    aws_secret: Optional[str] = Field(
        None,
        description="Name of an AWS Secrets Manager secret in the environment's account and region (cloud "
                    "`aws`), e.g. `orders/db-url`. Default unset.",
    )
    gcp_secret: Optional[str] = Field(
        None,
        description="Id of a GCP Secret Manager secret in the environment's `gcp_project` (cloud `gcp`), e.g. "
                    "`orders-db-url`. Default unset.",
    )
    version: Optional[str] = Field(
        None,
        description="Cloud secret version: AWS a version stage (`AWSCURRENT`, `AWSPREVIOUS`, ...) or "
                    "`uuid/<version id>`; GCP `latest` or a version number. Default: the current version.",
    )

    @property
    def cloud_secret(self) -> Optional[str]:
        """The cloud secret's name, when this value comes from the cloud's secret manager."""
        return self.aws_secret if self.aws_secret is not None else self.gcp_secret


class EgressRule(StrictModel):
    """One destination outside the cluster a workload may open connections to, besides DNS and HTTPS (443)."""

    cidr: str = Field(
        description="Destination address range, e.g. `10.20.0.0/16` (a database's subnet). Required.")
    ports: list[int] = Field(
        description="Destination ports, 1-65535, at least one (no rule opens every port), e.g. `[5432]`. Required.")
    protocol: Literal["TCP", "UDP"] = Field("TCP", description="`TCP` or `UDP`. Default `TCP`.")
    allow_broad: bool = Field(
        False,
        description=(
            "Prod: accept a `cidr` that is public (not a private range) or that overlaps the environment's own "
            "network (its nodes and, on EKS, its pods), which prod otherwise refuses: the explicit opt-in. "
            "Default false."
        ),
    )


class ResourcesSpec(StrictModel):
    """CPU and memory the container requests (for scheduling) and may use at most."""

    cpu: str = Field("250m", description="CPU request, e.g. `250m` or `1`. Default `250m`.")
    memory: str = Field("256Mi", description="Memory request, e.g. `512Mi`. Default `256Mi`.")
    cpu_limit: Optional[str] = Field(
        "1", description="CPU limit; null for none (no throttling, best-effort bursts). Default `1`."
    )
    memory_limit: Optional[str] = Field(
        None,
        description=(
            "Memory limit. Default: the memory request (a pod cannot take memory other pods were promised, "
            "so the node never has to kill a well-behaved neighbour)."
        ),
    )
    gpu: int = Field(
        0, ge=0, le=16,
        description=(
            "NVIDIA GPUs (`nvidia.com/gpu`, requested and limited alike); needs `node_pool` naming a GPU pool. "
            "Default 0."
        ),
    )


class ProbeSpec(StrictModel):
    """How Kubernetes checks the container: HTTP GET on a path, a TCP connect, or a command."""

    http_path: Optional[str] = Field(None, description="HTTP path to GET, e.g. `/healthz`. Default unset.")
    port: Optional[Name] = Field(
        None, description="Name of the declared port to probe. Default: the first declared port (by name)."
    )
    command: Optional[list[str]] = Field(
        None, description="Command run in the container; exit 0 means healthy. Default unset."
    )
    initial_delay_seconds: int = Field(5, ge=0, le=3600, description="Wait before the first check. Default 5.")
    period_seconds: int = Field(10, ge=1, le=3600, description="Time between checks. Default 10.")
    failure_threshold: int = Field(3, ge=1, le=100, description="Failed checks before acting. Default 3.")


class ProbesSpec(StrictModel):
    """Readiness (take out of traffic) and liveness (restart) checks."""

    readiness: Optional[ProbeSpec] = Field(
        None, description="Readiness probe. Default: a TCP check of the first port when ports are declared."
    )
    liveness: Optional[ProbeSpec] = Field(
        None, description="Liveness probe. Default: a TCP check of the first port when ports are declared."
    )


class WorkloadSpec(StrictModel):
    """What runs: image, command, configuration and resources. Shared by services and jobs."""

    image: Optional[str] = Field(
        None,
        description=(
            "Container image. Pin a digest (`repo@sha256:...`); a tag is allowed outside prod, never `latest`. "
            "Required for services and for jobs that do not reuse a service; default unset."
        ),
    )
    command: Optional[list[str]] = Field(None, description="Entrypoint override. Default: the image's.")
    args: Optional[list[str]] = Field(None, description="Arguments. Default: the image's.")
    env: dict[str, str] = Field(default_factory=dict, description="Environment variables. Default none.")
    secret_env: dict[str, SecretRef] = Field(
        default_factory=dict,
        description="Environment variables read from existing Kubernetes Secrets or from the cloud's secret "
                    "manager (values never in config). Default none.",
    )
    resources: ResourcesSpec = Field(
        default_factory=ResourcesSpec, description="CPU and memory requests and limits. Default: see section."
    )
    ports: dict[Name, int] = Field(
        default_factory=dict, description="Container ports by name, e.g. `{http: 8080}`. Default none."
    )
    probes: ProbesSpec = Field(
        default_factory=ProbesSpec, description="Readiness and liveness probes. Default: see section."
    )
    queue: Optional[Name] = Field(
        None,
        description=(
            "Key of the queue (in `queues`) this workload consumes. Its identity may receive, acknowledge and "
            "extend messages of that queue only. Default unset."
        ),
    )
    sends_to: list[Name] = Field(
        default_factory=list,
        description=(
            "Keys of the queues (in `queues`) this workload puts work on. Its identity may send to those queues "
            "only (SQS `sqs:SendMessage` and `sqs:GetQueueUrl`, plus `kms:GenerateDataKey` and `kms:Decrypt` on "
            "an encrypted queue's "
            "key; Pub/Sub `roles/pubsub.publisher` on the topic), and it gets each queue's address in "
            "`SEND_QUEUE_<KEY>` (the key upper-cased, `-` as `_`: the SQS queue URL or the Pub/Sub topic path), "
            "with `SEND_QUEUE_KIND` (`sqs` or `pubsub`) and `AWS_REGION` or `GOOGLE_CLOUD_PROJECT`. Default none."
        ),
    )
    egress: list[EgressRule] = Field(
        default_factory=list,
        description=(
            "What the workload may reach besides DNS, HTTPS (443, the cloud APIs and queues) and, on GKE, the "
            "metadata server: its NetworkPolicy allows exactly these ranges and ports, e.g. "
            "`[{cidr: 10.20.0.0/16, ports: [5432]}]`. Default none (closed)."
        ),
    )
    calls: list[Name] = Field(
        default_factory=list,
        description=(
            "Keys of exposed services (in `services`, with `expose: true`) this workload calls: its NetworkPolicy "
            "allows traffic to their pods on their declared ports, and theirs admits this workload's namespace. "
            "Default none."
        ),
    )
    max_message_seconds: int = Field(
        60,
        ge=1,
        le=43200,
        description=(
            "Longest time one message (or one run) may take. The queue's visibility timeout must cover it, and "
            "pods get this long (plus 30s) to finish in-flight work when scaled in. Default 60."
        ),
    )
    run_as_user: int = Field(
        DEFAULT_RUN_AS_USER,
        ge=1000,
        le=2147483647,
        description=f"Non-root UID (and GID) the container runs as. Default {DEFAULT_RUN_AS_USER}.",
    )
    writable_paths: list[str] = Field(
        default_factory=lambda: ["/tmp"],
        description="Paths given an emptyDir, since the root filesystem is read-only. Default `[/tmp]`.",
    )
    node_pool: Optional[Name] = Field(
        None,
        description=(
            "Key of the node pool (in `cluster.node_pools`) to run on: pods get that pool's node selector and "
            "tolerate its taints. A job inherits its service's pool unless it sets its own. Default unset: any "
            "untainted pool."
        ),
    )
    secret_files: dict[str, SecretRef] = Field(
        default_factory=dict,
        description="Files read from existing Kubernetes Secrets or from the cloud's secret manager, keyed by "
                    "absolute file path, e.g. `{/etc/orders/db.json: {aws_secret: orders/db}}`. Each file's "
                    "directory becomes a read-only volume holding only the listed files (mode 0400, readable "
                    "by the workload's user and group); it must not overlap `writable_paths`. Default none.",
    )


class ScalingSpec(StrictModel):
    """Replica bounds and the signal: queue length (KEDA) with a queue, CPU (HPA) without."""

    min_replicas: Optional[int] = Field(
        None, ge=0, le=1000,
        description="Fewest replicas (0 scales to zero when the queue is empty). Default: 2 in prod, 1 elsewhere.",
    )
    max_replicas: int = Field(10, ge=1, le=1000, description="Most replicas. Default 10.")
    messages_per_replica: int = Field(
        5, ge=1, le=100000, description="Target queue messages (waiting and in flight) per replica. Default 5."
    )
    activation_messages: int = Field(
        0, ge=0, description="Messages needed to scale up from zero. Default 0 (any message)."
    )
    cooldown_seconds: int = Field(
        300, ge=0, le=86400, description="Wait after the last message before scaling to zero. Default 300."
    )
    cpu_target_percent: int = Field(
        70, ge=10, le=100, description="Without a queue: the CPU utilisation the HPA aims for. Default 70."
    )


class ServiceSpec(WorkloadSpec):
    """A long-running service. With a `queue` it pulls work and scales on queue length (KEDA)."""

    namespace: Optional[Name] = Field(None, description="Kubernetes namespace. Default: the service's name.")
    scaling: ScalingSpec = Field(default_factory=ScalingSpec, description="Replica scaling. Default: see section.")
    expose: bool = Field(
        False,
        description="Create a ClusterIP Service for the declared ports (services without a queue). Default false.",
    )
    expose_to: list[Name] = Field(
        default_factory=list,
        description=(
            "Namespaces whose pods may call an exposed service (its NetworkPolicy admits them on the declared "
            "ports, besides pods of its own namespace). Needs `expose: true`. Workloads of this environment "
            "that list the service in `calls` are admitted without it. Default none: only its own namespace."
        ),
    )


class JobSpec(WorkloadSpec):
    """A batch job: on a schedule, on demand, or one Job per queue message. Can reuse a service's workload."""

    service: Optional[Name] = Field(
        None,
        description=(
            "Reuse this service's image, command, configuration, resources and namespace; fields set on the job "
            "override them. Default unset."
        ),
    )
    mode: Literal["schedule", "on_demand", "per_message"] = Field(
        description="`schedule` (CronJob), `on_demand` (suspended CronJob to trigger by hand), or `per_message` "
                    "(KEDA ScaledJob: one Job per queue message). Required."
    )
    namespace: Optional[Name] = Field(
        None, description="Kubernetes namespace. Default: the reused service's namespace, else the job's name."
    )
    schedule: Optional[str] = Field(
        None, description="Cron schedule (5 fields) for mode `schedule`, e.g. `0 2 * * *`. Default unset."
    )
    time_zone: str = Field("Etc/UTC", description="IANA time zone of the schedule. Default `Etc/UTC`.")
    concurrency_policy: Literal["Forbid", "Replace", "Allow"] = Field(
        "Forbid", description="What a due run does while the previous one still runs. Default `Forbid`."
    )
    starting_deadline_seconds: int = Field(
        300, ge=10, description="A run that could not start this long after its time is skipped. Default 300."
    )
    max_runtime_seconds: Optional[int] = Field(
        None, ge=1,
        description="Job deadline (activeDeadlineSeconds). Default: max_message_seconds + 60 for per_message, "
                    "6 hours otherwise.",
    )
    retries: int = Field(2, ge=0, le=20, description="Pod retries before the Job fails (backoffLimit). Default 2.")
    history: int = Field(3, ge=0, le=100, description="Finished Jobs kept, each of success and failure. Default 3.")
    max_parallel_jobs: int = Field(
        10, ge=1, le=1000, description="per_message: most Jobs running at once. Default 10."
    )
