"""Every AWS resource a shipped stack emits, sent to the AWS API (moto): create, update one property, delete.

`tests/aws_replay.py` replays the retained queues and their key; this extends it to the network, IAM, KMS, logs
and queue types, with the checks moto does not make (`policy_problems`): key policies keep the account statement
(without it a key becomes unmanageable), resource policies name a principal, queue policies deny insecure
transport, trust policies are limited (service principals or an OIDC subject), and identity policies grant no
`*` action. Types moto cannot take here are listed in `NOT_REPLAYED` with the reason.
"""

from __future__ import annotations

import json
from typing import Any

import boto3

from .aws_replay import Replay

# type -> why the replay does not send it (what only a real account shows)
NOT_REPLAYED = {
    "aws:eks/cluster:Cluster": "moto's EKS does not return the cluster security group, OIDC issuer or access "
                               "config the program reads; control-plane creation takes a real account",
    "aws:eks/nodeGroup:NodeGroup": "needs the EKS cluster (above) and launches instances",
    "aws:eks/addon:Addon": "needs the EKS cluster; moto has no add-on catalogue",
    "aws:eks/accessEntry:AccessEntry": "needs the EKS cluster; not emulated by moto",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": "needs the EKS cluster; not emulated by moto",
    "aws:autoscaling/tag:Tag": "tags the Auto Scaling group an EKS managed node group creates (above)",
}
# A dependency that is only a value (a string the API takes as is), not something that must exist first.
VALUE_ONLY = {("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws:eks/cluster:Cluster"),
              ("aws:iam/role:Role", "aws:eks/cluster:Cluster"),
              ("aws:iam/rolePolicy:RolePolicy", "aws:eks/cluster:Cluster")}


def _doc(text: Any) -> dict:
    return json.loads(text) if isinstance(text, str) else text


def _statements(document: dict) -> list[dict]:
    found = document.get("Statement", [])
    return found if isinstance(found, list) else [found]


def policy_problems(type_: str, name: str, inputs: dict) -> list[str]:
    """What IAM, KMS and SQS accept but the platform must not send (moto makes none of these checks)."""
    problems: list[str] = []
    if type_ == "aws:kms/key:Key":
        document = _doc(inputs["policy"])
        account = [s for s in _statements(document) if s.get("Effect") == "Allow" and s.get("Action") == "kms:*"
                   and str(s.get("Principal", {}).get("AWS", "")).endswith(":root")]
        if not account:
            problems.append(f"{name}: key policy without the account statement (the key would be unmanageable)")
        for statement in _statements(document):
            if "Principal" not in statement:
                problems.append(f"{name}: key policy statement {statement.get('Sid')} names no principal")
            if statement.get("Principal") == "*" and statement.get("Effect") == "Allow":
                problems.append(f"{name}: key policy allows everyone")
    elif type_ in ("aws:sqs/queuePolicy:QueuePolicy", "aws:s3/bucketPolicy:BucketPolicy"):
        document = _doc(inputs["policy"])
        if not any(s.get("Effect") == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")
                   == "false" for s in _statements(document)):
            problems.append(f"{name}: resource policy does not deny insecure transport")
        for statement in _statements(document):
            if statement.get("Effect") == "Allow" and statement.get("Principal") in ("*", {"AWS": "*"}) \
                    and not statement.get("Condition"):
                problems.append(f"{name}: allows everyone without a condition")
    elif type_ == "aws:iam/role:Role":
        for statement in _statements(_doc(inputs["assumeRolePolicy"])):
            principal = statement.get("Principal", {})
            if "Service" not in principal and "Federated" not in principal:
                problems.append(f"{name}: trust policy names neither a service nor an identity provider")
            if "Federated" in principal and not any(key.endswith(":sub") for key in
                                                    statement.get("Condition", {}).get("StringEquals", {})):
                problems.append(f"{name}: web-identity trust without a subject condition")
        if not inputs.get("permissionsBoundary"):
            problems.append(f"{name}: role without a permissions boundary")
    elif type_ == "aws:iam/rolePolicy:RolePolicy":
        for statement in _statements(_doc(inputs["policy"])):
            actions = statement.get("Action", [])
            for action in [actions] if isinstance(actions, str) else actions:
                if action == "*" or action.endswith(":*"):
                    problems.append(f"{name}: identity policy grants {action}")
            if "Resource" not in statement:
                problems.append(f"{name}: identity policy statement without Resource")
    return problems


class Contract(Replay):
    """The replay with the network, IAM and logs types, each with an update of one property."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.ec2 = boto3.client("ec2", region_name=self.region)
        self.iam = boto3.client("iam", region_name=self.region)
        self.logs = boto3.client("logs", region_name=self.region)
        self.updates: dict[str, Any] = {}
        self.handlers.update({
            "aws:kms/alias:Alias": (self._create_alias, None, self._delete_alias),
            "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (self._create_oidc, None, self._delete_oidc),
            "aws:cloudwatch/logGroup:LogGroup": (self._create_log_group, None, self._delete_log_group),
            "aws:iam/role:Role": (self._create_role, None, self._delete_role),
            "aws:iam/rolePolicy:RolePolicy": (self._put_role_policy, None, self._delete_role_policy),
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (self._attach, None, self._detach),
            "aws:ec2/vpc:Vpc": (self._create_vpc, None, self._delete_vpc),
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": (self._adopt_default_sg, None, self._noop),
            "aws:ec2/subnet:Subnet": (self._create_subnet, None, self._delete_subnet),
            "aws:ec2/internetGateway:InternetGateway": (self._create_igw, None, self._delete_igw),
            "aws:ec2/routeTable:RouteTable": (self._create_route_table, None, self._delete_route_table),
            "aws:ec2/route:Route": (self._create_route, None, self._delete_route),
            "aws:ec2/routeTableAssociation:RouteTableAssociation": (self._associate, None, self._disassociate),
            "aws:ec2/eip:Eip": (self._allocate, None, self._release),
            "aws:ec2/natGateway:NatGateway": (self._create_nat, None, self._delete_nat),
            "aws:ec2/securityGroup:SecurityGroup": (self._create_sg, None, self._delete_sg),
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (self._ingress, None, self._revoke_ingress),
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (self._egress, None, self._revoke_egress),
            "aws:ec2/launchTemplate:LaunchTemplate": (self._create_lt, None, self._delete_lt),
            "aws:ec2/flowLog:FlowLog": (self._create_flow_log, None, self._delete_flow_log),
        })
        self.updaters = {
            "aws:kms/key:Key": lambda i, v: self.kms.update_key_description(KeyId=i, Description=v["description"]
                                                                           + " (changed)"),
            "aws:kms/alias:Alias": lambda i, v: None,
            "aws:sqs/queue:Queue": lambda i, v: self.sqs.set_queue_attributes(
                QueueUrl=i, Attributes={"VisibilityTimeout": str(int(v.get("visibilityTimeoutSeconds", 30)) + 1)}),
            "aws:sqs/queuePolicy:QueuePolicy": lambda i, v: self.sqs.set_queue_attributes(
                QueueUrl=i, Attributes={"Policy": v["policy"]}),
            "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": lambda i, v: self.sqs.set_queue_attributes(
                QueueUrl=i, Attributes={"RedriveAllowPolicy": v["redriveAllowPolicy"]}),
            "aws:secretsmanager/secret:Secret": lambda i, v: self.secrets.update_secret(
                SecretId=i, Description=v.get("description", "") + " (changed)"),
            "aws:cloudwatch/logGroup:LogGroup": lambda i, v: self.logs.put_retention_policy(
                logGroupName=i, retentionInDays=30),
            "aws:iam/role:Role": lambda i, v: self.iam.update_role_description(RoleName=i, Description="changed"),
            "aws:iam/rolePolicy:RolePolicy": lambda i, v: self.iam.put_role_policy(
                RoleName=i.split(":")[0], PolicyName=i.split(":")[1], PolicyDocument=v["policy"]),
            "aws:ec2/securityGroup:SecurityGroup": self._retag,
            "aws:ec2/vpc:Vpc": lambda i, v: self.ec2.modify_vpc_attribute(VpcId=i,
                                                                          EnableDnsHostnames={"Value": True}),
            "aws:ec2/subnet:Subnet": self._retag,
            "aws:ec2/internetGateway:InternetGateway": self._retag,
            "aws:ec2/routeTable:RouteTable": self._retag,
            "aws:ec2/eip:Eip": self._retag,
            "aws:ec2/natGateway:NatGateway": self._retag,
            "aws:ec2/launchTemplate:LaunchTemplate": lambda i, v: self.ec2.create_launch_template_version(
                LaunchTemplateId=i, SourceVersion="1", LaunchTemplateData={"EbsOptimized": True}),
            "aws:ec2/flowLog:FlowLog": self._retag,
        }

    # -- the three steps -----------------------------------------------------------------------------
    def replayed(self, graph):
        """What the replay sends: types with a handler, minus what needs an unreplayed resource to exist."""
        skipped: set[str] = set()
        chosen = []
        for record in super().replayed(graph):
            blocked = [urn for urn in record.dependencies if urn in graph.by_urn
                       and graph.by_urn[urn].type.startswith("aws:")
                       and (graph.by_urn[urn].type not in self.handlers or urn in skipped)
                       and (record.type, graph.by_urn[urn].type) not in VALUE_ONLY]
            if blocked:
                skipped.add(record.urn)
            else:
                chosen.append(record)
        self.skipped = skipped
        return chosen

    def update_all(self, graph) -> list[str]:
        done = []
        for record in self.replayed(graph):
            change = self.updaters.get(record.type)
            if change is not None:
                change(self.ids[record.urn], self.resolved(record.inputs))
                done.append(record.type)
        return done

    # -- handlers ------------------------------------------------------------------------------------
    def _noop(self, *args) -> None:
        return None

    def _retag(self, resource_id: str, inputs: dict) -> None:
        self.ec2.create_tags(Resources=[resource_id], Tags=[{"Key": "replay", "Value": "updated"}])

    def _tags(self, inputs: dict, kind: str) -> list:
        tags = [{"Key": k, "Value": v} for k, v in sorted((inputs.get("tags") or {}).items())]
        return [{"ResourceType": kind, "Tags": tags}] if tags else []

    def _create_alias(self, record, inputs):
        self.kms.create_alias(AliasName=inputs["name"], TargetKeyId=inputs["targetKeyId"])
        return {"id": inputs["name"]}

    def _create_oidc(self, record, inputs):
        arn = self.iam.create_open_id_connect_provider(Url=inputs["url"], ClientIDList=inputs["clientIdLists"],
                                                       ThumbprintList=["0" * 40])["OpenIDConnectProviderArn"]
        return {"id": arn, "arn": arn}

    def _delete_oidc(self, record, inputs, arn):
        self.iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)

    def _delete_alias(self, record, inputs, alias):
        self.kms.delete_alias(AliasName=alias)

    def _create_log_group(self, record, inputs):
        self.logs.create_log_group(logGroupName=inputs["name"],
                                   **({"kmsKeyId": inputs["kmsKeyId"]} if inputs.get("kmsKeyId") else {}))
        self.logs.put_retention_policy(logGroupName=inputs["name"], retentionInDays=inputs["retentionInDays"])
        [group] = self.logs.describe_log_groups(logGroupNamePrefix=inputs["name"])["logGroups"]
        return {"id": inputs["name"], "arn": group["arn"].removesuffix(":*")}

    def _delete_log_group(self, record, inputs, name):
        self.logs.delete_log_group(logGroupName=name)

    def _create_role(self, record, inputs):
        name = inputs.get("name") or record.outputs["name"]
        role = self.iam.create_role(RoleName=name, Path=inputs.get("path", "/"),
                                    AssumeRolePolicyDocument=inputs["assumeRolePolicy"],
                                    PermissionsBoundary=inputs["permissionsBoundary"])["Role"]
        return {"id": name, "name": name, "arn": role["Arn"]}

    def _delete_role(self, record, inputs, name):
        self.iam.delete_role(RoleName=name)

    def _put_role_policy(self, record, inputs):
        name = record.outputs.get("name") or record.name
        self.iam.put_role_policy(RoleName=inputs["role"], PolicyName=name, PolicyDocument=inputs["policy"])
        return {"id": f"{inputs['role']}:{name}"}

    def _delete_role_policy(self, record, inputs, ident):
        role, name = ident.split(":", 1)
        self.iam.delete_role_policy(RoleName=role, PolicyName=name)

    def _attach(self, record, inputs):
        self.iam.attach_role_policy(RoleName=inputs["role"], PolicyArn=inputs["policyArn"])
        return {"id": f"{inputs['role']}|{inputs['policyArn']}"}

    def _detach(self, record, inputs, ident):
        role, arn = ident.split("|", 1)
        self.iam.detach_role_policy(RoleName=role, PolicyArn=arn)

    def _create_vpc(self, record, inputs):
        vpc = self.ec2.create_vpc(CidrBlock=inputs["cidrBlock"],
                                  TagSpecifications=self._tags(inputs, "vpc"))["Vpc"]
        for attribute in ("enableDnsSupport", "enableDnsHostnames"):
            if attribute in inputs:
                self.ec2.modify_vpc_attribute(VpcId=vpc["VpcId"], **{
                    attribute[0].upper() + attribute[1:]: {"Value": bool(inputs[attribute])}})
        return {"id": vpc["VpcId"]}

    def _delete_vpc(self, record, inputs, vpc_id):
        self.ec2.delete_vpc(VpcId=vpc_id)

    def _adopt_default_sg(self, record, inputs):
        [group] = self.ec2.describe_security_groups(Filters=[
            {"Name": "vpc-id", "Values": [inputs["vpcId"]]}, {"Name": "group-name", "Values": ["default"]}],
        )["SecurityGroups"]
        if group["IpPermissions"]:
            self.ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
        if group["IpPermissionsEgress"]:
            self.ec2.revoke_security_group_egress(GroupId=group["GroupId"],
                                                  IpPermissions=group["IpPermissionsEgress"])
        return {"id": group["GroupId"]}

    def _create_subnet(self, record, inputs):
        subnet = self.ec2.create_subnet(VpcId=inputs["vpcId"], CidrBlock=inputs["cidrBlock"],
                                        AvailabilityZone=inputs["availabilityZone"],
                                        TagSpecifications=self._tags(inputs, "subnet"))["Subnet"]
        return {"id": subnet["SubnetId"], "arn": subnet.get("SubnetArn", "")}

    def _delete_subnet(self, record, inputs, subnet_id):
        self.ec2.delete_subnet(SubnetId=subnet_id)

    def _create_igw(self, record, inputs):
        gateway = self.ec2.create_internet_gateway(
            TagSpecifications=self._tags(inputs, "internet-gateway"))["InternetGateway"]["InternetGatewayId"]
        self.ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=inputs["vpcId"])
        return {"id": gateway}

    def _delete_igw(self, record, inputs, gateway):
        self.ec2.detach_internet_gateway(InternetGatewayId=gateway, VpcId=inputs["vpcId"])
        self.ec2.delete_internet_gateway(InternetGatewayId=gateway)

    def _create_route_table(self, record, inputs):
        table = self.ec2.create_route_table(VpcId=inputs["vpcId"],
                                            TagSpecifications=self._tags(inputs, "route-table"))["RouteTable"]
        return {"id": table["RouteTableId"]}

    def _delete_route_table(self, record, inputs, table):
        self.ec2.delete_route_table(RouteTableId=table)

    def _create_route(self, record, inputs):
        target = {"GatewayId": inputs["gatewayId"]} if "gatewayId" in inputs else {
            "NatGatewayId": inputs["natGatewayId"]}
        self.ec2.create_route(RouteTableId=inputs["routeTableId"],
                              DestinationCidrBlock=inputs["destinationCidrBlock"], **target)
        self.updates[record.urn] = (inputs["routeTableId"], inputs["destinationCidrBlock"])
        return {"id": f"r-{inputs['routeTableId']}{inputs['destinationCidrBlock']}"}

    def _delete_route(self, record, inputs, ident):
        self.ec2.delete_route(RouteTableId=inputs["routeTableId"], DestinationCidrBlock=inputs["destinationCidrBlock"])

    def _associate(self, record, inputs):
        association = self.ec2.associate_route_table(RouteTableId=inputs["routeTableId"], SubnetId=inputs["subnetId"])
        return {"id": association["AssociationId"]}

    def _disassociate(self, record, inputs, association):
        self.ec2.disassociate_route_table(AssociationId=association)

    def _allocate(self, record, inputs):
        address = self.ec2.allocate_address(Domain="vpc", TagSpecifications=self._tags(inputs, "elastic-ip"))
        return {"id": address["AllocationId"], "allocationId": address["AllocationId"],
                "publicIp": address["PublicIp"]}

    def _release(self, record, inputs, allocation):
        self.ec2.release_address(AllocationId=allocation)

    def _create_nat(self, record, inputs):
        gateway = self.ec2.create_nat_gateway(AllocationId=inputs["allocationId"], SubnetId=inputs["subnetId"],
                                              TagSpecifications=self._tags(inputs, "natgateway"))["NatGateway"]
        return {"id": gateway["NatGatewayId"]}

    def _delete_nat(self, record, inputs, gateway):
        self.ec2.delete_nat_gateway(NatGatewayId=gateway)

    def _create_sg(self, record, inputs):
        name = inputs.get("name") or record.outputs.get("name") or record.name
        group = self.ec2.create_security_group(GroupName=name, Description=inputs.get("description", "Managed"),
                                               VpcId=inputs["vpcId"],
                                               TagSpecifications=self._tags(inputs, "security-group"))
        return {"id": group["GroupId"]}

    def _delete_sg(self, record, inputs, group):
        self.ec2.delete_security_group(GroupId=group)

    def _permission(self, inputs) -> dict:
        permission: dict = {"IpProtocol": inputs["ipProtocol"]}
        if "fromPort" in inputs:
            permission.update(FromPort=int(inputs["fromPort"]), ToPort=int(inputs["toPort"]))
        if "cidrIpv4" in inputs:
            permission["IpRanges"] = [{"CidrIp": inputs["cidrIpv4"], "Description": inputs.get("description", "")}]
        if "referencedSecurityGroupId" in inputs:
            permission["UserIdGroupPairs"] = [{"GroupId": inputs["referencedSecurityGroupId"],
                                               "Description": inputs.get("description", "")}]
        return permission

    def _ingress(self, record, inputs):
        result = self.ec2.authorize_security_group_ingress(GroupId=inputs["securityGroupId"],
                                                           IpPermissions=[self._permission(inputs)])
        return {"id": result["SecurityGroupRules"][0]["SecurityGroupRuleId"]}

    def _revoke_ingress(self, record, inputs, rule):
        self.ec2.revoke_security_group_ingress(GroupId=inputs["securityGroupId"], SecurityGroupRuleIds=[rule])

    def _egress(self, record, inputs):
        result = self.ec2.authorize_security_group_egress(GroupId=inputs["securityGroupId"],
                                                          IpPermissions=[self._permission(inputs)])
        return {"id": result["SecurityGroupRules"][0]["SecurityGroupRuleId"]}

    def _revoke_egress(self, record, inputs, rule):
        self.ec2.revoke_security_group_egress(GroupId=inputs["securityGroupId"], SecurityGroupRuleIds=[rule])

    def _create_lt(self, record, inputs):
        name = inputs.get("name") or record.outputs.get("name") or record.name
        template = self.ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={
            "MetadataOptions": {"HttpTokens": inputs["metadataOptions"]["httpTokens"],
                                "HttpPutResponseHopLimit": int(inputs["metadataOptions"]["httpPutResponseHopLimit"])},
        })["LaunchTemplate"]
        return {"id": template["LaunchTemplateId"]}

    def _delete_lt(self, record, inputs, template):
        self.ec2.delete_launch_template(LaunchTemplateId=template)

    def _create_flow_log(self, record, inputs):
        result = self.ec2.create_flow_logs(
            ResourceIds=[inputs["vpcId"]], ResourceType="VPC", TrafficType=inputs["trafficType"],
            LogDestinationType=inputs["logDestinationType"], LogDestination=inputs["logDestination"],
            DeliverLogsPermissionArn=inputs["iamRoleArn"])
        assert not result.get("Unsuccessful"), result
        return {"id": result["FlowLogIds"][0]}

    def _delete_flow_log(self, record, inputs, flow_log):
        self.ec2.delete_flow_logs(FlowLogIds=[flow_log])
