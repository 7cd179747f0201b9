"""In-place image edits keep every other byte of a stack file; the promotion policy validates."""

from __future__ import annotations

import pytest

from components.errors import SpecError
from components.spec import parse_environment
from stackctl.delivery.stackfile import WorkloadKey, find, followers, images, load_config, set_images
from stackctl.errors import InputError

DIGEST = "sha256:" + "e" * 64
NEW = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/orders@{DIGEST}"

STACK = """\
# The team's notes stay where they are.
config:
  platform:cloud: aws      # namespaced key
  platform:services:
    orders:
      # pinned by the last promotion
      image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/orders:1.4.2"   # quoted on purpose
      command: [python, -m, orders.worker]
    api: {image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/api:2, ports: {http: 8080}}  # flow
    worker:
      image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/worker:3 # no space before this comment? one
  jobs:
    report:
      service: orders
      mode: schedule
    own:
      image: 'registry.example/acme/own:1'
      mode: on_demand
"""


def test_set_images_changes_only_the_image_values():
    changes = {WorkloadKey("services", "orders"): NEW, WorkloadKey("services", "api"): NEW.replace("orders", "api"),
               WorkloadKey("services", "worker"): NEW.replace("orders", "worker"),
               WorkloadKey("jobs", "own"): NEW.replace("orders", "own")}
    result = set_images(STACK, changes, "Pulumi.x.yaml", "platform")
    expected = STACK.replace('"123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/orders:1.4.2"', f'"{NEW}"')
    expected = expected.replace("123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/api:2", NEW.replace("orders", "api"))
    expected = expected.replace("123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/worker:3",
                                NEW.replace("orders", "worker"))
    expected = expected.replace("'registry.example/acme/own:1'", f"'{NEW.replace('orders', 'own')}'")
    assert result == expected
    assert images(load_config(result, "x", "platform"))[WorkloadKey("services", "api")].endswith(f"api@{DIGEST}")


def test_workloads_with_their_own_image_and_followers():
    config = load_config(STACK, "x", "platform")
    assert sorted(str(k) for k in images(config)) == ["jobs.own", "services.api", "services.orders",
                                                       "services.worker"]
    assert followers(config, "orders") == ["report"]
    assert find(images(config), "orders", "x") == WorkloadKey("services", "orders")
    assert find(images(config), "jobs.own", "x") == WorkloadKey("jobs", "own")
    with pytest.raises(InputError, match=r"x: no workload 'report' with its own image \(workloads: jobs.own,"):
        find(images(config), "report", "x")


def test_set_images_refuses_a_workload_without_image():
    with pytest.raises(InputError, match=r"jobs.report.image is not set"):
        set_images(STACK, {WorkloadKey("jobs", "report"): NEW}, "Pulumi.x.yaml", "platform")


BASE = {"cloud": "aws", "region": "us-east-1", "tier": "prod"}


def test_promotion_policy_defaults_and_soak():
    spec = parse_environment({**BASE, "promotion": {"from_environment": "staging"}}, "Pulumi.prod.yaml")
    assert spec.promotion.soak_for("prod") == 120 and spec.promotion.require_revision is True
    assert spec.promotion.soak_for("staging") == 0
    explicit = parse_environment({**BASE, "promotion": {"from_environment": "staging", "soak_minutes": 30}},
                                 "x").promotion
    assert explicit.soak_for("prod") == 30 and explicit.tag_pattern == r"^main-[0-9a-f]{7,40}$"
    registry = parse_environment({**BASE, "promotion": {}}, "x").promotion
    assert registry.from_environment is None and registry.holds == {}


@pytest.mark.parametrize(("promotion", "message"), [
    ({"tag_pattern": "main-("}, "promotion.tag_pattern: must be a regular expression"),
    ({"soak_minutes": -1}, "promotion.soak_minutes: must be >= 0 (got -1)"),
    ({"from_environment": "Staging"}, "promotion.from_environment: value must be 1-30 lowercase"),
    ({"soak_minute": 2}, "promotion.soak_minute: unknown field; did you mean 'soak_minutes'?"),
    ({"soak_minutes": 30}, "promotion: soak_minutes applies only with from_environment"),
    ({"holds": {"orders": {"by": "a", "at": "2026-01-01T00:00:00Z", "reason": "r"}}}, "promotion.holds"),
    ({"holds": {"services.orders": {"by": "a", "at": "yesterday", "reason": "r"}}},
     "promotion.holds.services.orders.at"),
])
def test_promotion_policy_errors_name_the_field(promotion, message):
    with pytest.raises(SpecError) as raised:
        parse_environment({**BASE, "promotion": promotion}, "stacks/Pulumi.prod.yaml")
    assert message in str(raised.value)
