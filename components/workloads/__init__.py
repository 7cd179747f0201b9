"""Workloads: services and batch jobs built from one workload spec."""

from .job import BatchJob, BatchJobArgs
from .service import Service, ServiceArgs

__all__ = ["BatchJob", "BatchJobArgs", "Service", "ServiceArgs"]
