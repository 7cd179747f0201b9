"""Generated stack files of any size, shaped like the shipped prod stacks (GitOps, prod tier, pinned digests).

One queue and one queue-driven service per index, one job per four services cycling through the three job
modes. The stacks pass validation and the policy pack's mandatory rules, so a benchmark or test measures the
whole path a real user waits for, not an early error.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

CLOUDS = ("aws", "gcp")
_JOB_MODES = ("schedule", "on_demand", "per_message")


def _digest(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def _image(cloud: str, name: str) -> str:
    registry = "ghcr.io/acme" if cloud == "aws" else "europe-docker.pkg.dev/acme-platform-bench/apps"
    return f"{registry}/{name}@sha256:{_digest(name)}"


def _cloud_settings(cloud: str, services: int) -> dict[str, Any]:
    # One 4-vCPU node per service covers each service's 10 replicas of 0.25 CPU plus its share of the jobs, so
    # the capacity check (declared maximums must fit the pools) passes at every size.
    nodes = min(max(services, 10), 1000)
    if cloud == "aws":
        return {
            "cloud": "aws", "region": "us-west-2", "aws_account_id": "123456789012",
            "network": {"cidr": "10.40.0.0/16"},
            "cluster": {"kubernetes_version": "1.35", "log_retention_days": 365,
                        # As the shipped prod stack: private API, CI runners inside this VPC (docs/bootstrap.md).
                        "deployer_access": {"via": "private_network", "runner_cidrs": ["10.40.0.0/19"]},
                        # As the shipped prod stack: the identity running `pulumi up` is a named admin.
                        "admins": {"platform-team": "arn:aws:iam::123456789012:role/PlatformAdmin",
                                   "deployer": "arn:aws:iam::123456789012:role/deployer"},
                        "node_pools": {"general": {"machine_types": ["m7i.xlarge", "m6i.xlarge"],
                                                   "min_size": 3, "max_size": nodes}}},
        }
    return {
        "cloud": "gcp", "region": "europe-west1", "gcp_project": "acme-platform-bench",
        "cluster": {"kubernetes_version": "1.35", "release_channel": "REGULAR",
                    # Prod keeps the DNS endpoint internal: CI runners inside the network (docs/bootstrap.md).
                    "deployer_access": {"via": "private_network", "runner_cidrs": ["10.0.0.0/20"]},
                    "node_pools": {"general": {"machine_types": ["e2-standard-4"], "min_size": 3,
                                               "max_size": nodes}}},
    }


def stack_config(cloud: str, services: int, jobs: int | None = None, http_services: int = 0) -> dict[str, Any]:
    """The `config:` mapping of a prod GitOps stack with `services` services and `jobs` jobs (default: one per
    four services). The last `http_services` services serve HTTP instead of pulling from a queue (the policy
    pack flags each with an advisory violation); the others are queue-driven."""
    if cloud not in CLOUDS:
        raise ValueError(f"cloud must be one of {CLOUDS}")
    jobs = services // 4 if jobs is None else jobs
    config: dict[str, Any] = {
        **_cloud_settings(cloud, services),
        "tier": "prod",
        "delivery": "gitops",
        "argocd": {"repository": "https://github.com/acme/deployments.git", "revision": "main"},
        "labels": {"team": "platform"},
        "queues": {f"queue-{i:04d}": {"visibility_timeout_seconds": 120} for i in range(services)},
    }
    queue_driven = services - http_services
    config["services"] = {
        f"svc-{i:04d}": {
            "image": _image(cloud, f"svc-{i:04d}"),
            "command": ["python", "-m", "worker"],
            "queue": f"queue-{i:04d}",
            "max_message_seconds": 90,
            "resources": {"cpu": "250m", "memory": "256Mi"},
            "probes": {"readiness": {"command": ["python", "-m", "worker.ready"]},
                       "liveness": {"command": ["python", "-m", "worker.healthcheck"]}},
            "scaling": {"max_replicas": 10, "messages_per_replica": 10},
        }
        for i in range(queue_driven)
    }
    for i in range(queue_driven, services):
        config["queues"].pop(f"queue-{i:04d}")
        config["services"][f"svc-{i:04d}"] = {
            "image": _image(cloud, f"svc-{i:04d}"),
            "ports": {"http": 8080},
            "probes": {"readiness": {"http_path": "/healthz"}, "liveness": {"http_path": "/healthz"}},
            "expose": True,
            "scaling": {"min_replicas": 2, "max_replicas": 6, "cpu_target_percent": 60},
        }
    config["jobs"] = {}
    for i in range(jobs):
        mode = _JOB_MODES[i % len(_JOB_MODES)]
        job: dict[str, Any] = {"service": f"svc-{i % max(queue_driven, 1):04d}", "mode": mode,
                               "command": ["python", "-m", f"worker.job{i}"]}
        if mode == "schedule":
            job.update(schedule=f"{i % 60} 2 * * *", time_zone="Europe/Berlin", queue=None)
        elif mode == "on_demand":
            job["queue"] = None
        config["jobs"][f"job-{i:04d}"] = job
    return config


def write_stack(stacks_dir: Path, name: str, cloud: str, services: int, jobs: int | None = None,
                http_services: int = 0) -> Path:
    """Write `stacks_dir/Pulumi.<name>.yaml` and return its path."""
    path = stacks_dir / f"Pulumi.{name}.yaml"
    stacks_dir.mkdir(parents=True, exist_ok=True)
    yaml = YAML()
    with path.open("w") as handle:
        yaml.dump({"config": stack_config(cloud, services, jobs, http_services)}, handle)
    return path


def write_project(root: Path, stacks: dict[str, tuple[str, int]], repo: Path | None = None,
                  http_services: int = 0, jobs: int | None = None) -> Path:
    """A copy of this project (program, Pulumi.yaml, policy pack) at `root` whose stacks/ holds generated stacks
    given as {stack name: (cloud, services)}."""
    import shutil

    repo = repo or Path(__file__).resolve().parent.parent
    root.mkdir(parents=True, exist_ok=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(repo / name, root / name)
    if not (root / "policy").exists():
        shutil.copytree(repo / "policy", root / "policy", ignore=shutil.ignore_patterns("__pycache__"))
    for name, (cloud, services) in stacks.items():
        write_stack(root / "stacks", name, cloud, services, jobs, http_services=http_services)
    return root
