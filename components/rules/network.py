"""Rules for the environment network."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from ..errors import Problem
from .clusters import cidr_problem, explicitly_set

if TYPE_CHECKING:  # the spec models import these rules
    from ..spec.network import NetworkSpec

MIN_ZONES = {"dev": 2, "staging": 3, "prod": 3}


def default_zones(region: str) -> list[str]:
    return [f"{region}{letter}" for letter in "abc"]


def network_problems(cloud: str, tier: str, region: str, path: str, network: NetworkSpec) -> list[Problem]:
    problems: list[Problem] = []
    cidrs = {"cidr": network.cidr} if cloud == "aws" else {
        "cidr": network.cidr, "pods_cidr": network.pods_cidr, "services_cidr": network.services_cidr}
    valid = {}
    for field, value in cidrs.items():
        problem = cidr_problem(f"{path}.{field}", value)
        if problem:
            problems.append(problem)
        else:
            valid[field] = ipaddress.ip_network(value)
    if cloud == "aws":
        if "cidr" in valid and valid["cidr"].prefixlen != 16:
            problems.append(Problem(f"{path}.cidr", f"must be a /16 on aws (got {network.cidr})"))
        zones = network.availability_zones if network.availability_zones is not None else default_zones(region)
        if len(zones) < MIN_ZONES[tier]:
            problems.append(Problem(
                f"{path}.availability_zones",
                f"{tier} needs at least {MIN_ZONES[tier]} availability zones (got {len(zones)})",
            ))
        if len(set(zones)) != len(zones):
            problems.append(Problem(f"{path}.availability_zones", f"lists a zone twice: {zones}"))
        for zone in zones:
            if not (zone.startswith(region) and len(zone) == len(region) + 1 and zone[-1] in "abcdef"):
                problems.append(Problem(
                    f"{path}.availability_zones", f"{zone!r} is not a zone of {region} ({region}a..{region}f)"))
        if network.nat == "single" and tier != "dev":
            problems.append(Problem(f"{path}.nat", f"a single NAT gateway is a single point of failure; "
                                                   f"only dev may use it (tier is {tier})"))
        if network.existing_network is not None:
            problems.append(Problem(f"{path}.existing_network", "only applies on gcp (use existing_vpc)"))
        if network.runner_subnet is not None:
            problems.extend(_runner_subnet_problems(f"{path}.runner_subnet", network, zones, valid.get("cidr")))
        for field in ("pods_cidr", "services_cidr"):
            if explicitly_set(network, field):
                problems.append(Problem(f"{path}.{field}", "only applies on gcp (EKS pods use VPC addresses)"))
    else:
        for a, b in (("cidr", "pods_cidr"), ("cidr", "services_cidr"), ("pods_cidr", "services_cidr")):
            if a in valid and b in valid and valid[a].overlaps(valid[b]):
                problems.append(Problem(f"{path}.{b}", f"overlaps {a} ({cidrs[a]})"))
        for field in ("availability_zones", "existing_vpc", "runner_subnet"):
            if getattr(network, field) is not None:
                problems.append(Problem(f"{path}.{field}", "only applies on aws"))
        if network.nat != "per_az":
            problems.append(Problem(f"{path}.nat", "only applies on aws (Cloud NAT is regional)"))
    return problems


def _runner_subnet_problems(path: str, network: NetworkSpec, zones: list[str], vpc) -> list[Problem]:
    """The runner subnet lies in the VPC and clear of every zone's node and public subnet."""
    from ..network.aws import subnet_ranges

    problem = cidr_problem(path, network.runner_subnet)
    if problem:
        return [problem]
    runner = ipaddress.ip_network(network.runner_subnet)
    if network.existing_vpc is not None:
        return [Problem(path, "not with network.existing_vpc: the runner subnet of an existing VPC is made where "
                              "the VPC is; name it in cluster.deployer_access.runner_cidrs")]
    if vpc is None:
        return []
    if not runner.subnet_of(vpc):
        return [Problem(path, f"{runner} is outside the VPC ({network.cidr})")]
    for zone in sorted(zones):
        for kind, cidr in zip(("node", "public"), subnet_ranges(network.cidr, zone), strict=True):
            if runner.overlaps(ipaddress.ip_network(cidr)):
                return [Problem(path, f"{runner} overlaps the {kind} subnet of {zone} ({cidr})")]
    return []
