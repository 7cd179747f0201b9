"""AWS network: a VPC across availability zones with public and private subnets and NAT."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Literal, Optional

import pulumi
from pydantic import Field

from ..cloud_sdks import aws
from ..identity import PLATFORM_ROLE_PATH, ROLE_PATH_PATTERN, role_boundary_arn
from ..kms_policies import cloudwatch_logs_statement, key_policy, log_delivery_statement
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
    flow_log_traffic: Literal["ALL", "REJECT"] = Field(
        "ALL", description="Which flows the flow log records: `ALL` or only `REJECT`ed ones. Default `ALL`.")
    flow_log_destination: Literal["cloudwatch", "s3"] = Field(
        "cloudwatch",
        description="Where flow logs go: an encrypted CloudWatch Logs group or an encrypted S3 bucket whose "
                    "lifecycle expires them after `flow_log_retention_days`. Default `cloudwatch`.")
    protect: bool = Field(
        False,
        description="Protect the flow-log group (or bucket) and its key from deletion (prod). Default false.",
    )
    runner_subnet: Optional[str] = Field(
        None,
        description=(
            "A dedicated private subnet for CI runners in the first zone, routed through that zone's NAT "
            "(docs/bootstrap.md). Default unset."
        ),
    )
    permissions_boundary: Optional[str] = Field(
        None,
        description=(
            "Permissions boundary (a managed policy ARN) of the flow-log role. Default `arn:<partition>:iam::"
            "<account>:policy/platform-role-boundary` (deploy/ci-identity/aws-role-boundary.json)."
        ),
    )
    role_path: str = Field(
        PLATFORM_ROLE_PATH,
        pattern=ROLE_PATH_PATTERN,
        description=(
            "IAM path of the flow-log role: `/platform/` or a path "
            "under it (an `Environment` uses `/platform/<environment>/`). The deployer policy "
            "(deploy/ci-identity/) may create, change and pass roles only there. Default `/platform/`."
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
        to_s3 = args.flow_log_destination == "s3"
        key = aws.kms.Key(
            f"{name}-flow-logs",
            description=f"VPC {name} flow logs",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(partition, region, account).apply(lambda values: key_policy(
                values[0], values[2],
                log_delivery_statement(values[0], values[1], values[2]) if to_s3 else
                cloudwatch_logs_statement(values[0], values[1], values[2], [log_group_name]))),
            opts=kept,
        )
        if to_s3:
            self._flow_logs_to_s3(name, vpc, args, key, pulumi.Output.all(partition, region, account), kept)
            return
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs", name=log_group_name, retention_in_days=args.flow_log_retention_days,
            kms_key_id=key.arn, opts=kept)
        # The flow-log service writes with a role that only this account's flow logs can assume
        # (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html, confused-deputy conditions).
        boundary = args.permissions_boundary or pulumi.Output.all(partition, account).apply(
            lambda values: role_boundary_arn(values[0], values[1]))
        role = aws.iam.Role(
            f"{name}-flow-logs",
            path=args.role_path,
            permissions_boundary=boundary,
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
        # The flow log waits for the policy, not only the role: created between the two, the log is stuck in
        # "Access error" (terraform-aws-modules/terraform-aws-vpc#1262).
        role_policy = aws.iam.RolePolicy(
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
            f"{name}-flow-logs", vpc_id=vpc.id, traffic_type=args.flow_log_traffic,
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn, iam_role_arn=role.arn, tags={"Name": f"{name}-flow-logs"},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]))

    def _flow_logs_to_s3(self, name: str, vpc: aws.ec2.Vpc, args: AwsNetworkArgs, key: aws.kms.Key,
                         where: pulumi.Output, kept: pulumi.ResourceOptions) -> None:
        """Flow logs into a private, KMS-encrypted bucket that deletes them after the retention. The log delivery
        service writes with the bucket policy (no IAM role: https://docs.aws.amazon.com/vpc/latest/userguide/
        flow-logs-s3-permissions.html), limited to this account's deliveries (confused-deputy conditions)."""
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(f"{name}-flow-logs", force_destroy=False, tags={"Name": f"{name}-flow-logs"},
                               opts=kept)
        private = aws.s3.BucketPublicAccessBlock(
            f"{name}-flow-logs", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True, opts=child)
        aws.s3.BucketOwnershipControls(
            f"{name}-flow-logs", bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"), opts=child)
        encrypted = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-flow-logs", bucket=bucket.id, rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.
                BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=key.arn),
                bucket_key_enabled=True)], opts=child)
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-flow-logs", bucket=bucket.id, rules=[aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-flow-logs", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix="AWSLogs/"),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.flow_log_retention_days),
            )], opts=child)
        policy = aws.s3.BucketPolicy(
            f"{name}-flow-logs", bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, where).apply(lambda values: flow_log_bucket_policy(
                values[0], *values[1])),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[private]))
        aws.ec2.FlowLog(
            f"{name}-flow-logs", vpc_id=vpc.id, traffic_type=args.flow_log_traffic, log_destination_type="s3",
            log_destination=bucket.arn, tags={"Name": f"{name}-flow-logs"},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, encrypted]))

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
        private_subnets, public_subnets, nat_gateways, private_route_tables = [], [], {}, {}
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
            private_route_tables[zone] = private_routes

        if args.runner_subnet is not None:
            # Self-hosted CI runners: a small private subnet of their own, so the API's runner rule admits them and
            # not every pod of a node subnet. Through the first zone's private routes (its NAT).
            zone = zones[0]
            runners = aws.ec2.Subnet(
                f"{name}-runners", vpc_id=vpc.id, cidr_block=args.runner_subnet, availability_zone=zone,
                tags={"Name": f"{name}-runners"}, opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-runners", subnet_id=runners.id,
                                          route_table_id=private_route_tables[zone].id, opts=child)

        self.vpc_id = vpc.id
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private_subnets])
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public_subnets])
        self.refs = AwsNetworkRefs(self.vpc_id, self.private_subnet_ids, self.public_subnet_ids)
        self.register_outputs({
            "vpc_id": self.vpc_id,
            "private_subnet_ids": self.private_subnet_ids,
            "public_subnet_ids": self.public_subnet_ids,
        })


def flow_log_bucket_policy(bucket_arn: str, partition: str, region: str, account: str) -> str:
    """The log delivery service may write (and check the bucket's ACL) for this account's flow logs only; nobody
    reaches the bucket without TLS."""
    delivery = {"Service": "delivery.logs.amazonaws.com"}
    own = {"StringEquals": {"aws:SourceAccount": account},
           "ArnLike": {"aws:SourceArn": f"arn:{partition}:logs:{region}:{account}:*"}}
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSLogDeliveryWrite", "Effect": "Allow", "Principal": delivery, "Action": "s3:PutObject",
         "Resource": f"{bucket_arn}/AWSLogs/{account}/*", "Condition": own},
        {"Sid": "AWSLogDeliveryAclCheck", "Effect": "Allow", "Principal": delivery,
         "Action": ["s3:GetBucketAcl", "s3:ListBucket"], "Resource": bucket_arn, "Condition": own},
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [bucket_arn, f"{bucket_arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    ]}, sort_keys=True)
