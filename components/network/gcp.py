"""GCP network: a VPC network and regional subnetwork with pod/service ranges, and Cloud NAT."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import pulumi
from pydantic import Field

from ..cloud_sdks import gcp
from ..spec.base import StrictModel

PODS_RANGE = "pods"
SERVICES_RANGE = "services"


@dataclass(frozen=True)
class GcpNetworkRefs:
    network: pulumi.Input[str]
    subnetwork: pulumi.Input[str]
    pods_range_name: str
    services_range_name: str


class GcpNetworkArgs(StrictModel):
    """Arguments of `GcpNetwork`."""

    region: str = Field(description="Region of the subnetwork, router and NAT. Required.")
    cidr: str = Field("10.0.0.0/16", description="Node subnetwork primary range. Default `10.0.0.0/16`.")
    pods_cidr: str = Field("10.16.0.0/14", description="Secondary range for pods. Default `10.16.0.0/14`.")
    services_cidr: str = Field("10.20.0.0/20", description="Secondary range for services. Default `10.20.0.0/20`.")
    depends_on: list[Any] = Field(
        default_factory=list,
        description="Resources the network waits for, e.g. the Compute Engine API's enablement. Default none.")


class GcpNetwork(pulumi.ComponentResource):
    """A custom-mode VPC, one subnetwork with VPC-native secondary ranges, and Cloud NAT for private nodes.

    Private Google Access lets nodes without public IPs reach Google APIs (Artifact Registry, Pub/Sub);
    flow logs are sampled for forensics.
    """

    network: pulumi.Output[str]
    """The VPC network's self link."""
    subnetwork: pulumi.Output[str]
    """The subnetwork's self link (with the pod and service secondary ranges)."""

    def __init__(self, name: str, args: GcpNetworkArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:index:GcpNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))
        network = gcp.compute.Network(
            f"{name}-network", name=name, auto_create_subnetworks=False, routing_mode="REGIONAL", opts=child)
        subnetwork = gcp.compute.Subnetwork(
            f"{name}-subnet",
            name=name,
            region=args.region,
            network=network.id,
            ip_cidr_range=args.cidr,
            private_ip_google_access=True,
            secondary_ip_ranges=[
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name=PODS_RANGE, ip_cidr_range=args.pods_cidr),
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name=SERVICES_RANGE,
                                                           ip_cidr_range=args.services_cidr),
            ],
            log_config=gcp.compute.SubnetworkLogConfigArgs(
                aggregation_interval="INTERVAL_5_SEC", flow_sampling=0.5, metadata="INCLUDE_ALL_METADATA"),
            opts=child,
        )
        router = gcp.compute.Router(f"{name}-router", name=name, region=args.region, network=network.id, opts=child)
        gcp.compute.RouterNat(
            f"{name}-nat",
            name=name,
            router=router.name,
            region=args.region,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
            log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
            opts=child,
        )
        self.network = network.id
        self.subnetwork = subnetwork.id
        self.refs = GcpNetworkRefs(network.id, subnetwork.id, PODS_RANGE, SERVICES_RANGE)
        self.register_outputs({"network": self.network, "subnetwork": self.subnetwork})
