"""Issue 14: secrets mounted as read-only files (`secret_files`), in push and GitOps delivery."""

from __future__ import annotations

import copy
import json
import re

import pytest

from components.workloads.secret_files import file_key
from stackctl.engine.runner import run_stack
from stackctl.schemas import validate_manifest

from .conftest import load_stack_yaml, stackctl
from .workload_helpers import manifest, manifests, pod_specs

FILES = {
    "/etc/orders/db.json": {"aws_secret": "orders/dbconfig"},
    "/etc/orders/tls.key": {"secret": "orders-tls", "key": "tls.key"},
    "/var/run/orders/token": {"aws_secret": "orders/token", "key": "value"},
}


def _graph(make_project, stack: str, files: dict):
    config = copy.deepcopy(load_stack_yaml(stack)["config"])
    config["services"]["orders"]["secret_files"] = files
    return run_stack(make_project({stack: config}), stack).graph


@pytest.mark.parametrize("stack", ["dev", "prod"])  # dev: push, prod: GitOps (rendered)
def test_secret_files_are_mounted_read_only_from_their_secrets(stack, make_project):
    graph = _graph(make_project, stack, FILES)
    deployment = manifest(graph, "Deployment", "orders", "orders")
    assert validate_manifest(deployment, "1.35") == []
    pod = pod_specs(graph)["Deployment/orders"]
    volumes = {v["name"]: v for v in pod["volumes"] if "projected" in v}
    mounts = {m["mountPath"]: m for m in pod["containers"][0]["volumeMounts"] if m["name"] in volumes}
    assert set(mounts) == {"/etc/orders", "/var/run/orders"}
    assert all(m["readOnly"] is True for m in mounts.values())
    etc = volumes[mounts["/etc/orders"]["name"]]["projected"]
    assert etc["defaultMode"] == 0o400
    # One directory, two Secrets: the ESO-written cloud one and the existing Kubernetes one.
    assert etc["sources"] == [
        {"secret": {"name": "orders-cloud-secrets", "items": [{"key": file_key("/etc/orders/db.json"),
                                                                "path": "db.json"}]}},
        {"secret": {"name": "orders-tls", "items": [{"key": "tls.key", "path": "tls.key"}]}},
    ]
    # The writable emptyDir stays as it was.
    assert {"name": "writable-tmp", "mountPath": "/tmp"} in pod["containers"][0]["volumeMounts"]
    external = manifest(graph, "ExternalSecret", "orders-cloud-secrets", "orders")
    assert validate_manifest(external, "1.35") == []
    data = {d["secretKey"]: d["remoteRef"] for d in external["spec"]["data"]}
    assert data[file_key("/etc/orders/db.json")] == {"key": "orders/dbconfig"}
    assert data[file_key("/var/run/orders/token")] == {"key": "orders/token", "property": "value"}
    assert "DATABASE_URL" in data  # the shipped secret_env entry is kept beside the files
    [policy] = [r for r in graph.resources if r.name == f"{stack}-orders-read-secrets"]
    resources = json.loads(policy.inputs["policy"])["Statement"][0]["Resource"]
    # The program creates the secret container; the grant names its exact ARN.
    assert any(re.search(r":secret:orders/dbconfig-[0-9a-f]{6}$", r) for r in resources)
    assert any(re.search(r":secret:orders/token-[0-9a-f]{6}$", r) for r in resources)
    assert not any(m["kind"] == "Secret" and m["metadata"]["name"] == "orders-cloud-secrets"
                   for m in manifests(graph))


def test_a_workload_with_only_secret_files_gets_external_secrets(make_project):
    config = copy.deepcopy(load_stack_yaml("staging")["config"])
    config["services"]["orders"]["secret_files"] = {"/etc/orders/db.json": {"aws_secret": "orders/dbconfig"}}
    graph = run_stack(make_project({"staging": config}), "staging").graph
    external = manifest(graph, "ExternalSecret", "orders-cloud-secrets", "orders")
    assert external["spec"]["data"] == [{"secretKey": file_key("/etc/orders/db.json"),
                                         "remoteRef": {"key": "orders/dbconfig"}}]


@pytest.mark.parametrize(("files", "expected"), [
    ({"etc/orders/db.json": {"aws_secret": "orders/db"}},
     "services.orders.secret_files.etc/orders/db.json: must be an absolute, normalised file path"),
    ({"/etc/orders/../db.json": {"aws_secret": "orders/db"}},
     "services.orders.secret_files./etc/orders/../db.json: must be an absolute, normalised file path"),
    ({"/db.json": {"aws_secret": "orders/db"}},
     "services.orders.secret_files./db.json: must be inside a directory other than '/'"),
    ({"/tmp/db.json": {"aws_secret": "orders/db"}},
     "services.orders.secret_files./tmp/db.json: its directory /tmp overlaps writable path /tmp"),
    ({"/etc/db.json": {"aws_secret": "orders/db"}, "/etc/orders/tls.key": {"aws_secret": "orders/tls"}},
     "services.orders.secret_files./etc/orders/tls.key: its directory /etc/orders is inside /etc"),
    ({"/etc/orders/tls.key": {"secret": "orders-tls"}},
     "services.orders.secret_files./etc/orders/tls.key.key: required with secret"),
    ({"/etc/orders/db.json": {"gcp_secret": "orders-db"}},
     "services.orders.secret_files./etc/orders/db.json.gcp_secret: this environment's cloud is 'aws'"),
])
def test_a_wrong_secret_file_is_refused_with_its_path(files, expected, make_project):
    config = copy.deepcopy(load_stack_yaml("dev")["config"])
    config["services"]["orders"]["secret_files"] = files
    project = make_project({"dev": config})
    result = stackctl("preview", "dev", cwd=project.root)
    assert result.returncode == 2, result.stdout
    assert f"stacks/Pulumi.dev.yaml: {expected}" in result.stderr
    assert "Traceback" not in result.stderr
