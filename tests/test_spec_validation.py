"""The environment spec: every kind of bad input gets a one-line message naming the field path."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel, Field, StringConstraints
from pydantic.fields import FieldInfo

from components import SpecError, WorkQueueArgs, parse_environment
from components.spec import EnvironmentSpec, QueueSpec

SOURCE = "stacks/Pulumi.test.yaml"
AWS = {"cloud": "aws", "region": "us-east-1", "tier": "dev"}
GCP = {"cloud": "gcp", "region": "europe-west1", "tier": "dev", "gcp_project": "acme-platform-dev"}


def problems(raw: dict, secret_keys: set[str] = frozenset()) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_environment(raw, SOURCE, secret_keys)
    assert str(caught.value) == "\n".join(p.render(SOURCE) for p in caught.value.problems)
    return [p.render(SOURCE) for p in caught.value.problems]


def test_valid_spec_applies_documented_defaults():
    spec = parse_environment({**AWS, "queues": {"orders": {}}}, SOURCE)
    queue = spec.queues["orders"]
    assert (queue.visibility_timeout_seconds, queue.message_retention_seconds, queue.max_receive_count) == (
        60, 345600, 5)
    assert queue.fifo is False and queue.kms_key is None and spec.labels == {}


def test_out_of_range_value_names_file_path_limit_and_value():
    assert problems({**AWS, "queues": {"orders": {"visibility_timeout_seconds": 5}}}) == [
        "stacks/Pulumi.test.yaml: queues.orders.visibility_timeout_seconds: must be >= 30 (got 5)"
    ]


def test_wrong_types_are_reported_per_field():
    found = problems({**AWS, "queues": {"orders": {"max_receive_count": "lots", "fifo": "maybe"}}, "labels": ["x"]})
    assert found == [
        f"{SOURCE}: labels: must be a map of keys to values (got a list)",
        f"{SOURCE}: queues.orders.fifo: must be true or false (got 'maybe')",
        f"{SOURCE}: queues.orders.max_receive_count: must be a whole number (got 'lots')",
    ]


def test_unknown_keys_are_rejected_with_a_suggestion():
    found = problems({**AWS, "queus": {}, "queues": {"orders": {"visibility_timeout": 60}}})
    assert found[0].startswith(f"{SOURCE}: queues.orders.visibility_timeout: unknown field; did you mean "
                               "'visibility_timeout_seconds'?")
    assert found[1].startswith(f"{SOURCE}: queus: unknown field; did you mean 'queues'? (allowed: cloud, region,")


def test_unknown_cloud_and_missing_required_fields():
    assert problems({"cloud": "azure"}) == [
        f"{SOURCE}: cloud: must be one of 'aws' or 'gcp' (got 'azure')",
        f"{SOURCE}: region: required field is missing",
        f"{SOURCE}: tier: required field is missing",
    ]


def test_queue_names_must_be_dns_labels():
    found = problems({**AWS, "queues": {"Orders_1": {}}})
    assert found == [
        f"{SOURCE}: queues.Orders_1: name must be 1-30 lowercase letters, digits or '-', starting with a letter "
        "and not ending with '-' (got 'Orders_1')"
    ]


def test_region_must_belong_to_the_cloud():
    assert problems({**AWS, "region": "europe-west1"}) == [
        f"{SOURCE}: region: must be an AWS region such as 'us-east-1' (got 'europe-west1')"
    ]
    assert problems({**GCP, "region": "us-east-1"}) == [
        f"{SOURCE}: region: must be a GCP region such as 'europe-west1' (got 'us-east-1')"
    ]


def test_gcp_project_is_required_on_gcp_and_refused_on_aws():
    assert problems({**GCP, "gcp_project": None}) == [f"{SOURCE}: gcp_project: required when cloud is 'gcp'"]
    assert problems({**AWS, "gcp_project": "acme-platform-dev"}) == [
        f"{SOURCE}: gcp_project: only applies when cloud is 'gcp'"
    ]


def test_pubsub_limits_apply_on_gcp_only():
    queue = {"visibility_timeout_seconds": 900, "max_receive_count": 2, "fifo": True,
             "message_retention_seconds": 1209600}
    assert problems({**GCP, "queues": {"orders": queue}}) == [
        f"{SOURCE}: queues.orders.fifo: FIFO queues are an SQS feature; on gcp use Pub/Sub ordering keys in the "
        "publisher instead",
        f"{SOURCE}: queues.orders.max_receive_count: must be between 5 and 100 on gcp (Pub/Sub "
        "max_delivery_attempts; got 2)",
        f"{SOURCE}: queues.orders.message_retention_seconds: must be <= 604800 (7 days) on gcp (got 1209600)",
        f"{SOURCE}: queues.orders.visibility_timeout_seconds: must be <= 600 on gcp, the Pub/Sub ack deadline "
        "limit (got 900)",
    ]
    assert parse_environment({**AWS, "queues": {"orders": queue}}, SOURCE).queues["orders"].fifo is True


def test_kms_key_format_is_checked_per_cloud():
    assert problems({**AWS, "queues": {"orders": {"kms_key": "projects/p/locations/l/keyRings/r/cryptoKeys/k"}}}) == [
        f"{SOURCE}: queues.orders.kms_key: must be a KMS key ARN or an 'alias/...' name on aws"
    ]
    assert problems({**GCP, "queues": {"orders": {"kms_key": "alias/orders"}}}) == [
        f"{SOURCE}: queues.orders.kms_key: must be a Cloud KMS key name "
        "'projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>' on gcp"
    ]


def test_secret_values_are_never_echoed():
    secret = "hunter2-do-not-print"
    found = problems({**AWS, "region": secret, "tier": "dev"}, secret_keys={"region"})
    assert found == [f"{SOURCE}: region: is stored as a secret but is not a secret setting; set it as plain config"]
    assert not any(secret in line for line in found)


def _models_reachable_from(model: type[BaseModel]) -> set[type[BaseModel]]:
    """Every spec model nested anywhere in `model`'s fields (through Optional, dict, list, Union)."""
    found = {model}

    def visit(annotation) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in found:
                found.update(_models_reachable_from(annotation))
            return
        for arg in typing.get_args(annotation):
            visit(arg)

    for field in model.model_fields.values():
        visit(field.annotation)
    return found


def test_every_field_is_documented_with_its_default():
    models = _models_reachable_from(EnvironmentSpec) | {WorkQueueArgs}
    assert QueueSpec in models
    for model in sorted(models, key=lambda m: m.__name__):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"
            if not field.is_required():
                assert "default" in field.description.lower(), f"{model.__name__}.{name} does not state its default"
            else:
                assert "required" in field.description.lower(), f"{model.__name__}.{name} does not say it is required"


def _patterns(model: type, seen: set) -> set[str]:
    """Every `pattern` constraint reachable from `model`: its fields, their item and value types, nested models."""
    if model in seen:
        return set()
    seen.add(model)
    found: set[str] = set()

    def walk(annotation, metadata) -> None:
        for item in metadata:
            pattern = getattr(item, "pattern", None)
            if isinstance(pattern, str):
                found.add(pattern)
            if isinstance(item, FieldInfo):    # `Annotated[str, Field(pattern=...)]` keeps its constraints here
                walk(None, item.metadata)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found.update(_patterns(annotation, seen))
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            base, *extra = typing.get_args(annotation)
            walk(base, extra)
        elif origin is not None:
            for argument in typing.get_args(annotation):
                walk(argument, [])

    for field in model.model_fields.values():
        walk(field.annotation, field.metadata)
    return found


def test_the_pattern_walk_reads_every_way_a_pattern_is_written():
    class Inner(BaseModel):
        code: str = Field(pattern="^a$")

    class Outer(BaseModel):
        names: list[typing.Annotated[str, Field(pattern="^b$")]]
        keyed: dict[typing.Annotated[str, StringConstraints(pattern="^c$")], Inner]
        maybe: typing.Optional[Inner] = None

    assert _patterns(Outer, set()) == {"^a$", "^b$", "^c$"}


def test_every_pattern_of_the_stack_file_and_the_components_reads_as_words():
    """A value that does not match its pattern is told what was expected, in words: not a regular expression,
    and not the name rule when the field is an account id or a URL (as it was, for every pattern). The models:
    the stack file's, and the component arguments Python callers and the component package validate."""
    from components.cluster.eks import EksClusterArgs
    from components.cluster.gke import GkeClusterArgs
    from components.network.aws import AwsNetworkArgs
    from components.queues import WorkQueueArgs as QueueArgs
    from components.spec.loading import PATTERN_MEANINGS
    from components.workloads import BatchJobArgs, ServiceArgs

    patterns: set[str] = set()
    for model in (EnvironmentSpec, QueueArgs, EksClusterArgs, GkeClusterArgs, ServiceArgs, BatchJobArgs,
                  AwsNetworkArgs):
        patterns |= _patterns(model, set())
    assert {r"^\d{12}$", r"^https?://[^\s/]+(/[^\s]*)?$"} <= patterns     # the walk reaches nested models
    assert patterns - set(PATTERN_MEANINGS) == set()


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("aws_role_permissions_boundary", "platform-role-boundary",
     "aws_role_permissions_boundary: value must be an IAM managed policy ARN"),
    ("queues", {"orders": {"producers": {"sources": ["arn:aws:s3:::inbox"], "bucket_owner": "12"}}},
     "queues.orders.producers.bucket_owner: value must be a 12-digit AWS account id (got '12')"),
])
def test_a_pattern_mismatch_says_what_the_field_expects(field, value, expected):
    found = problems({**AWS, field: value})
    assert any(line.startswith(f"{SOURCE}: {expected}") for line in found), found
