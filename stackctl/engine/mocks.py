"""Deterministic, plausible cloud behaviour for offline runs.

Every id, ARN, URL and autoname derives from the resource's URN (or the invoke's arguments), so two
runs of the same stack produce byte-identical output, and `apply` chains see values shaped like the
real ones. What cannot be known offline (real ids, account numbers, autoname suffixes) is a
placeholder; `docs/stackctl.md` lists them.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional

from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs, Mocks

# Placeholders for facts only the real cloud knows.
AWS_ACCOUNT_ID = "123456789012"
GCP_PROJECT_NUMBER = "123456789012"
# A syntactically valid, obviously fake PEM bundle (base64) for cluster CA outputs.
OFFLINE_CA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCm9mZmxpbmUKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="
_UUID_NAMESPACE = uuid.UUID("6f1c1a8e-3c0e-4e55-9d2b-6b1b1c0ffee0")


def stable_hex(seed: str, length: int = 7) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def stable_uuid(seed: str) -> str:
    return str(uuid.uuid5(_UUID_NAMESPACE, seed))


@dataclass
class MockContext:
    """What an output function may use: the registration and its provider's settings."""

    urn: str
    type: str
    name: str
    inputs: dict[str, Any]
    region: str
    project: str
    account: str = AWS_ACCOUNT_ID

    def physical_name(self, key: str = "name") -> str:
        """The input name, else a Pulumi-style autoname (`<logical>-<7 hex>`)."""
        value = self.inputs.get(key)
        return value if isinstance(value, str) and value else f"{self.name}-{stable_hex(self.urn)}"


OutputFn = Callable[[MockContext], tuple[str, dict[str, Any]]]
RESOURCES: dict[str, OutputFn] = {}
INVOKES: dict[str, Callable[[dict[str, Any], MockContext], dict[str, Any]]] = {}


def resource(*types: str) -> Callable[[OutputFn], OutputFn]:
    def register(fn: OutputFn) -> OutputFn:
        for type_ in types:
            RESOURCES[type_] = fn
        return fn
    return register


def invoke(*tokens: str):
    def register(fn):
        for token in tokens:
            INVOKES[token] = fn
        return fn
    return register


# --- AWS -----------------------------------------------------------------------------------------

@resource("aws:sqs/queue:Queue")
def _sqs_queue(ctx: MockContext):
    name = ctx.physical_name()
    url = f"https://sqs.{ctx.region}.amazonaws.com/{ctx.account}/{name}"
    return url, {"name": name, "url": url, "arn": f"arn:aws:sqs:{ctx.region}:{ctx.account}:{name}"}


@resource("aws:iam/role:Role")
def _iam_role(ctx: MockContext):
    name = ctx.physical_name()
    path = ctx.inputs.get("path") or "/"      # IAM's default; the ARN carries the path (`role/platform/<name>`)
    return name, {"name": name, "path": path, "arn": f"arn:aws:iam::{ctx.account}:role{path}{name}",
                  "uniqueId": "AROA" + stable_hex(ctx.urn, 17).upper()}


@resource("aws:iam/policy:Policy")
def _iam_policy(ctx: MockContext):
    name = ctx.physical_name()
    arn = f"arn:aws:iam::{ctx.account}:policy/{name}"
    return arn, {"name": name, "arn": arn}


@resource("aws:iam/rolePolicy:RolePolicy")
def _role_policy(ctx: MockContext):
    name = ctx.physical_name()
    return f"{ctx.inputs.get('role', '')}:{name}", {"name": name}


@resource("aws:kms/key:Key")
def _kms_key(ctx: MockContext):
    key_id = stable_uuid(ctx.urn)
    return key_id, {"keyId": key_id, "arn": f"arn:aws:kms:{ctx.region}:{ctx.account}:key/{key_id}"}


@resource("aws:secretsmanager/secret:Secret")
def _secretsmanager_secret(ctx: MockContext):
    # Secrets Manager appends `-` and six random characters to a secret's ARN (stable per URN here).
    name = ctx.physical_name()
    arn = f"arn:aws:secretsmanager:{ctx.region}:{ctx.account}:secret:{name}-{stable_hex(ctx.urn, 6)}"
    return arn, {"name": name, "arn": arn}


@resource("aws:eks/cluster:Cluster")
def _eks_cluster(ctx: MockContext):
    name = ctx.physical_name()
    oidc_id = stable_hex(ctx.urn, 32).upper()
    vpc_config = {**dict(ctx.inputs.get("vpcConfig") or {}), "clusterSecurityGroupId": f"sg-{stable_hex(ctx.urn, 17)}",
                  "vpcId": f"vpc-{stable_hex(ctx.urn + 'vpc', 17)}"}
    return name, {
        "vpcConfig": vpc_config,
        "name": name,
        "arn": f"arn:aws:eks:{ctx.region}:{ctx.account}:cluster/{name}",
        "endpoint": f"https://{stable_hex(ctx.urn, 32).upper()}.gr7.{ctx.region}.eks.amazonaws.com",
        "certificateAuthority": {"data": OFFLINE_CA},
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{ctx.region}.amazonaws.com/id/{oidc_id}"}]}],
        "version": ctx.inputs.get("version", ""),
        "status": "ACTIVE",
    }


@resource("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
def _oidc_provider(ctx: MockContext):
    host = str(ctx.inputs.get("url", "")).removeprefix("https://")
    arn = f"arn:aws:iam::{ctx.account}:oidc-provider/{host}"
    return arn, {"arn": arn}


@resource("aws:ec2/launchTemplate:LaunchTemplate")
def _launch_template(ctx: MockContext):
    template_id = "lt-" + stable_hex(ctx.urn, 17)
    return template_id, {"latestVersion": 1, "defaultVersion": 1, "name": ctx.physical_name()}


@resource("aws:eks/nodeGroup:NodeGroup")
def _node_group(ctx: MockContext):
    prefix = str(ctx.inputs.get("nodeGroupNamePrefix") or f"{ctx.name}-")
    name = ctx.inputs.get("nodeGroupName") or f"{prefix}{stable_hex(ctx.urn, 26)}"
    cluster = ctx.inputs.get("clusterName")
    # EKS names the node group's Auto Scaling group `eks-<node group name>-<uuid>`.
    group = f"eks-{name}-{stable_uuid(ctx.urn)}"
    return f"{cluster}:{name}", {
        "nodeGroupName": name, "status": "ACTIVE",
        "arn": f"arn:aws:eks:{ctx.region}:{ctx.account}:nodegroup/{cluster}/{name}/{stable_uuid(ctx.urn)}",
        "resources": [{"autoscalingGroups": [{"name": group}], "remoteAccessSecurityGroupId": ""}],
    }


@resource("aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/internetGateway:InternetGateway",
          "aws:ec2/routeTable:RouteTable", "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip",
          "aws:ec2/routeTableAssociation:RouteTableAssociation", "aws:ec2/route:Route")
def _ec2(ctx: MockContext):
    prefixes = {"Vpc": "vpc", "Subnet": "subnet", "InternetGateway": "igw", "RouteTable": "rtb", "NatGateway": "nat",
                "Eip": "eipalloc", "RouteTableAssociation": "rtbassoc", "Route": "r"}
    id_ = f"{prefixes[ctx.type.split(':')[-1]]}-{stable_hex(ctx.urn, 17)}"
    extra: dict[str, Any] = {}
    if ctx.type.endswith(":Eip"):
        extra["publicIp"] = "203.0.113." + str(int(stable_hex(ctx.urn, 2), 16) % 250 + 1)
        extra["allocationId"] = id_
    return id_, extra


@resource("aws:ec2/securityGroup:SecurityGroup")
def _security_group(ctx: MockContext):
    group_id = f"sg-{stable_hex(ctx.urn, 17)}"
    return group_id, {"name": ctx.physical_name(), "arn": f"arn:aws:ec2:{ctx.region}:{ctx.account}:security-group/"
                                                          f"{group_id}"}


@resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
          "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
def _security_group_rule(ctx: MockContext):
    rule_id = f"sgr-{stable_hex(ctx.urn, 17)}"
    return rule_id, {"securityGroupRuleId": rule_id}


@resource("aws:cloudwatch/logGroup:LogGroup")
def _log_group(ctx: MockContext):
    name = ctx.physical_name()
    return name, {"name": name, "arn": f"arn:aws:logs:{ctx.region}:{ctx.account}:log-group:{name}"}


@resource("aws:s3/bucket:Bucket")
def _s3_bucket(ctx: MockContext):
    name = ctx.physical_name("bucket")
    return name, {"bucket": name, "arn": f"arn:aws:s3:::{name}",
                  "bucketDomainName": f"{name}.s3.amazonaws.com", "region": ctx.region}


@resource("aws:eks/accessEntry:AccessEntry", "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
          "aws:eks/addon:Addon")
def _eks_child(ctx: MockContext):
    key = ctx.inputs.get("addonName") or ctx.inputs.get("principalArn") or ctx.name
    return f"{ctx.inputs.get('clusterName')}:{key}", {}


# --- GCP -----------------------------------------------------------------------------------------

@resource("gcp:pubsub/topic:Topic")
def _topic(ctx: MockContext):
    name = ctx.physical_name()
    path = f"projects/{ctx.project}/topics/{name}"
    return path, {"name": name, "project": ctx.project}


@resource("gcp:pubsub/subscription:Subscription")
def _subscription(ctx: MockContext):
    name = ctx.physical_name()
    path = f"projects/{ctx.project}/subscriptions/{name}"
    return path, {"name": name, "project": ctx.project}


@resource("gcp:serviceaccount/account:Account")
def _service_account(ctx: MockContext):
    account_id = str(ctx.inputs.get("accountId"))
    email = f"{account_id}@{ctx.project}.iam.gserviceaccount.com"
    name = f"projects/{ctx.project}/serviceAccounts/{email}"
    return name, {"email": email, "name": name, "member": f"serviceAccount:{email}",
                  "uniqueId": str(int(stable_hex(ctx.urn, 12), 16))}


# The agents `gcp.projects.ServiceIdentity` returns (https://cloud.google.com/iam/docs/service-agents).
SERVICE_AGENT_DOMAINS = {
    "container.googleapis.com": "container-engine-robot.iam.gserviceaccount.com",
    "pubsub.googleapis.com": "gcp-sa-pubsub.iam.gserviceaccount.com",
}


@resource("gcp:projects/service:Service")
def _project_service(ctx: MockContext):
    return f"{ctx.inputs.get('project') or ctx.project}/{ctx.inputs.get('service')}", {}


@resource("gcp:projects/serviceIdentity:ServiceIdentity")
def _service_identity(ctx: MockContext):
    service = str(ctx.inputs.get("service"))
    domain = SERVICE_AGENT_DOMAINS.get(service, f"gcp-sa-{service.split('.')[0]}.iam.gserviceaccount.com")
    email = f"service-{GCP_PROJECT_NUMBER}@{domain}"
    return f"projects/{ctx.inputs.get('project') or ctx.project}/services/{service}", {
        "email": email, "member": f"serviceAccount:{email}"}


@resource("gcp:kms/keyRing:KeyRing")
def _key_ring(ctx: MockContext):
    path = f"projects/{ctx.project}/locations/{ctx.inputs.get('location')}/keyRings/{ctx.physical_name()}"
    return path, {"name": ctx.physical_name()}


@resource("gcp:kms/cryptoKey:CryptoKey")
def _crypto_key(ctx: MockContext):
    return f"{ctx.inputs.get('keyRing')}/cryptoKeys/{ctx.physical_name()}", {"name": ctx.physical_name()}


@resource("gcp:compute/firewall:Firewall")
def _firewall(ctx: MockContext):
    path = f"projects/{ctx.project}/global/firewalls/{ctx.physical_name()}"
    return path, {"name": ctx.physical_name(), "selfLink": f"https://www.googleapis.com/compute/v1/{path}"}


@resource("gcp:compute/network:Network", "gcp:compute/subnetwork:Subnetwork", "gcp:compute/router:Router")
def _compute(ctx: MockContext):
    kind = {"Network": "global/networks", "Subnetwork": f"regions/{ctx.region}/subnetworks",
            "Router": f"regions/{ctx.region}/routers"}[ctx.type.split(":")[-1]]
    path = f"projects/{ctx.project}/{kind}/{ctx.physical_name()}"
    return path, {"name": ctx.physical_name(), "selfLink": f"https://www.googleapis.com/compute/v1/{path}"}


@resource("gcp:container/cluster:Cluster")
def _gke_cluster(ctx: MockContext):
    name = ctx.physical_name()
    location = ctx.inputs.get("location", ctx.region)
    endpoints = dict(ctx.inputs.get("controlPlaneEndpointsConfig") or {})
    dns = dict(endpoints.get("dnsEndpointConfig") or {})
    dns["endpoint"] = f"gke-{stable_hex(ctx.urn, 32)}-{GCP_PROJECT_NUMBER}.{location}.gke.goog"
    endpoints["dnsEndpointConfig"] = dns
    return f"projects/{ctx.project}/locations/{location}/clusters/{name}", {
        "name": name,
        "location": location,
        "endpoint": "172.16.0.2",
        "masterAuth": {"clusterCaCertificate": OFFLINE_CA},
        "controlPlaneEndpointsConfig": endpoints,
    }


@resource("gcp:container/nodePool:NodePool")
def _gke_node_pool(ctx: MockContext):
    name = ctx.inputs.get("name") or f"{ctx.inputs.get('namePrefix', ctx.name)}{stable_hex(ctx.urn, 12)}"
    return f"{ctx.inputs.get('cluster')}/nodePools/{name}", {"name": name}


@resource("gcp:pubsub/topicIAMMember:TopicIAMMember", "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember",
          "gcp:projects/iAMMember:IAMMember", "gcp:serviceaccount/iAMMember:IAMMember",
          "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
def _iam_member(ctx: MockContext):
    target = next((str(ctx.inputs[k]) for k in ("topic", "subscription", "serviceAccountId", "cryptoKeyId", "project")
                   if k in ctx.inputs), "")
    return f"{target}/{ctx.inputs.get('role')}/{ctx.inputs.get('member')}", {"etag": "BwY" + stable_hex(ctx.urn, 9)}


# --- Invokes -------------------------------------------------------------------------------------

# Who runs `pulumi up` is only known online. Set STACKCTL_AWS_CALLER_ARN to your CI identity's ARN (an
# assumed-role session or a role/user ARN) to preview what that caller gets, e.g. whether it is in
# `cluster.admins`. Default: a role named `deployer` in the stack's account.
CALLER_ARN_VARIABLE = "STACKCTL_AWS_CALLER_ARN"


@invoke("aws:index/getCallerIdentity:getCallerIdentity")
def _caller_identity(args, ctx):
    arn = os.environ.get(CALLER_ARN_VARIABLE) or f"arn:aws:sts::{ctx.account}:assumed-role/deployer/offline"
    account = arn.split(":")[4] if arn.count(":") >= 5 else ctx.account
    return {"accountId": account, "arn": arn, "userId": "AIDAOFFLINE", "id": account}


@invoke("aws:iam/getSessionContext:getSessionContext")
def _session_context(args, ctx):
    arn = str(args.get("arn", ""))
    issuer = arn
    if ":assumed-role/" in arn:
        role = arn.split(":assumed-role/", 1)[1].split("/", 1)[0]
        account = arn.split(":")[4] or ctx.account
        issuer = f"arn:aws:iam::{account}:role/{role}"
    return {"arn": arn, "issuerArn": issuer, "issuerId": "AROAOFFLINE", "issuerName": issuer.rsplit("/", 1)[-1],
            "sessionName": "", "id": arn}


@invoke("aws:index/getPartition:getPartition")
def _partition(args, ctx):
    return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws", "reverseDnsPrefix": "com.amazonaws"}


@invoke("aws:index/getRegion:getRegion")
def _region(args, ctx):
    region = args.get("region") or ctx.region
    return {"name": region, "region": region, "id": region, "endpoint": f"ec2.{region}.amazonaws.com",
            "description": region}


@invoke("gcp:organizations/getProject:getProject")
def _gcp_project(args, ctx):
    project = args.get("projectId") or ctx.project
    return {"projectId": project, "number": GCP_PROJECT_NUMBER, "name": project, "id": f"projects/{project}"}


@invoke("gcp:container/getEngineVersions:getEngineVersions")
def _engine_versions(args, ctx):
    prefix = str(args.get("versionPrefix") or "1.35.")
    version = f"{prefix}4-gke.1000000"
    return {"latestNodeVersion": version, "latestMasterVersion": version, "defaultClusterVersion": version,
            "validNodeVersions": [version], "validMasterVersions": [version], "id": "offline",
            "location": args.get("location") or ctx.region, "project": ctx.project, "versionPrefix": prefix,
            "releaseChannelDefaultVersion": {}, "releaseChannelLatestVersion": {},
            "releaseChannelUpgradeTargetVersion": {}}


@invoke("gcp:organizations/getClientConfig:getClientConfig")
def _gcp_client_config(args, ctx):
    return {"project": ctx.project, "region": ctx.region, "zone": "", "id": "offline", "accessToken": "offline"}


class UnsupportedInvoke(Exception):
    pass


class OfflineMocks(Mocks):
    """Answers resource registrations and invokes without a cloud.

    `provider_settings(ref)` (set by the monitor) returns the inputs of the provider a resource or
    invoke uses, so region and project come from the stack, not from a guess.
    """

    def __init__(self) -> None:
        self.provider_settings: Callable[[str], dict[str, Any]] = lambda ref: {}

    def _context(self, urn: str, type_: str, name: str, inputs: dict, provider: Optional[str]) -> MockContext:
        settings = self.provider_settings(provider or "")
        allowed = settings.get("allowedAccountIds") or []
        if isinstance(allowed, str):  # provider inputs arrive JSON-encoded
            allowed = json.loads(allowed)
        return MockContext(
            urn=urn, type=type_, name=name, inputs=inputs,
            region=str(settings.get("region") or "us-east-1"),
            project=str(settings.get("project") or "offline-project"),
            account=str(allowed[0]) if allowed else AWS_ACCOUNT_ID,
        )

    def new_resource(self, args: MockResourceArgs) -> tuple[Optional[str], dict]:
        urn = getattr(args, "urn", f"{args.typ}::{args.name}")
        if not args.custom:
            return "", {}
        if args.typ.startswith("pulumi:providers:"):
            return stable_uuid(urn), dict(args.inputs)
        ctx = self._context(urn, args.typ, args.name, args.inputs, args.provider)
        fn = RESOURCES.get(args.typ)
        if fn is None:
            # Unknown to the table: the provider would echo inputs and add an id; so do we.
            return f"{args.name}-{stable_hex(urn, 8)}", dict(args.inputs)
        id_, computed = fn(ctx)
        return id_, {**args.inputs, **computed}

    def call(self, args: MockCallArgs) -> dict:  # type: ignore[override]  # a dict means "no failures"
        fn = INVOKES.get(args.token)
        if fn is None:
            raise UnsupportedInvoke(
                f"stackctl has no offline answer for the invoke {args.token}; add one to stackctl/engine/mocks.py"
            )
        ctx = self._context(args.token, args.token, args.token, dict(args.args), args.provider)
        return fn(dict(args.args), ctx)
