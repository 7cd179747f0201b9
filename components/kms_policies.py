"""Explicit key policies for the AWS KMS keys the library creates.

Without a policy, KMS applies its default key policy; an explicit one makes who can use a key reviewable (and
scanners stop flagging keys without one). Each policy keeps the default's account statement, which lets the
account's IAM policies grant use of the key (without it, the key becomes unmanageable), and adds only the service
principals that encrypt with the key themselves:
- https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html (the account statement);
- https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html (CloudWatch Logs: the
  regional `logs.<region>.amazonaws.com` principal, limited by `kms:EncryptionContext:aws:logs:arn`).
- https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html (an SSE-KMS
  queue: whoever sends, an AWS service delivering from an SNS topic, EventBridge rule or S3 bucket included, needs
  `kms:GenerateDataKey` and `kms:Decrypt`; the services are limited to the declared sources by `aws:SourceArn`,
  other accounts' principals to calls made through SQS by `kms:ViaService`).
EKS secrets encryption needs no service statement: the cluster role's IAM policy grants it through the account
statement.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from .rules.work_path import S3_SERVICE


def account_statement(partition: str, account: str) -> dict:
    return {"Sid": "AccountAdministersKeyThroughIam", "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"}


def cloudwatch_logs_statement(partition: str, region: str, account: str, log_group_names: list[str]) -> dict:
    arns = [f"arn:{partition}:logs:{region}:{account}:log-group:{name}" for name in log_group_names]
    return {"Sid": "CloudWatchLogsEncryptsItsLogGroups", "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            "Resource": "*",
            "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": arns}}}


def log_delivery_statement(partition: str, region: str, account: str) -> dict:
    """The log delivery service encrypts the flow-log objects it writes to an SSE-KMS bucket (VPC user guide,
    "Amazon S3 bucket permissions for flow logs": the key policy allows delivery.logs.amazonaws.com
    kms:GenerateDataKey*), for this account's deliveries only."""
    return {"Sid": "LogDeliveryEncryptsFlowLogObjects", "Effect": "Allow",
            "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account},
                          "ArnLike": {"aws:SourceArn": f"arn:{partition}:logs:{region}:{account}:*"}}}


QUEUE_SENDER_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"]


def queue_source_statements(sources_by_service: dict[str, list[str]],
                            bucket_owners: Mapping[str, str] | None = None) -> list[dict]:
    """One statement per AWS service that delivers to the key's queues, limited to the declared sources. S3's
    bucket ARNs name no account, so its sources are limited to their owner's too (`bucket_owners`: bucket ARN ->
    account): one statement per owner, so no bucket is accepted from another bucket's owner."""
    statements = []
    for service, arns in sorted(sources_by_service.items()):
        if not arns:
            continue
        sid = service.split(".")[0].capitalize()
        if service == S3_SERVICE and bucket_owners:
            by_owner: dict[str, set[str]] = {}
            for arn in arns:
                by_owner.setdefault(bucket_owners[arn], set()).add(arn)
            for owner, owned in sorted(by_owner.items()):
                statements.append({
                    "Sid": f"{sid}SourcesEncryptForQueues" + (f"Of{owner}" if len(by_owner) > 1 else ""),
                    "Effect": "Allow", "Principal": {"Service": service}, "Action": QUEUE_SENDER_ACTIONS,
                    "Resource": "*", "Condition": {"ArnEquals": {"aws:SourceArn": sorted(owned)},
                                                   "StringEquals": {"aws:SourceAccount": owner}}})
            continue
        statements.append({"Sid": f"{sid}SourcesEncryptForQueues", "Effect": "Allow",
                           "Principal": {"Service": service}, "Action": QUEUE_SENDER_ACTIONS, "Resource": "*",
                           "Condition": {"ArnEquals": {"aws:SourceArn": sorted(set(arns))}}})
    return statements


def queue_principal_statement(principals: list[str], region: str) -> list[dict]:
    """The declared producer principals may use the key, only through SQS in the queues' region."""
    if not principals:
        return []
    return [{"Sid": "DeclaredProducersEncryptThroughSqs", "Effect": "Allow",
             "Principal": {"AWS": sorted(set(principals))}, "Action": QUEUE_SENDER_ACTIONS, "Resource": "*",
             "Condition": {"StringEquals": {"kms:ViaService": f"sqs.{region}.amazonaws.com"}}}]


def key_policy(partition: str, account: str, *statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [account_statement(partition, account), *statements]},
                      sort_keys=True)
