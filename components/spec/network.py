"""Desired state of an environment's network."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from .base import StrictModel


class ExistingVpc(StrictModel):
    """An AWS VPC to use instead of creating one (bring your own network)."""

    vpc_id: str = Field(description="The VPC id, `vpc-...`. Required.")
    private_subnet_ids: list[str] = Field(
        min_length=2,
        description="Private subnets (one per availability zone) for nodes and internal load balancers. Required.",
    )
    public_subnet_ids: list[str] = Field(
        default_factory=list,
        description="Public subnets for internet-facing load balancers. Default none (no public load balancers).",
    )


class ExistingGcpNetwork(StrictModel):
    """A GCP VPC network and subnetwork to use instead of creating them."""

    network: str = Field(description="VPC network name or self link. Required.")
    subnetwork: str = Field(description="Subnetwork name or self link in the environment's region. Required.")
    pods_range_name: str = Field(description="Name of the subnetwork's secondary range for pods. Required.")
    services_range_name: str = Field(description="Name of the subnetwork's secondary range for services. Required.")


class FlowLogSpec(StrictModel):
    """AWS VPC flow logs: what is recorded and where it goes (docs/security.md, "Flow logs: cost")."""

    traffic: Optional[Literal["ALL", "REJECT"]] = Field(
        None,
        description=(
            "Which flows are recorded: `ALL` (accepted and rejected: the evidence an incident review needs) or "
            "`REJECT` (only what security groups and network ACLs refused: a fraction of the volume and cost). "
            "Default: `ALL` in prod, `REJECT` in dev and staging."
        ),
    )
    destination: Literal["cloudwatch", "s3"] = Field(
        "cloudwatch",
        description=(
            "`cloudwatch`: a KMS-encrypted CloudWatch Logs group (queryable with Logs Insights). `s3`: a "
            "KMS-encrypted, private S3 bucket whose lifecycle deletes objects after the retention (vended-log "
            "delivery to S3 is priced lower per GB than to CloudWatch Logs, and storage is cheaper; query with "
            "Athena). Default `cloudwatch`."
        ),
    )
    retention_days: Optional[int] = Field(
        None, ge=1,
        description=("Days the flow logs are kept (CloudWatch Logs accepts 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, "
                     "180, 365, ...). Default 30 in dev, 90 in staging, 365 in prod."),
    )


class NetworkSpec(StrictModel):
    """The network the cluster runs in: created by default, or an existing one."""

    cidr: str = Field(
        "10.0.0.0/16",
        description=(
            "AWS: the VPC range, a /16 split into a private /19 and a public /22 per availability zone. "
            "GCP: the node subnetwork's primary range. Default `10.0.0.0/16`."
        ),
    )
    availability_zones: Optional[list[str]] = Field(
        None,
        description=(
            "AWS: availability zones to spread subnets and nodes across; 3 or more (2 allowed in dev). Each "
            "zone's subnet ranges derive from its letter, so the list order does not matter. Default: the "
            "region's zones a, b and c."
        ),
    )
    nat: Literal["per_az", "single"] = Field(
        "per_az",
        description=(
            "AWS: NAT gateways for private subnets: one per availability zone (survives a zone outage) or a "
            "single shared one (cheaper; dev only). Default `per_az`."
        ),
    )
    pods_cidr: str = Field(
        "10.16.0.0/14", description="GCP: secondary range for pod IPs (VPC-native). Default `10.16.0.0/14`."
    )
    services_cidr: str = Field(
        "10.20.0.0/20", description="GCP: secondary range for service IPs. Default `10.20.0.0/20`."
    )
    flow_logs: FlowLogSpec = Field(
        default_factory=FlowLogSpec,
        description="AWS: the VPC flow logs' filter, destination and retention (a created VPC only). Default per tier.",
    )
    runner_subnet: Optional[str] = Field(
        None,
        description=(
            "AWS: a dedicated private subnet for self-hosted CI runners, in the first availability zone and "
            "routed through that zone's NAT, for a private API reached from inside this stack's own VPC (the "
            "two-phase first run, docs/bootstrap.md). Name it in `cluster.deployer_access.runner_cidrs`, so the "
            "API admits the runners and not every pod of a node subnet. Inside `cidr` and outside the node and "
            "public subnets, e.g. `10.40.255.0/24` (the top of the /16 is free). Default unset."
        ),
    )
    existing_vpc: Optional[ExistingVpc] = Field(
        None, description="AWS: use this VPC and these subnets instead of creating a network. Default unset."
    )
    existing_network: Optional[ExistingGcpNetwork] = Field(
        None, description="GCP: use this network and subnetwork instead of creating them. Default unset."
    )
