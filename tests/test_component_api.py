"""Using the components from another Pulumi project, tested with the SDK's own mocks."""

from __future__ import annotations

import contextvars
import json

import boto3
import pulumi
import pulumi_aws as aws
import pytest
from moto import mock_aws

from components import PubSubWorkQueue, SqsWorkQueue, WorkloadPrincipal, WorkQueueArgs


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self):
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args):
        self.resources.append(args)
        name = args.inputs.get("name", args.name)
        outputs = {"name": name, **args.inputs}
        if args.typ == "aws:sqs/queue:Queue":
            outputs.update(arn=f"arn:aws:sqs:us-east-1:111122223333:{name}",
                           url=f"https://sqs.us-east-1.amazonaws.com/111122223333/{name}")
        if args.typ == "gcp:pubsub/subscription:Subscription":
            outputs["name"] = name
        return f"{name}-id", outputs

    def call(self, args):
        if args.token == "gcp:organizations/getProject:getProject":
            return {"number": "42", "projectId": "p"}
        return {}


def run_program(program) -> RecordingMocks:
    """Run `program` under `pulumi.runtime.set_mocks` in an isolated context, waiting for every resource."""
    mocks = RecordingMocks()

    def run():
        pulumi.runtime.set_mocks(mocks, project="other", stack="test", preview=False)
        pulumi.runtime.test(program)()

    contextvars.Context().run(run)
    return mocks


def test_sqs_work_queue_standalone_with_its_physical_name_default():
    seen: list[str] = []

    def program():
        queue = SqsWorkQueue("orders", WorkQueueArgs(visibility_timeout_seconds=90, fifo=True))
        return queue.consumer_address.apply(seen.append)

    mocks = run_program(program)
    assert seen == ["https://sqs.us-east-1.amazonaws.com/111122223333/orders.fifo"]
    queues = {r.name: r.inputs for r in mocks.resources if r.typ == "aws:sqs/queue:Queue"}
    assert queues["orders-queue"]["name"] == "orders.fifo"
    assert queues["orders-dlq"]["name"] == "orders-dlq.fifo"
    assert queues["orders-queue"]["fifoQueue"] is True
    components = [r for r in mocks.resources if r.typ == "platform:index:SqsWorkQueue"]
    assert [c.name for c in components] == ["orders"]


def _grant_policy() -> dict:
    def program():
        orders = SqsWorkQueue("orders", WorkQueueArgs())
        SqsWorkQueue("billing", WorkQueueArgs())
        role = aws.iam.Role("worker", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
        orders.grant_consume("worker-orders", WorkloadPrincipal.aws_role(role.name))

    mocks = run_program(program)
    [grant] = [r for r in mocks.resources if r.typ == "aws:iam/rolePolicy:RolePolicy"]
    assert grant.inputs["role"] == "worker"
    return json.loads(grant.inputs["policy"])


def test_grant_consume_reaches_only_its_own_queue():
    policy = _grant_policy()
    [statement] = policy["Statement"]
    assert statement["Resource"] == "arn:aws:sqs:us-east-1:111122223333:orders"
    assert set(statement["Action"]) == {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                                        "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
    assert not any("*" in action for action in statement["Action"])


@mock_aws
def test_grant_policy_is_a_valid_iam_document():
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}))
    # moto validates the document's grammar (version, effects, actions, resources) like IAM does.
    iam.put_role_policy(RoleName="worker", PolicyName="consume", PolicyDocument=json.dumps(_grant_policy()))
    stored = iam.get_role_policy(RoleName="worker", PolicyName="consume")["PolicyDocument"]
    assert stored["Statement"][0]["Resource"].endswith(":orders")


def test_grant_needs_the_matching_identity_kind():
    def program():
        queue = SqsWorkQueue("orders", WorkQueueArgs())
        with pytest.raises(ValueError, match="only be consumed by an AWS IAM role"):
            queue.grant_consume("x", WorkloadPrincipal.gcp_service_account("sa@p.iam.gserviceaccount.com"))

    run_program(program)


def test_pubsub_grant_is_subscriber_on_its_subscription_only():
    def program():
        queue = PubSubWorkQueue("orders", WorkQueueArgs(physical_name="dev-orders"))
        queue.grant_consume("worker-orders", WorkloadPrincipal.gcp_service_account("w@p.iam.gserviceaccount.com"))

    mocks = run_program(program)
    [grant] = [r for r in mocks.resources if r.name == "worker-orders"]
    assert grant.typ == "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember"
    assert grant.inputs == {"subscription": "dev-orders", "role": "roles/pubsub.subscriber",
                            "member": "serviceAccount:w@p.iam.gserviceaccount.com"}
