"""Environment networks: a new VPC per cloud, or references to an existing one."""

from .aws import AwsNetwork, AwsNetworkArgs, AwsNetworkRefs
from .gcp import GcpNetwork, GcpNetworkArgs, GcpNetworkRefs

__all__ = ["AwsNetwork", "AwsNetworkArgs", "AwsNetworkRefs", "GcpNetwork", "GcpNetworkArgs", "GcpNetworkRefs"]
