"""Prod data at rest is encrypted with customer-managed keys: queues, topics, log groups, node boot disks."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from ._common import get, plain
from ._metadata import about

# type -> the property naming its customer-managed key
KEY_FIELDS = {
    "aws:sqs/queue:Queue": "kmsMasterKeyId",
    "aws:cloudwatch/logGroup:LogGroup": "kmsKeyId",
    "gcp:pubsub/topic:Topic": "kmsKeyName",
    "gcp:container/nodePool:NodePool": "nodeConfig.bootDiskKmsKey",   # CIS GKE 5.9.2
}


def _customer_managed(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    field = KEY_FIELDS.get(args.resource_type)
    if field and not get(plain(args.props), *field.split(".")):
        report_violation(f"encrypted with a provider-managed key: name a customer-managed key ({field}), so that "
                         "the key's policy, rotation and audit trail are yours")


customer_managed_keys = ResourceValidationPolicy(
    name="customer-managed-keys",
    **about("customer-managed-keys"),
    description="Queues, topics, log groups and GKE boot disks are encrypted with customer-managed keys (prod).",
    validate=_customer_managed,
    enforcement_level=EnforcementLevel.MANDATORY,
)

POLICIES = [customer_managed_keys]
