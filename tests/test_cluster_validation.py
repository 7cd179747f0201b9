"""Cluster and network validation: clear messages for the mistakes the cloud would reject later."""

from __future__ import annotations

import pytest

from components import SpecError, parse_environment

SOURCE = "stacks/Pulumi.test.yaml"
POOL = {"machine_types": ["m7i.large"]}
AWS = {"cloud": "aws", "region": "us-east-1", "tier": "staging", "cluster": {"node_pools": {"general": POOL}}}
GCP = {"cloud": "gcp", "region": "europe-west1", "tier": "dev", "gcp_project": "acme-platform-dev",
       "cluster": {"node_pools": {"general": {"machine_types": ["e2-standard-4"]}}}}


def with_cluster(base: dict, **changes) -> dict:
    return {**base, "cluster": {**base["cluster"], **changes}}


def with_pool(base: dict, **changes) -> dict:
    pool = {**next(iter(base["cluster"]["node_pools"].values())), **changes}
    return with_cluster(base, node_pools={"general": pool})


def problems(raw: dict) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_environment(raw, SOURCE)
    return [p.render("") for p in caught.value.problems]


def test_valid_specs_pass():
    assert parse_environment(AWS, SOURCE).cluster.kubernetes_version == "1.35"
    assert parse_environment(GCP, SOURCE).cluster.release_channel == "REGULAR"


def test_min_greater_than_max_names_both_values():
    assert problems(with_pool(AWS, min_size=4, max_size=2)) == [
        "cluster.node_pools.general.max_size: (2) must be >= min_size (4)"]
    assert problems(with_pool(AWS, min_size=1, max_size=3, desired_size=5)) == [
        "cluster.node_pools.general.desired_size: (5) must be between min_size (1) and max_size (3)"]


def test_spot_with_instance_types_that_have_no_spot_capacity():
    assert problems(with_pool(AWS, machine_types=["mac2.metal"], spot=True)) == [
        "cluster.node_pools.general.spot: Spot capacity is not offered for ['mac2.metal']"]


def test_mixed_architectures_in_one_pool():
    [message] = problems(with_pool(AWS, machine_types=["m7g.large", "m7i.large"]))
    assert message.startswith("cluster.node_pools.general.machine_types: mixes Arm (Graviton) and x86")


def test_instance_type_syntax_per_cloud():
    assert problems(with_pool(AWS, machine_types=["e2-standard-4"])) == [
        "cluster.node_pools.general.machine_types: not EC2 instance types such as m7i.large: ['e2-standard-4']"]
    assert problems(with_pool(GCP, machine_types=["e2-standard-4", "e2-standard-8"])) == [
        "cluster.node_pools.general.machine_types: a GKE node pool has exactly one machine type (got 2)"]


def test_unknown_and_extended_support_versions():
    assert problems(with_cluster(AWS, kubernetes_version="1.29")) == [
        "cluster.kubernetes_version: unknown or unsupported version '1.29' (supported: 1.31, 1.32, 1.33, 1.34, "
        "1.35, 1.36)"]
    [extended] = problems(with_cluster(AWS, kubernetes_version="1.33"))
    assert extended.startswith("cluster.kubernetes_version: 1.33 is in EKS extended support (extra cost)")
    # Opting in is possible, but then add-on versions must be pinned explicitly.
    [unpinned] = problems(with_cluster(AWS, kubernetes_version="1.33", extended_support=True))
    assert unpinned == ("cluster.addon_versions: this library pins no add-on versions for 1.33; set vpc-cni, "
                        "coredns, kube-proxy, aws-ebs-csi-driver")


def test_public_endpoint_needs_an_allow_list_and_prod_never_allows_everyone():
    assert problems(with_cluster(AWS, public_endpoint=True)) == [
        "cluster.authorized_networks: required with public_endpoint: list the CIDRs allowed to reach the API"]
    prod = {**AWS, "tier": "prod"}
    assert problems(with_cluster(prod, public_endpoint=True, authorized_networks=["0.0.0.0/0"])) == [
        "cluster.authorized_networks[0]: 0.0.0.0/0 opens the prod Kubernetes API to the whole internet; list "
        "your networks instead"]
    [bad_cidr] = problems(with_cluster(AWS, public_endpoint=True, authorized_networks=["10.0.0.1/8"]))
    assert bad_cidr.startswith("cluster.authorized_networks[0]: must be a network in CIDR notation")


def test_required_control_plane_logs_and_admin_arns():
    assert problems(with_cluster(AWS, control_plane_logs=["api"])) == [
        "cluster.control_plane_logs: must include audit, authenticator"]
    assert problems(with_cluster(AWS, admins={"team": "PlatformAdmin"})) == [
        "cluster.admins.team: must be an IAM role or user ARN (got 'PlatformAdmin')"]


def test_aws_only_settings_are_refused_on_gcp():
    assert problems(with_cluster(GCP, admins={"team": "arn:aws:iam::123456789012:role/A"})) == [
        "cluster.admins: only applies on aws (on GKE grant roles/container.admin through IAM)"]


def test_network_zone_count_single_nat_and_cidr_rules():
    assert problems({**AWS, "network": {"availability_zones": ["us-east-1a", "us-east-1b"]}}) == [
        "network.availability_zones: staging needs at least 3 availability zones (got 2)"]
    assert problems({**AWS, "network": {"nat": "single"}}) == [
        "network.nat: a single NAT gateway is a single point of failure; only dev may use it (tier is staging)"]
    assert problems({**AWS, "network": {"cidr": "10.0.0.0/20"}}) == ["network.cidr: must be a /16 on aws (got "
                                                                      "10.0.0.0/20)"]
    assert problems({**AWS, "network": {"availability_zones": ["us-east-1a", "us-east-1b", "us-west-2c"]}}) == [
        "network.availability_zones: 'us-west-2c' is not a zone of us-east-1 (us-east-1a..us-east-1f)"]
    assert problems({**GCP, "network": {"pods_cidr": "10.0.0.0/14"}}) == [
        "network.pods_cidr: overlaps cidr (10.0.0.0/16)"]


def test_node_pools_are_required():
    assert problems({**AWS, "cluster": {"node_pools": {}}}) == [
        "cluster.node_pools: must have at least 1 entry (got 0)"]


def test_existing_subnets_need_two_zones():
    assert problems({**AWS, "network": {"existing_vpc": {"vpc_id": "vpc-1", "private_subnet_ids": ["s-1"]}}}) == [
        "network.existing_vpc.private_subnet_ids: must have at least 2 entries (got 1)"]


def test_retention_private_access_and_session_arns():
    assert problems(with_cluster(AWS, log_retention_days=100))[0].startswith(
        "cluster.log_retention_days: CloudWatch keeps logs for one of 1, 3, 5")
    assert problems(with_cluster(AWS, private_access_cidrs=["0.0.0.0/0"])) == [
        "cluster.private_access_cidrs[0]: 0.0.0.0/0 is everyone; list the networks that run Pulumi or kubectl"]
    assert problems(with_cluster(AWS, admins={"ci": "arn:aws:sts::123456789012:assumed-role/CI/session"})) == [
        "cluster.admins.ci: must be an IAM role or user ARN (got 'arn:aws:sts::123456789012:assumed-role/CI/session')"]
