"""Issue 24, item 6: flow-log filter and destination per tier (cost and exposure)."""

from __future__ import annotations

import copy
import json

from stackctl.engine.runner import run_stack

from .conftest import load_stack_yaml, shipped_run
from .test_ci_identity import aws_allows

S3_TYPES = {
    # type -> the calls its create, read, update and delete make (terraform-provider-aws internal/service/s3/
    # bucket.go reads the bucket's ACL, versioning, acceleration, replication...; the configuration resources
    # PUT and GET their one configuration)
    "aws:s3/bucket:Bucket": ["s3:CreateBucket", "s3:ListBucket", "s3:GetBucketAcl", "s3:GetBucketVersioning",
                             "s3:GetAccelerateConfiguration", "s3:GetReplicationConfiguration",
                             "s3:GetBucketTagging", "s3:PutBucketTagging", "s3:DeleteBucket"],
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ["s3:PutBucketPublicAccessBlock",
                                                               "s3:GetBucketPublicAccessBlock"],
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ["s3:PutBucketOwnershipControls",
                                                               "s3:GetBucketOwnershipControls"],
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": [
        "s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"],
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": ["s3:PutLifecycleConfiguration",
                                                                         "s3:GetLifecycleConfiguration"],
    "aws:s3/bucketPolicy:BucketPolicy": ["s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"],
}


def flow_log(graph):
    [record] = graph.of_type("aws:ec2/flowLog:FlowLog")
    return record


def test_the_filter_follows_the_tier():
    assert flow_log(shipped_run("dev").graph).inputs["trafficType"] == "REJECT"
    assert flow_log(shipped_run("staging").graph).inputs["trafficType"] == "REJECT"
    assert flow_log(shipped_run("prod").graph).inputs["trafficType"] == "ALL"
    for stack, days in (("dev", 30), ("staging", 90), ("prod", 365)):
        [group] = [g for g in shipped_run(stack).graph.of_type("aws:cloudwatch/logGroup:LogGroup")
                   if g.name == f"{stack}-flow-logs"]
        assert group.inputs["retentionInDays"] == days, stack


def test_flow_logs_to_s3_are_private_encrypted_and_expire(make_project):
    config = copy.deepcopy(load_stack_yaml("prod")["config"])
    config["network"]["flow_logs"] = {"destination": "s3", "traffic": "REJECT", "retention_days": 180}
    graph = run_stack(make_project({"prod": config}), "prod").graph
    record = flow_log(graph)
    [bucket] = graph.of_type("aws:s3/bucket:Bucket")
    assert record.inputs["logDestinationType"] == "s3" and record.inputs["trafficType"] == "REJECT"
    assert "iamRoleArn" not in record.inputs
    assert bucket.protect and bucket.inputs["forceDestroy"] is False
    [lifecycle] = graph.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert lifecycle.inputs["rules"][0]["expiration"]["days"] == 180
    [access] = graph.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(access.inputs[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                          "restrictPublicBuckets"))
    [encryption] = graph.of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    [policy] = graph.of_type("aws:s3/bucketPolicy:BucketPolicy")
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert statements["AWSLogDeliveryWrite"]["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert statements["AWSLogDeliveryWrite"]["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"
    # The flow log is created once the bucket takes deliveries (its policy) and encrypts them.
    assert {policy.urn, encryption.urn} <= set(record.dependencies)
    [key] = [k for k in graph.of_type("aws:kms/key:Key") if k.name == "prod-flow-logs"]
    sids = {s["Sid"] for s in json.loads(key.inputs["policy"])["Statement"]}
    assert "LogDeliveryEncryptsFlowLogObjects" in sids
    # No CloudWatch group, no delivery role in this mode.
    assert not [r for r in graph.of_type("aws:iam/role:Role") if r.name == "prod-flow-logs"]
    # The deployer may make all of it.
    emitted = {r.type for r in graph.resources if r.type.startswith("aws:s3/")}
    assert emitted == set(S3_TYPES)
    assert [a for t in emitted for a in S3_TYPES[t] if not aws_allows(a)] == []
    assert aws_allows("logs:CreateLogDelivery") and aws_allows("logs:DeleteLogDelivery")
