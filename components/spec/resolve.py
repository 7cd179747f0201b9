"""Resolve defaults that depend on more than one field: job inheritance, namespaces, tier defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .workload import JobSpec, ServiceSpec, WorkloadSpec

if TYPE_CHECKING:
    from .environment import EnvironmentSpec

WORKLOAD_FIELDS = tuple(WorkloadSpec.model_fields)


def job_workload(job: JobSpec, services: dict[str, ServiceSpec]) -> WorkloadSpec:
    """The job's effective workload: its service's, overridden by what the job sets itself."""
    own = {field: getattr(job, field) for field in WORKLOAD_FIELDS if field in job.model_fields_set}
    if job.service is not None and job.service in services:
        base = services[job.service]
        inherited = {field: getattr(base, field) for field in WORKLOAD_FIELDS}
        return WorkloadSpec(**{**inherited, **own})
    return WorkloadSpec(**{field: getattr(job, field) for field in WORKLOAD_FIELDS})


def service_namespace(name: str, service: ServiceSpec) -> str:
    return service.namespace or name


def job_namespace(name: str, job: JobSpec, services: dict[str, ServiceSpec]) -> str:
    if job.namespace:
        return job.namespace
    if job.service is not None and job.service in services:
        return service_namespace(job.service, services[job.service])
    return name


def min_replicas(service: ServiceSpec, tier: str) -> int:
    if service.scaling.min_replicas is not None:
        return service.scaling.min_replicas
    return 2 if tier == "prod" else 1


def job_deadline(job: JobSpec, workload: WorkloadSpec) -> int:
    if job.max_runtime_seconds is not None:
        return job.max_runtime_seconds
    return workload.max_message_seconds + 60 if job.mode == "per_message" else 6 * 3600


def namespaces(spec: EnvironmentSpec) -> list[str]:
    """Every namespace the environment's workloads run in, sorted."""
    used = {service_namespace(n, s) for n, s in spec.services.items()}
    used |= {job_namespace(n, j, spec.services) for n, j in spec.jobs.items()}
    return sorted(used)
