"""EKS node security group: nodes apart from the control plane, each side open only to what it needs.

Without a group in the launch template, EKS puts nodes in its cluster security group, which admits all
traffic among its members: every node could then reach everything the control plane can, and a rule for
"who may reach the API" would have to name the whole VPC. Rules follow the EKS user guide's security group
requirements (https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html) and
terraform-aws-modules/terraform-aws-eks `node_groups.tf` (`node_security_group_rules` and the recommended
webhook ports).
"""

from __future__ import annotations

import pulumi

from ..cloud_sdks import aws

# Control plane -> nodes: kubelet (logs, exec, metrics), and the ports admission webhooks and aggregated
# APIs listen on: 443, 4443 (metrics-server), 6443 (KEDA metrics API server), 8443, 9443 (KEDA and most
# controller webhooks).
CONTROL_PLANE_TO_NODE_PORTS = (443, 4443, 6443, 8443, 9443, 10250)


def node_security_group(name: str, cluster_name: str, cluster: aws.eks.Cluster, opts: pulumi.ResourceOptions
                        ) -> tuple[aws.ec2.SecurityGroup, list[pulumi.Resource], list[pulumi.Resource]]:
    """(the nodes' group, every rule nodes need to join, the control-plane-to-webhook rules)."""
    cluster_sg = cluster.vpc_config.cluster_security_group_id
    group = aws.ec2.SecurityGroup(
        f"{name}-nodes",
        vpc_id=cluster.vpc_config.vpc_id,
        description=f"EKS {cluster_name} nodes",
        # Exactly one group on a node carries this tag: load balancer controllers add their rules to it.
        tags={"Name": f"{cluster_name}-nodes", f"kubernetes.io/cluster/{cluster_name}": "owned"},
        opts=opts,
    )
    rules: list[pulumi.Resource] = [
        # Image pulls, AWS APIs, NTP: through NAT. The provider removes the default egress rule, so it is explicit.
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-nodes-egress", security_group_id=group.id, ip_protocol="-1", cidr_ipv4="0.0.0.0/0",
            description="Nodes to anywhere (through NAT)", opts=opts),
        # Pods share their node's group (VPC CNI), so pod-to-pod and DNS traffic is node-to-node.
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-nodes-from-nodes", security_group_id=group.id, ip_protocol="-1",
            referenced_security_group_id=group.id, description="Node to node (pods, CoreDNS)", opts=opts),
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-api-from-nodes", security_group_id=cluster_sg, ip_protocol="tcp", from_port=443,
            to_port=443, referenced_security_group_id=group.id,
            description=f"Kubernetes API of {cluster_name} from its nodes", opts=opts),
    ]
    webhooks = [
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-nodes-from-control-plane-{port}", security_group_id=group.id, ip_protocol="tcp",
            from_port=port, to_port=port, referenced_security_group_id=cluster_sg,
            description=f"Control plane to nodes on {port}", opts=opts)
        for port in CONTROL_PLANE_TO_NODE_PORTS
    ]
    return group, [*rules, *webhooks], webhooks
