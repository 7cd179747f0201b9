"""Issue 14: secrets from the cloud's secret manager through External Secrets Operator."""

from __future__ import annotations

import copy
import json
import re

import pytest

from components.addons.external_secrets import chart_values
from components.versions import EXTERNAL_SECRETS_CHART_REPOSITORY, EXTERNAL_SECRETS_CHART_VERSION
from stackctl.schemas import validate_manifest

from .conftest import load_stack_yaml, shipped_run, stackctl
from .workload_helpers import manifest, manifests, pod_specs

ESO = "external-secrets.io/v1"


def _records(run, type_: str):
    return [r for r in run.graph.resources if r.type == type_]


def _env(graph, kind_name: str, variable: str) -> dict:
    [container] = pod_specs(graph)[kind_name]["containers"]
    [entry] = [e for e in container["env"] if e["name"] == variable]
    return entry


# --- spec validation -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("stack", "entry", "expected"), [
    ("dev", {"aws_secret": "orders/db-url", "secret": "orders-db", "key": "url"},
     "services.orders.secret_env.DATABASE_URL: set exactly one of secret (a Kubernetes Secret), aws_secret or "
     "gcp_secret (got secret, aws_secret)"),
    ("dev", {"key": "url"}, "services.orders.secret_env.DATABASE_URL: set exactly one of secret"),
    ("dev", {"gcp_secret": "orders-db-url"},
     "services.orders.secret_env.DATABASE_URL.gcp_secret: this environment's cloud is 'aws': use aws_secret"),
    ("gcp-dev", {"aws_secret": "orders/db-url"},
     "services.orders.secret_env.DATABASE_URL.aws_secret: this environment's cloud is 'gcp': use gcp_secret"),
    ("dev", {"aws_secret": "orders db url"},
     "services.orders.secret_env.DATABASE_URL.aws_secret: AWS secret name 'orders db url' must be 1-512"),
    ("prod", {"aws_secret": "orders/db-url-a1b2c3"},
     "services.orders.secret_env.DATABASE_URL.aws_secret: AWS secret name 'orders/db-url-a1b2c3' must not end"),
    ("gcp-dev", {"gcp_secret": "orders/db-url"},
     "services.orders.secret_env.DATABASE_URL.gcp_secret: GCP secret id 'orders/db-url' must be 1-255"),
    ("gcp-dev", {"gcp_secret": "orders-db-url", "version": "newest"},
     "services.orders.secret_env.DATABASE_URL.version: must be 'latest' or a version number (got 'newest')"),
    ("dev", {"aws_secret": "orders/db-url", "version": "v1/2"},
     "services.orders.secret_env.DATABASE_URL.version: must be a version stage such as AWSCURRENT or uuid/"),
    ("dev", {"aws_secret": "orders/db-url", "key": "url with space"},
     "services.orders.secret_env.DATABASE_URL.key: JSON property 'url with space' must be"),
    ("staging", {"secret": "orders-db"},
     "services.orders.secret_env.DATABASE_URL.key: required with secret"),
    ("staging", {"secret": "orders-db", "key": "url", "version": "1"},
     "services.orders.secret_env.DATABASE_URL.version: only applies to aws_secret or gcp_secret"),
])
def test_a_wrong_secret_env_entry_is_refused_with_its_path(stack, entry, expected, make_project):
    config = copy.deepcopy(load_stack_yaml(stack)["config"])
    config["services"]["orders"]["secret_env"] = {"DATABASE_URL": entry}
    project = make_project({stack: config})
    result = stackctl("preview", stack, cwd=project.root)
    assert result.returncode == 2, result.stdout
    assert f"stacks/Pulumi.{stack}.yaml: {expected}" in result.stderr
    assert "Traceback" not in result.stderr


def test_kubernetes_secret_entries_keep_their_manifest():
    graph = shipped_run("staging").graph
    assert _env(graph, "Deployment/orders", "DATABASE_URL") == {
        "name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "orders-db", "key": "url"}}}
    assert not manifests(graph, "ExternalSecret") and not manifests(graph, "SecretStore")


# --- the add-on ------------------------------------------------------------------------------------------------

def test_external_secrets_operator_is_installed_only_where_a_workload_uses_a_cloud_secret():
    for stack, used in (("dev", True), ("prod", True), ("gcp-dev", True), ("staging", False)):
        releases = [r for r in _records(shipped_run(stack), "kubernetes:helm.sh/v3:Release")
                    if r.inputs.get("chart") == "external-secrets"]
        assert len(releases) == (1 if used else 0), stack
    [release] = [r for r in _records(shipped_run("dev"), "kubernetes:helm.sh/v3:Release")
                 if r.inputs.get("chart") == "external-secrets"]
    assert release.inputs["version"] == EXTERNAL_SECRETS_CHART_VERSION
    assert release.inputs["repositoryOpts"]["repo"] == EXTERNAL_SECRETS_CHART_REPOSITORY
    assert release.inputs["namespace"] == "external-secrets"
    values = release.inputs["values"]
    assert values["installCRDs"] is True
    # Only namespaced stores: nothing reads or writes secrets across namespaces.
    assert values["processClusterStore"] is False and values["processClusterExternalSecret"] is False
    assert values["processPushSecret"] is False and "replicaCount" not in values


def test_prod_runs_the_operator_highly_available():
    values = chart_values(high_availability=True)
    assert values["replicaCount"] == 2 and values["leaderElect"] is True
    assert values["webhook"]["replicaCount"] == 2 and values["certController"]["podDisruptionBudget"]["enabled"]
    [release] = [r for r in _records(shipped_run("prod"), "kubernetes:helm.sh/v3:Release")
                 if r.inputs.get("chart") == "external-secrets"]
    assert release.inputs["values"]["replicaCount"] == 2


def test_workload_namespaces_cannot_be_the_operators(make_project):
    config = copy.deepcopy(load_stack_yaml("dev")["config"])
    config["services"]["orders"]["namespace"] = "external-secrets"
    result = stackctl("preview", "dev", cwd=make_project({"dev": config}).root)
    assert result.returncode == 2 and "services.orders.namespace" in result.stderr


# --- objects, both delivery modes ------------------------------------------------------------------------------

@pytest.mark.parametrize(("stack", "delivery"), [("dev", "push"), ("prod", "gitops"), ("gcp-dev", "push")])
def test_store_and_external_secret_per_workload_valid_against_the_vendored_crds(stack, delivery):
    run = shipped_run(stack)
    graph = run.graph
    rendered = graph.stack_outputs.get("deployment_files", {}).get("files", {})
    for kind in ("SecretStore", "ExternalSecret"):
        objects = manifests(graph, kind)
        assert {o["metadata"]["name"] for o in objects} >= {"orders-cloud-secrets"}
        for obj in objects:
            assert obj["apiVersion"] == ESO
            assert validate_manifest(obj, "1.35") == [], obj["metadata"]
        in_repo = [m for m in rendered.values() if m["kind"] == kind]
        assert bool(in_repo) == (delivery == "gitops")
    store = manifest(graph, "SecretStore", "orders-cloud-secrets", "orders")["spec"]["provider"]
    if stack == "gcp-dev":
        auth = store["gcpsm"]["auth"]["workloadIdentity"]
        assert store["gcpsm"]["projectID"] == auth["clusterProjectID"] == "acme-platform-dev"
        assert auth["clusterName"] == "platform-gcp-dev" and auth["clusterLocation"] == "europe-west1"
    else:
        assert store["aws"]["service"] == "SecretsManager"
        assert store["aws"]["region"] == load_stack_yaml(stack)["config"]["region"]
        auth = store["aws"]["auth"]["jwt"]
    # The workload's own ServiceAccount: the operator borrows no one else's identity.
    assert auth["serviceAccountRef"] == {"name": "orders"}
    external = manifest(graph, "ExternalSecret", "orders-cloud-secrets", "orders")["spec"]
    assert external["secretStoreRef"] == {"kind": "SecretStore", "name": "orders-cloud-secrets"}
    assert external["target"]["name"] == "orders-cloud-secrets"
    remote = "orders-db-url" if stack == "gcp-dev" else "orders/db-url"
    assert external["data"] == [{"secretKey": "DATABASE_URL", "remoteRef": {"key": remote}}]
    assert _env(graph, "Deployment/orders", "DATABASE_URL")["valueFrom"] == {
        "secretKeyRef": {"name": "orders-cloud-secrets", "key": "DATABASE_URL"}}
    # Nothing secret is applied or written: no Secret objects besides Argo CD's repository credential.
    secrets = [m["metadata"]["name"] for m in manifests(graph, "Secret")]
    assert all(name == f"{stack}-deployment-repository" for name in secrets), secrets
    assert not any(m["kind"] == "Secret" for m in rendered.values())


def test_a_json_property_and_version_reach_the_remote_ref(make_project):
    config = copy.deepcopy(load_stack_yaml("dev")["config"])
    config["services"]["orders"]["secret_env"] = {
        "DATABASE_URL": {"aws_secret": "orders/db", "key": "url", "version": "AWSPREVIOUS"},
        "DATABASE_PASSWORD": {"aws_secret": "orders/db", "key": "password"},
        "LEGACY_TOKEN": {"secret": "legacy", "key": "token"},
        "SIGNING_KEY": {"aws_secret": "orders/signing", "version": "uuid/9b2a4c1e-0f3d-4e8a-9c71-2d5e6f708192"},
    }
    from stackctl.engine.runner import run_stack
    graph = run_stack(make_project({"dev": config}), "dev").graph
    external = manifest(graph, "ExternalSecret", "orders-cloud-secrets", "orders")
    assert validate_manifest(external, "1.35") == []
    assert external["spec"]["data"] == [
        {"secretKey": "DATABASE_PASSWORD", "remoteRef": {"key": "orders/db", "property": "password"}},
        {"secretKey": "DATABASE_URL", "remoteRef": {"key": "orders/db", "property": "url", "version": "AWSPREVIOUS"}},
        {"secretKey": "SIGNING_KEY",
         "remoteRef": {"key": "orders/signing", "version": "uuid/9b2a4c1e-0f3d-4e8a-9c71-2d5e6f708192"}},
    ]
    assert _env(graph, "Deployment/orders", "LEGACY_TOKEN")["valueFrom"] == {
        "secretKeyRef": {"name": "legacy", "key": "token"}}
    [policy] = [r for r in graph.resources if r.name == "dev-orders-read-secrets"]
    owned = {r.inputs["name"]: r.outputs["arn"] for r in graph.of_type("aws:secretsmanager/secret:Secret")}
    assert sorted(owned) == ["orders/db", "orders/signing"]  # each created once, however many variables read it
    # Each secret once, by the exact ARN of the secret the program created.
    assert json.loads(policy.inputs["policy"])["Statement"][0]["Resource"] == [owned["orders/db"],
                                                                               owned["orders/signing"]]


def test_argo_cd_may_sync_the_secret_objects_and_nothing_more():
    [project] = [m for m in manifests(shipped_run("prod").graph, "AppProject") if m["metadata"]["name"] == "prod"]
    kinds = {(k["group"], k["kind"]) for k in project["spec"]["namespaceResourceWhitelist"]}
    assert {("external-secrets.io", "SecretStore"), ("external-secrets.io", "ExternalSecret")} <= kinds
    assert ("", "Secret") not in kinds and project["spec"]["clusterResourceWhitelist"] == []


# --- identity --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_aws_identity_reads_exactly_its_own_secrets(stack):
    run = shipped_run(stack)
    region = load_stack_yaml(stack)["config"]["region"]
    grants = {r.name: r for r in _records(run, "aws:iam/rolePolicy:RolePolicy") if r.name.endswith("-read-secrets")}
    # orders and the jobs reusing it (each with its own role); workloads without cloud secrets get nothing.
    assert f"{stack}-orders-read-secrets" in grants
    assert not any("thumbnail" in name for name in grants)
    [role] = [r for r in _records(run, "aws:iam/role:Role") if r.name == f"{stack}-orders"]
    grant = grants[f"{stack}-orders-read-secrets"]
    assert grant.parent == role.parent  # both children of the orders Service
    document = json.loads(grant.inputs["policy"])
    statement, *decrypt = document["Statement"]
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
    [resource] = statement["Resource"]
    # The program creates the secret: the grant names its exact ARN and waits for it.
    [secret] = _records(run, "aws:secretsmanager/secret:Secret")
    assert secret.inputs["name"] == "orders/db-url" and resource == secret.outputs["arn"]
    assert re.fullmatch(rf"arn:aws:secretsmanager:{region}:\d{{12}}:secret:orders/db-url-[0-9a-f]{{6}}", resource)
    assert secret.urn in grant.dependencies
    if stack == "prod":  # encrypted with the environment's secrets key: readers decrypt through Secrets Manager only
        [key] = [r for r in _records(run, "aws:kms/key:Key") if r.name == "prod-app-secrets"]
        assert secret.inputs["kmsKeyId"] == key.outputs["arn"]
        assert decrypt == [{"Sid": "DecryptOwnSecrets", "Effect": "Allow", "Action": "kms:Decrypt",
                            "Resource": key.outputs["arn"], "Condition": {"StringEquals": {
                                "kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}}}]
    else:
        assert decrypt == [] and "kmsKeyId" not in secret.inputs


def test_a_secret_marked_existing_is_granted_by_name_and_not_created(make_project):
    config = copy.deepcopy(load_stack_yaml("dev")["config"])
    config["existing_secrets"] = ["orders/db-url"]
    from stackctl.engine.runner import run_stack
    graph = run_stack(make_project({"dev": config}), "dev").graph
    assert graph.of_type("aws:secretsmanager/secret:Secret") == []
    [grant] = [r for r in graph.resources if r.name == "dev-orders-read-secrets"]
    [statement] = json.loads(grant.inputs["policy"])["Statement"]
    # `??????` matches the six random characters Secrets Manager appends, and nothing else.
    assert statement["Resource"] == ["arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/db-url-??????"]


def test_gcp_identity_reads_exactly_its_own_secret_after_the_api_is_on():
    run = shipped_run("gcp-dev")
    grants = _records(run, "gcp:secretmanager/secretIamMember:SecretIamMember")
    assert sorted(g.name for g in grants) == ["gcp-dev-orders-backfill-read-secret-orders-db-url",
                                              "gcp-dev-orders-read-secret-orders-db-url"]
    [grant] = [g for g in grants if g.name == "gcp-dev-orders-read-secret-orders-db-url"]
    assert grant.inputs["secretId"] == "orders-db-url" and grant.inputs["project"] == "acme-platform-dev"
    # The program creates the secret (replicated in the region, no value) and every grant waits for it.
    [secret] = _records(run, "gcp:secretmanager/secret:Secret")
    assert secret.inputs["secretId"] == "orders-db-url"
    assert secret.inputs["replication"] == {"userManaged": {"replicas": [{"location": "europe-west1"}]}}
    assert all(secret.urn in g.dependencies for g in grants)
    assert not [r for r in run.graph.resources if r.type.startswith("gcp:secretmanager/secretVersion")]
    assert grant.inputs["role"] == "roles/secretmanager.secretAccessor"
    [account] = [r for r in _records(run, "gcp:serviceaccount/account:Account") if r.name == "gcp-dev-orders"]
    assert grant.inputs["member"] == f"serviceAccount:{account.outputs['email']}"
    [api] = [r for r in _records(run, "gcp:projects/service:Service")
             if r.inputs["service"] == "secretmanager.googleapis.com"]
    assert api.urn in grant.dependencies
