"""Day one: can the runner that runs `pulumi up` reach the Kubernetes API of the cluster it creates?

The run that creates a cluster also installs KEDA, Argo CD and workloads through the Kubernetes API. A
private endpoint inside a VPC created by that same run is unreachable from any runner (the runner cannot
be inside a network that did not exist when it started), and the Kubernetes provider times out after
minutes with dozens of cloud resources already created. These rules refuse such a stack file at load time
and name the ways out (docs/bootstrap.md).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from ..errors import Problem
from .clusters import cidr_problem, is_open_to_the_internet

if TYPE_CHECKING:  # the spec models import these rules
    from ..spec.cluster import ClusterSpec
    from ..spec.environment import EnvironmentSpec

PATH = "cluster.deployer_access"


def dns_endpoint_external(spec: EnvironmentSpec) -> bool:
    """GKE: whether the DNS endpoint takes user traffic from outside Google's network (off in prod by default)."""
    assert spec.cluster is not None
    if spec.cluster.dns_endpoint_external is not None:
        return spec.cluster.dns_endpoint_external
    return spec.tier != "prod"


def options(cloud: str) -> str:
    """The documented ways for a runner outside the network to reach the API, for an error message."""
    network = "network.existing_vpc" if cloud == "aws" else "network.existing_network"
    paths = [
        "(a) a public endpoint open only to the runner: `public_endpoint: true` and `deployer_access: "
        "{via: public_endpoint, runner_cidrs: [<runner egress CIDR>]}` (flagged by the policy pack outside dev)",
        f"(b) a private endpoint with the runner inside the cluster's network: `{network}` (a network that exists "
        "before this stack), or this stack's own network with a two-phase first run, and "
        "`deployer_access: {via: private_network, runner_cidrs: [<runner subnet>]}`",
    ]
    if cloud == "gcp":
        paths.append("(c) the IAM-authorized DNS endpoint: `dns_endpoint: true` and `deployer_access: "
                     "{via: dns_endpoint}`")
    return "; ".join(paths) + " (see docs/bootstrap.md)"


def deploys_kubernetes_objects(spec: EnvironmentSpec) -> bool:
    """Whether `pulumi up` talks to the Kubernetes API (add-ons, namespaces, workloads, Argo CD)."""
    return bool(spec.services or spec.jobs or spec.argocd)


def runner_cidrs(cluster: ClusterSpec, *vias: str) -> list[str]:
    """The declared runner networks when the runner reaches the API by one of `vias`."""
    access = cluster.deployer_access
    return list(access.runner_cidrs) if access is not None and access.via in vias else []


def runners_inside(network_cidr: str, cidrs: list[str]) -> bool:
    """Whether every runner network lies inside `network_cidr` (the runner runs in this stack's own network)."""
    try:
        network = ipaddress.ip_network(network_cidr, strict=False)
        return bool(cidrs) and all(ipaddress.ip_network(c, strict=False).subnet_of(network) for c in cidrs)
    except (ValueError, TypeError):
        return False


def merged(*lists: list[str]) -> list[str]:
    """Concatenate, dropping repeats, keeping first-seen order (existing entries keep their positions)."""
    seen: dict[str, None] = {}
    for values in lists:
        seen.update(dict.fromkeys(values))
    return list(seen)


def bootstrap_problems(spec: EnvironmentSpec) -> list[Problem]:
    problems: list[Problem] = []
    if spec.cloud != "gcp" and "gcp_enable_apis" in spec.model_fields_set:
        problems.append(Problem("gcp_enable_apis", "only applies when cloud is 'gcp'"))
    cluster = spec.cluster
    if cluster is None:
        return problems
    aws = spec.cloud == "aws"
    existing = spec.network.existing_vpc if aws else spec.network.existing_network
    access = cluster.deployer_access
    if access is not None:
        for index, cidr in enumerate(access.runner_cidrs):
            problem = cidr_problem(f"{PATH}.runner_cidrs[{index}]", cidr)
            if problem:
                problems.append(problem)
            elif is_open_to_the_internet(cidr):
                problems.append(Problem(f"{PATH}.runner_cidrs[{index}]",
                                        f"{cidr} is everyone; list the networks your runner connects from"))
        if access.via == "public_endpoint":
            if not cluster.public_endpoint:
                problems.append(Problem(
                    "cluster.public_endpoint",
                    "must be true with deployer_access.via public_endpoint (the explicit opt-in to a public API "
                    "endpoint, open only to the listed networks)"))
            if not access.runner_cidrs:
                problems.append(Problem(f"{PATH}.runner_cidrs",
                                        "required with via public_endpoint: your runner's egress (NAT) CIDRs"))
        elif access.via == "private_network":
            if existing is None and not runners_inside(spec.network.cidr, access.runner_cidrs):
                problems.append(Problem(
                    f"{PATH}.via",
                    "private_network needs the runner inside the cluster's network: either a network that exists "
                    "before this stack, or runner_cidrs inside this stack's own network.cidr "
                    f"({spec.network.cidr}) with a two-phase first run (network first, then a runner in it); "
                    "choose " + options(spec.cloud)))
            if aws and not access.runner_cidrs:
                problems.append(Problem(f"{PATH}.runner_cidrs",
                                        "required with via private_network on aws: the runner's subnet, which "
                                        "gets port 443 on the cluster security group"))
        else:
            if aws:
                problems.append(Problem(f"{PATH}.via",
                                        "dns_endpoint is GKE only; on aws choose " + options(spec.cloud)))
            elif not cluster.dns_endpoint:
                problems.append(Problem("cluster.dns_endpoint", "must be true with deployer_access.via dns_endpoint"))
            elif not dns_endpoint_external(spec):
                problems.append(Problem("cluster.dns_endpoint_external",
                                        "must be true with deployer_access.via dns_endpoint in prod (the DNS "
                                        "endpoint takes no traffic from outside Google's network by default there)"))
            if access.runner_cidrs:
                problems.append(Problem(f"{PATH}.runner_cidrs",
                                        "not used with dns_endpoint: IAM authorizes who reaches the API"))
        return problems

    if not deploys_kubernetes_objects(spec):
        return problems
    if cluster.public_endpoint or (not aws and cluster.dns_endpoint and dns_endpoint_external(spec)):
        return problems
    if existing is not None and aws and cluster.private_access_cidrs is not None:
        return problems  # declared who reaches the private API ([] = managed outside this stack)
    if existing is not None and aws:
        return problems  # reported as cluster.private_access_cidrs (required with an existing VPC)
    if existing is not None and cluster.authorized_networks:
        return problems
    where = ("is private to a network this same run creates" if existing is None
             else "is private and no runner network is allowed to reach it")
    problems.append(Problem(
        PATH,
        f"required: this stack deploys Kubernetes objects (add-ons, namespaces, workloads) in the run that "
        f"creates the cluster, and the cluster's API {where}, so `pulumi up` could not reach it and would "
        f"time out; choose {options(spec.cloud)}"))
    return problems
