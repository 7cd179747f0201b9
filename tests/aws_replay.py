"""Replay a recorded graph's AWS resources against the cloud's API (moto in the tests), as the provider would.

The offline run's mocks give each resource realistic outputs (ARNs, URLs, ids); the replay creates resources in
dependency order and swaps each mocked output for the real one wherever a later input carries it. A resource
with an `import` id (`adopt_retained`) is read instead of created, and, as the engine requires of an import, its
cloud attributes must match the inputs the program declares. Destroy deletes in reverse order and keeps what is
retained on delete. Types without a handler here are not replayed (`tests/test_cloud_contract.py` lists them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from stackctl.engine.graph import Graph, ResourceRecord

REGION = "us-west-2"

# Queue input -> SQS attribute (terraform-provider-aws internal/service/sqs/attributes.go names them the same).
QUEUE_ATTRIBUTES = {
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "kmsMasterKeyId": "KmsMasterKeyId",
    "kmsDataKeyReusePeriodSeconds": "KmsDataKeyReusePeriodSeconds",
    "redrivePolicy": "RedrivePolicy",
    "sqsManagedSseEnabled": "SqsManagedSseEnabled",
    "fifoQueue": "FifoQueue",
    "delaySeconds": "DelaySeconds",
    "maxMessageSize": "MaximumMessageSize",
}


class ImportMismatch(AssertionError):
    """The engine refuses an import whose cloud attributes differ from the program's inputs."""


def _string(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


@dataclass
class Replay:
    region: str = REGION
    # mocked output value -> the cloud's
    real: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)       # urn -> cloud id
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sqs = boto3.client("sqs", region_name=self.region)
        self.kms = boto3.client("kms", region_name=self.region)
        self.secrets = boto3.client("secretsmanager", region_name=self.region)
        self.handlers: dict[str, tuple[Callable, Callable, Callable]] = {
            "aws:kms/key:Key": (self._create_key, self._import_key, self._delete_key),
            "aws:sqs/queue:Queue": (self._create_queue, self._import_queue, self._delete_queue),
            "aws:secretsmanager/secret:Secret": (self._create_secret, self._import_secret, self._delete_secret),
            "aws:sqs/queuePolicy:QueuePolicy": (self._set_attribute("Policy", "policy"), None,
                                                self._clear_attribute("Policy")),
            "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": (
                self._set_attribute("RedriveAllowPolicy", "redriveAllowPolicy"), None,
                self._clear_attribute("RedriveAllowPolicy")),
        }

    # -- order and values ----------------------------------------------------------------------------
    def replayed(self, graph: Graph) -> list[ResourceRecord]:
        """The graph's resources with a handler, dependencies first."""
        chosen = {r.urn: r for r in graph.resources if r.type in self.handlers}
        ordered: list[ResourceRecord] = []
        seen: set[str] = set()

        def visit(record: ResourceRecord) -> None:
            if record.urn in seen:
                return
            seen.add(record.urn)
            for urn in record.dependencies:
                if urn in chosen:
                    visit(chosen[urn])
            ordered.append(record)

        for record in chosen.values():
            visit(record)
        return ordered

    def resolved(self, value: Any) -> Any:
        if isinstance(value, str):
            for mocked, real in self.real.items():
                value = value.replace(mocked, real)
            return value
        if isinstance(value, dict):
            return {k: self.resolved(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolved(v) for v in value]
        return value

    def _learn(self, record: ResourceRecord, real: dict[str, str]) -> None:
        for key, value in real.items():
            mocked = record.outputs.get(key)
            if isinstance(mocked, str) and mocked and mocked != value:
                self.real[mocked] = value
        if record.id and "id" in real:
            self.real.setdefault(record.id, real["id"])

    # -- the two operations --------------------------------------------------------------------------
    def up(self, graph: Graph) -> None:
        """`pulumi up` of a new stack: create, or import what carries an import id."""
        for record in self.replayed(graph):
            create, read, _ = self.handlers[record.type]
            inputs = self.resolved(record.inputs)
            if record.import_id:
                assert read is not None, f"{record.type} cannot be imported here"
                real = read(record, inputs, record.import_id)
                self.log.append(f"import {record.type}::{record.name}")
            else:
                real = create(record, inputs)
                self.log.append(f"create {record.type}::{record.name}")
            self.ids[record.urn] = real["id"]
            self._learn(record, real)

    def destroy(self, graph: Graph) -> None:
        """`pulumi destroy`: delete in reverse order, except what is retained on delete."""
        for record in reversed(self.replayed(graph)):
            if record.retainOnDelete:
                self.log.append(f"retain {record.type}::{record.name}")
                continue
            _, _, delete = self.handlers[record.type]
            delete(record, self.resolved(record.inputs), self.ids[record.urn])
            self.log.append(f"delete {record.type}::{record.name}")

    # -- KMS -----------------------------------------------------------------------------------------
    def _create_key(self, record, inputs) -> dict[str, str]:
        key = self.kms.create_key(Description=inputs.get("description", ""), Policy=inputs["policy"])["KeyMetadata"]
        if inputs.get("enableKeyRotation"):
            self.kms.enable_key_rotation(KeyId=key["KeyId"])
        return {"id": key["KeyId"], "keyId": key["KeyId"], "arn": key["Arn"]}

    def _import_key(self, record, inputs, key_id) -> dict[str, str]:
        key = self.kms.describe_key(KeyId=key_id)["KeyMetadata"]
        if key["KeyState"] != "Enabled":
            raise ImportMismatch(f"{record.name}: key {key_id} is {key['KeyState']}: what it encrypted is unreadable")
        if key.get("Description", "") != inputs.get("description", ""):
            raise ImportMismatch(f"{record.name}: description {key.get('Description')!r} != "
                                 f"{inputs.get('description')!r}")
        rotation = self.kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]
        if rotation != bool(inputs.get("enableKeyRotation")):
            raise ImportMismatch(f"{record.name}: key rotation {rotation}")
        return {"id": key["KeyId"], "keyId": key["KeyId"], "arn": key["Arn"]}

    def _delete_key(self, record, inputs, key_id) -> None:
        self.kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=int(inputs.get("deletionWindowInDays", 30)))

    # -- Secrets Manager (containers only: the program never sets a value) ---------------------------
    def _create_secret(self, record, inputs) -> dict[str, str]:
        extra = {"KmsKeyId": inputs["kmsKeyId"]} if inputs.get("kmsKeyId") else {}
        arn = self.secrets.create_secret(Name=inputs["name"], Description=inputs.get("description", ""),
                                         **extra)["ARN"]
        return {"id": arn, "arn": arn}

    def _import_secret(self, record, inputs, arn) -> dict[str, str]:
        secret = self.secrets.describe_secret(SecretId=arn)
        if secret.get("DeletedDate"):
            raise ImportMismatch(f"{record.name}: secret {arn} is scheduled for deletion")
        if inputs.get("kmsKeyId") and secret.get("KmsKeyId") != inputs["kmsKeyId"]:
            raise ImportMismatch(f"{record.name}: KmsKeyId is {secret.get('KmsKeyId')!r}, the program says "
                                 f"{inputs['kmsKeyId']!r}")
        return {"id": secret["ARN"], "arn": secret["ARN"]}

    def _delete_secret(self, record, inputs, arn) -> None:
        window = int(inputs.get("recoveryWindowInDays", 30))
        if window:
            self.secrets.delete_secret(SecretId=arn, RecoveryWindowInDays=window)
        else:
            self.secrets.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)

    # -- SQS -----------------------------------------------------------------------------------------
    def _queue_attributes(self, inputs) -> dict[str, str]:
        return {attribute: _string(inputs[key]) for key, attribute in QUEUE_ATTRIBUTES.items() if key in inputs}

    def _queue_outputs(self, url: str) -> dict[str, str]:
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return {"id": url, "url": url, "arn": arn}

    def _create_queue(self, record, inputs) -> dict[str, str]:
        url = self.sqs.create_queue(QueueName=inputs["name"], Attributes=self._queue_attributes(inputs))["QueueUrl"]
        return self._queue_outputs(url)

    def _import_queue(self, record, inputs, url) -> dict[str, str]:
        actual = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        for attribute, wanted in self._queue_attributes(inputs).items():
            have = actual.get(attribute)
            if attribute == "RedrivePolicy" and have is not None:
                same = json.loads(have) == json.loads(wanted)
            else:
                same = have == wanted
            if not same:
                raise ImportMismatch(f"{record.name}: {attribute} is {have!r} in the cloud, the program says "
                                     f"{wanted!r}")
        return self._queue_outputs(url)

    def _delete_queue(self, record, inputs, url) -> None:
        self.sqs.delete_queue(QueueUrl=url)

    def _set_attribute(self, attribute: str, key: str):
        def create(record, inputs) -> dict[str, str]:
            self.sqs.set_queue_attributes(QueueUrl=inputs["queueUrl"], Attributes={attribute: inputs[key]})
            return {"id": inputs["queueUrl"]}
        return create

    def _clear_attribute(self, attribute: str):
        def delete(record, inputs, url) -> None:
            self.sqs.set_queue_attributes(QueueUrl=url, Attributes={attribute: ""})
        return delete
