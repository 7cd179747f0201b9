"""The real policy pack, driven over its gRPC Analyzer service as the Pulumi CLI drives it."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from google.protobuf import json_format

from stackctl.analysis import analyzer
from stackctl.analysis.analyzer import reconcile_config
from stackctl.engine.project import Project
from stackctl.engine.runner import run_stack
from stackctl.errors import InputError

from .conftest import REPO, SHIPPED_STACKS, check_all_shipped, shipped_run, stackctl

# One xdist worker runs this module (Makefile: --dist loadgroup), so its cached pack checks of the fixture and
# shipped stacks (a policy pack process each) are made once per test session, not once per worker; so does
# tests/test_pack_session.py, which reads the same `check --all` (conftest.check_all_shipped).
pytestmark = pytest.mark.xdist_group("policy")

PACK = REPO / "policy"
FIXTURE = Project.load(Path(__file__).parent / "fixtures" / "policy_project")
PROD_CONFIG = json.loads((PACK / "config" / "prod.json").read_text())
DEV_CONFIG = json.loads((PACK / "config" / "dev.json").read_text())

# policy -> the fixture resource that breaks it in `bad` and complies in `good`
CASES = {
    "cluster-private-endpoint": "cluster",
    "cluster-secrets-encryption": "cluster",
    "cluster-control-plane-logging": "cluster",
    "cluster-supported-version": "cluster",
    "cluster-deletion-protection": "cluster",
    "cluster-public-endpoint-review": "cluster",
    "gke-workload-identity": "gke",
    "gke-no-legacy-abac": "gke",
    "gke-dns-endpoint-internal": "gke",
    "gke-binary-authorization": "gke",
    "queue-encryption": "work",
    "queue-dead-letter": "work",
    "queue-no-public-access": "work-policy",
    "queue-senders-declared": "sender",
    "stateful-resources-protected": "audit-logs",
    "customer-managed-keys": "audit-logs",
    "retained-resources-readable": "archive-key",
    "cluster-admins-limited": "admin-4",
    "iam-no-wildcard-actions": "worker-access",
    "gcp-no-basic-roles": "reader",
    "workload-identity-single-subject": "worker",
    "aws-roles-bounded": "worker",
    "k8s-run-as-non-root": "web",
    "k8s-read-only-root-filesystem": "web",
    "k8s-no-privilege-escalation": "web",
    "k8s-resource-limits": "web",
    "k8s-image-pinned": "web",
    "k8s-probes": "web",
    "k8s-network-policy": "web",
    "deployment-repo-manifests": "fixture-{stack}",
    "prod-service-availability": "web",
    "argocd-no-default-project": "app",
    "argocd-no-wildcards": "project",
    "argocd-admin-password-not-exported": "fixture-{stack}",
    "no-serverless-functions": "resize",
    "services-pull-from-queues": "web",
}
ADVISORY = {"k8s-probes", "services-pull-from-queues", "cluster-public-endpoint-review"}


@cache
def fixture_run(stack: str):
    """One offline run of a fixture stack per session: the tests below only read it."""
    return run_stack(FIXTURE, stack)


@cache
def fixture_check(stack: str, tier: str = "prod") -> analyzer.CheckResult:
    config = PROD_CONFIG if tier == "prod" else DEV_CONFIG
    return analyzer.check(fixture_run(stack), PACK, config, f"policy/config/{tier}.json")


@cache
def bad_json_check():
    """`stackctl check bad --format json` on the fixture (two tests read its exit status and report)."""
    return stackctl("check", "bad", "-C", str(FIXTURE.root), "--policy-pack", str(PACK),
                    "--policy-pack-config", str(PACK / "config/prod.json"), "--format", "json")


def shipped_checks() -> tuple[int, list[dict]]:
    result, _ = check_all_shipped()
    return result.returncode, json.loads(result.stdout)


def test_every_shipped_stack_passes_with_no_mandatory_violation():
    code, reports = shipped_checks()
    assert code == 0
    assert sorted(r["stack"] for r in reports) == SHIPPED_STACKS
    for report in reports:
        assert report["summary"]["mandatory"] == 0, report["violations"]
        assert all(v["level"] == "advisory" for v in report["violations"])


def test_the_pack_declares_every_rule_tested_here():
    result = fixture_check("good")
    assert {p.name for p in result.policies} == set(CASES)
    levels = {p.name: p.level for p in result.policies}
    assert {name for name, level in levels.items() if level == "advisory"} == ADVISORY


def test_unsafe_fixture_fails_with_exactly_the_expected_policies():
    result = fixture_check("bad")
    assert {v.policy for v in result.mandatory} == set(CASES) - ADVISORY
    assert {v.policy for v in result.violations if v.level == "advisory"} == ADVISORY


@pytest.mark.parametrize("policy", sorted(CASES))
def test_rule_fails_on_the_unsafe_resource(policy: str):
    expected = CASES[policy].format(stack="bad")
    names = {v.name for v in fixture_check("bad").violations if v.policy == policy}
    assert expected in names


@pytest.mark.parametrize("policy", sorted(CASES))
def test_rule_passes_on_the_compliant_resource(policy: str):
    result = fixture_check("good")
    graph_names = {r.name for r in fixture_run("good").graph.resources}
    assert CASES[policy].format(stack="good") in graph_names
    assert [v for v in result.violations if v.policy == policy] == []


def test_tier_config_relaxes_prod_only_rules_through_configure():
    dev = {v.policy for v in fixture_check("bad", "dev").violations}
    assert "prod-service-availability" not in dev and "cluster-deletion-protection" not in dev
    assert "stateful-resources-protected" not in dev and "customer-managed-keys" not in dev
    assert "cluster-admins-limited" not in dev and "gke-dns-endpoint-internal" not in dev
    assert "gke-binary-authorization" not in dev
    # A public endpoint (the day-one opt-in) is not flagged for review in dev (only an unrestricted one fails).
    assert "cluster-public-endpoint-review" not in dev
    assert "cluster-public-endpoint-review" in {v.policy for v in fixture_check("bad").violations}
    assert "k8s-run-as-non-root" in dev
    levels = {v.policy: v.level for v in fixture_check("bad", "dev").violations}
    assert levels["argocd-no-wildcards"] == "advisory"
    # Dev does not require digests, but `latest` still fails.
    [pinned] = [v for v in fixture_check("bad", "dev").violations if v.policy == "k8s-image-pinned"]
    assert "uses 'latest'" in pinned.message


def test_cli_exit_codes_and_formats(tmp_path):
    bad = bad_json_check()
    assert bad.returncode == 1
    report = json.loads(bad.stdout)
    assert report["policyPack"] == {"name": "platform-guardrails", "version": "0.1.0"}
    assert report["summary"]["mandatory"] == len(fixture_check("bad").mandatory)
    sarif = stackctl("check", "bad", "-C", str(FIXTURE.root), "--policy-pack", str(PACK),
                     "--policy-pack-config", str(PACK / "config/prod.json"), "--format", "sarif")
    assert sarif.returncode == 1
    document = json.loads(sarif.stdout)
    assert document["version"] == "2.1.0" and "sarif-2.1.0" in document["$schema"]
    [run] = document["runs"]
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert set(rule_ids) == set(CASES)
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning") and result["message"]["text"]
        location = result["locations"][0]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "stacks/Pulumi.bad.yaml"
        assert location["logicalLocations"][0]["fullyQualifiedName"].startswith("urn:pulumi:bad::fixture::")
    text = stackctl("check", "good", "-C", str(FIXTURE.root), "--policy-pack", str(PACK),
                    "--policy-pack-config", str(PACK / "config/prod.json"))
    assert text.returncode == 0 and "0 mandatory, 0 advisory" in text.stdout


def test_cli_invalid_input_exits_2(tmp_path, make_project):
    project = make_project({"broken": {"cloud": "azure"}})
    result = stackctl("check", "broken", "-C", str(project.root), "--policy-pack", str(PACK))
    assert result.returncode == 2 and "cloud: must be one of 'aws' or 'gcp'" in result.stderr
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"no-such-policy": "mandatory"}))
    unknown = stackctl("check", "good", "-C", str(FIXTURE.root), "--policy-pack", str(PACK),
                       "--policy-pack-config", str(config))
    assert unknown.returncode == 2 and "unknown policies ['no-such-policy']" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    both = stackctl("check", "dev", "--all")
    assert both.returncode == 2 and "name one stack or pass --all" in both.stderr


def _info():
    from pulumi.runtime.proto import analyzer_pb2

    info = analyzer_pb2.AnalyzerInfo(name="p")
    policy = info.policies.add(name="a", enforcementLevel=analyzer_pb2.MANDATORY)
    policy.configSchema.properties.update({"limit": {"type": "integer", "default": 3}})
    info.policies.add(name="b", enforcementLevel=analyzer_pb2.ADVISORY)
    return info


def test_policy_config_is_reconciled_like_the_cli():
    from pulumi.runtime.proto import analyzer_pb2

    config = reconcile_config(_info(), {"all": "advisory", "a": {"limit": 5}}, "f")
    assert config["a"].enforcementLevel == analyzer_pb2.ADVISORY
    assert json_format.MessageToDict(config["a"].properties) == {"limit": 5}
    assert config["b"].enforcementLevel == analyzer_pb2.ADVISORY
    defaults = reconcile_config(_info(), {}, "f")
    assert json_format.MessageToDict(defaults["a"].properties) == {"limit": 3}
    with pytest.raises(InputError, match="f: a: 'many' is not of type 'integer'"):
        reconcile_config(_info(), {"a": {"limit": "many"}}, "f")
    with pytest.raises(InputError, match="unknown enforcement level 'loud'"):
        reconcile_config(_info(), {"a": "loud"}, "f")


def test_analyze_requests_carry_what_the_engine_sends():
    graph = shipped_run("dev").graph
    urn = ("urn:pulumi:dev::platform::platform:index:Environment$platform:index:SqsWorkQueue$"
           "aws:sqs/queue:Queue::dev-orders-queue")
    request = analyzer.analyze_request(graph.by_urn[urn], graph)
    assert request.urn == urn and request.name == "dev-orders-queue" and request.type == "aws:sqs/queue:Queue"
    assert request.options.parent.endswith("platform:index:SqsWorkQueue::dev-orders")
    assert request.provider.type == "pulumi:providers:aws" and request.provider.name == "dev-aws"
    assert json_format.MessageToDict(request.provider.properties)["region"] == "us-east-1"
    assert json_format.MessageToDict(request.properties)["visibilityTimeoutSeconds"] == 120
    stack_resource = analyzer.stack_resource(graph.by_urn[urn], graph)
    assert stack_resource.parent == request.options.parent
    assert list(stack_resource.propertyDependencies["redrivePolicy"].urns) == [urn.replace("-queue", "-dlq")]
    assert json_format.MessageToDict(stack_resource.properties)["arn"].endswith(":dev-orders")


def test_rules_import_without_starting_a_policy_server():
    result = subprocess.run([sys.executable, "-c", "import guardrails; print(len(guardrails.ALL_POLICIES))"],
                            cwd=PACK, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == str(len(CASES))


def test_messages_show_property_lists_not_proxies():
    # The SDK hands policies list proxies; a message formatting one printed `<..._ListProxy object at 0x...>`.
    [message] = [v.message for v in fixture_check("bad").violations
                 if v.policy == "cluster-private-endpoint" and "is public" in v.message]
    assert "['0.0.0.0/0', '198.51.100.0/24']" in message
    assert not [v.message for v in fixture_check("bad").violations if "Proxy object" in v.message]


def test_probes_rule_covers_rendered_gitops_manifests():
    probes = [v for v in fixture_check("bad").violations if v.policy == "k8s-probes"]
    rendered = [v.message for v in probes if v.name == "fixture-bad"]
    assert any("env/web/deployment-rendered.yaml: container 'web' has no readiness probe" in m for m in rendered)
    assert {v.name for v in probes} == {"web", "fixture-bad"}
    assert all(v.level == "advisory" for v in probes)


def test_shipped_gitops_stack_gets_the_probe_advice_push_stacks_get():
    _, reports = shipped_checks()
    prod = next(r for r in reports if r["stack"] == "prod")
    messages = [v["message"] for v in prod["violations"] if v["policy"] == "k8s-probes"]
    # prod's orders and thumbnailer declare only liveness probes, like dev's declare none.
    assert any("prod/orders/deployment-orders.yaml: container 'orders' has no readiness probe" in m for m in messages)
    assert any("container 'thumbnailer' has no readiness probe" in m for m in messages)


def test_every_rule_carries_severity_framework_remediation_and_url():
    from pulumi_policy import Severity

    severities = {s.value for s in Severity}
    for policy in fixture_check("good").policies:
        assert policy.severity in severities, policy.name
        assert policy.remediation and policy.url.startswith("https://"), policy.name
        assert policy.framework.get("name") and policy.framework.get("reference"), policy.name
    by_name = {p.name: p for p in fixture_check("good").policies}
    assert by_name["cluster-private-endpoint"].framework["reference"] == "EKS 5.4.1, 5.4.2; GKE 5.6.3, 5.6.4, 5.6.5"
    assert by_name["gke-no-legacy-abac"].framework == {
        "name": "CIS GKE Benchmark", "version": "1.6.0", "reference": "GKE 5.8.3"}
    assert by_name["queue-no-public-access"].severity == "critical"


def test_json_report_carries_rule_metadata():
    bad = bad_json_check()
    [logging] = [v for v in json.loads(bad.stdout)["violations"] if v["policy"] == "cluster-control-plane-logging"]
    assert logging["severity"] == "medium" and logging["compliance"] == "EKS 2.1.1; GKE 5.7.1"
    assert "control_plane_logs" in logging["remediation"] and logging["url"].startswith("https://docs.aws")


def _line_of(path: Path, text: str, after: str = "") -> int:
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and text in line) + 1


def test_sarif_results_point_at_the_stack_file_setting():
    result = stackctl("check", "--all", "--format", "sarif")
    assert result.returncode == 0
    runs = {run["automationDetails"]["id"].split("/")[1]: run for run in json.loads(result.stdout)["runs"]}
    stacks = REPO / "stacks"
    for run in runs.values():
        rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
        for rule in rules.values():
            assert rule["helpUri"].startswith("https://") and rule["help"]["text"]
            assert 0.1 <= float(rule["properties"]["security-severity"]) <= 10.0
        for item in run["results"]:
            assert item["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
    [review] = [r for r in runs["staging"]["results"] if r["ruleId"] == "cluster-public-endpoint-review"]
    assert review["locations"][0]["physicalLocation"]["region"]["startLine"] == _line_of(
        stacks / "Pulumi.staging.yaml", "public_endpoint: true")
    # dev's orders declares no probes: the result points at the service's key.
    dev_probes = [r for r in runs["dev"]["results"]
                  if r["ruleId"] == "k8s-probes" and "'orders'" in r["message"]["text"]]
    assert {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in dev_probes} == {
        _line_of(stacks / "Pulumi.dev.yaml", "    orders:", after="  services:")}
    # prod (GitOps): a rendered file's violation points at the workload's own setting.
    prod_probes = [r for r in runs["prod"]["results"]
                   if r["ruleId"] == "k8s-probes" and "prod/thumbnailer/" in r["message"]["text"]]
    assert {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in prod_probes} == {
        _line_of(stacks / "Pulumi.prod.yaml", "probes:", after="    thumbnailer:")}
    [pull] = [r for r in runs["prod"]["results"] if r["ruleId"] == "services-pull-from-queues"]
    assert pull["locations"][0]["physicalLocation"]["region"]["startLine"] == _line_of(
        stacks / "Pulumi.prod.yaml", "expose: true", after="    orders-api:")


def test_customer_managed_keys_cover_gke_boot_disks():
    [pool] = [v for v in fixture_check("bad").violations if v.policy == "customer-managed-keys" and v.name == "pool"]
    assert "nodeConfig.bootDiskKmsKey" in pool.message
