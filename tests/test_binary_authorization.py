"""Issue 14: GKE Binary Authorization enforced in prod with an explicit deny-by-default policy."""

from __future__ import annotations

import copy
import json

import pytest
from ruamel.yaml import YAML

from components.cluster.gke_binary_authorization import CHART_IMAGE_REPOSITORIES, image_repository
from stackctl.analysis import analyzer
from stackctl.diff import replacements

from .conftest import REPO, load_stack_yaml, shipped_run
from .test_ci_identity import GCP_PERMISSIONS, GCP_ROLE

POLICY = "gcp:binaryauthorization/policy:Policy"
API = "binaryauthorization.googleapis.com"
DIGEST = "@sha256:" + "a" * 64


def _prod_gke_config() -> dict:
    """gcp-dev's stack file as a prod-tier environment (no shipped stack is prod on GKE)."""
    config = copy.deepcopy(dict(load_stack_yaml("gcp-dev")["config"]))
    config["tier"] = "prod"
    for service in config["services"].values():
        service["image"] = service["image"].split(":")[0] + DIGEST
    config["cluster"]["dns_endpoint_external"] = True  # day one without a private runner: prod's explicit opt-in
    return config



def _prod_gke(shared_run):
    return shared_run("gcp-prod", _prod_gke_config())


@pytest.mark.slow(2)
def test_prod_gke_enforces_a_deny_by_default_policy_listing_only_its_registries(shared_run):
    run = _prod_gke(shared_run)
    [policy] = run.graph.of_type(POLICY)
    [cluster] = run.graph.of_type("gcp:container/cluster:Cluster")
    assert cluster.inputs["binaryAuthorization"] == {"evaluationMode": "PROJECT_SINGLETON_POLICY_ENFORCE"}
    # The cluster starts enforcing only once the policy is in place, and the policy once its API is on.
    assert policy.urn in cluster.dependencies
    [api] = [s for s in run.graph.of_type("gcp:projects/service:Service") if s.inputs["service"] == API]
    assert api.urn in policy.dependencies
    inputs = policy.inputs
    assert inputs["project"] == _prod_gke_config()["gcp_project"]
    assert inputs["defaultAdmissionRule"] == {"evaluationMode": "ALWAYS_DENY",
                                              "enforcementMode": "ENFORCED_BLOCK_AND_AUDIT_LOG"}
    assert inputs["globalPolicyEvaluationMode"] == "ENABLE"  # GKE's own system images
    patterns = [p["namePattern"] for p in inputs["admissionWhitelistPatterns"]]
    images = {s["image"] for s in _prod_gke_config()["services"].values()}
    # Each workload repository by digest only; every pinned chart's repository; nothing broader.
    assert {f"{image_repository(i)}@*" for i in images} <= set(patterns)
    assert {f"{r}:*" for r in CHART_IMAGE_REPOSITORIES} <= set(patterns)
    assert all(p.count("*") == 1 and p.endswith("*") and p[-2] in ":@" for p in patterns), patterns
    assert len(patterns) == len(set(patterns)) == len(images) + 2 * len(CHART_IMAGE_REPOSITORIES)


def test_outside_prod_nothing_changes():
    run = shipped_run("gcp-dev")
    assert not run.graph.of_type(POLICY)
    [cluster] = run.graph.of_type("gcp:container/cluster:Cluster")
    assert cluster.inputs.get("binaryAuthorization") is None
    assert API not in {s.inputs["service"] for s in run.graph.of_type("gcp:projects/service:Service")}


def test_image_repositories_are_normalised_as_binary_authorization_matches_them():
    assert image_repository("europe-docker.pkg.dev/acme/apps/orders@sha256:" + "b" * 64) == (
        "europe-docker.pkg.dev/acme/apps/orders")
    assert image_repository("registry:5000/team/app:1.2") == "registry:5000/team/app"
    assert image_repository("nginx:1.27") == "docker.io/library/nginx"
    assert image_repository("bitnami/redis") == "docker.io/bitnami/redis"


def test_the_prod_rule_passes_the_environment_and_fails_a_cluster_without_enforcement(shared_run):
    prod_config = json.loads((REPO / "policy" / "config" / "prod.json").read_text())
    passing = analyzer.check(_prod_gke(shared_run), REPO / "policy", prod_config, "policy/config/prod.json")
    assert [v for v in passing.violations if v.policy == "gke-binary-authorization"] == []
    # gcp-dev's cluster, judged by prod's rules: not enforced, so the mandatory rule fails it.
    failing = analyzer.check(shipped_run("gcp-dev"), REPO / "policy", prod_config, "policy/config/prod.json")
    [violation] = [v for v in failing.mandatory if v.policy == "gke-binary-authorization"]
    assert "not enforced" in violation.message


def test_the_ci_role_and_the_diff_data_cover_the_policy(shared_run):
    role = YAML(typ="safe").load(GCP_ROLE.read_text())
    assert set(GCP_PERMISSIONS[POLICY]) <= set(role["includedPermissions"])
    emitted = {r.type for r in _prod_gke(shared_run).graph.resources if r.custom}
    assert emitted - replacements.covered_types() == set()
    assert replacements.load()["types"][POLICY]["replaceOnChanges"] == ["project"]
