"""Issue 24, item 2: destroy and re-create prod with its retained queues and their key (against moto)."""

from __future__ import annotations

import copy
import json

import boto3
import pytest
from moto import mock_aws

from components import SpecError, parse_environment
from components.rules.stateful import DATA_KEY_FIELDS, KEY_TYPES, adoptable_resources, retained_resources
from components.spec import EnvironmentSpec
from stackctl.delivery.retained import Where, adopt_block, retained
from stackctl.diff.state import read_export
from stackctl.engine.runner import run_stack

from .aws_replay import ImportMismatch, Replay
from .conftest import SHIPPED_STACKS, load_stack_yaml, shipped_run, stackctl

PROD_KEY = "aws:kms/key:Key::prod-queues"
SECRET_ARN = "arn:aws:secretsmanager:us-west-2:123456789012:secret:orders/db-url-AbCdEf"


def plain_config(stack: str) -> dict:
    """The stack file's config without its secrets (`secure:` values are the program's, not the spec's)."""
    config = copy.deepcopy(load_stack_yaml(stack)["config"])
    return {key: value for key, value in config.items() if key not in EnvironmentSpec.SECRET_KEYS}


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_the_retained_set_is_what_the_components_retain(stack: str):
    graph = shipped_run(stack).graph
    spec = parse_environment(plain_config(stack), f"stacks/Pulumi.{stack}.yaml")
    assert retained_resources(spec, stack) == sorted(
        f"{r.type}::{r.name}" for r in graph.resources if r.retainOnDelete)


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_retained_resource_keeps_its_key(stack: str):
    """The rule `retained-resources-readable`, on the graph's own retainOnDelete (which analyzers do not see)."""
    graph = shipped_run(stack).graph
    for record in graph.resources:
        field = DATA_KEY_FIELDS.get(record.type)
        if not record.retainOnDelete or field is None:
            continue
        for urn in record.propertyDependencies.get(field, []):
            key = graph.by_urn[urn]
            if key.type in KEY_TYPES:
                assert key.retainOnDelete and key.protect, f"{record.urn} keeps {key.urn}"


def test_prod_retains_its_queue_key_with_the_queues():
    kept = {f"{r.type}::{r.name}" for r in shipped_run("prod").graph.resources if r.retainOnDelete}
    assert PROD_KEY in kept and "aws:sqs/queue:Queue::prod-orders-queue" in kept


def test_unknown_adopt_keys_are_refused_naming_the_field():
    config = plain_config("prod")
    config["adopt_retained"] = {"aws:sqs/queue:Queue::prod-nope": "https://sqs/x"}
    with pytest.raises(SpecError) as caught:
        parse_environment(config, "stacks/Pulumi.prod.yaml", environment="prod", project="platform")
    [problem] = [p.render("stacks/Pulumi.prod.yaml") for p in caught.value.problems]
    assert problem.startswith("stacks/Pulumi.prod.yaml: adopt_retained.aws:sqs/queue:Queue::prod-nope: names no "
                              "resource this stack retains on delete")


def _export(path, graph, replay: Replay) -> None:
    """What `pulumi stack export` holds before the destroy: each resource's URN, type and cloud id."""
    resources = [{"urn": r.urn, "type": r.type, "custom": r.custom, "id": replay.ids.get(r.urn, "")}
                 for r in graph.resources]
    path.write_text(json.dumps({"version": 3, "deployment": {"resources": resources}}))


@mock_aws
def test_destroy_then_create_adopts_the_retained_queues_and_key(make_project, tmp_path):
    first = shipped_run("prod").graph
    cloud = Replay()
    cloud.up(first)
    sqs = boto3.client("sqs", region_name=cloud.region)
    orders = sqs.get_queue_url(QueueName="prod-orders")["QueueUrl"]
    sqs.send_message(QueueUrl=orders, MessageBody="order 1")
    export = tmp_path / "prod-export.json"
    _export(export, first, cloud)

    cloud.destroy(first)
    assert f"retain {PROD_KEY}" in cloud.log
    # The kept DLQ keeps its TLS-only policy and redrive permission; the work queue's policy, which grants the
    # declared producers, goes (a queue nobody consumes must not go on taking their messages).
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=orders, AttributeNames=["Policy"]).get("Attributes", {})
    assert "delete aws:sqs/queuePolicy:QueuePolicy::prod-orders-queue-policy" in cloud.log
    # (moto keeps no RedriveAllowPolicy to read back, and setting it drops the queue's Policy, which SQS does not:
    # the DLQ's two are read from the replay's log.)
    for kept in ("aws:sqs/queuePolicy:QueuePolicy::prod-orders-dlq-policy",
                 "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy::prod-orders-dlq-redrive-allow"):
        assert f"retain {kept}" in cloud.log, kept
    key_id = cloud.ids[next(r.urn for r in first.of_type("aws:kms/key:Key") if r.name == "prod-queues")]
    assert cloud.kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"

    # A plain re-create collides with the kept queues: a new key, so different attributes.
    naive = Replay()
    with pytest.raises(Exception, match="QueueAlreadyExists"):
        naive.up(first)

    # The documented path: the adopt block from the export, then `pulumi up`.
    items = retained(first, Where(region="us-west-2", aws_account_id="123456789012"), read_export(export))
    assert all(item.id for item in items) and {item.key for item in items} == set(
        adoptable_resources(parse_environment(plain_config("prod"), "p"), "prod"))
    config = copy.deepcopy(load_stack_yaml("prod")["config"])
    config["adopt_retained"] = {item.key: item.id for item in items}
    second = run_stack(make_project({"prod": config}), "prod").graph
    assert {f"{r.type}::{r.name}" for r in second.resources if r.import_id} == {item.key for item in items}
    again = Replay()
    again.up(second)
    assert sum(line.startswith("import ") for line in again.log) == len(items)
    # What was kept with the queues, and the producers' policy, are written again, not imported.
    for kept in ("aws:sqs/queuePolicy:QueuePolicy::prod-orders-queue-policy",
                 "aws:sqs/queuePolicy:QueuePolicy::prod-orders-dlq-policy",
                 "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy::prod-orders-dlq-redrive-allow"):
        assert f"create {kept}" in again.log, kept
    producers = json.loads(sqs.get_queue_attributes(QueueUrl=orders, AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert "SnsSourcesSend" in [s["Sid"] for s in producers["Statement"]]
    [message] = sqs.receive_message(QueueUrl=orders)["Messages"]
    assert message["Body"] == "order 1"
    block = adopt_block("stacks/Pulumi.prod.yaml", items)
    assert f'"{PROD_KEY}": "{key_id}"' in block


@mock_aws
def test_a_destroy_that_deletes_the_key_leaves_queues_that_cannot_be_adopted():
    """What the issue found: the key only protected, not retained; the kept queues' key is scheduled for deletion
    and the import refuses it."""
    graph = shipped_run("prod").graph
    cloud = Replay()
    cloud.up(graph)
    key = next(r for r in graph.of_type("aws:kms/key:Key") if r.name == "prod-queues")
    key.retainOnDelete = False
    try:
        cloud.destroy(graph)
    finally:
        key.retainOnDelete = True
    adopting = Replay()
    adopting.real, adopting.ids = dict(cloud.real), dict(cloud.ids)
    with pytest.raises(ImportMismatch, match="PendingDeletion"):
        adopting._import_key(key, adopting.resolved(key.inputs), cloud.ids[key.urn])


def test_import_retained_prints_the_block_and_names_what_needs_the_export(tmp_path):
    result = stackctl("import-retained", "prod")
    assert result.returncode == 2
    assert '"aws:sqs/queue:Queue::prod-orders-queue": "https://sqs.us-west-2.amazonaws.com/123456789012/prod-orders"' \
        in result.stdout
    assert f"{PROD_KEY}: no id: pass --state" in result.stderr
    assert "aws:secretsmanager/secret:Secret::prod-secret-orders/db-url: no id" in result.stderr
    # The hint for finding a key's id covers the secrets key as well as the queue key.
    secrets_key = next(line for line in result.stderr.splitlines() if "Key::prod-app-secrets: no id" in line)
    assert "a secret's KmsKeyId for the secrets key" in secrets_key
    export = tmp_path / "export.json"
    graph = shipped_run("prod").graph
    export.write_text(json.dumps({"version": 3, "deployment": {"resources": [
        {"urn": r.urn, "type": r.type, "id": {"aws:kms/key:Key": "1234abcd-key",
                                              "aws:secretsmanager/secret:Secret": SECRET_ARN}.get(r.type, "")}
        for r in graph.resources]}}))
    ok = stackctl("import-retained", "prod", "--state", str(export))
    assert ok.returncode == 0, ok.stderr
    assert f'"{PROD_KEY}": "1234abcd-key"' in ok.stdout
    assert f'"aws:secretsmanager/secret:Secret::prod-secret-orders/db-url": "{SECRET_ARN}"' in ok.stdout
    assert stackctl("import-retained", "dev").returncode == 2


def test_gcp_prod_adopts_the_queue_ring_and_key_but_not_the_clusters_ring():
    """The cluster's ring is retained (Cloud KMS cannot delete it) but a re-create must not adopt it: its
    `kubernetes-secrets` key name is still taken there. The queue ring is adopted with its retained key."""
    graph = shipped_run("gcp-prod").graph
    items = retained(graph, Where(region="europe-west1", gcp_project="acme-platform-prod"))
    keys = {item.key for item in items}
    assert "gcp:kms/keyRing:KeyRing::gcp-prod-keyring" not in keys
    assert {"gcp:kms/keyRing:KeyRing::gcp-prod-queues", "gcp:kms/cryptoKey:CryptoKey::gcp-prod-queues"} <= keys
    spec = parse_environment(plain_config("gcp-prod"), "p")
    assert keys == set(adoptable_resources(spec, "gcp-prod"))
    derived = {item.key: item.id for item in items if item.id}
    topic = "projects/acme-platform-prod/topics/gcp-prod-orders"
    assert derived["gcp:pubsub/topic:Topic::gcp-prod-orders-topic"] == topic
    config = plain_config("gcp-prod")
    config["adopt_retained"] = {"gcp:kms/keyRing:KeyRing::gcp-prod-keyring": "projects/x/locations/y/keyRings/z"}
    with pytest.raises(SpecError, match="adopt_retained.gcp:kms/keyRing:KeyRing::gcp-prod-keyring: names no resource"):
        parse_environment(config, "stacks/Pulumi.gcp-prod.yaml", environment="gcp-prod", project="platform")
