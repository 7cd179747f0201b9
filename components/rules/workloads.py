"""Rules for services and jobs, shared by the spec loader and the policy pack."""

from __future__ import annotations

import functools
import re
import zoneinfo
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Optional

from ..errors import Problem
from .credentials import looks_like_credential, shown
from .cron import cron_problem
from .secret_files import secret_file_path_problems
from .secrets import secret_ref_problems

if TYPE_CHECKING:  # the spec models import these rules
    from ..spec.environment import EnvironmentSpec
    from ..spec.workload import JobSpec, ResourcesSpec, ServiceSpec, WorkloadSpec

# Kubernetes' own namespaces and those of the platform add-ons (KEDA, Argo CD, the node autoscaler, the NVIDIA
# device plugin, External Secrets): a workload there would share their identities and Pod Security level.
SYSTEM_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease", "keda", "argocd",
                               "cluster-autoscaler", "nvidia-device-plugin", "external-secrets"})
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CPU = re.compile(r"^(\d+(\.\d+)?|\d+m)$")
_MEMORY = re.compile(r"^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|K|M|G|T|P|k)?$")
_MEMORY_UNITS = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15,
                 "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50}
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


@functools.cache
def time_zones() -> frozenset[str]:
    """The IANA time zones this Python knows (scanning the tz database once, not once per job)."""
    return frozenset(zoneinfo.available_timezones())


def cpu_cores(quantity: str) -> Optional[Decimal]:
    if not _CPU.match(quantity):
        return None
    return Decimal(quantity[:-1]) / 1000 if quantity.endswith("m") else Decimal(quantity)


def memory_bytes(quantity: str) -> Optional[Decimal]:
    match = _MEMORY.match(quantity)
    if not match:
        return None
    unit = match.group(2) or ""
    try:
        return Decimal(quantity[: len(quantity) - len(unit)]) * _MEMORY_UNITS[unit]
    except InvalidOperation:
        return None


def image_tag(image: str) -> Optional[str]:
    """The tag of an image reference, or None when it has none (a registry port is not a tag)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


# distribution/reference: [domain[:port]/]path-component(/path-component)*[:tag][@sha256:digest]
_DOMAIN = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_IMAGE_REFERENCE = re.compile(
    rf"^(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*(?::[\w][\w.-]{{0,127}})?(?:@sha256:[0-9a-f]{{64}})?$")


def image_problems(path: str, image: str, tier: str) -> list[Problem]:
    if len(image) > 255 or not _IMAGE_REFERENCE.match(image):
        return [Problem(path, f"{shown(image)} is not an image reference such as registry.example.com/team/app:1.2 "
                              "or ...@sha256:<digest> (no scheme, no credentials, lowercase repository)")]
    if _DIGEST.search(image):
        return []
    tag = image_tag(image)
    if tag is None:
        return [Problem(path, f"{shown(image)} has neither tag nor digest (it would float to latest); pin a digest")]
    if tag == "latest":
        return [Problem(path, f"{shown(image)} uses the floating tag 'latest'; pin a digest (or a release tag outside "
                              "prod)")]
    if tier == "prod":
        return [Problem(path, f"prod images must be pinned by digest (repo@sha256:...), got tag {tag!r}")]
    return []


def resources_problems(path: str, resources: ResourcesSpec) -> list[Problem]:
    problems = []
    cpu, cpu_limit = cpu_cores(resources.cpu), None
    memory, memory_limit = memory_bytes(resources.memory), None
    if cpu is None:
        problems.append(Problem(f"{path}.cpu", f"must be a CPU quantity such as 250m or 1 (got {resources.cpu!r})"))
    if memory is None:
        problems.append(Problem(f"{path}.memory",
                                f"must be a memory quantity such as 256Mi (got {resources.memory!r})"))
    if resources.cpu_limit is not None:
        cpu_limit = cpu_cores(resources.cpu_limit)
        if cpu_limit is None:
            problems.append(Problem(f"{path}.cpu_limit", f"must be a CPU quantity (got {resources.cpu_limit!r})"))
        elif cpu is not None and cpu_limit < cpu:
            problems.append(Problem(f"{path}.cpu_limit", f"({resources.cpu_limit}) must be >= cpu ({resources.cpu})"))
    if resources.memory_limit is not None:
        memory_limit = memory_bytes(resources.memory_limit)
        if memory_limit is None:
            problems.append(Problem(f"{path}.memory_limit",
                                    f"must be a memory quantity (got {resources.memory_limit!r})"))
        elif memory is not None and memory_limit < memory:
            problems.append(Problem(f"{path}.memory_limit",
                                    f"({resources.memory_limit}) must be >= memory ({resources.memory})"))
    return problems


def workload_problems(path: str, workload: WorkloadSpec, spec: EnvironmentSpec,
                      own: Optional[frozenset[str]] = None) -> list[Problem]:
    """Problems of one effective workload (a service, or a job after inheritance).

    `own`: the workload fields the author wrote at `path` (a job reusing a service); a problem only in what it
    inherits is the service's, reported once at the service's path, so it is skipped here. None: all its own.
    """
    problems: list[Problem] = []

    def report(fields: tuple[str, ...], where: str, message: str) -> None:
        if own is not None:
            written = [f for f in fields if f in own]
            if not written:
                return
            if where.split(".")[0] not in own:
                where = written[0]
        problems.append(Problem(f"{path}.{where}", message))

    if workload.image is None:
        report(("image",), "image", "required (or reuse a service's with `service:`)")
    else:
        for problem in image_problems(f"{path}.image", workload.image, spec.tier):
            report(("image",), "image", problem.message)
    for problem in resources_problems("", workload.resources):
        report(("resources",), f"resources{problem.path}", problem.message)
    for section in ("env", "secret_env"):
        for name in getattr(workload, section):
            if not _ENV_NAME.match(name):
                report((section,), f"{section}.{name}",
                       "environment variable names are letters, digits and _, not starting with a digit")
    for name in sorted(set(workload.env) & set(workload.secret_env)):
        report(("env", "secret_env"), f"secret_env.{name}", "is also set in env; set it in one of them")
    for name, value in workload.env.items():
        if looks_like_credential(value):
            report(("env",), f"env.{name}", "looks like a credential (value hidden); keep it in a Kubernetes Secret "
                                            "and reference it with secret_env")
    for name, ref in workload.secret_env.items():
        for field, message in secret_ref_problems(ref, spec.cloud):
            report(("secret_env",), f"secret_env.{name}{'.' + field if field else ''}", message)
    for name, port in workload.ports.items():
        if not 1 <= port <= 65535:
            report(("ports",), f"ports.{name}", f"must be between 1 and 65535 (got {port})")
    for kind in ("readiness", "liveness"):
        probe = getattr(workload.probes, kind)
        if probe is None:
            continue
        mechanisms = [m for m in (probe.http_path, probe.command) if m is not None]
        if len(mechanisms) > 1:
            report(("probes",), f"probes.{kind}", "set either http_path or command, not both")
        if probe.command is None and not workload.ports:
            report(("probes", "ports"), f"probes.{kind}", "an HTTP or TCP probe needs a declared port")
        if probe.port is not None and probe.port not in workload.ports:
            report(("probes", "ports"), f"probes.{kind}.port", f"no declared port named {probe.port!r}")
    for index, writable in enumerate(workload.writable_paths):
        if not writable.startswith("/"):
            report(("writable_paths",), f"writable_paths[{index}]", f"must be an absolute path (got {writable!r})")
    for file_path, ref in workload.secret_files.items():
        for field, message in secret_ref_problems(ref, spec.cloud):
            report(("secret_files",), f"secret_files.{file_path}{'.' + field if field else ''}", message)
    for file_path, message in secret_file_path_problems(list(workload.secret_files), workload.writable_paths):
        report(("secret_files",), f"secret_files.{file_path}", message)
    if workload.queue is not None:
        queue = spec.queues.get(workload.queue)
        if queue is None:
            known = ", ".join(sorted(spec.queues)) or "none"
            report(("queue",), "queue", f"no queue named {workload.queue!r} in queues (queues: {known})")
        else:
            message = message_time_problem(workload.max_message_seconds, queue.visibility_timeout_seconds,
                                           f"queues.{workload.queue}.visibility_timeout_seconds")
            if message:
                report(("max_message_seconds", "queue"), "max_message_seconds", message)
    return problems


def message_time_problem(max_message_seconds: int, visibility_timeout_seconds: int, queue_field: str) -> Optional[str]:
    """A consumer's longest message must fit in its queue's visibility timeout (stack file and component Args)."""
    if visibility_timeout_seconds >= max_message_seconds:
        return None
    return (f"({max_message_seconds}) must be <= {queue_field} ({visibility_timeout_seconds}), or messages are "
            "redelivered while still being processed")


def services_problems(spec: EnvironmentSpec) -> list[Problem]:
    from ..spec.resolve import min_replicas, service_namespace

    problems: list[Problem] = []
    for name, service in spec.services.items():
        path = f"services.{name}"
        problems.extend(workload_problems(path, service, spec))
        if service_namespace(name, service) in SYSTEM_NAMESPACES:
            problems.append(Problem(f"{path}.namespace", f"{service_namespace(name, service)!r} is reserved for the "
                                                         "platform; use the service's own namespace"))
        problems.extend(service_shape_problems(path, service, min_replicas(service, spec.tier),
                                               service.queue is not None, f"{path}.scaling.min_replicas"))
    return problems


def service_shape_problems(path: str, service: ServiceSpec, low: int, queued: bool,
                           min_path: str) -> list[Problem]:
    """Replica bounds and exposure of one service (`low`: its resolved minimum, reported at `min_path`)."""
    problems: list[Problem] = []
    if service.scaling.max_replicas < low:
        problems.append(Problem(f"{path}.scaling.max_replicas",
                                f"({service.scaling.max_replicas}) must be >= min_replicas ({low})"))
    if not queued and low == 0:
        problems.append(Problem(min_path, "only a queue-driven service can scale to zero (an HPA needs at least 1)"))
    if service.expose and not service.ports:
        problems.append(Problem(f"{path}.expose", "needs at least one declared port"))
    if service.expose and queued:
        problems.append(Problem(f"{path}.expose", "a queue-driven service pulls its work; it exposes no Service"))
    return problems


def jobs_problems(spec: EnvironmentSpec) -> list[Problem]:
    from ..spec.resolve import job_namespace, job_workload

    problems: list[Problem] = []
    for name, job in spec.jobs.items():
        path = f"jobs.{name}"
        if name in spec.services:
            problems.append(Problem(path, f"a service is also named {name!r}; workload names must be unique"))
        if job.service is not None and job.service not in spec.services:
            known = ", ".join(sorted(spec.services)) or "none"
            problems.append(Problem(f"{path}.service", f"no service named {job.service!r} (services: {known})"))
            continue
        workload = job_workload(job, spec.services)
        own = frozenset(job.model_fields_set) if job.service is not None else None
        problems.extend(workload_problems(path, workload, spec, own))
        if (job.namespace is not None or job.service is None) and \
                job_namespace(name, job, spec.services) in SYSTEM_NAMESPACES:
            problems.append(Problem(f"{path}.namespace", "reserved for the platform"))
        problems.extend(job_shape_problems(path, job, workload.queue is not None, f"{path}.queue"))
    return problems


def job_shape_problems(path: str, job: JobSpec, queued: bool, queue_path: str) -> list[Problem]:
    """Mode, schedule and time zone of one job (a missing queue reported at `queue_path`)."""
    problems: list[Problem] = []
    if job.mode == "schedule":
        if job.schedule is None:
            problems.append(Problem(f"{path}.schedule", "required for mode 'schedule'"))
        else:
            problem = cron_problem(job.schedule)
            if problem:
                problems.append(Problem(f"{path}.schedule", f"{problem} (got {job.schedule!r})"))
    elif job.schedule is not None:
        problems.append(Problem(f"{path}.schedule", f"only applies to mode 'schedule' (mode is {job.mode!r})"))
    if job.mode == "per_message" and not queued:
        problems.append(Problem(queue_path, "required for mode 'per_message' (one Job per message of it)"))
    if job.time_zone not in time_zones():
        problems.append(Problem(f"{path}.time_zone", f"unknown IANA time zone {job.time_zone!r}"))
    return problems


def workloads_problems(spec: EnvironmentSpec) -> list[Problem]:
    problems = services_problems(spec) + jobs_problems(spec)
    if (spec.services or spec.jobs) and spec.cluster is None:
        problems.append(Problem("cluster", "services and jobs need a cluster: declare one"))
    return problems
