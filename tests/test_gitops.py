"""Argo CD bootstrap and GitOps delivery: projects, apps, secrets, push/gitops equivalence, render."""

from __future__ import annotations

import copy
import json

import pytest
from ruamel.yaml import YAML

from components import SpecError, parse_environment
from stackctl.delivery.render import write_deployment
from stackctl.engine.project import StackConfig
from stackctl.engine.runner import run_stack
from stackctl.schemas import validate_manifest
from stackctl.tree import render_preview

from .conftest import PROJECT, load_stack_yaml, shipped_run, stackctl, wire_value
from .workload_helpers import applied_objects, manifests

ARGO = "platform:index:Environment$platform:index:ArgoCdBootstrap$"
CIPHERTEXT = "cGxhY2Vob2xkZXItY2lwaGVydGV4dC1ub3QtYS1yZWFsLXRva2Vu"


def argo_object(stack: str, kind: str, name: str) -> dict:
    matches = [m for m in manifests(shipped_run(stack).graph, kind) if m["metadata"]["name"] == name]
    assert len(matches) == 1, (kind, name, len(matches))
    return matches[0]


def release(stack: str, chart: str):
    [found] = [r for r in shipped_run(stack).graph.of_type("kubernetes:helm.sh/v3:Release")
               if r.inputs["chart"] == chart]
    return found


def test_argocd_chart_is_pinned_with_values_per_tier():
    prod, staging = release("prod", "argo-cd"), release("staging", "argo-cd")
    for found in (prod, staging):
        assert found.inputs["version"] == "10.3.3"
        assert found.inputs["repositoryOpts"] == {"repo": "https://argoproj.github.io/argo-helm"}
        assert found.inputs["namespace"] == "argocd"
        assert found.inputs["values"]["dex"] == {"enabled": False}
    assert prod.inputs["values"]["redis-ha"]["enabled"] is True
    # maxUnavailable must be set: the chart renders `minAvailable: 0` otherwise (a PDB that protects nothing).
    ha_pdb = {"enabled": True, "maxUnavailable": 1}
    assert prod.inputs["values"]["server"] == {"replicas": 2, "pdb": ha_pdb}
    assert prod.inputs["values"]["repoServer"] == {"replicas": 2, "pdb": ha_pdb}
    assert prod.inputs["values"]["applicationSet"] == {"replicas": 2, "pdb": ha_pdb}
    assert prod.inputs["values"]["controller"] == {"replicas": 1, "pdb": ha_pdb}
    assert staging.inputs["values"]["redis-ha"]["enabled"] is False
    assert staging.inputs["values"]["server"] == {"replicas": 1, "pdb": {"enabled": False}}
    assert not [r for r in shipped_run("dev").graph.of_type("kubernetes:helm.sh/v3:Release")
                if r.inputs["chart"] == "argo-cd"]


def test_argocd_images_are_named_in_the_values_and_admitted_by_binary_authorization():
    from components.cluster.gke_binary_authorization import CHART_IMAGE_REPOSITORIES

    values = release("prod", "argo-cd").inputs["values"]
    # Every image key the chart's pods read (argo-helm charts/argo-cd values.yaml), set by us, not by the chart.
    named = {
        values["global"]["image"]["repository"],
        values["redis"]["image"]["repository"],
        values["redis-ha"]["image"]["repository"],
        values["redis-ha"]["haproxy"]["image"]["repository"],
    }
    assert named == {"quay.io/argoproj/argocd", "ecr-public.aws.com/docker/library/redis",
                     "ecr-public.aws.com/docker/library/haproxy"}
    assert named <= set(CHART_IMAGE_REPOSITORIES)


def test_workload_project_allows_only_the_deployment_repo_and_own_namespaces():
    project = argo_object("prod", "AppProject", "prod")["spec"]
    assert project["sourceRepos"] == ["https://github.com/acme/deployments.git"]
    assert project["destinations"] == [
        {"server": "https://kubernetes.default.svc", "namespace": ns}
        for ns in ("classify-image", "orders", "orders-api", "thumbnailer")]
    assert project["clusterResourceWhitelist"] == []
    kinds = {(k["group"], k["kind"]) for k in project["namespaceResourceWhitelist"]}
    assert ("", "Secret") not in kinds and ("rbac.authorization.k8s.io", "Role") not in kinds
    assert ("apps", "Deployment") in kinds and ("keda.sh", "ScaledObject") in kinds
    bootstrap = argo_object("prod", "AppProject", "prod-bootstrap")["spec"]
    # argocd for Applications; the workload namespaces for their default-deny NetworkPolicy only.
    assert bootstrap["destinations"] == [
        {"server": "https://kubernetes.default.svc", "namespace": ns}
        for ns in ("argocd", "classify-image", "orders", "orders-api", "thumbnailer")]
    assert bootstrap["clusterResourceWhitelist"] == [{"group": "", "kind": "Namespace"}]
    assert bootstrap["namespaceResourceWhitelist"] == [{"group": "argoproj.io", "kind": "Application"},
                                                       {"group": "networking.k8s.io", "kind": "NetworkPolicy"}]


def test_default_project_is_emptied_and_never_used():
    [patch] = shipped_run("prod").graph.of_type("kubernetes:argoproj.io/v1alpha1:AppProjectPatch")
    assert patch.inputs["metadata"]["name"] == "default"
    assert patch.inputs["spec"] == {"sourceRepos": [], "destinations": [], "clusterResourceWhitelist": [],
                                    "namespaceResourceWhitelist": []}
    for app in manifests(shipped_run("prod").graph, "Application"):
        assert app["spec"]["project"] in ("prod", "prod-bootstrap")


def test_root_app_of_apps_syncs_automatically_with_prune_and_self_heal():
    root = argo_object("prod", "Application", "prod-root")
    assert root["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
    spec = root["spec"]
    assert spec["project"] == "prod-bootstrap"
    assert spec["source"] == {"repoURL": "https://github.com/acme/deployments.git", "targetRevision": "main",
                              "path": "prod/apps", "directory": {"recurse": True}}
    assert spec["destination"] == {"server": "https://kubernetes.default.svc", "namespace": "argocd"}
    assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}


def test_workload_applications_ignore_replicas_so_argo_and_keda_never_fight():
    app = argo_object("prod", "Application", "prod-orders")["spec"]
    assert app["source"]["path"] == "prod/orders" and app["project"] == "prod"
    assert app["destination"]["namespace"] == "orders"
    assert app["ignoreDifferences"] == [{"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}]
    assert "RespectIgnoreDifferences=true" in app["syncPolicy"]["syncOptions"]
    assert app["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    deployment = shipped_run("prod").graph.stack_outputs["deployment_files"]["files"][
        "prod/orders/deployment-orders.yaml"]
    assert "replicas" not in deployment["spec"]


def test_gitops_stacks_leave_workload_objects_to_argo_cd():
    kinds = {m["kind"] for m in applied_objects(shipped_run("prod").graph)}
    assert not kinds & {"Deployment", "CronJob", "ScaledObject", "ScaledJob", "ServiceAccount"}
    # ...while Pulumi keeps the cloud side: identities and queue grants.
    roles = {r.name for r in shipped_run("prod").graph.of_type("aws:iam/role:Role")}
    assert {"prod-orders", "prod-thumbnailer", "prod-monthly-report"} <= roles


def test_one_up_orders_cluster_keda_argo_and_apps():
    graph = shipped_run("prod").graph
    by_name = {r.name: r for r in graph.resources}
    argo_release, keda_release = release("prod", "argo-cd"), release("prod", "keda")
    assert by_name["prod-argocd-namespace"].urn in argo_release.dependencies
    for name in ("prod-argocd-project", "prod-argocd-bootstrap-project", "prod-argocd-repository"):
        assert argo_release.urn in by_name[name].dependencies
    root = by_name["prod-argocd-root-app"]
    assert {by_name["prod-argocd-bootstrap-project"].urn, by_name["prod-argocd-repository"].urn} <= set(
        root.dependencies)
    orders_app = by_name["prod-orders-application"]
    assert keda_release.urn in orders_app.dependencies
    assert by_name["prod-argocd-project"].urn in orders_app.dependencies
    assert by_name["prod-argocd-namespaces-app"].urn in orders_app.dependencies
    # Both Helm releases run on the cluster's provider, which waits for nodes and access.
    k8s_provider = by_name["prod-k8s"]
    assert argo_release.provider.startswith(k8s_provider.urn + "::")
    assert keda_release.provider.startswith(k8s_provider.urn + "::")


def test_repository_credentials_are_secret_and_never_printed(make_project):
    config = load_stack_yaml("prod")["config"]
    project = make_project({"prod": config})
    from stackctl.engine.project import read_stack_config

    stack_config = read_stack_config(project, "prod")
    assert stack_config.secret_keys == ["platform:argocd_repo_password"]
    # As the Pulumi CLI would pass it: decrypted, and listed as secret.
    token = "ghp_realLookingTokenValue0123456789"
    real = StackConfig(values={**stack_config.values, "platform:argocd_repo_password": token},
                       secret_keys=stack_config.secret_keys)
    run = run_stack(project, "prod", real)
    [secret] = [r for r in run.graph.resources if r.name == "prod-argocd-repository"]
    assert secret.inputs["stringData"] == "[secret]"
    assert wire_value(secret, "stringData")["password"] == token
    # Schema checks see the shape, never the value.
    assert secret.masked_inputs["stringData"] == {"url": "[secret]", "type": "[secret]",
                                                  "username": "[secret]", "password": "[secret]"}
    for text in (run.graph.dumps(), render_preview(run), json.dumps(run.graph.stack_outputs)):
        assert token not in text
    for text in (stackctl("preview", "prod").stdout, stackctl("preview", "prod", "--json").stdout):
        assert CIPHERTEXT not in text


def test_argo_cd_objects_validate_against_the_crds():
    for stack in ("staging", "prod"):
        graph = shipped_run(stack).graph
        objects = manifests(graph, "Application") + manifests(graph, "AppProject")
        assert len(objects) >= 4
        for obj in objects:
            assert validate_manifest(obj, "1.35") == [], obj["metadata"]["name"]
        [patch] = graph.of_type("kubernetes:argoproj.io/v1alpha1:AppProjectPatch")
        as_project = {**patch.inputs, "kind": "AppProject"}
        assert validate_manifest(as_project, "1.35") == []


def _push_objects(graph) -> list[dict]:
    return sorted((m for m in applied_objects(graph) if m["kind"] not in ("Application", "AppProject", "Secret")
                   and m["metadata"].get("name") not in ("keda", "argocd", "cluster-autoscaler")),
                  key=lambda m: (m["kind"], m["metadata"].get("namespace", ""), m["metadata"]["name"]))


def test_push_and_gitops_produce_the_same_objects(shared_run):
    gitops = copy.deepcopy(load_stack_yaml("staging")["config"])
    push = copy.deepcopy(gitops)
    push["delivery"] = "push"
    pushed = _push_objects(shared_run("staging", push).graph)
    files = shipped_run("staging").graph.stack_outputs["deployment_files"]["files"]  # `gitops`: the shipped file
    rendered = sorted(files.values(), key=lambda m: (m["kind"], m["metadata"].get("namespace", ""),
                                                     m["metadata"]["name"]))
    assert len(pushed) == len(rendered) > 20
    # The one push-only difference: Pulumi does not await Deployments reading Secrets it does not create.
    skipped = []
    for manifest in pushed:
        annotations = manifest["metadata"].get("annotations", {})
        if annotations.pop("pulumi.com/skipAwait", None) == "true":
            skipped.append((manifest["kind"], manifest["metadata"]["name"]))
            if not annotations:
                del manifest["metadata"]["annotations"]
    assert skipped == [("Deployment", "orders")]
    assert pushed == rendered


@pytest.mark.slow(2)
def test_render_is_deterministic_and_prunes_removed_workloads(tmp_path, make_project):
    first, second = tmp_path / "a", tmp_path / "b"
    assert stackctl("render", "prod", "--out", str(first)).returncode == 0
    assert stackctl("render", "prod", "--out", str(second)).returncode == 0
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)
    assert "prod/orders/deployment-orders.yaml" in {str(f) for f in files}
    text = (first / "prod/orders/deployment-orders.yaml").read_text()
    assert text.startswith("# Generated by `stackctl render` from stacks/Pulumi.prod.yaml")
    assert "[secret]" not in text and "[unknown]" not in text
    for path in first.rglob("*.yaml"):
        manifest = YAML(typ="safe").load(path.read_text())
        assert validate_manifest(manifest, "1.35") == [], path
    # A team-owned Application survives; a removed service's directory disappears.
    (first / "prod/apps/dashboards.yaml").write_text("kind: Application\n")
    config = copy.deepcopy(load_stack_yaml("prod")["config"])
    del config["services"]["orders-api"]
    run = run_stack(make_project({"prod": config}), "prod")
    write_deployment(run.graph.stack_outputs["deployment_files"], first, "stacks/Pulumi.prod.yaml")
    assert not (first / "prod/orders-api").exists()
    assert (first / "prod/apps/dashboards.yaml").exists()
    assert not (first / "prod/namespaces/namespace-orders-api.yaml").exists()


def test_render_from_real_outputs_and_refusals(tmp_path):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"deployment_files": shipped_run("prod").graph.stack_outputs["deployment_files"]}))
    result = stackctl("render", "prod", "--outputs", str(outputs), "--out", str(tmp_path / "repo"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "repo/prod/orders/scaledobject-orders.yaml").exists()
    push = stackctl("render", "dev", "--out", str(tmp_path / "dev"))
    assert push.returncode == 2
    assert push.stderr.startswith("stacks/Pulumi.dev.yaml: delivery is push")
    outputs.write_text(json.dumps({"queues": {}}))
    missing = stackctl("render", "prod", "--outputs", str(outputs), "--out", str(tmp_path / "x"))
    assert missing.returncode == 2 and "outputs.json: deployment_files: required output is missing" in missing.stderr


@pytest.mark.parametrize("change, message", [
    ({"delivery": "gitops", "argocd": None},
     "delivery: gitops delivery needs argocd (the deployment repository Argo CD pulls)"),
    ({"argocd": {"repository": "https://github.com/*"}},
     "argocd.repository: must be an https://, ssh:// or git@host:path Git URL without wildcards "
     "(got 'https://github.com/*')"),
    ({"argocd": {"repository": "git@github.com:acme/deploy.git", "username": "bot"}},
     "argocd.username: only applies to an https:// repository"),
    ({"aws_account_id": "12345"}, "aws_account_id: must be 12 digits (got '12345')"),
])
def test_argocd_validation(change: dict, message: str):
    raw = copy.deepcopy(load_stack_yaml("staging")["config"])
    raw.pop("argocd_repo_password")
    raw.update(change)
    raw = {k: v for k, v in raw.items() if v is not None}
    with pytest.raises(SpecError) as caught:
        parse_environment(raw, "x")
    assert [p.render("") for p in caught.value.problems] == [message]


def test_aws_account_id_pins_the_provider():
    provider = shipped_run("prod").graph.by_urn[
        "urn:pulumi:prod::platform::platform:index:Environment$pulumi:providers:aws::prod-aws"]
    assert json.loads(provider.inputs["allowedAccountIds"]) == ["123456789012"]
    assert "allowedAccountIds" not in shipped_run("dev").graph.by_urn[
        "urn:pulumi:dev::platform::platform:index:Environment$pulumi:providers:aws::dev-aws"].inputs


def test_project_stack_label_for_render():
    assert PROJECT.stack_label("prod") == "stacks/Pulumi.prod.yaml"


def test_render_deletes_only_files_it_wrote(tmp_path):
    out = tmp_path / "deployments"
    deployment = shipped_run("prod").graph.stack_outputs["deployment_files"]
    write_deployment(deployment, out, "stacks/Pulumi.prod.yaml")
    stale = out / "prod" / "retired" / "deployment-retired.yaml"
    stale.parent.mkdir()
    stale.write_text("# Generated by `stackctl render` from stacks/Pulumi.prod.yaml. Do not edit.\nkind: Deployment\n")
    hand_written = out / "prod" / "orders" / "configmap-notes.yaml"
    hand_written.write_text("kind: ConfigMap\n")
    outside = tmp_path / "other.yaml"
    outside.write_text("# Generated by `stackctl render`\n")
    write_deployment(deployment, out, "stacks/Pulumi.prod.yaml")
    assert not stale.exists() and not stale.parent.exists()
    assert hand_written.read_text() == "kind: ConfigMap\n"
    assert outside.exists()
