"""A corpus of broken inputs across every verb, both clouds and every tier.

Each case must end with exit status 2, one clear line naming the file and the field, no traceback, and the
directory tree exactly as it was before (nothing written, nothing deleted).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from stackctl.cli import app

from .conftest import REPO, load_stack_yaml

SECRET_LOOKING = "postgres://orders:hunter2-very-secret@db.internal:5432/orders"
DELETE = object()


def _set(config: dict, path: str, value: Any) -> dict:
    config = copy.deepcopy(config)
    keys = path.split(".")
    node = config
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    if value is DELETE:
        node.pop(keys[-1], None)
    else:
        node[keys[-1]] = value
    return config


@dataclass
class Case:
    """A stack-file mistake: set `changes` (dotted path -> value) on a shipped stack's config."""

    base: str
    changes: dict[str, Any]
    expected: str  # `<field path>: <start of the message>` after the file label
    verb: str = "preview"
    stack: str = "bad"
    not_echoed: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


GOOD_IMAGE = "ghcr.io/acme/x@sha256:" + "a" * 64
# (base stack, changes, expected path and message start, optional values that must not be echoed)
MISTAKES: list[tuple[str, dict[str, Any], str, tuple[str, ...]]] = [
    # strict types: no bool for int, no number for string
    ("dev", {"queues.orders.max_receive_count": True}, "queues.orders.max_receive_count: must be a whole number", ()),
    ("dev", {"services.orders.scaling.max_replicas": True}, "services.orders.scaling.max_replicas: must be a whole",
     ()),
    ("gcp-dev", {"services.embedder.scaling.max_replicas": True},
     "services.embedder.scaling.max_replicas: must be a whole number", ()),
    ("prod", {"services.orders.scaling.max_replicas": "many"}, "services.orders.scaling.max_replicas: must be a whole",
     ()),
    ("staging", {"queues.orders.visibility_timeout_seconds": 120.5},
     "queues.orders.visibility_timeout_seconds: must be a whole number", ()),
    ("dev", {"cluster.node_pools.general.spot": "yes"}, "cluster.node_pools.general.spot: must be true or false", ()),
    ("dev", {"cluster.kubernetes_version": 1.35}, "cluster.kubernetes_version: must be a string", ()),
    ("gcp-dev", {"labels.cost-center": 1042}, "labels.cost-center: must be a string", ()),
    ("dev", {"services.orders.env.WORKERS": 4}, "services.orders.env.WORKERS: must be a string", ()),
    ("prod", {"cluster.protect": "no"}, "cluster.protect: must be true or false", ()),
    # names after prefixing
    ("dev", {"queues.orders-dlq": {}}, "queues.orders-dlq: its queue name 'bad-orders-dlq' collides", ()),
    ("gcp-dev", {"queues.orders-dlq": {}}, "queues.orders-dlq: its queue name 'bad-orders-dlq' collides", ()),
    ("staging", {"queues.reports-dlq": {"visibility_timeout_seconds": 60}},
     "queues.reports-dlq: its queue name 'bad-reports-dlq' collides", ()),
    ("dev", {"services.keda-operator": {"image": "r/x:1", "namespace": "keda-ops"}}, "", ()),  # valid: differs
    # labels per cloud
    ("gcp-dev", {"labels.team": "Platform Team"}, "labels.team: GCP label values", ()),
    ("gcp-dev", {"labels.owner": "ALICE"}, "labels.owner: GCP label values", ()),
    ("gcp-dev", {"labels.note": "x" * 64}, "labels.note: GCP label values", ()),
    ("dev", {"labels.note": "a" * 257}, "labels.note: AWS tag values", ()),
    ("prod", {"labels.note": "semi;colon"}, "labels.note: AWS tag values", ()),
    ("staging", {"labels.Team": "x"}, "labels.Team: label keys must be lowercase", ()),
    # Kubernetes label and taint keys and values
    ("dev", {"cluster.node_pools.general.labels": {"-bad": "x"}},
     "cluster.node_pools.general.labels.-bad: not a Kubernetes label key", ()),
    ("prod", {"cluster.node_pools.batch.labels": {"workload": "batch jobs"}},
     "cluster.node_pools.batch.labels.workload: label value 'batch jobs'", ()),
    ("staging", {"cluster.node_pools.batch.labels": {"Example.COM/role": "x"}},
     "cluster.node_pools.batch.labels.Example.COM/role: not a Kubernetes label key", ()),
    ("gcp-dev", {"cluster.node_pools.general.labels": {"a/b/c": "x"}},
     "cluster.node_pools.general.labels.a/b/c: not a Kubernetes label key", ()),
    ("prod", {"cluster.node_pools.batch.taints": [{"key": "bad key!", "value": "batch"}]},
     "cluster.node_pools.batch.taints[0].key: not a Kubernetes taint key", ()),
    ("staging", {"cluster.node_pools.batch.taints": [{"key": "workload", "value": "-batch"}]},
     "cluster.node_pools.batch.taints[0].value: taint value '-batch'", ()),
    ("gcp-dev", {"cluster.node_pools.general.taints": [{"key": "x" * 64}]},
     "cluster.node_pools.general.taints[0].key: not a Kubernetes taint key", ()),
    ("dev", {"cluster.node_pools.general.taints": [{"key": "a", "effect": "Evict"}]},
     "cluster.node_pools.general.taints[0].effect: must be one of", ()),
    # cron ranges and time zones
    ("dev", {"jobs.orders-nightly-report.schedule": "75 25 * * *"},
     "jobs.orders-nightly-report.schedule: minute '75' is out of range 0-59", ()),
    ("prod", {"jobs.orders-nightly-report.schedule": "0 25 * * *"},
     "jobs.orders-nightly-report.schedule: hour '25' is out of range 0-23", ()),
    ("staging", {"jobs.orders-nightly-report.schedule": "0 2 32 * *"},
     "jobs.orders-nightly-report.schedule: day of month '32' is out of range 1-31", ()),
    ("gcp-dev", {"jobs.reindex.schedule": "30 3 * 13 *"}, "jobs.reindex.schedule: month '13' is out of range", ()),
    ("gcp-dev", {"jobs.reindex.schedule": "30 3 * * 8"}, "jobs.reindex.schedule: day of week '8' is out of range",
     ()),
    ("dev", {"jobs.orders-nightly-report.schedule": "0 0 L * *"},
     "jobs.orders-nightly-report.schedule: day of month 'L' is not a number", ()),
    ("dev", {"jobs.orders-nightly-report.schedule": "0 0 * * * *"},
     "jobs.orders-nightly-report.schedule: must be a 5-field cron expression", ()),
    ("prod", {"jobs.orders-nightly-report.schedule": "*/0 * * * *"},
     "jobs.orders-nightly-report.schedule: minute step '0' must be a positive number", ()),
    ("staging", {"jobs.orders-nightly-report.schedule": "CRON_TZ=UTC 0 2 * * *"},
     "jobs.orders-nightly-report.schedule: must not set a time zone inside the schedule", ()),
    ("dev", {"jobs.orders-nightly-report.schedule": "@fortnightly"},
     "jobs.orders-nightly-report.schedule: unknown macro '@fortnightly'", ()),
    ("dev", {"jobs.orders-nightly-report.schedule": "0 5-2 * * *"},
     "jobs.orders-nightly-report.schedule: hour range '5-2' runs backwards", ()),
    ("dev", {"jobs.orders-nightly-report.time_zone": "Mars/Olympus"},
     "jobs.orders-nightly-report.time_zone: unknown IANA time zone", ()),
    # Secret names and keys, env names
    ("dev", {"services.orders.secret_env.DATABASE_URL": {"secret": "orders-db", "key": "bad/key"}},
     "services.orders.secret_env.DATABASE_URL.key: Secret key 'bad/key'", ()),
    ("prod", {"services.orders.secret_env.DATABASE_URL": {"secret": "Orders_DB", "key": "url"}},
     "services.orders.secret_env.DATABASE_URL.secret: Secret name 'Orders_DB'", ()),
    ("staging", {"services.orders.secret_env.1DATABASE": {"secret": "orders-db", "key": "url"}},
     "services.orders.secret_env.1DATABASE: environment variable names", ()),
    ("dev", {"services.orders.env.BAD-NAME": "x"}, "services.orders.env.BAD-NAME: environment variable names", ()),
    ("dev", {"services.orders.env.DATABASE_URL": "x"}, "services.orders.secret_env.DATABASE_URL: is also set in env",
     ()),
    ("gcp-dev", {"services.orders.env.DATABASE_URL": SECRET_LOOKING},
     "services.orders.env.DATABASE_URL: looks like a credential", (SECRET_LOOKING, "hunter2")),
    ("dev", {"services.orders.image": "https://bot:ghp_" + "a" * 36 + "@ghcr.io/acme/x:1"},
     "services.orders.image:", ("ghp_" + "a" * 36,)),
    ("staging", {"argocd.repository": "https://bot:hunter2secret@github.com/*"}, "argocd.repository: must be",
     ("hunter2secret",)),
    # fields that only apply on the other cloud
    ("gcp-dev", {"cluster.admins": {"team": "arn:aws:iam::123456789012:role/Admin"}},
     "cluster.admins: only applies on aws", ()),
    ("gcp-dev", {"cluster.log_retention_days": 30}, "cluster.log_retention_days: only applies on aws", ()),
    ("gcp-dev", {"cluster.deployer_admin": False}, "cluster.deployer_admin: only applies on aws", ()),
    ("gcp-dev", {"cluster.extended_support": True}, "cluster.extended_support: only applies on aws", ()),
    ("gcp-dev", {"cluster.control_plane_logs": ["api", "audit", "authenticator"]},
     "cluster.control_plane_logs: only applies on aws", ()),
    ("dev", {"cluster.release_channel": "STABLE"}, "cluster.release_channel: only applies on gcp", ()),
    ("prod", {"cluster.dns_endpoint": False}, "cluster.dns_endpoint: only applies on gcp", ()),
    ("staging", {"cluster.master_cidr": "172.16.1.0/28"}, "cluster.master_cidr: only applies on gcp", ()),
    ("dev", {"network.pods_cidr": "10.64.0.0/14"}, "network.pods_cidr: only applies on gcp", ()),
    ("prod", {"network.services_cidr": "10.68.0.0/20"}, "network.services_cidr: only applies on gcp", ()),
    ("gcp-dev", {"network.nat": "single"}, "network.nat: only applies on aws", ()),
    ("gcp-dev", {"network.availability_zones": ["europe-west1-b"]}, "network.availability_zones: only applies", ()),
    ("gcp-dev", {"queues.orders.fifo": True}, "queues.orders.fifo: FIFO queues are an SQS feature", ()),
    ("gcp-dev", {"aws_account_id": "123456789012"}, "aws_account_id: only applies when cloud is 'aws'", ()),
    ("dev", {"gcp_project": "acme-dev-1"}, "gcp_project: only applies when cloud is 'gcp'", ()),
    # cloud limits on queues
    ("gcp-dev", {"queues.orders.visibility_timeout_seconds": 1200},
     "queues.orders.visibility_timeout_seconds: must be <= 600 on gcp", ()),
    ("gcp-dev", {"queues.orders.max_receive_count": 1}, "queues.orders.max_receive_count: must be between 5 and 100",
     ()),
    ("gcp-dev", {"queues.orders.kms_key": "alias/orders"}, "queues.orders.kms_key: must be a Cloud KMS key name", ()),
    ("dev", {"queues.orders.kms_key": "projects/p/locations/l/keyRings/r/cryptoKeys/k"},
     "queues.orders.kms_key: must be a KMS key ARN", ()),
    ("dev", {"queues.orders.visibility_timeout_seconds": 5}, "queues.orders.visibility_timeout_seconds: must be >= 30",
     ()),
    ("gcp-dev", {"queues.orders.message_retention_seconds": 1209600},
     "queues.orders.message_retention_seconds: must be <= 604800", ()),
    # workloads
    ("dev", {"services.orders.image": "ghcr.io/acme/orders-worker:latest"}, "services.orders.image:", ()),
    ("prod", {"services.orders.image": "ghcr.io/acme/orders-worker:1.4.2"},
     "services.orders.image: prod images must be pinned by digest", ()),
    ("staging", {"services.orders.image": "ghcr.io/acme/orders-worker"}, "services.orders.image:", ()),
    ("dev", {"services.orders.resources.memory": "lots"}, "services.orders.resources.memory: must be a memory", ()),
    ("gcp-dev", {"services.embedder.resources.cpu_limit": "1"}, "services.embedder.resources.cpu_limit: (1) must be >=",
     ()),
    ("prod", {"services.orders-api.ports.http": 70000}, "services.orders-api.ports.http: must be between 1 and 65535",
     ()),
    ("staging", {"services.orders-api.expose": True, "services.orders-api.ports": {}},
     "services.orders-api.expose: needs at least one declared port", ()),
    ("dev", {"services.orders.namespace": "kube-system"}, "services.orders.namespace: 'kube-system' is reserved", ()),
    ("prod", {"services.cluster-autoscaler": {"image": GOOD_IMAGE}},
     "services.cluster-autoscaler.namespace: 'cluster-autoscaler' is reserved", ()),
    ("dev", {"services.orders.writable_paths": ["tmp"]}, "services.orders.writable_paths[0]: must be an absolute",
     ()),
    ("prod", {"services.orders-api.probes.readiness": {"http_path": "/h", "command": ["true"]}},
     "services.orders-api.probes.readiness: set either http_path or command", ()),
    ("dev", {"services.orders.queue": "payments"}, "services.orders.queue: no queue named 'payments'", ()),
    ("gcp-dev", {"services.orders.max_message_seconds": 600},
     "services.orders.max_message_seconds: (600) must be <= queues.orders.visibility_timeout_seconds", ()),
    ("dev", {"services.thumbnailer.scaling.min_replicas": 4, "services.thumbnailer.scaling.max_replicas": 3},
     "services.thumbnailer.scaling.max_replicas: (3) must be >= min_replicas (4)", ()),
    ("dev", {"services.orders.scaling.messages_per_replica": 0},
     "services.orders.scaling.messages_per_replica: must be >= 1", ()),
    ("dev", {"jobs.orders-backfill.service": "billing"},
     "jobs.orders-backfill.service: no service named 'billing'", ()),
    ("gcp-dev", {"jobs.embed-one.queue": None}, "jobs.embed-one.queue: required for mode 'per_message'", ()),
    ("dev", {"jobs.orders-backfill.schedule": "0 1 * * *"}, "jobs.orders-backfill.schedule: only applies to mode", ()),
    ("prod", {"jobs.orders-backfill.mode": "weekly"}, "jobs.orders-backfill.mode: must be one of", ()),
    ("staging", {"jobs.orders": {"service": "orders", "mode": "on_demand"}},
     "jobs.orders: a service is also named 'orders'", ()),
    ("dev", {"jobs.solo": {"mode": "on_demand"}}, "jobs.solo.image: required", ()),
    # the work path (issue 22)
    ("dev", {"jobs.orders-backfill.sends_to": ["payments"]}, "jobs.orders-backfill.sends_to[0]: no queue named", ()),
    ("prod", {"queues.orders.producers.principals": ["arn:aws:iam::123:role/x"]},
     "queues.orders.producers.principals[0]: 'arn:aws:iam::123:role/x' is not an IAM role", ()),
    ("gcp-dev", {"services.orders.egress": [{"cidr": "10.30.0.0/20", "ports": [70000]}]},
     "services.orders.egress[0].ports[0]: must be between 1 and 65535", ()),
    ("staging", {"services.orders.calls": ["orders"]}, "services.orders.calls[0]: service 'orders' is not exposed",
     ()),
    # clusters and networks
    ("dev", {"region": "us-east"}, "region: must be an AWS region", ()),
    ("gcp-dev", {"region": "europe_west1"}, "region: must be a GCP region", ()),
    ("gcp-dev", {"gcp_project": "Acme"}, "gcp_project: must be a GCP project id", ()),
    ("prod", {"cluster.admins.platform-team": "arn:aws:sts::123456789012:assumed-role/Admin/me"},
     "cluster.admins.platform-team: must be an IAM role or user ARN", ()),
    ("prod", {"cluster.public_endpoint": True, "cluster.authorized_networks": ["0.0.0.0/0"]},
     "cluster.authorized_networks[0]: 0.0.0.0/0 opens the prod Kubernetes API", ()),
    ("dev", {"cluster.public_endpoint": True, "cluster.deployer_access": DELETE},
     "cluster.authorized_networks: required with public_endpoint", ()),
    ("dev", {"network.availability_zones": ["us-west-2a", "us-west-2b"]},
     "network.availability_zones: 'us-west-2a' is not a zone of us-east-1", ()),
    ("prod", {"network.nat": "single"}, "network.nat: a single NAT gateway is a single point of failure", ()),
    ("staging", {"network.cidr": "10.0.0.0/20"}, "network.cidr: must be a /16 on aws", ()),
    ("gcp-dev", {"network.pods_cidr": "10.0.0.0/14"}, "network.pods_cidr: overlaps cidr", ()),
    ("prod", {"cluster.log_retention_days": 45}, "cluster.log_retention_days: CloudWatch keeps logs", ()),
    ("dev", {"cluster.kubernetes_version": "1.20"}, "cluster.kubernetes_version: unknown or unsupported version", ()),
    ("gcp-dev", {"cluster.kubernetes_version": "1.20"}, "cluster.kubernetes_version: unknown or unsupported", ()),
    ("staging", {"cluster.addon_versions": {"cilium": "v1"}}, "cluster.addon_versions: unknown add-ons", ()),
    ("gcp-dev", {"cluster.node_pools.general.machine_types": ["e2-standard-4", "e2-standard-8"]},
     "cluster.node_pools.general.machine_types: a GKE node pool has exactly one machine type", ()),
    ("dev", {"cluster.node_pools.general.machine_types": ["m7i.large", "m7g.large"]},
     "cluster.node_pools.general.machine_types: mixes Arm", ()),
    ("dev", {"cluster.node_pools.general.desired_size": 9}, "cluster.node_pools.general.desired_size: (9) must be",
     ()),
    ("prod", {"cluster.node_pools.general.max_size": 0}, "cluster.node_pools.general.max_size: must be >= 1", ()),
    ("dev", {"cluster.node_pools": {}}, "cluster.node_pools: must have at least 1 entry", ()),
    ("gcp-dev", {"cluster.master_cidr": "172.16.0.0/24"}, "cluster.master_cidr: must be a /28", ()),
    ("dev", {"cluster.control_plane_logs": ["api"]}, "cluster.control_plane_logs: must include audit, authenticator",
     ()),
    ("dev", {"network.existing_vpc": {"vpc_id": "vpc-1", "private_subnet_ids": ["subnet-1", "subnet-2"]},
             "cluster.public_endpoint": False, "cluster.deployer_access": DELETE},
     "cluster.private_access_cidrs: required with network.existing_vpc", ()),
    ("dev", {"cluster.public_endpoint": False, "cluster.deployer_access": DELETE},
     "cluster.deployer_access: required: this stack deploys Kubernetes objects", ()),
    # delivery and Argo CD
    ("prod", {"argocd": DELETE}, "delivery: gitops delivery needs argocd", ()),
    ("staging", {"argocd.repository": "ftp://example.com/repo"}, "argocd.repository: must be an https://", ()),
    ("prod", {"argocd.path": "../elsewhere"}, "argocd.path: must be a directory inside the repository", ()),
    ("prod", {"aws_account_id": "12345"}, "aws_account_id: must be 12 digits", ()),
    ("staging", {"delivery": "pull"}, "delivery: must be one of 'push' or 'gitops'", ()),
    # top level and unknown fields
    ("dev", {"cloud": "azure"}, "cloud: must be one of 'aws' or 'gcp'", ()),
    ("prod", {"tier": "production"}, "tier: must be one of 'dev', 'staging' or 'prod'", ()),
    ("dev", {"services.orders.replicas": 3}, "services.orders.replicas: unknown field", ()),
    ("gcp-dev", {"queues.orders.retries": 3}, "queues.orders.retries: unknown field", ()),
    ("dev", {"region": DELETE}, "region: required field is missing", ()),
    ("dev", {"queues.Orders": {}}, "queues.Orders: name must be 1-30 lowercase letters", ()),
]

CASES = [Case(base, changes, expected, verb=("preview", "check", "render")[index % 3], not_echoed=hidden)
         for index, (base, changes, expected, hidden) in enumerate(MISTAKES) if expected]


def _config(case: Case) -> dict:
    config = copy.deepcopy(load_stack_yaml(case.base)["config"])
    config.pop("argocd_repo_password", None)  # a `secure:` value; tests of secrets set their own
    for path, value in case.changes.items():
        config = _set(config, path, value)
    return config


def snapshot(*roots: Path) -> dict[str, str]:
    """Every file, directory and symlink under `roots` with its content hash (symlinks by target)."""
    state: dict[str, str] = {}
    for root in roots:
        if not root.exists() and not root.is_symlink():
            continue
        for directory, subdirectories, names in os.walk(root, followlinks=False):
            for name in subdirectories + names:
                path = Path(directory) / name
                if path.is_symlink():
                    state[str(path)] = "link:" + os.readlink(path)
                elif path.is_dir():
                    state[str(path)] = "dir"
                else:
                    state[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def invoke(*args: str, cwd: Path):
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(app, list(args))
    finally:
        os.chdir(previous)


def assert_refused(result, expected: str, before: dict, after: dict, hidden: tuple[str, ...] = ()) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert expected in result.stderr, result.stderr
    assert before == after, "the directory tree changed"
    for value in hidden:
        assert value not in result.stderr + result.stdout


def test_corpus_is_large_and_covers_every_verb_cloud_and_tier():
    assert len(CASES) + len(NON_STACK_CASES) >= 100
    assert {c.verb for c in CASES} == {"preview", "check", "render"}
    assert {c.base for c in CASES} == {"dev", "staging", "prod", "gcp-dev"}


@pytest.mark.parametrize("case", CASES, ids=[f"{c.base}:{c.expected.split(':')[0]}:{c.verb}" for c in CASES])
def test_stack_file_mistake(case: Case, make_project, tmp_path: Path):
    project = make_project({case.stack: _config(case)})
    out = tmp_path / "deployments"
    out.mkdir()
    (out / "README.md").write_text("deployment repository\n")
    args = {"preview": ["preview", case.stack], "check": ["check", case.stack, "--policy-pack", str(REPO / "policy")],
            "render": ["render", case.stack, "--out", str(out)]}[case.verb]
    before = snapshot(project.root, out)
    result = invoke(*args, cwd=project.root)
    assert_refused(result, f"stacks/Pulumi.{case.stack}.yaml: {case.expected}", before, snapshot(project.root, out),
                   case.not_echoed)


def test_a_mistake_in_a_service_is_reported_once_at_the_services_path(make_project):
    config = _set(copy.deepcopy(load_stack_yaml("dev")["config"]), "services.orders.resources.memory", "lots")
    project = make_project({"bad": config})
    result = invoke("preview", "bad", cwd=project.root)
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if "memory" in line]
    assert lines == ["stacks/Pulumi.bad.yaml: services.orders.resources.memory: must be a memory quantity such as "
                     "256Mi (got 'lots')"]


def test_a_job_is_blamed_for_what_it_sets_itself(make_project):
    config = copy.deepcopy(load_stack_yaml("dev")["config"])
    config = _set(config, "jobs.orders-backfill.queue", "thumbnails")   # 90 s messages on a 300 s queue: fine
    config = _set(config, "queues.thumbnails.visibility_timeout_seconds", 60)
    config = _set(config, "services.thumbnailer.max_message_seconds", 60)
    project = make_project({"bad": config})
    result = invoke("preview", "bad", cwd=project.root)
    assert result.exit_code == 2
    assert "stacks/Pulumi.bad.yaml: jobs.orders-backfill.queue: (90) must be <= " \
           "queues.thumbnails.visibility_timeout_seconds (60)" in result.stderr


# -- inputs other than the stack file's fields ----------------------------------------------------------

def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def _prod_outputs() -> dict:
    from .conftest import shipped_run

    return copy.deepcopy(shipped_run("prod").graph.stack_outputs)


def _outputs_case(mutate) -> Any:
    def build(tmp: Path) -> tuple[list[str], str]:
        outputs = _prod_outputs()
        expected = mutate(outputs, tmp)
        path = _write(tmp / "outputs.json", json.dumps(outputs))
        return ["render", "prod", "--outputs", str(path), "--out", str(tmp / "deployments")], expected
    return build


def _files(outputs: dict) -> dict:
    return outputs["deployment_files"]["files"]


def _rename_first(outputs: dict, new: str) -> None:
    files = _files(outputs)
    first = sorted(files)[0]
    files[new] = files.pop(first)


NON_STACK_CASES: dict[str, Any] = {
    "outputs-path-parent": _outputs_case(lambda o, t: (o["deployment_files"].update(path="../victim"),
                                                       "deployment_files.path: '../victim' must be a relative")[1]),
    "outputs-path-absolute": _outputs_case(lambda o, t: (o["deployment_files"].update(path=str(t / "victim")),
                                                         "deployment_files.path:")[1]),
    "outputs-file-parent": _outputs_case(lambda o, t: (_rename_first(o, "prod/../../victim/x.yaml"),
                                                       "must be a relative path inside the output directory")[1]),
    "outputs-file-absolute": _outputs_case(lambda o, t: (_rename_first(o, str(t / "victim" / "x.yaml")),
                                                         "must be a relative path inside")[1]),
    "outputs-file-other-env": _outputs_case(lambda o, t: (_rename_first(o, "staging/orders/x.yaml"),
                                                          "must be a file inside 'prod/'")[1]),
    "outputs-file-apps": _outputs_case(lambda o, t: (_rename_first(o, "prod/apps/x.yaml"),
                                                     "prod/apps/ belongs to the team")[1]),
    "outputs-file-not-yaml": _outputs_case(lambda o, t: (_rename_first(o, "prod/orders/run.sh"),
                                                         "must be a .yaml file")[1]),
    "outputs-missing-files": _outputs_case(lambda o, t: (o["deployment_files"].pop("files"),
                                                         "deployment_files.files: required field is missing")[1]),
    "outputs-missing-path": _outputs_case(lambda o, t: (o["deployment_files"].pop("path"),
                                                        "deployment_files.path: required field is missing")[1]),
    "outputs-missing-output": _outputs_case(lambda o, t: (o.pop("deployment_files"),
                                                          "deployment_files: required output is missing")[1]),
    "outputs-files-not-map": _outputs_case(lambda o, t: (o["deployment_files"].update(files=[]),
                                                         "deployment_files.files: must be an object")[1]),
    "outputs-manifest-not-map": _outputs_case(lambda o, t: (_files(o).update({sorted(_files(o))[0]: "x"}),
                                                            "must be a Kubernetes object")[1]),
    "outputs-secret-value": _outputs_case(lambda o, t: (
        _files(o)[sorted(_files(o))[0]].update(data={"token": "[secret]"}), "not resolved")[1]),
}


def _symlink_out(tmp: Path) -> tuple[list[str], str]:
    victim = tmp / "victim"
    victim.mkdir()
    (tmp / "deployments").mkdir()
    (tmp / "deployments" / "prod").symlink_to(victim)
    return ["render", "prod", "--out", str(tmp / "deployments")], "is a symbolic link"


def _symlink_workload_dir(tmp: Path) -> tuple[list[str], str]:
    victim = tmp / "victim"
    victim.mkdir()
    (tmp / "deployments" / "prod").mkdir(parents=True)
    (tmp / "deployments" / "prod" / "orders").symlink_to(victim)
    return ["render", "prod", "--out", str(tmp / "deployments")], "is a symbolic link"


def _out_is_file(tmp: Path) -> tuple[list[str], str]:
    return ["render", "prod", "--out", str(_write(tmp / "deployments", "x"))], "is a file"


def _env_dir_is_file(tmp: Path) -> tuple[list[str], str]:
    _write(tmp / "deployments" / "prod", "x")
    return ["render", "prod", "--out", str(tmp / "deployments")], "is a file where render needs a directory"


def _outputs_not_json(tmp: Path) -> tuple[list[str], str]:
    path = _write(tmp / "outputs.json", "{not json")
    return ["render", "prod", "--outputs", str(path), "--out", str(tmp / "d")], "outputs.json: not the JSON"


def _outputs_list(tmp: Path) -> tuple[list[str], str]:
    path = _write(tmp / "outputs.json", "[]")
    return ["render", "prod", "--outputs", str(path), "--out", str(tmp / "d")], "outputs.json: must be a JSON object"


def _outputs_missing_file(tmp: Path) -> tuple[list[str], str]:
    return ["render", "prod", "--outputs", str(tmp / "none.json"), "--out", str(tmp / "d")], "none.json: not the JSON"


NON_STACK_CASES.update({
    "render-symlinked-env-dir": _symlink_out,
    "render-symlinked-workload-dir": _symlink_workload_dir,
    "render-out-is-file": _out_is_file,
    "render-env-dir-is-file": _env_dir_is_file,
    "outputs-not-json": _outputs_not_json,
    "outputs-not-object": _outputs_list,
    "outputs-file-missing": _outputs_missing_file,
    "stack-name-traversal": lambda t: (["preview", "../../etc/passwd"], "is not a stack name"),
    "stack-name-traversal-check": lambda t: (["check", "../x"], "is not a stack name"),
    "stack-name-traversal-render": lambda t: (["render", "../x", "--out", str(t / "d")], "is not a stack name"),
    "unknown-stack": lambda t: (["preview", "qa"], "stacks/Pulumi.qa.yaml: no such stack file"),
    "project-dir-missing": lambda t: (["preview", "dev", "-C", str(t / "nowhere")], "no Pulumi.yaml there"),
    "policy-config-missing": lambda t: (["check", "dev", "--policy-pack-config", str(t / "none.json")],
                                        "none.json: not a policy config file"),
    "policy-config-unknown-policy": lambda t: (["check", "dev", "--policy-pack-config",
                                                str(_write(t / "p.json", '{"no-such-rule": "mandatory"}'))],
                                               "p.json: unknown policies ['no-such-rule']"),
    "policy-config-bad-level": lambda t: (["check", "dev", "--policy-pack-config",
                                           str(_write(t / "p.json", '{"k8s-probes": "fatal"}'))],
                                          "p.json: k8s-probes: unknown enforcement level 'fatal'"),
    "policy-config-bad-setting": lambda t: (["check", "dev", "--policy-pack-config",
                                             str(_write(t / "p.json", '{"k8s-image-pinned": {"require_digest": 3}}'))],
                                            "p.json: k8s-image-pinned: 3 is not of type 'boolean'"),
    "policy-pack-missing": lambda t: (["check", "dev", "--policy-pack", str(t)], "not a policy pack"),
    "check-neither-stack-nor-all": lambda t: (["check"], "name one stack or pass --all"),
})


@pytest.mark.parametrize("name", sorted(NON_STACK_CASES))
def test_other_inputs(name: str, tmp_path: Path):
    (tmp_path / "victim").mkdir(exist_ok=True) if "outputs" in name else None
    _write(tmp_path / "victim" / "keep.yaml", "precious: true\n") if "outputs" in name else None
    args, expected = NON_STACK_CASES[name](tmp_path)
    before = snapshot(tmp_path, REPO / "stacks")
    result = invoke(*args, cwd=REPO)
    assert_refused(result, expected, before, snapshot(tmp_path, REPO / "stacks"))


@pytest.mark.parametrize("text, expected", [
    ("cloud: aws\nregion: us-east-1\ntier: dev\n", "cloud: settings belong under `config:`"),
    ("config:\n  cloud: aws\n  platform:cloud: gcp\n  region: us-east-1\n  tier: dev\n",
     "platform:cloud: set twice, as 'cloud' and 'platform:cloud'"),
    (b"config:\n  cloud: aws\n  region: \xff\xfe\n", "not UTF-8 text"),
    ("config:\n  cloud: [aws\n", "expected ',' or ']', but got '<stream end>' (line 3, column 1)"),
    ("config:\n  - cloud\n", "config: must be a mapping"),
    ("- config\n", "must be a mapping with a 'config' key"),
    ("config:\n  cloud: aws\n  cloud: gcp\n", "found duplicate key \"cloud\""),
    ("config:\n  cloud: aws\n  region: us-east-1\n  tier: dev\n  argocd_repo_password: hunter2-plain\n",
     "argocd_repo_password: must be stored as a secret"),
])
def test_unreadable_or_misshapen_stack_files(text: str | bytes, expected: str, make_project):
    project = make_project({})
    _write(project.root / "stacks" / "Pulumi.bad.yaml", text)
    before = snapshot(project.root)
    result = invoke("preview", "bad", cwd=project.root)
    assert_refused(result, f"stacks/Pulumi.bad.yaml: {expected}", before, snapshot(project.root),
                   ("hunter2-plain",))


def test_a_stack_name_that_makes_the_gke_cluster_name_too_long(make_project):
    name = "europe-west-production-b"   # platform-europe-west-production-b: 33 characters, fits
    project = make_project({name: load_stack_yaml("gcp-dev")["config"]})
    result = invoke("preview", name, cwd=project.root)
    assert result.exit_code == 0, result.stderr
    longer = name + "-canary1"
    project = make_project({longer: load_stack_yaml("gcp-dev")["config"]}, directory="longer")
    result = invoke("preview", longer, cwd=project.root)
    assert result.exit_code == 2
    assert f"stacks/Pulumi.{longer}.yaml: the GKE cluster name 'platform-{longer}' (<project>-<stack>) is 41 " \
           "characters; GKE allows at most 40" in result.stderr


def test_check_all_without_stack_files_fails(make_project):
    project = make_project({})
    result = invoke("check", "--all", cwd=project.root)
    assert result.exit_code == 2
    assert "--all: no stack files" in result.stderr


def test_yaml_corpus_helpers_write_real_yaml(tmp_path: Path):
    # The corpus writes configs with ruamel; a value it could not represent would make every case meaningless.
    data = {"config": _config(CASES[0])}
    with (tmp_path / "x.yaml").open("w") as handle:
        YAML().dump(data, handle)
    assert YAML(typ="safe").load((tmp_path / "x.yaml").read_text()) == data
