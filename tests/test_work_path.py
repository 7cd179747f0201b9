"""The work path (issue 22): who puts work on a queue, what a worker may reach, the secrets the program owns."""

from __future__ import annotations

import copy
import json

import pytest

from components import SpecError
from components.rules.work_path import send_grant_targets, source_service, unscoped_allow_statements
from stackctl.engine.runner import run_stack
from stackctl.schemas import validate_manifest

from .conftest import load_stack_yaml, shipped_run, stackctl
from .workload_helpers import manifest, manifests, pod_specs

SNS_SOURCE = "arn:aws:sns:us-west-2:123456789012:order-events"


def _named(graph, name: str, type_: str | None = None):
    [record] = [r for r in graph.resources if r.name == name and r.custom and type_ in (None, r.type)]
    return record


def _statements(text: str) -> list[dict]:
    return json.loads(text)["Statement"]


def _env(spec: dict) -> dict:
    return {e["name"]: e.get("value") for e in spec["containers"][0].get("env", [])}


# --- producers ------------------------------------------------------------------------------------------------

@pytest.mark.slow(3)
def test_dev_preview_json_shows_the_producer_may_send_to_orders_and_nothing_else():
    result = stackctl("preview", "dev", "--json")
    assert result.returncode == 0, result.stderr
    resources = {r["name"]: r for r in json.loads(result.stdout)["resources"]}
    queue_arn = "arn:aws:sqs:us-east-1:123456789012:dev-orders"
    send = resources["dev-orders-backfill-send-orders"]
    assert send["type"] == "aws:iam/rolePolicy:RolePolicy" and send["inputs"]["role"].endswith("orders-backfill")
    # SSE-SQS in dev: no key to grant.
    assert _statements(send["inputs"]["policy"]) == [
        {"Sid": "SendToWorkQueue", "Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:GetQueueUrl"],
         "Resource": queue_arn}]
    # Only the declared producer may send: no other role policy allows sqs:SendMessage.
    senders = [name for name, r in resources.items() if r["type"] == "aws:iam/rolePolicy:RolePolicy"
               and send_grant_targets(r["inputs"]["policy"])]
    assert senders == ["dev-orders-backfill-send-orders"]
    outputs = json.loads(result.stdout)["outputs"]
    assert outputs["queue_endpoints"]["orders"]["arn"] == queue_arn
    assert outputs["queue_endpoints"]["orders"]["url"] == outputs["queues"]["orders"]
    assert "queue_key" not in outputs  # dev queues use SSE-SQS


def test_the_producer_gets_the_queue_address_and_keeps_consuming_nothing():
    graph = shipped_run("dev").graph
    env = _env(pod_specs(graph)["CronJob/orders-backfill"])
    assert env["SEND_QUEUE_ORDERS"] == "https://sqs.us-east-1.amazonaws.com/123456789012/dev-orders"
    assert env["SEND_QUEUE_KIND"] == "sqs" and env["AWS_REGION"] == "us-east-1"
    assert "WORK_QUEUE_ADDRESS" not in env  # `queue: null`: a producer only
    assert "SEND_QUEUE_ORDERS" not in _env(pod_specs(graph)["Deployment/orders"])


def test_prod_producer_may_encrypt_with_the_queue_key_and_the_sns_source_is_admitted_on_both_policies():
    graph = shipped_run("prod").graph
    key = _named(graph, "prod-queues")
    queue = _named(graph, "prod-orders-queue")
    assert queue.inputs["kmsMasterKeyId"] == key.outputs["arn"]
    send = _named(graph, "prod-orders-api-send-orders")
    assert _statements(send.inputs["policy"])[1] == {
        "Sid": "EncryptMessages", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": key.outputs["arn"]}
    # The queue policy: TLS only, and SNS for the declared topic only.
    deny, sns = _statements(_named(graph, "prod-orders-queue-policy").inputs["policy"])
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sns == {"Sid": "SnsSourcesSend", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                   "Action": "sqs:SendMessage", "Resource": queue.outputs["arn"],
                   "Condition": {"ArnEquals": {"aws:SourceArn": [SNS_SOURCE]}}}
    # The key policy: the account statement, and SNS may encrypt for that topic only.
    account, service = _statements(key.inputs["policy"])
    assert account["Sid"] == "AccountAdministersKeyThroughIam"
    assert service == {"Sid": "SnsSourcesEncryptForQueues", "Effect": "Allow",
                       "Principal": {"Service": "sns.amazonaws.com"}, "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                       "Resource": "*", "Condition": {"ArnEquals": {"aws:SourceArn": [SNS_SOURCE]}}}
    # Other queues admit nobody from outside.
    assert len(_statements(_named(graph, "prod-thumbnails-queue-policy").inputs["policy"])) == 1
    outputs = graph.stack_outputs
    assert outputs["queue_key"] == key.outputs["arn"]
    assert set(outputs["queue_endpoints"]) == set(load_stack_yaml("prod")["config"]["queues"])


def test_gcp_dev_producer_publishes_to_the_orders_topic_only():
    graph = shipped_run("gcp-dev").graph
    grant = _named(graph, "gcp-dev-orders-backfill-send-orders")
    account = _named(graph, "gcp-dev-orders-backfill")
    topic = _named(graph, "gcp-dev-orders-topic")
    assert grant.type == "gcp:pubsub/topicIAMMember:TopicIAMMember"
    assert grant.inputs == {"topic": topic.outputs["name"], "role": "roles/pubsub.publisher",
                            "member": f"serviceAccount:{account.outputs['email']}"}
    publishers = [r.name for r in graph.of_type("gcp:pubsub/topicIAMMember:TopicIAMMember")
                  if r.inputs["role"] == "roles/pubsub.publisher" and "agent" not in r.name]
    assert publishers == ["gcp-dev-orders-backfill-send-orders"]
    env = _env(pod_specs(graph)["CronJob/orders-backfill"])
    assert env["SEND_QUEUE_ORDERS"] == topic.id == "projects/acme-platform-dev/topics/gcp-dev-orders"
    assert env["SEND_QUEUE_KIND"] == "pubsub" and env["GOOGLE_CLOUD_PROJECT"] == "acme-platform-dev"
    assert graph.stack_outputs["queue_endpoints"]["orders"]["topic"] == topic.id


def test_external_principals_get_send_and_key_grants(make_project):
    config = copy.deepcopy(load_stack_yaml("prod")["config"])
    checkout = "arn:aws:iam::210987654321:role/checkout"
    config["queues"]["orders"]["producers"]["principals"] = [checkout]
    config["queues"]["reports"]["producers"] = {"sources": ["arn:aws:events:us-west-2:123456789012:rule/month-end",
                                                            "arn:aws:s3:::acme-reports-inbox"]}
    graph = run_stack(make_project({"prod": config}), "prod").graph
    statements = _statements(_named(graph, "prod-orders-queue-policy").inputs["policy"])
    assert {"Sid": "DeclaredProducersSend", "Effect": "Allow", "Principal": {"AWS": [checkout]},
            "Action": ["sqs:SendMessage", "sqs:GetQueueUrl"],
            "Resource": "arn:aws:sqs:us-west-2:123456789012:prod-orders"} in statements
    reports = _statements(_named(graph, "prod-reports-queue-policy").inputs["policy"])
    assert {s["Principal"]["Service"]: s["Condition"] for s in reports if s["Effect"] == "Allow"} == {
        "events.amazonaws.com": {"ArnEquals": {"aws:SourceArn": ["arn:aws:events:us-west-2:123456789012:rule/"
                                                                 "month-end"]}},
        # A bucket ARN names no account: S3 must also deliver for the bucket owner's (default: the queue's).
        "s3.amazonaws.com": {"ArnEquals": {"aws:SourceArn": ["arn:aws:s3:::acme-reports-inbox"]},
                             "StringEquals": {"aws:SourceAccount": "123456789012"}}}
    key = {s["Sid"]: s for s in _statements(_named(graph, "prod-queues").inputs["policy"])}
    assert key["DeclaredProducersEncryptThroughSqs"]["Principal"] == {"AWS": [checkout]}
    assert key["DeclaredProducersEncryptThroughSqs"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "sqs.us-west-2.amazonaws.com"}}
    assert key["S3SourcesEncryptForQueues"]["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert "StringEquals" not in key["EventsSourcesEncryptForQueues"]["Condition"]
    assert set(key) == {"AccountAdministersKeyThroughIam", "DeclaredProducersEncryptThroughSqs",
                        "EventsSourcesEncryptForQueues", "S3SourcesEncryptForQueues", "SnsSourcesEncryptForQueues"}
    # A bucket another account owns: that account, in the queue policy and on the key.
    config["queues"]["reports"]["producers"]["bucket_owner"] = "555566667777"
    graph = run_stack(make_project({"prod": config}), "prod").graph
    [s3] = [s for s in _statements(_named(graph, "prod-reports-queue-policy").inputs["policy"])
            if s.get("Principal") == {"Service": "s3.amazonaws.com"}]
    assert s3["Condition"]["StringEquals"] == {"aws:SourceAccount": "555566667777"}
    key = {s["Sid"]: s for s in _statements(_named(graph, "prod-queues").inputs["policy"])}
    assert key["S3SourcesEncryptForQueues"]["Condition"]["StringEquals"] == {"aws:SourceAccount": "555566667777"}
    # Buckets of two owners on one key: each bucket only with its own owner, never the other's.
    config["queues"]["orders"]["producers"]["sources"].append("arn:aws:s3:::acme-orders-inbox")
    graph = run_stack(make_project({"prod": config}), "prod").graph
    key = {s["Sid"]: s["Condition"] for s in _statements(_named(graph, "prod-queues").inputs["policy"])
           if s["Sid"].startswith("S3")}
    assert key == {
        "S3SourcesEncryptForQueuesOf123456789012": {"ArnEquals": {"aws:SourceArn": ["arn:aws:s3:::acme-orders-inbox"]},
                                                    "StringEquals": {"aws:SourceAccount": "123456789012"}},
        "S3SourcesEncryptForQueuesOf555566667777": {"ArnEquals": {"aws:SourceArn": ["arn:aws:s3:::acme-reports-inbox"]},
                                                    "StringEquals": {"aws:SourceAccount": "555566667777"}}}
    # Every Allow for a service names its source: the policy pack's rule finds nothing to flag.
    for name in ("prod-orders-queue-policy", "prod-reports-queue-policy", "prod-queues"):
        assert unscoped_allow_statements(_named(graph, name).inputs["policy"]) == [], name


def test_gcp_external_principals_are_publishers_named_by_member(make_project):
    config = copy.deepcopy(load_stack_yaml("gcp-dev")["config"])
    member = "serviceAccount:checkout@acme-shop.iam.gserviceaccount.com"
    config["queues"]["orders"]["producers"] = {"principals": [member]}
    graph = run_stack(make_project({"gcp-dev": config}), "gcp-dev").graph
    [grant] = [r for r in graph.of_type("gcp:pubsub/topicIAMMember:TopicIAMMember") if r.inputs["member"] == member]
    assert grant.name.startswith("gcp-dev-orders-producer-") and grant.inputs["role"] == "roles/pubsub.publisher"
    assert grant.inputs["topic"] == "gcp-dev-orders"


# --- dependencies: egress and calls --------------------------------------------------------------------------

def _policy(graph, name: str, namespace: str) -> dict:
    return manifest(graph, "NetworkPolicy", name, namespace)["spec"]


@pytest.mark.parametrize("stack, cidr", [("dev", "10.20.0.0/16"), ("prod", "10.41.8.0/24"),
                                         ("gcp-dev", "10.30.0.0/20")])
def test_orders_reaches_its_database_on_5432_push_and_gitops(stack: str, cidr: str):
    graph = shipped_run(stack).graph
    # dev and gcp-dev apply it (push); prod renders it into the deployment repository (GitOps).
    applied = [r for r in graph.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
               if r.inputs["metadata"]["name"] == "orders"]
    assert bool(applied) == (stack != "prod")
    for name in ("orders", "orders-nightly-report") if stack != "gcp-dev" else ("orders", "orders-backfill"):
        rule = {"to": [{"ipBlock": {"cidr": cidr}}], "ports": [{"protocol": "TCP", "port": 5432}]}
        assert rule in _policy(graph, name, "orders")["egress"], name
    # Nothing else reaches it.
    for policy in manifests(graph, "NetworkPolicy"):
        if policy["metadata"]["namespace"] != "orders":
            assert cidr not in json.dumps(policy), policy["metadata"]["name"]


def test_calls_open_both_sides_and_nothing_more(make_project):
    config = copy.deepcopy(load_stack_yaml("prod")["config"])
    config["services"]["thumbnailer"]["calls"] = ["orders-api"]
    graph = run_stack(make_project({"prod": config}), "prod").graph
    caller = _policy(graph, "thumbnailer", "thumbnailer")
    assert validate_manifest(manifest(graph, "NetworkPolicy", "thumbnailer", "thumbnailer"), "1.35") == []
    assert {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "orders-api"}},
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "orders-api"}}}],
            "ports": [{"protocol": "TCP", "port": 8080}]} in caller["egress"]
    [ingress] = _policy(graph, "orders-api", "orders-api")["ingress"]
    assert ingress["from"] == [{"podSelector": {}},
                               {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "thumbnailer"}}}]
    # Without `calls`, the service admits its own namespace only and nobody else gets an egress rule to it.
    shipped = shipped_run("prod").graph
    [ingress] = _policy(shipped, "orders-api", "orders-api")["ingress"]
    assert ingress["from"] == [{"podSelector": {}}]
    assert "podSelector" not in json.dumps(_policy(shipped, "thumbnailer", "thumbnailer")["egress"][1:])


# --- secrets the program owns --------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", ["dev", "staging", "prod", "gcp-dev"])
def test_no_grant_names_a_secret_the_graph_does_not_create_or_the_stack_file_does_not_mark_existing(stack: str):
    graph = shipped_run(stack).graph
    existing = set(load_stack_yaml(stack)["config"].get("existing_secrets", []))
    created = {r.outputs.get("arn") for r in graph.of_type("aws:secretsmanager/secret:Secret")}
    created_ids = {r.outputs.get("secretId") or r.inputs["secretId"]
                   for r in graph.of_type("gcp:secretmanager/secret:Secret")}
    for grant in graph.of_type("gcp:secretmanager/secretIamMember:SecretIamMember"):
        assert grant.inputs["secretId"] in created_ids | existing
        owner = [r for r in graph.of_type("gcp:secretmanager/secret:Secret")
                 if r.inputs["secretId"] == grant.inputs["secretId"]]
        assert all(r.urn in grant.dependencies for r in owner)  # created before it is granted on
    for policy in graph.of_type("aws:iam/rolePolicy:RolePolicy"):
        for statement in _statements(policy.inputs["policy"]):
            for resource in [statement["Resource"]] if isinstance(statement["Resource"], str) else \
                    statement["Resource"]:
                if ":secretsmanager:" in resource:
                    assert resource in created or any(resource.endswith(f":secret:{name}-??????")
                                                      for name in existing), resource


def test_prod_secret_containers_are_protected_retained_and_hold_no_value():
    graph = shipped_run("prod").graph
    [secret] = graph.of_type("aws:secretsmanager/secret:Secret")
    assert secret.protect and secret.retainOnDelete and secret.inputs["recoveryWindowInDays"] == 30
    key = _named(graph, "prod-app-secrets")
    assert key.protect and key.retainOnDelete  # a kept secret stays readable only with its key
    assert not [r for r in graph.resources if "secretVersion" in r.type]
    [dev_secret] = shipped_run("dev").graph.of_type("aws:secretsmanager/secret:Secret")
    # dev: gone at once on destroy, so the next `up` can create the same name again.
    assert not dev_secret.protect and dev_secret.inputs["recoveryWindowInDays"] == 0


# --- GCP: one key grant per key ------------------------------------------------------------------------------

def test_removing_a_gcp_queue_deletes_no_key_grant_the_other_topics_use(make_project):
    config = copy.deepcopy(load_stack_yaml("gcp-dev")["config"])
    config["tier"] = "prod"
    for key in ("cluster", "services", "jobs", "promotion"):
        config.pop(key, None)
    own_key = "projects/acme-platform-dev/locations/europe-west1/keyRings/shared/cryptoKeys/audit"
    config["queues"]["audit"] = {"kms_key": own_key}
    config["queues"]["audit-replay"] = {"kms_key": own_key}
    before = run_stack(make_project({"gcp-prod": config}, "before"), "gcp-prod").graph
    smaller = copy.deepcopy(config)
    del smaller["queues"]["orders"], smaller["queues"]["audit"]
    after = run_stack(make_project({"gcp-prod": smaller}, "after"), "gcp-prod").graph

    def grants(graph):
        return {r.urn: r for r in graph.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")}

    assert len(grants(before)) == 2  # one per key (the environment's and the shared one), not one per queue
    deleted = set(grants(before)) - set(grants(after))
    assert deleted == set()
    for topic in after.of_type("gcp:pubsub/topic:Topic"):
        [grant] = [g for g in grants(after).values() if g.inputs["cryptoKeyId"] == topic.inputs["kmsKeyName"]]
        assert grant.urn in topic.dependencies, topic.name


# --- bad input ------------------------------------------------------------------------------------------------

BAD = [
    ("dev", lambda c: c["jobs"]["orders-backfill"].update(sends_to=["payments"]),
     "jobs.orders-backfill.sends_to[0]: no queue named 'payments' in queues (queues: orders, thumbnails)"),
    ("prod", lambda c: c["services"]["orders-api"].update(sends_to=["orders", "refunds"]),
     "services.orders-api.sends_to[1]: no queue named 'refunds'"),
    ("prod", lambda c: c["queues"]["orders"]["producers"].update(principals=["arn:aws:iam::1234:role/x"]),
     "queues.orders.producers.principals[0]: 'arn:aws:iam::1234:role/x' is not an IAM role or user ARN"),
    ("prod", lambda c: c["queues"]["orders"]["producers"].update(principals=["*"]),
     "queues.orders.producers.principals[0]: '*' admits everyone"),
    ("prod", lambda c: c["queues"]["orders"]["producers"].update(sources=["arn:aws:lambda:us-west-2:1:function:f"]),
     "queues.orders.producers.sources[0]: 'arn:aws:lambda:us-west-2:1:function:f' is not an SNS topic"),
    ("prod", lambda c: c["queues"]["orders"]["producers"].update(bucket_owner="555566667777"),
     "queues.orders.producers.bucket_owner: names the owner of S3 buckets, but sources lists none"),
    ("prod", lambda c: c["queues"]["orders"].update(fifo=True, producers={"sources": ["arn:aws:s3:::inbox"]}),
     "queues.orders.producers.sources[0]: S3 cannot notify a FIFO queue"),
    ("gcp-dev", lambda c: c["queues"]["orders"].update(producers={"bucket_owner": "555566667777"}),
     "queues.orders.producers.bucket_owner: only applies on aws"),
    ("prod", lambda c: (c["queues"]["orders"]["producers"].update(sources=["arn:aws:s3:::inbox"]),
                        c["queues"]["reports"].update(producers={"sources": ["arn:aws:s3:::inbox"],
                                                                 "bucket_owner": "555566667777"})),
     "queues.reports.producers.sources[0]: arn:aws:s3:::inbox is owned by 555566667777 here but by the queue's "
     "account in queues.orders"),
    ("prod", lambda c: c["queues"]["orders"]["producers"].update(bucket_owner="5555"),
     "queues.orders.producers.bucket_owner: value must be a 12-digit AWS account id (got '5555')"),
    ("prod", lambda c: c["queues"].update(order={"producers": {"sources": [SNS_SOURCE]}}),
     "queues.order.producers: no service or job consumes queue 'order'"),
    ("gcp-dev", lambda c: c["queues"]["orders"].update(producers={"principals": ["checkout@acme.com"]}),
     "queues.orders.producers.principals[0]: 'checkout@acme.com' is not an IAM member"),
    ("gcp-dev", lambda c: c["queues"]["orders"].update(producers={"sources": [SNS_SOURCE]}),
     "queues.orders.producers.sources[0]: only applies on aws"),
    ("dev", lambda c: c["services"]["orders"]["egress"][0].update(ports=[0]),
     "services.orders.egress[0].ports[0]: must be between 1 and 65535 (got 0)"),
    ("dev", lambda c: c["services"]["orders"]["egress"][0].update(ports=[]),
     "services.orders.egress[0].ports: list at least one port"),
    ("dev", lambda c: c["services"]["orders"]["egress"][0].update(cidr="10.20.0.1/16"),
     "services.orders.egress[0].cidr: '10.20.0.1/16' is not an address range"),
    ("prod", lambda c: c["services"]["orders"]["egress"][0].update(cidr="0.0.0.0/0"),
     "services.orders.egress[0].cidr: 0.0.0.0/0 is public (not a private range); prod needs allow_broad: true"),
    ("prod", lambda c: c["services"]["orders"]["egress"][0].update(cidr="10.40.0.0/16"),
     "services.orders.egress[0].cidr: 10.40.0.0/16 overlaps the environment's own network (10.40.0.0/16"),
    ("prod", lambda c: c["services"]["thumbnailer"].update(calls=["orders"]),
     "services.thumbnailer.calls[0]: service 'orders' is not exposed (expose: true with ports)"),
    ("dev", lambda c: c["services"]["thumbnailer"].update(calls=["billing"]),
     "services.thumbnailer.calls[0]: no service named 'billing' (services: orders, thumbnailer)"),
    ("dev", lambda c: c.update(existing_secrets=["orders/old-url"]),
     "existing_secrets[0]: no service or job reads 'orders/old-url'"),
    ("gcp-dev", lambda c: c.update(existing_secrets=["orders/db-url"]),
     "existing_secrets[0]: 'orders/db-url' is not a secret name on gcp"),
    ("dev", lambda c: c["services"]["orders"].update(expose_to=["thumbnailer"]),
     "services.orders.expose_to: only applies to an exposed service (expose: true)"),
]


@pytest.mark.parametrize("base, change, expected", BAD, ids=[e.split(":")[0] for _, _, e in BAD])
def test_bad_work_path_input_exits_2_naming_file_and_field_and_registers_nothing(base, change, expected,
                                                                                 make_project):
    config = copy.deepcopy(load_stack_yaml(base)["config"])
    config.pop("argocd_repo_password", None)
    change(config)
    project = make_project({"bad": config})
    result = stackctl("preview", "bad", cwd=project.root)
    assert result.returncode == 2 and result.stdout == "", result.stderr
    assert "Traceback" not in result.stderr
    assert any(line.startswith(f"stacks/Pulumi.bad.yaml: {expected}") for line in result.stderr.splitlines()), \
        result.stderr
    with pytest.raises(SpecError) as caught:
        run_stack(project, "bad")
    assert [r.type for r in caught.value.partial_run.graph.resources] == ["pulumi:pulumi:Stack"]


def test_broad_egress_in_prod_is_an_explicit_opt_in(make_project):
    config = copy.deepcopy(load_stack_yaml("prod")["config"])
    config["services"]["orders"]["egress"] = [{"cidr": "10.40.32.0/24", "ports": [5432], "allow_broad": True}]
    graph = run_stack(make_project({"prod": config}), "prod").graph
    assert {"to": [{"ipBlock": {"cidr": "10.40.32.0/24"}}], "ports": [{"protocol": "TCP", "port": 5432}]} in \
        _policy(graph, "orders", "orders")["egress"]


# --- shared rules (the policy pack uses them) ----------------------------------------------------------------

def test_source_services_and_unscoped_statements():
    assert source_service(SNS_SOURCE) == "sns.amazonaws.com"
    assert source_service("arn:aws:events:us-east-1:123456789012:rule/bus/name") == "events.amazonaws.com"
    assert source_service("arn:aws:s3:::bucket-name") == "s3.amazonaws.com"
    assert source_service("arn:aws:sqs:us-east-1:123456789012:q") is None
    allow = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:1:q"}
    everyone = {**allow, "Principal": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}
    service = {**allow, "Principal": {"Service": "sns.amazonaws.com"}}
    scoped = {**service, "Condition": {"ArnEquals": {"aws:SourceArn": SNS_SOURCE}}}
    named = {**allow, "Principal": {"AWS": "arn:aws:iam::1:role/r"}}
    deny = {**everyone, "Effect": "Deny"}
    document = {"Version": "2012-10-17", "Statement": [everyone, service, scoped, named, deny]}
    assert unscoped_allow_statements(json.dumps(document)) == [everyone, service]
    assert send_grant_targets({"Statement": [allow, {**allow, "Action": "sqs:ReceiveMessage"}]}) == [
        "arn:aws:sqs:us-east-1:1:q"]
