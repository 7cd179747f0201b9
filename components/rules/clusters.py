"""Rules for clusters and node pools, shared by the spec loader and the policy pack."""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING

from ..errors import Problem
from ..versions import (
    EKS_ADDON_VERSIONS,
    EKS_EXTENDED_SUPPORT_VERSIONS,
    EKS_STANDARD_SUPPORT_VERSIONS,
    GKE_VERSIONS,
)
from .gpu_pools import gpu_pool_problems
from .kubernetes import label_value_problem, qualified_name_problem

if TYPE_CHECKING:  # the spec models import these rules
    from ..spec.cluster import ClusterSpec, NodePoolSpec

REQUIRED_EKS_LOGS = ("api", "audit", "authenticator")
_AWS_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_GCP_MACHINE_TYPE = re.compile(r"^[a-z][a-z0-9]*-[a-z0-9-]+$")
# Graviton families carry a `g` after the generation digit (m7g, c7gn, r8g, t4g, im4gn, x2gd).
_ARM_FAMILY = re.compile(r"^[a-z]+\d+g[a-z]*$")
# Spot capacity is not offered for Mac or High Memory (u-*) instances.
_NO_SPOT_FAMILY = re.compile(r"^(mac\d|u-|u\d)")
# Access entries take IAM roles and users; an assumed-role session ARN is not a valid principal.
_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/.+$")
CLOUDWATCH_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                             2922, 3288, 3653)


def is_arm_instance_type(instance_type: str) -> bool:
    return bool(_ARM_FAMILY.match(instance_type.split(".")[0]))


def cidr_problem(path: str, value: str) -> Problem | None:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        return Problem(path, f"must be a network in CIDR notation such as 10.0.0.0/16 ({exc})")
    return None


def is_open_to_the_internet(cidr: str) -> bool:
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


# Fields that only mean something on one cloud: set on the other, they would be silently ignored.
AWS_ONLY_CLUSTER_FIELDS = ("extended_support", "private_access_cidrs", "admins", "deployer_admin",
                           "control_plane_logs", "log_retention_days", "addon_versions")
GCP_ONLY_CLUSTER_FIELDS = ("release_channel", "dns_endpoint", "master_cidr", "dns_endpoint_external",
                           "rbac_security_group")


def explicitly_set(model, field: str) -> bool:
    """Whether `field` was given a value other than its default (model_dump round trips count as unset)."""
    if field not in model.model_fields_set:
        return False
    return getattr(model, field) != type(model).model_fields[field].get_default(call_default_factory=True)


def node_labels_problems(path: str, pool: NodePoolSpec) -> list[Problem]:
    problems: list[Problem] = []
    for key, value in pool.labels.items():
        problem = qualified_name_problem(key)
        if problem:
            problems.append(Problem(f"{path}.labels.{key}", f"not a Kubernetes label key: {problem}"))
        problem = label_value_problem(value)
        if problem:
            problems.append(Problem(f"{path}.labels.{key}", f"label value {value!r} {problem}"))
    for index, taint in enumerate(pool.taints):
        problem = qualified_name_problem(taint.key)
        if problem:
            problems.append(Problem(f"{path}.taints[{index}].key", f"not a Kubernetes taint key: {problem} "
                                                                   f"(got {taint.key!r})"))
        problem = label_value_problem(taint.value)
        if problem:
            problems.append(Problem(f"{path}.taints[{index}].value", f"taint value {taint.value!r} {problem}"))
    keys = [(t.key, t.effect) for t in pool.taints]
    if len(set(keys)) != len(keys):
        problems.append(Problem(f"{path}.taints", "lists the same key and effect twice"))
    return problems


def node_pool_problems(cloud: str, path: str, pool: NodePoolSpec) -> list[Problem]:
    problems: list[Problem] = node_labels_problems(path, pool) + gpu_pool_problems(cloud, path, pool)
    if pool.max_size < pool.min_size:
        problems.append(Problem(f"{path}.max_size", f"({pool.max_size}) must be >= min_size ({pool.min_size})"))
    if pool.desired_size is not None and not pool.min_size <= pool.desired_size <= pool.max_size:
        problems.append(Problem(
            f"{path}.desired_size",
            f"({pool.desired_size}) must be between min_size ({pool.min_size}) and max_size ({pool.max_size})",
        ))
    if cloud == "aws":
        bad = [t for t in pool.machine_types if not _AWS_INSTANCE_TYPE.match(t)]
        if bad:
            problems.append(Problem(f"{path}.machine_types", f"not EC2 instance types such as m7i.large: {bad}"))
        architectures = {is_arm_instance_type(t) for t in pool.machine_types if t not in bad}
        if len(architectures) > 1:
            problems.append(Problem(
                f"{path}.machine_types",
                f"mixes Arm (Graviton) and x86 instance types {pool.machine_types}; one pool runs one AMI "
                "architecture: split them into two pools",
            ))
        if pool.spot:
            no_spot = [t for t in pool.machine_types if _NO_SPOT_FAMILY.match(t)]
            if no_spot:
                problems.append(Problem(f"{path}.spot", f"Spot capacity is not offered for {no_spot}"))
    else:
        if len(pool.machine_types) != 1:
            problems.append(Problem(
                f"{path}.machine_types", f"a GKE node pool has exactly one machine type (got {len(pool.machine_types)})"
            ))
        bad = [t for t in pool.machine_types if not _GCP_MACHINE_TYPE.match(t)]
        if bad:
            problems.append(Problem(f"{path}.machine_types", f"not GCE machine types such as e2-standard-4: {bad}"))
    return problems


def version_problems(cloud: str, path: str, cluster: ClusterSpec) -> list[Problem]:
    version = cluster.kubernetes_version
    if cloud == "aws":
        if version in EKS_STANDARD_SUPPORT_VERSIONS:
            return []
        if version in EKS_EXTENDED_SUPPORT_VERSIONS:
            if cluster.extended_support:
                return []
            return [Problem(
                f"{path}.kubernetes_version",
                f"{version} is in EKS extended support (extra cost); upgrade to one of "
                f"{', '.join(EKS_STANDARD_SUPPORT_VERSIONS)} or set extended_support: true",
            )]
        known = EKS_EXTENDED_SUPPORT_VERSIONS + EKS_STANDARD_SUPPORT_VERSIONS
    else:
        if version in GKE_VERSIONS:
            return []
        known = GKE_VERSIONS
    return [Problem(f"{path}.kubernetes_version", f"unknown or unsupported version {version!r} (supported: "
                                                  f"{', '.join(known)})")]


def cluster_problems(cloud: str, tier: str, path: str, cluster: ClusterSpec) -> list[Problem]:
    problems = version_problems(cloud, path, cluster)
    for index, cidr in enumerate(cluster.authorized_networks):
        problem = cidr_problem(f"{path}.authorized_networks[{index}]", cidr)
        if problem:
            problems.append(problem)
        elif is_open_to_the_internet(cidr) and tier == "prod":
            problems.append(Problem(
                f"{path}.authorized_networks[{index}]",
                f"{cidr} opens the prod Kubernetes API to the whole internet; list your networks instead",
            ))
    runner_allow_list = cluster.deployer_access is not None and cluster.deployer_access.via == "public_endpoint" \
        and cluster.deployer_access.runner_cidrs
    if cluster.public_endpoint and not cluster.authorized_networks and not runner_allow_list:
        problems.append(Problem(
            f"{path}.authorized_networks",
            "required with public_endpoint: list the CIDRs allowed to reach the API",
        ))
    if cloud == "aws":
        for field in GCP_ONLY_CLUSTER_FIELDS:
            if explicitly_set(cluster, field):
                problems.append(Problem(f"{path}.{field}", "only applies on gcp"))
        if cluster.authorized_networks and not cluster.public_endpoint:
            problems.append(Problem(
                f"{path}.authorized_networks", "only applies with public_endpoint: true on aws"))
        missing = [log for log in REQUIRED_EKS_LOGS if log not in cluster.control_plane_logs]
        if missing:
            problems.append(Problem(f"{path}.control_plane_logs", f"must include {', '.join(missing)}"))
        if cluster.log_retention_days not in CLOUDWATCH_RETENTION_DAYS:
            allowed = ", ".join(map(str, CLOUDWATCH_RETENTION_DAYS))
            problems.append(Problem(f"{path}.log_retention_days",
                                    f"CloudWatch keeps logs for one of {allowed} days "
                                    f"(got {cluster.log_retention_days})"))
        for index, cidr in enumerate(cluster.private_access_cidrs or []):
            problem = cidr_problem(f"{path}.private_access_cidrs[{index}]", cidr)
            if problem:
                problems.append(problem)
            elif is_open_to_the_internet(cidr):
                problems.append(Problem(f"{path}.private_access_cidrs[{index}]",
                                        f"{cidr} is everyone; list the networks that run Pulumi or kubectl"))
        for name, arn in cluster.admins.items():
            if not _ARN.match(arn):
                problems.append(Problem(f"{path}.admins.{name}", f"must be an IAM role or user ARN (got {arn!r})"))
        core = ("vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver")
        unknown = sorted(set(cluster.addon_versions) - set(core))
        if unknown:
            problems.append(Problem(f"{path}.addon_versions", f"unknown add-ons {unknown} (known: {', '.join(core)})"))
        unpinned = [a for a in core if a not in EKS_ADDON_VERSIONS.get(cluster.kubernetes_version, {})
                    and a not in cluster.addon_versions]
        if unpinned and not version_problems(cloud, path, cluster):
            problems.append(Problem(
                f"{path}.addon_versions",
                f"this library pins no add-on versions for {cluster.kubernetes_version}; set {', '.join(unpinned)}",
            ))
    else:
        problem = cidr_problem(f"{path}.master_cidr", cluster.master_cidr)
        if problem:
            problems.append(problem)
        elif ipaddress.ip_network(cluster.master_cidr).prefixlen != 28:
            problems.append(Problem(f"{path}.master_cidr", f"must be a /28 (got {cluster.master_cidr})"))
        for field in AWS_ONLY_CLUSTER_FIELDS:
            if explicitly_set(cluster, field):
                problems.append(Problem(
                    f"{path}.{field}",
                    "only applies on aws" + (" (on GKE grant roles/container.admin through IAM)"
                                             if field == "admins" else ""),
                ))
    for name, pool in cluster.node_pools.items():
        problems.extend(node_pool_problems(cloud, f"{path}.node_pools.{name}", pool))
    return problems
