"""AWS network: a VPC across availability zones with public and private subnets and NAT."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal, Optional

import pulumi
import pulumi_aws as aws
from pydantic import Field

from ..spec.base import StrictModel


@dataclass(frozen=True)
class AwsNetworkRefs:
    """What a cluster needs from a network, whether created here or brought by the user."""

    vpc_id: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[list[str]]
    public_subnet_ids: pulumi.Input[list[str]]


class AwsNetworkArgs(StrictModel):
    """Arguments of `AwsNetwork`."""

    cidr: str = Field("10.0.0.0/16", description="VPC range, a /16. Default `10.0.0.0/16`.")
    availability_zones: list[str] = Field(
        min_length=2, description="Zones to create a private and a public subnet in, e.g. `us-east-1a`. Required."
    )
    nat: Literal["per_az", "single"] = Field(
        "per_az", description="One NAT gateway per zone, or a single one in the first zone. Default `per_az`."
    )
    cluster_name: Optional[str] = Field(
        None,
        description=(
            "EKS cluster that will use the subnets: tags them `kubernetes.io/cluster/<name>: shared` so its "
            "load balancers find them. Default unset."
        ),
    )


def zone_index(zone: str) -> int:
    """A zone's stable position from its letter (`us-east-1c` -> 2), independent of list order."""
    return ord(zone[-1]) - ord("a")


def subnet_ranges(vpc_cidr: str, zone: str) -> tuple[str, str]:
    """(private /19, public /22) for a zone: private blocks fill the first 3/4 of the /16, public the rest."""
    network = ipaddress.ip_network(vpc_cidr)
    index = zone_index(zone)
    private = list(network.subnets(new_prefix=19))[index]
    public = list(network.subnets(new_prefix=22))[48 + index]
    return str(private), str(public)


class AwsNetwork(pulumi.ComponentResource):
    """VPC, one private and one public subnet per zone, an internet gateway and NAT gateways.

    Nodes live in private subnets and reach the internet through NAT; public subnets only hold NAT
    gateways and internet-facing load balancers. Subnets carry the tags EKS load balancing expects.
    """

    vpc_id: pulumi.Output[str]
    private_subnet_ids: pulumi.Output[list[str]]
    public_subnet_ids: pulumi.Output[list[str]]

    def __init__(self, name: str, args: AwsNetworkArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:index:AwsNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster_tags = {f"kubernetes.io/cluster/{args.cluster_name}": "shared"} if args.cluster_name else {}

        vpc = aws.ec2.Vpc(
            f"{name}-vpc", cidr_block=args.cidr, enable_dns_hostnames=True, enable_dns_support=True,
            tags={"Name": name}, opts=child,
        )
        gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags={"Name": name}, opts=child)
        public_routes = aws.ec2.RouteTable(
            f"{name}-public", vpc_id=vpc.id, tags={"Name": f"{name}-public"}, opts=child)
        aws.ec2.Route(f"{name}-public-default", route_table_id=public_routes.id,
                      destination_cidr_block="0.0.0.0/0", gateway_id=gateway.id, opts=child)

        zones = sorted(args.availability_zones)
        private_subnets, public_subnets, nat_gateways = [], [], {}
        for zone in zones:
            private_cidr, public_cidr = subnet_ranges(args.cidr, zone)
            public = aws.ec2.Subnet(
                f"{name}-public-{zone}", vpc_id=vpc.id, cidr_block=public_cidr, availability_zone=zone,
                tags={"Name": f"{name}-public-{zone}", "kubernetes.io/role/elb": "1", **cluster_tags},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{zone}", subnet_id=public.id, route_table_id=public_routes.id, opts=child)
            private = aws.ec2.Subnet(
                f"{name}-private-{zone}", vpc_id=vpc.id, cidr_block=private_cidr, availability_zone=zone,
                tags={"Name": f"{name}-private-{zone}", "kubernetes.io/role/internal-elb": "1", **cluster_tags},
                opts=child,
            )
            public_subnets.append(public)
            private_subnets.append(private)
            if args.nat == "per_az" or not nat_gateways:
                address = aws.ec2.Eip(f"{name}-nat-{zone}", domain="vpc", tags={"Name": f"{name}-nat-{zone}"},
                                      opts=child)
                nat_gateways[zone] = aws.ec2.NatGateway(
                    f"{name}-nat-{zone}", allocation_id=address.id, subnet_id=public.id,
                    tags={"Name": f"{name}-nat-{zone}"}, opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway]),
                )
            nat = nat_gateways.get(zone) or next(iter(nat_gateways.values()))
            private_routes = aws.ec2.RouteTable(
                f"{name}-private-{zone}", vpc_id=vpc.id, tags={"Name": f"{name}-private-{zone}"}, opts=child)
            aws.ec2.Route(f"{name}-private-{zone}-default", route_table_id=private_routes.id,
                          destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat.id, opts=child)
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{zone}", subnet_id=private.id, route_table_id=private_routes.id, opts=child)

        self.vpc_id = vpc.id
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private_subnets])
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public_subnets])
        self.refs = AwsNetworkRefs(self.vpc_id, self.private_subnet_ids, self.public_subnet_ids)
        self.register_outputs({
            "vpc_id": self.vpc_id,
            "private_subnet_ids": self.private_subnet_ids,
            "public_subnet_ids": self.public_subnet_ids,
        })
