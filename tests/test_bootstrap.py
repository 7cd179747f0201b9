"""Day one: the runner's path to the Kubernetes API (issue 10, item 1) and GCP APIs and agents (item 2)."""

from __future__ import annotations

import copy
import json

import pytest

from components import SpecError, parse_environment
from components.rules.work_path import member_suffix
from stackctl.engine.runner import run_stack

from .conftest import load_stack_yaml, shipped_run, stackctl

SOURCE = "stacks/Pulumi.test.yaml"
POOL = {"machine_types": ["m7i.large"]}
WORKLOAD = {"services": {"api": {"image": "ghcr.io/acme/api:1.0.0"}}}
AWS = {"cloud": "aws", "region": "us-east-1", "tier": "staging", "cluster": {"node_pools": {"general": POOL}},
       **WORKLOAD}
GCP = {"cloud": "gcp", "region": "europe-west1", "tier": "dev", "gcp_project": "acme-platform-dev",
       "cluster": {"node_pools": {"general": {"machine_types": ["e2-standard-4"]}}}, **WORKLOAD}
EXISTING_VPC = {"existing_vpc": {"vpc_id": "vpc-0abc", "private_subnet_ids": ["subnet-1", "subnet-2"]}}
EXISTING_NETWORK = {"existing_network": {"network": "shared", "subnetwork": "shared-europe-west1",
                                         "pods_range_name": "pods", "services_range_name": "services"}}


def cluster(base: dict, **changes) -> dict:
    return {**base, "cluster": {**base["cluster"], **changes}}


def problems(raw: dict) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_environment(raw, SOURCE)
    return [p.render("") for p in caught.value.problems]


# --- item 1: unreachable on the first run is refused at load time ------------------------------------

def test_private_api_in_a_network_created_by_the_same_run_is_refused_with_the_options():
    [message] = problems(AWS)
    assert message.startswith("cluster.deployer_access: required: this stack deploys Kubernetes objects")
    assert "private to a network this same run creates" in message
    assert "(a) a public endpoint open only to the runner" in message
    assert "(b) a private endpoint with the runner inside the cluster's network" in message
    assert "network.existing_vpc" in message and "two-phase first run" in message
    assert "dns_endpoint" not in message  # not an option on aws
    [gcp] = problems(cluster(GCP, dns_endpoint=False))
    assert "(c) the IAM-authorized DNS endpoint" in gcp and "network.existing_network" in gcp


def test_a_cluster_without_kubernetes_objects_needs_no_runner_path():
    bare = {key: value for key, value in AWS.items() if key != "services"}
    assert parse_environment(bare, SOURCE).cluster.deployer_access is None


def test_the_documented_paths_pass():
    public = cluster(AWS, public_endpoint=True,
                     deployer_access={"via": "public_endpoint", "runner_cidrs": ["203.0.113.0/28"]})
    assert parse_environment(public, SOURCE).cluster.deployer_access.via == "public_endpoint"
    private = cluster({**AWS, "network": EXISTING_VPC},
                      deployer_access={"via": "private_network", "runner_cidrs": ["10.1.0.0/24"]})
    assert parse_environment(private, SOURCE).cluster.deployer_access.via == "private_network"
    assert parse_environment(GCP, SOURCE).cluster.dns_endpoint is True  # derived: the IAM-authorized DNS endpoint
    assert parse_environment(cluster(GCP, deployer_access={"via": "dns_endpoint"}), SOURCE)
    # Without an explicit path, an existing network with declared networks is taken as the runner's.
    assert parse_environment(cluster({**AWS, "network": EXISTING_VPC}, private_access_cidrs=["10.1.0.0/24"]),
                             SOURCE)


def test_each_path_states_what_it_needs():
    assert problems(cluster(AWS, deployer_access={"via": "public_endpoint", "runner_cidrs": ["203.0.113.0/28"]})) == [
        "cluster.public_endpoint: must be true with deployer_access.via public_endpoint (the explicit opt-in to a "
        "public API endpoint, open only to the listed networks)"]
    assert problems(cluster(AWS, public_endpoint=True, deployer_access={"via": "public_endpoint"})) == [
        "cluster.authorized_networks: required with public_endpoint: list the CIDRs allowed to reach the API",
        "cluster.deployer_access.runner_cidrs: required with via public_endpoint: your runner's egress (NAT) CIDRs"]
    [private] = problems(cluster(AWS, deployer_access={"via": "private_network", "runner_cidrs": ["10.1.0.0/24"]}))
    assert private.startswith("cluster.deployer_access.via: private_network needs the runner inside the cluster's "
                              "network")
    # The runner inside this stack's own VPC (two-phase first run): accepted, the API stays private.
    own_vpc = parse_environment(cluster(AWS, deployer_access={"via": "private_network",
                                                              "runner_cidrs": ["10.0.0.0/19"]}), SOURCE)
    assert own_vpc.cluster.public_endpoint is False
    assert problems(cluster({**AWS, "network": EXISTING_VPC}, deployer_access={"via": "private_network"})) == [
        "cluster.deployer_access.runner_cidrs: required with via private_network on aws: the runner's subnet, "
        "which gets port 443 on the cluster security group"]
    [dns] = problems(cluster(AWS, deployer_access={"via": "dns_endpoint"}))
    assert dns.startswith("cluster.deployer_access.via: dns_endpoint is GKE only")
    assert problems(cluster(GCP, dns_endpoint=False, deployer_access={"via": "dns_endpoint"})) == [
        "cluster.dns_endpoint: must be true with deployer_access.via dns_endpoint"]
    assert problems(cluster(GCP, deployer_access={"via": "dns_endpoint", "runner_cidrs": ["10.1.0.0/24"]})) == [
        "cluster.deployer_access.runner_cidrs: not used with dns_endpoint: IAM authorizes who reaches the API"]


def test_runner_networks_are_checked():
    assert problems(cluster(AWS, public_endpoint=True, deployer_access={
        "via": "public_endpoint", "runner_cidrs": ["0.0.0.0/0", "10.1.0.1/24"]})) == [
        "cluster.deployer_access.runner_cidrs[0]: 0.0.0.0/0 is everyone; list the networks your runner connects from",
        "cluster.deployer_access.runner_cidrs[1]: must be a network in CIDR notation such as 10.0.0.0/16 "
        "(10.1.0.1/24 has host bits set)"]


def test_an_unreachable_stack_exits_2_before_registering_anything(make_project):
    config = copy.deepcopy(load_stack_yaml("dev")["config"])
    del config["cluster"]["deployer_access"]
    config["cluster"]["public_endpoint"] = False
    project = make_project({"dev": config})
    result = stackctl("preview", "dev", "-C", str(project.root))
    assert result.returncode == 2, result.stderr
    assert "stacks/Pulumi.dev.yaml: cluster.deployer_access: required" in result.stderr
    assert "Traceback" not in result.stderr
    with pytest.raises(SpecError) as caught:
        run_stack(project, "dev")
    assert [r.type for r in caught.value.partial_run.graph.resources] == ["pulumi:pulumi:Stack"]


def test_runner_networks_reach_the_api_where_each_path_says():
    dev = shipped_run("dev").graph
    [eks] = dev.of_type("aws:eks/cluster:Cluster")
    assert eks.inputs["vpcConfig"]["endpointPublicAccess"] is True
    assert eks.inputs["vpcConfig"]["publicAccessCidrs"] == ["203.0.113.0/28"]
    [prod] = shipped_run("prod").graph.of_type("aws:eks/cluster:Cluster")
    assert prod.inputs["vpcConfig"]["endpointPublicAccess"] is False


def test_gke_runner_networks_join_the_master_authorized_networks(make_project):
    config = copy.deepcopy(load_stack_yaml("gcp-dev")["config"])
    config["network"] = EXISTING_NETWORK
    config["cluster"].update(authorized_networks=["10.9.0.0/24"],
                             deployer_access={"via": "private_network", "runner_cidrs": ["10.1.0.0/24"]})
    [gke] = run_stack(make_project({"gcp-dev": config}), "gcp-dev").graph.of_type("gcp:container/cluster:Cluster")
    assert gke.inputs["masterAuthorizedNetworksConfig"]["cidrBlocks"] == [
        {"cidrBlock": "10.9.0.0/24", "displayName": "authorized-0"},
        {"cidrBlock": "10.1.0.0/24", "displayName": "authorized-1"}]


def test_the_policy_pack_flags_the_public_endpoint_in_staging_only_as_advisory():
    result = stackctl("check", "staging", "--format", "json")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    [flag] = [v for v in report["violations"] if v["policy"] == "cluster-public-endpoint-review"]
    assert flag["level"] == "advisory" and "203.0.113.0/28" in flag["message"]
    dev = json.loads(stackctl("check", "dev", "--format", "json").stdout)
    assert not [v for v in dev["violations"] if v["policy"] == "cluster-public-endpoint-review"]


# --- item 2: GCP APIs and service agents, each before its first user --------------------------------

APIS = "urn:pulumi:gcp-dev::platform::platform:index:Environment$platform:index:GcpProjectServices$"


def api(service: str) -> str:
    return f"{APIS}gcp:projects/service:Service::gcp-dev-apis-{service}"


def agent(service: str) -> str:
    return f"{APIS}gcp:projects/serviceIdentity:ServiceIdentity::gcp-dev-apis-{service}-agent"


@pytest.fixture(scope="module")
def preview_json() -> dict:
    result = stackctl("preview", "gcp-dev", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_preview_shows_every_api_enabled_and_kept_on_destroy(preview_json):
    services = {r["inputs"]["service"]: r for r in preview_json["resources"]
                if r["type"] == "gcp:projects/service:Service"}
    assert sorted(services) == [
        "cloudkms.googleapis.com", "cloudresourcemanager.googleapis.com", "compute.googleapis.com",
        "container.googleapis.com", "iam.googleapis.com", "iamcredentials.googleapis.com", "logging.googleapis.com",
        "monitoring.googleapis.com", "pubsub.googleapis.com", "secretmanager.googleapis.com"]
    for found in services.values():
        assert found["inputs"]["disableOnDestroy"] is False
        assert found["inputs"]["disableDependentServices"] is False
        assert found["inputs"]["project"] == "acme-platform-dev"


def test_preview_orders_apis_and_agents_before_their_first_users(preview_json):
    # The JSON lists resources as a tree (siblings by name); the engine's order is the dependency edges,
    # so every first user names its API (or agent) directly.
    resources = preview_json["resources"]
    urns = {r["urn"] for r in resources}
    by_name = {r["name"]: r for r in resources}

    def before(dependency: str, user: str) -> None:
        assert dependency in urns and dependency in by_name[user]["dependencies"], (dependency, user)

    before(api("container"), "gcp-dev-apis-container-agent")
    before(api("pubsub"), "gcp-dev-apis-pubsub-agent")
    before(agent("container"), "gcp-dev-secrets-gke-agent")        # the KMS grant naming the GKE agent
    before(api("container"), "gcp-dev-cluster")
    before(api("cloudkms"), "gcp-dev-keyring")
    before(api("compute"), "gcp-dev-network")
    before(api("iam"), "gcp-dev-nodes")
    before(api("pubsub"), "gcp-dev-orders-topic")
    before(agent("pubsub"), "gcp-dev-orders-dlq-agent-publisher")  # dead-lettering grants name the Pub/Sub agent
    before(agent("pubsub"), "gcp-dev-orders-agent-subscriber")
    before(api("iam"), "gcp-dev-embedder")                         # a workload's service account


def test_grants_name_the_agents_from_their_service_identity(preview_json):
    by_name = {r["name"]: r for r in preview_json["resources"]}
    assert by_name["gcp-dev-secrets-gke-agent"]["inputs"]["member"] == (
        "serviceAccount:service-123456789012@container-engine-robot.iam.gserviceaccount.com")
    assert by_name["gcp-dev-orders-agent-subscriber"]["inputs"]["member"] == (
        "serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com")
    assert agent("container") in by_name["gcp-dev-secrets-gke-agent"]["propertyDependencies"]["member"]


def test_organisations_that_manage_apis_centrally_can_opt_out(make_project):
    config = copy.deepcopy(load_stack_yaml("gcp-dev")["config"])
    config["gcp_enable_apis"] = False
    graph = run_stack(make_project({"gcp-dev": config}), "gcp-dev").graph
    assert not [r for r in graph.resources if r.type.startswith("gcp:projects/service")]
    [grant] = [r for r in graph.resources if r.name == "gcp-dev-secrets-gke-agent"]
    # Then the agent must already exist; its documented address is used.
    assert grant.inputs["member"] == (
        "serviceAccount:service-123456789012@container-engine-robot.iam.gserviceaccount.com")
    assert problems({**AWS, "gcp_enable_apis": False, "services": {}}) == [
        "gcp_enable_apis: only applies when cloud is 'gcp'"]


def test_cmek_topics_wait_for_the_pubsub_agent_identity_and_the_kms_api(make_project):
    config = copy.deepcopy(load_stack_yaml("gcp-dev")["config"])
    config["queues"]["orders"]["kms_key"] = "projects/acme-platform-dev/locations/europe-west1/keyRings/q/cryptoKeys/o"
    graph = run_stack(make_project({"gcp-dev": config}), "gcp-dev").graph
    # One grant per key, named by the key (components.rules.work_path.member_suffix), not per queue.
    [grant] = [r for r in graph.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
               if r.inputs["cryptoKeyId"] == config["queues"]["orders"]["kms_key"]]
    assert grant.name == f"gcp-dev-kms-agent-{member_suffix(grant.inputs['cryptoKeyId'])}"
    assert agent("pubsub") in grant.propertyDependencies["member"]
    assert api("cloudkms") in grant.dependencies and api("pubsub") in grant.dependencies
    [topic] = [r for r in graph.resources if r.name == "gcp-dev-orders-topic"]
    assert grant.urn in topic.dependencies and api("pubsub") in topic.dependencies


# --- issue 24, item 6: prod's runners in a subnet of their own ----------------------------------------------

def test_prod_runners_have_their_own_small_subnet_and_only_it_reaches_the_api():
    graph = shipped_run("prod").graph
    [runners] = [r for r in graph.of_type("aws:ec2/subnet:Subnet") if r.name == "prod-runners"]
    assert runners.inputs["cidrBlock"] == "10.40.255.0/24" and runners.inputs["availabilityZone"] == "us-west-2a"
    [association] = [r for r in graph.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
                     if r.name == "prod-runners"]
    [routes] = [r for r in graph.of_type("aws:ec2/routeTable:RouteTable") if r.name == "prod-private-us-west-2a"]
    assert set(association.propertyDependencies["routeTableId"]) == {routes.urn}
    ingress = graph.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    api_rules = [r.inputs["cidrIpv4"] for r in ingress
                 if r.name.startswith("prod-api-from-") and "cidrIpv4" in r.inputs]
    assert api_rules == ["10.40.255.0/24"]


def test_the_runner_subnet_is_checked():
    def network(runner_subnet: str, **more) -> dict:
        return {**AWS, "network": {"cidr": "10.0.0.0/16", "runner_subnet": runner_subnet, **more}}

    assert "network.runner_subnet: 10.0.0.0/24 overlaps the node subnet of us-east-1a (10.0.0.0/19)" in problems(
        network("10.0.0.0/24"))
    assert "network.runner_subnet: 10.0.192.0/24 overlaps the public subnet of us-east-1a (10.0.192.0/22)" in \
        problems(network("10.0.192.0/24"))
    assert "network.runner_subnet: 10.9.255.0/24 is outside the VPC (10.0.0.0/16)" in problems(
        network("10.9.255.0/24"))
    ok = cluster({**AWS, "network": {"cidr": "10.0.0.0/16", "runner_subnet": "10.0.255.0/24"}},
                 deployer_access={"via": "private_network", "runner_cidrs": ["10.0.255.0/24"]})
    assert parse_environment(ok, SOURCE).network.runner_subnet == "10.0.255.0/24"
    [gcp] = problems({**GCP, "network": {"runner_subnet": "10.0.255.0/24"}})
    assert gcp == "network.runner_subnet: only applies on aws"
