"""`stackctl preview`: the real program, offline, deterministic, in the documented JSON format."""

from __future__ import annotations

import json

import pytest

from stackctl.engine.graph import ResourceRecord

from .conftest import PROJECT, SHIPPED_STACKS, shipped_run, stackctl

RECORD_KEYS = list(ResourceRecord.JSON_FIELDS)


def test_preview_dev_prints_the_tree():
    result = stackctl("preview", "dev")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Previewing stack 'dev' of project 'platform'" in out
    assert " +   pulumi:pulumi:Stack" in out
    assert "platform:index:SqsWorkQueue" in out and "dev-orders-queue" in out
    assert "name=dev-orders visibilityTimeoutSeconds=120" in out
    assert f"+ {len(shipped_run('dev').graph.resources)} to create" in out


def test_two_runs_are_byte_identical():
    first = stackctl("preview", "dev", "--json")
    second = stackctl("preview", "dev", "--json")
    assert first.returncode == 0 and first.stdout == second.stdout
    assert shipped_run("dev").graph.dumps() == first.stdout  # a third, direct run


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_json_format(stack: str):
    result = stackctl("preview", stack, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["project", "stack", "resources", "outputs"]
    assert data["outputs"] == json.loads(json.dumps(shipped_run(stack).graph.stack_outputs))
    assert (data["project"], data["stack"]) == ("platform", stack)
    urns = [r["urn"] for r in data["resources"]]
    assert len(urns) == len(set(urns))
    for record in data["resources"]:
        assert list(record) == RECORD_KEYS
        assert record["urn"].startswith(f"urn:pulumi:{stack}::platform::")
        assert record["urn"].endswith("::" + record["name"])
        assert record["urn"].split("::")[2].split("$")[-1] == record["type"]
        # Parents come first and are real resources.
        if record["parent"]:
            assert record["parent"] in urns[: urns.index(record["urn"])]
        for dependency in record["dependencies"]:
            assert dependency in urns
        if record["custom"] and not record["type"].startswith("pulumi:providers:"):
            provider_urn, provider_id = record["provider"].rsplit("::", 1)
            assert provider_urn in urns and provider_id


def test_every_cloud_resource_uses_the_environments_explicit_provider():
    graph = shipped_run("dev").graph
    provider = graph.by_urn["urn:pulumi:dev::platform::platform:index:Environment$pulumi:providers:aws::dev-aws"]
    assert provider.inputs["region"] == "us-east-1"
    tags = json.loads(provider.inputs["defaultTags"])["tags"]
    assert tags == {"environment": "dev", "tier": "dev", "managed-by": "pulumi", "pulumi-project": "platform",
                    "team": "platform"}
    for record in graph.resources:
        if record.custom and record.type.startswith("aws:"):
            assert record.provider == f"{provider.urn}::{provider.id}"


def test_dependencies_and_property_dependencies_are_recorded():
    graph = shipped_run("dev").graph
    base = "urn:pulumi:dev::platform::platform:index:Environment$platform:index:SqsWorkQueue$"
    queue = graph.by_urn[base + "aws:sqs/queue:Queue::dev-orders-queue"]
    dlq = base + "aws:sqs/queue:Queue::dev-orders-dlq"
    assert dlq in queue.dependencies
    assert queue.propertyDependencies["redrivePolicy"] == [dlq]


def test_stack_outputs_are_shown():
    result = stackctl("preview", "gcp-dev")
    assert result.returncode == 0, result.stderr
    assert '"orders": "projects/acme-platform-dev/subscriptions/gcp-dev-orders"' in result.stdout


def test_json_includes_stack_outputs_with_secrets_masked():
    data = json.loads(stackctl("preview", "prod", "--json").stdout)
    assert data["outputs"]["kubeconfig"] == "[secret]"
    assert data["outputs"]["cluster_name"] == shipped_run("prod").graph.stack_outputs["cluster_name"]
    assert data["outputs"]["deployment_files"]["path"] == "prod"


def test_project_dir_option_and_unknown_stack():
    result = stackctl("preview", "nope", "--project-dir", str(PROJECT.root), cwd=PROJECT.root.parent)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("stacks/Pulumi.nope.yaml: no such stack file (stacks: dev,")
    assert "Traceback" not in result.stderr


def test_large_outputs_are_summarised_in_the_tree():
    from stackctl.tree import render_preview

    run = shipped_run("prod")
    text = render_preview(run)
    files = run.graph.stack_outputs["deployment_files"]["files"]
    assert f'deployment_files: {{"path": "prod", "files": <{len(files)} manifests: stackctl render>}}' in text
    # A line per resource, the stack's small outputs (each queue's endpoints take five lines), no manifests.
    queues = len(run.graph.stack_outputs["queue_endpoints"])
    assert len(text.splitlines()) < len(run.graph.resources) + 40 + 5 * queues
