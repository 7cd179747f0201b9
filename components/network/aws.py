"""AWS network: a VPC across availability zones with public and private subnets and NAT."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Literal, Optional

import pulumi
from pydantic import Field

from ..cloud_sdks import aws
from ..kms_policies import cloudwatch_logs_statement, key_policy
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
    flow_log_retention_days: int = Field(
        365,
        description=(
            "Days CloudWatch Logs keeps the VPC flow logs (a value CloudWatch accepts: 1, 3, 5, 7, 14, 30, 60, "
            "90, 120, 150, 180, 365, ...). Default 365."
        ),
    )
    protect: bool = Field(
        False,
        description="Protect the flow-log group and its key from deletion (prod). Default false.",
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
    """The VPC id."""
    private_subnet_ids: pulumi.Output[list[str]]
    """One private subnet per zone (nodes and the EKS control plane ENIs), in zone order."""
    public_subnet_ids: pulumi.Output[list[str]]
    """One public subnet per zone (NAT gateways and internet-facing load balancers)."""

    def _flow_logs(self, name: str, vpc: aws.ec2.Vpc, args: AwsNetworkArgs) -> None:
        """Every accepted and rejected flow of the VPC into a CloudWatch log group encrypted with its own
        rotating customer-managed key (the GCP subnetwork has flow logs too)."""
        child = pulumi.ResourceOptions(parent=self)
        kept = pulumi.ResourceOptions(parent=self, protect=args.protect or None)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        log_group_name = f"/aws/vpc/{name}/flow-logs"
        key = aws.kms.Key(
            f"{name}-flow-logs",
            description=f"VPC {name} flow logs",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(partition, region, account).apply(lambda values: key_policy(
                values[0], values[2], cloudwatch_logs_statement(values[0], values[1], values[2], [log_group_name]))),
            opts=kept,
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs", name=log_group_name, retention_in_days=args.flow_log_retention_days,
            kms_key_id=key.arn, opts=kept)
        # The flow-log service writes with a role that only this account's flow logs can assume
        # (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html, confused-deputy conditions).
        role = aws.iam.Role(
            f"{name}-flow-logs",
            assume_role_policy=pulumi.Output.all(partition, region, account).apply(lambda values: json.dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": values[2]},
                        "ArnLike": {"aws:SourceArn": f"arn:{values[0]}:ec2:{values[1]}:{values[2]}:vpc-flow-log/*"},
                    },
                }],
            }, sort_keys=True)),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.name,
            policy=log_group.arn.apply(lambda arn: json.dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups",
                               "logs:DescribeLogStreams"],
                    "Resource": [arn, f"{arn}:*"],
                }],
            }, sort_keys=True)),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-logs", vpc_id=vpc.id, traffic_type="ALL", log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn, iam_role_arn=role.arn, tags={"Name": f"{name}-flow-logs"}, opts=child)

    def __init__(self, name: str, args: AwsNetworkArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:index:AwsNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster_tags = {f"kubernetes.io/cluster/{args.cluster_name}": "shared"} if args.cluster_name else {}

        vpc = aws.ec2.Vpc(
            f"{name}-vpc", cidr_block=args.cidr, enable_dns_hostnames=True, enable_dns_support=True,
            tags={"Name": name}, opts=child,
        )
        # The default security group allows all traffic between its members; adopting it removes every rule
        # (the provider's documented behaviour), so nothing can use it by accident (CIS AWS Foundations 5.4).
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=vpc.id, ingress=[], egress=[],
                                     tags={"Name": f"{name}-default-deny"}, opts=child)
        self._flow_logs(name, vpc, args)
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
