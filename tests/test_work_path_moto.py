"""The work path's AWS resources replayed against the AWS APIs (moto): every KMS key, SQS queue, queue policy,
redrive-allow policy, IAM role and role policy, and Secrets Manager secret of the shipped AWS stacks is created
with the inputs the program gives it, so malformed policy documents, attribute values or names fail here.

Focused on the resources issue 22 adds or changes (queue and key policies for producers, send grants, secret
containers); what moto does not do: evaluate the policies (who may actually send is the cloud's answer).
"""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from .conftest import shipped_run

QUEUE_ATTRIBUTES = {  # Pulumi input -> SQS attribute
    "visibilityTimeoutSeconds": "VisibilityTimeout", "messageRetentionSeconds": "MessageRetentionPeriod",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds", "redrivePolicy": "RedrivePolicy",
    "kmsMasterKeyId": "KmsMasterKeyId", "kmsDataKeyReusePeriodSeconds": "KmsDataKeyReusePeriodSeconds",
    "sqsManagedSseEnabled": "SqsManagedSseEnabled", "fifoQueue": "FifoQueue",
}


def _text(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


class Replay:
    """Creates a graph's AWS resources in moto, rewriting the offline ARNs (keys, secrets) to the real ones."""

    def __init__(self, graph, region: str):
        self.graph, self.region = graph, region
        self.real: dict[str, str] = {}
        self.kms = boto3.client("kms", region_name=region)
        self.sqs = boto3.client("sqs", region_name=region)
        self.iam = boto3.client("iam", region_name=region)
        self.secrets = boto3.client("secretsmanager", region_name=region)

    def map(self, text: str) -> str:
        for offline, real in self.real.items():
            text = text.replace(offline, real)
        return text

    def keys(self) -> dict[str, str]:
        found = {}
        for key in self.graph.of_type("aws:kms/key:Key"):
            created = self.kms.create_key(Description=key.inputs.get("description", ""),
                                          Policy=key.inputs["policy"])["KeyMetadata"]
            if key.inputs.get("enableKeyRotation"):
                self.kms.enable_key_rotation(KeyId=created["KeyId"])
            self.real[key.outputs["arn"]] = created["Arn"]
            found[key.name] = created["KeyId"]
        return found

    def queues(self) -> dict[str, str]:
        urls = {}
        # Dead-letter queues first: a queue's redrive policy names its DLQ.
        for queue in sorted(self.graph.of_type("aws:sqs/queue:Queue"), key=lambda q: not q.name.endswith("-dlq")):
            attributes = {QUEUE_ATTRIBUTES[k]: self.map(_text(v)) for k, v in queue.inputs.items()
                          if k in QUEUE_ATTRIBUTES}
            urls[queue.outputs["url"]] = self.sqs.create_queue(QueueName=queue.inputs["name"],
                                                               Attributes=attributes)["QueueUrl"]
        # Redrive-allow policies before queue policies: moto (5.2) drops a queue's Policy when another attribute
        # is set after it (AWS does not), which would hide the policy this test reads back.
        for allow in self.graph.of_type("aws:sqs/redriveAllowPolicy:RedriveAllowPolicy"):
            self.sqs.set_queue_attributes(QueueUrl=urls[allow.inputs["queueUrl"]],
                                          Attributes={"RedriveAllowPolicy": allow.inputs["redriveAllowPolicy"]})
        for policy in self.graph.of_type("aws:sqs/queuePolicy:QueuePolicy"):
            self.sqs.set_queue_attributes(QueueUrl=urls[policy.inputs["queueUrl"]],
                                          Attributes={"Policy": self.map(policy.inputs["policy"])})
        return urls

    def secret_containers(self) -> None:
        for secret in self.graph.of_type("aws:secretsmanager/secret:Secret"):
            arguments = {"Name": secret.inputs["name"], "Description": secret.inputs.get("description", "")}
            if "kmsKeyId" in secret.inputs:
                arguments["KmsKeyId"] = self.map(secret.inputs["kmsKeyId"])
            self.real[secret.outputs["arn"]] = self.secrets.create_secret(**arguments)["ARN"]

    def roles(self) -> None:
        for role in self.graph.of_type("aws:iam/role:Role"):
            self.iam.create_role(RoleName=role.outputs["name"],
                                 AssumeRolePolicyDocument=role.inputs["assumeRolePolicy"])
        for policy in self.graph.of_type("aws:iam/rolePolicy:RolePolicy"):
            self.iam.put_role_policy(RoleName=policy.inputs["role"], PolicyName=policy.outputs["name"],
                                     PolicyDocument=self.map(policy.inputs["policy"]))


@pytest.mark.slow(4)
@pytest.mark.parametrize("stack, region", [("dev", "us-east-1"), ("prod", "us-west-2")])
def test_the_aws_apis_accept_every_queue_key_policy_grant_and_secret_container(stack: str, region: str):
    graph = shipped_run(stack).graph
    with mock_aws():
        replay = Replay(graph, region)
        keys = replay.keys()
        urls = replay.queues()
        replay.secret_containers()
        replay.roles()

        # What the APIs hold is what the program declared.
        for queue in graph.of_type("aws:sqs/queue:Queue"):
            held = replay.sqs.get_queue_attributes(QueueUrl=urls[queue.outputs["url"]], AttributeNames=["All"])
            [policy] = [p for p in graph.of_type("aws:sqs/queuePolicy:QueuePolicy")
                        if p.inputs["queueUrl"] == queue.outputs["url"]]
            assert json.loads(held["Attributes"]["Policy"]) == json.loads(replay.map(policy.inputs["policy"]))
        for key in graph.of_type("aws:kms/key:Key"):
            held = replay.kms.get_key_policy(KeyId=keys[key.name], PolicyName="default")["Policy"]
            assert json.loads(held) == json.loads(key.inputs["policy"])
        for grant in graph.of_type("aws:iam/rolePolicy:RolePolicy"):
            held = replay.iam.get_role_policy(RoleName=grant.inputs["role"], PolicyName=grant.outputs["name"])
            assert held["PolicyDocument"] == json.loads(replay.map(grant.inputs["policy"]))
        for secret in graph.of_type("aws:secretsmanager/secret:Secret"):
            described = replay.secrets.describe_secret(SecretId=secret.inputs["name"])
            assert described.get("KmsKeyId") == (replay.map(secret.inputs["kmsKeyId"])
                                                 if "kmsKeyId" in secret.inputs else None)
            # A container only: the program never stores a value.
            assert not [v for v in replay.secrets.list_secret_version_ids(SecretId=described["ARN"])["Versions"]]

        # The producer's grant and (prod) the external source are among what was accepted.
        names = {p.name for p in graph.of_type("aws:iam/rolePolicy:RolePolicy")}
        assert f"{stack}-orders-{'backfill' if stack == 'dev' else 'api'}-send-orders" in names
        if stack == "prod":
            orders = replay.sqs.get_queue_attributes(QueueUrl=urls[f"https://sqs.{region}.amazonaws.com/"
                                                                   f"123456789012/prod-orders"],
                                                     AttributeNames=["Policy", "KmsMasterKeyId"])["Attributes"]
            assert "sns.amazonaws.com" in orders["Policy"] and orders["KmsMasterKeyId"].startswith("arn:aws:kms:")
            key_policy = replay.kms.get_key_policy(KeyId=keys["prod-queues"], PolicyName="default")["Policy"]
            assert "aws:SourceArn" in key_policy
