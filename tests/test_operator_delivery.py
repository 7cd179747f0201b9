"""Infrastructure by pull: `infra_delivery: operator` and the Pulumi Kubernetes Operator's `Stack`.

The rendered objects are checked against the vendored PKO v2.9.0 CRD (stackctl/crds/pulumi.com_stacks.yaml),
strictly: the API server prunes fields its schema does not know, so an unknown field would silently do nothing.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import pytest
from ruamel.yaml import YAML

from components import SpecError, parse_environment
from components.addons.pulumi_operator import (
    STACK_FILE_ANNOTATION,
    OperatorWorkspace,
    stack_objects,
)
from components.spec.operator import DEFAULT_RESYNC_SECONDS
from components.versions import PULUMI_WORKSPACE_IMAGE
from stackctl.delivery.operator_stacks import operator_files, write_operator_files
from stackctl.schemas import crd_schemas, validate_manifest

from .conftest import REPO, stackctl

OPERATOR = {
    "repository": "https://github.com/acme/platform.git",
    "backend": "s3://acme-state?region=us-east-1",
    "secrets_provider": "awskms://alias/platform-pulumi?region=us-east-1",
    "cloud_identity": "arn:aws:iam::123456789012:role/platform-dev-operator",
}
VALID = {"cloud": "aws", "region": "us-east-1", "tier": "dev", "aws_account_id": "123456789012",
         "queues": {"orders": {}}, "infra_delivery": "operator", "operator": OPERATOR}
GCP = {"cloud": "gcp", "region": "europe-west1", "tier": "staging", "gcp_project": "acme-staging",
       "infra_delivery": "operator",
       "operator": {"repository": "git@github.com:acme/platform.git", "backend": "gs://acme-state",
                    "secrets_provider": "gcpkms://projects/acme-staging/locations/global/keyRings/pulumi/cryptoKeys/st",
                    "cloud_identity": "platform-operator@acme-staging.iam.gserviceaccount.com"}}


def with_operator(base: dict, **changes: Any) -> dict:
    config = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            config["operator"].pop(key, None)
        else:
            config["operator"][key] = value
    return config


def problems_of(config: dict, environment: str = "dev") -> list[str]:
    try:
        parse_environment(config, "stacks/Pulumi.x.yaml", environment=environment, project="platform")
    except SpecError as exc:
        return [f"{p.path}: {p.message}" for p in exc.problems]
    return []


# The bad inputs, end to end: exit 2, the file and the field named, no traceback.
CLI_CASES = {
    "no-backend": (with_operator(VALID, backend=None), "stacks/Pulumi.bad.yaml: operator.backend: required"),
    "file-backend": (with_operator(VALID, backend="file://./state"),
                     "stacks/Pulumi.bad.yaml: operator.backend: 'file://./state' is a local backend"),
    "passphrase": (with_operator(VALID, secrets_provider="passphrase"),
                   "stacks/Pulumi.bad.yaml: operator.secrets_provider: a passphrase provider would need"),
    "no-operator-block": ({**{k: v for k, v in VALID.items() if k != "operator"}},
                          "stacks/Pulumi.bad.yaml: operator: required with `infra_delivery: operator`"),
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_operator_delivery_refuses_bad_settings_at_load(case: str, make_project):
    config, expected = CLI_CASES[case]
    project = make_project({"bad": config})
    result = stackctl("preview", "bad", cwd=project.root)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert any(line.startswith(expected) for line in result.stderr.splitlines()), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"backend": "file:///var/state"}, "operator.backend", "local backend"),
    ({"backend": "ftp://state"}, "operator.backend", "must be an s3://"),
    ({"backend": "s3://user:hunter2@bucket"}, "operator.backend", "holds a credential"),
    ({"secrets_provider": None}, "operator.secrets_provider", "required"),
    ({"secrets_provider": "passphrase"}, "operator.secrets_provider", "passphrase"),
    ({"secrets_provider": "default"}, "operator.secrets_provider", "needs an https:// backend"),
    ({"secrets_provider": "rot13://"}, "operator.secrets_provider", "must be awskms://"),
    ({"cloud_identity": None}, "operator.cloud_identity", "required"),
    ({"cloud_identity": "AKIAIOSFODNN7EXAMPLE"}, "operator.cloud_identity", "must be an IAM role ARN"),
    ({"cloud_identity": "arn:aws:iam::999999999999:role/x"}, "operator.cloud_identity", "account 999999999999"),
    ({"repository": "https://bot:ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/a/b.git"},
     "operator.repository", "without credentials"),
    ({"repo_dir": "../elsewhere"}, "operator.repo_dir", "relative directory"),
    ({"branch": "main branch"}, "operator.branch", "branch name"),
    ({"resync_seconds": 30}, "operator.resync_seconds", "must be >= 60"),
    ({"prerequisites": {"dev": {}}}, "operator.prerequisites.dev", "cannot wait for itself"),
])
def test_operator_settings_are_checked_with_the_field_named(change, field, words):
    (key, value), = change.items()
    found = problems_of(with_operator(VALID, **{key: value}))
    assert any(p.startswith(f"{field}: ") and words in p for p in found), found
    assert "hunter2" not in " ".join(found) and "ghp_abc" not in " ".join(found)


def test_push_is_the_default_and_an_operator_block_needs_operator_delivery():
    push = {k: v for k, v in VALID.items() if k not in ("infra_delivery", "operator")}
    assert parse_environment(push, "x").infra_delivery == "push"
    assert problems_of({**push, "operator": OPERATOR}) == [
        "operator: only applies with `infra_delivery: operator`"]


def test_pulumi_cloud_may_use_its_default_secrets_provider():
    assert problems_of(with_operator(VALID, backend="https://api.pulumi.com", secrets_provider="default")) == []


def test_outside_dev_the_aws_workspace_identity_must_be_a_named_cluster_admin():
    cluster = {"node_pools": {"general": {"machine_types": ["m7i.large"], "min_size": 2, "max_size": 4}},
               "private_access_cidrs": ["10.0.0.0/8"]}
    config = {**copy.deepcopy(VALID), "tier": "staging", "cluster": cluster}
    assert any(p.startswith("operator.cloud_identity: runs `pulumi up`") for p in problems_of(config, "staging"))
    config["cluster"]["admins"] = {"operator": OPERATOR["cloud_identity"]}
    assert not [p for p in problems_of(config, "staging") if p.startswith("operator.")]


def test_stack_names_that_cannot_name_a_kubernetes_object_are_refused():
    assert any(p.startswith("infra_delivery: the stack name 'Dev_1'") for p in problems_of(VALID, "Dev_1"))


def test_gcp_workspace_identity_is_a_service_account_email():
    assert problems_of(GCP, "staging") == []
    found = problems_of(with_operator(GCP, cloud_identity="arn:aws:iam::123456789012:role/x"), "staging")
    assert any(p.startswith("operator.cloud_identity: must be a service account email") for p in found)


# --- the rendered objects -------------------------------------------------------------------------------------


def unknown_fields(value: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Keys of `value` the schema does not declare (the API server would prune them without a word)."""
    found: list[str] = []
    if isinstance(value, dict) and schema.get("type") == "object":
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if properties is not None and key in properties:
                found += unknown_fields(item, properties[key], f"{path}.{key}")
            elif isinstance(extra, dict):
                found += unknown_fields(item, extra, f"{path}.{key}")
            elif properties is not None and not schema.get("x-kubernetes-preserve-unknown-fields"):
                found.append(f"{path}.{key}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            found += unknown_fields(item, schema["items"], f"{path}[{index}]")
    return found


@cache
def shipped_prod_objects() -> dict[str, dict]:
    from stackctl.delivery.stackfile import environment, load_config

    text = (REPO / "stacks" / "Pulumi.prod.yaml").read_text(encoding="utf-8")
    spec = environment(load_config(text, "stacks/Pulumi.prod.yaml", "platform"), "stacks/Pulumi.prod.yaml")
    return {m["kind"]: m for m in stack_objects("prod", spec, "stacks/Pulumi.prod.yaml")}


def test_the_shipped_prod_stack_is_operator_delivered():
    stack = shipped_prod_objects()["Stack"]
    assert stack["apiVersion"] == "pulumi.com/v1"
    assert stack["metadata"]["name"] == "prod"
    assert stack["metadata"]["annotations"][STACK_FILE_ANNOTATION] == "stacks/Pulumi.prod.yaml"
    spec = stack["spec"]
    assert spec["stack"] == "prod"
    assert spec["projectRepo"] == "https://github.com/acme/platform.git"
    assert spec["destroyOnFinalize"] is False
    assert spec["refresh"] is True and spec["continueResyncOnCommitMatch"] is True
    assert spec["resyncFrequencySeconds"] == DEFAULT_RESYNC_SECONDS["prod"]
    assert spec["useLocalStackOnly"] is True
    assert spec["backend"].startswith("s3://") and spec["secretsProvider"].startswith("awskms://")
    assert spec["workspaceTemplate"]["spec"]["image"] == PULUMI_WORKSPACE_IMAGE and "@sha256:" in PULUMI_WORKSPACE_IMAGE
    assert spec["envRefs"]["PULUMI_OPTION_POLICY_PACK_CONFIG"]["literal"]["value"].endswith("/policy/config/prod.json")


@pytest.mark.parametrize("kind", ["ServiceAccount", "ClusterRoleBinding", "Stack"])
def test_rendered_objects_are_valid_and_carry_no_unknown_fields(kind):
    manifest = shipped_prod_objects()[kind]
    assert validate_manifest(manifest, "1.35") == []
    if kind == "Stack":
        assert ("pulumi.com/v1", "Stack") in crd_schemas()
        assert unknown_fields(manifest, crd_schemas()[("pulumi.com/v1", "Stack")]) == []


def test_the_crd_schema_catches_a_wrong_stack():
    stack = copy.deepcopy(shipped_prod_objects()["Stack"])
    stack["spec"]["resyncFrequencySeconds"] = "often"
    del stack["spec"]["stack"]
    errors = validate_manifest(stack, "1.35")
    assert any(e.startswith("spec: 'stack' is a required property") for e in errors), errors
    assert any(e.startswith("spec.resyncFrequencySeconds: ") for e in errors), errors
    stack = copy.deepcopy(shipped_prod_objects()["Stack"])
    stack["spec"]["destroyOnFinalise"] = False
    assert unknown_fields(stack, crd_schemas()[("pulumi.com/v1", "Stack")]) == [".spec.destroyOnFinalise"]


def test_the_workspace_runs_as_a_federated_service_account_without_static_keys():
    objects = shipped_prod_objects()
    account, binding, stack = objects["ServiceAccount"], objects["ClusterRoleBinding"], objects["Stack"]
    assert stack["spec"]["serviceAccountName"] == account["metadata"]["name"] == "pulumi-prod"
    assert account["metadata"]["namespace"] == stack["metadata"]["namespace"]
    assert account["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/deployer"}
    assert binding["roleRef"]["name"] == "system:auth-delegator"
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "pulumi-prod", "namespace": "pulumi-stacks"}]
    text = repr(stack).upper()
    for static in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "GOOGLE_CREDENTIALS", "PULUMI_CONFIG_PASSPHRASE",
                   "ACCESSTOKENSECRET", "ENVSECRETS"):
        assert static not in text
    assert all(ref["type"] == "Literal" for ref in stack["spec"]["envRefs"].values())


def test_resync_follows_the_tier_unless_set_and_paused_only_previews():
    for tier in ("dev", "staging", "prod"):
        spec = parse_environment({**VALID, "tier": tier}, "x")
        stack = stack_objects("env", spec, "stacks/Pulumi.env.yaml")[2]
        assert stack["spec"]["resyncFrequencySeconds"] == DEFAULT_RESYNC_SECONDS[tier]
        assert stack["spec"]["preview"] is False
    spec = parse_environment(with_operator(VALID, resync_seconds=120, paused=True), "x")
    stack = stack_objects("dev", spec, "stacks/Pulumi.dev.yaml")[2]
    assert stack["spec"]["resyncFrequencySeconds"] == 120 and stack["spec"]["preview"] is True
    assert stack["spec"]["destroyOnFinalize"] is False


def test_prerequisites_repo_dir_and_git_token_render_valid():
    spec = parse_environment(with_operator(GCP, prerequisites={"network": {"succeeded_within_minutes": 90},
                                                               "shared": {}},
                                           repo_dir="infra/platform/", git_token_secret="platform-repo"), "x")
    objects = stack_objects("staging", spec, "infra/platform/stacks/Pulumi.staging.yaml")
    account, _, stack = objects
    assert account["metadata"]["annotations"] == {
        "iam.gke.io/gcp-service-account": "platform-operator@acme-staging.iam.gserviceaccount.com"}
    assert stack["spec"]["prerequisites"] == [
        {"name": "network", "requirement": {"succeededWithinDuration": "90m"}}, {"name": "shared"}]
    assert stack["spec"]["repoDir"] == "infra/platform"
    assert stack["spec"]["gitAuth"] == {"accessToken": {"type": "Secret",
                                                        "secret": {"name": "platform-repo", "key": "accessToken"}}}
    for manifest in objects:
        assert validate_manifest(manifest, "1.35") == []
    assert unknown_fields(stack, crd_schemas()[("pulumi.com/v1", "Stack")]) == []


def test_operator_workspace_of_a_spec():
    spec = parse_environment(GCP, "x")
    workspace = OperatorWorkspace.of("staging", spec)
    assert (workspace.cloud, workspace.namespace, workspace.service_account) == ("gcp", "pulumi-stacks",
                                                                                 "pulumi-staging")


# --- stackctl render ------------------------------------------------------------------------------------------


@pytest.mark.slow(2)
def test_render_prod_writes_a_valid_stack_next_to_the_workload_manifests(tmp_path):
    out = tmp_path / "deployments"
    result = stackctl("render", "prod", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert (out / "prod/orders/deployment-orders.yaml").exists()
    stacks = [p for p in out.rglob("*.yaml") if YAML(typ="safe").load(p.read_text()).get("kind") == "Stack"]
    assert [p.relative_to(out).as_posix() for p in stacks] == ["pulumi-operator/prod/stack-prod.yaml"]
    text = stacks[0].read_text()
    assert text.startswith("# Generated by `stackctl render` from stacks/Pulumi.prod.yaml")
    stack = YAML(typ="safe").load(text)
    assert stack["apiVersion"] == "pulumi.com/v1"
    assert validate_manifest(stack, "1.35") == []
    assert unknown_fields(stack, crd_schemas()[("pulumi.com/v1", "Stack")]) == []
    assert stack["spec"]["projectRepo"] == "https://github.com/acme/platform.git"
    assert stack["metadata"]["annotations"][STACK_FILE_ANNOTATION] == "stacks/Pulumi.prod.yaml"
    assert "repoDir" not in stack["spec"]  # Pulumi.yaml is at the repository's root
    assert stack["spec"]["stack"] == "prod" and stack["spec"]["destroyOnFinalize"] is False
    account = YAML(typ="safe").load((out / "pulumi-operator/prod/serviceaccount-pulumi-prod.yaml").read_text())
    assert account["metadata"]["name"] == stack["spec"]["serviceAccountName"]
    assert "eks.amazonaws.com/role-arn" in account["metadata"]["annotations"]
    assert str(out / "pulumi-operator/prod/stack-prod.yaml") in result.stdout.splitlines()


def with_secrets_provider(project, stack: str, provider: str = OPERATOR["secrets_provider"]):
    """The stack file as `pulumi stack change-secrets-provider` leaves it: the provider at its top level."""
    path = project.root / "stacks" / f"Pulumi.{stack}.yaml"
    path.write_text(f"secretsprovider: {provider}\n" + path.read_text())
    return project


def test_render_of_a_pushed_workload_stack_writes_only_its_operator_objects(tmp_path, make_project):
    project = with_secrets_provider(make_project({"dev": VALID}), "dev")
    out = tmp_path / "deployments"
    result = stackctl("render", "dev", "--out", str(out), cwd=project.root)
    assert result.returncode == 0, result.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "pulumi-operator/dev/clusterrolebinding-pulumi-stacks-pulumi-dev-system-auth-delegator.yaml",
        "pulumi-operator/dev/serviceaccount-pulumi-dev.yaml",
        "pulumi-operator/dev/stack-dev.yaml"]
    # Back to push: the next render removes what it wrote there, and nothing else.
    (out / "pulumi-operator/dev/notes.yaml").write_text("kind: ConfigMap\n")
    pushed = {k: v for k, v in VALID.items() if k not in ("infra_delivery", "operator")}
    deleted: list = []
    write_operator_files(operator_files(make_project({"dev": pushed}, "pushed"), "dev",
                                        parse_environment(pushed, "x")), out, "dev", "stacks/Pulumi.dev.yaml",
                         deleted=deleted)
    assert sorted(p.name for p in (out / "pulumi-operator/dev").iterdir()) == ["notes.yaml"]
    # What render removed is listed (stackctl render prints it: `deleted <path>`).
    assert sorted(p.name for p in deleted) == [
        "clusterrolebinding-pulumi-stacks-pulumi-dev-system-auth-delegator.yaml", "serviceaccount-pulumi-dev.yaml",
        "stack-dev.yaml"]


def test_render_refuses_a_prerequisite_the_operator_does_not_reconcile(tmp_path, make_project):
    waiting = with_operator(VALID, prerequisites={"network": {}})
    project = with_secrets_provider(make_project({"dev": waiting}), "dev")
    (project.root / "stacks" / "Pulumi.network.yaml").write_text(
        "config:\n  cloud: aws\n  region: us-east-1\n  tier: dev\n")
    result = stackctl("render", "dev", "--out", str(tmp_path / "out"), cwd=project.root)
    assert result.returncode == 2
    assert result.stderr.startswith("stacks/Pulumi.dev.yaml: operator.prerequisites.network: must be a stack "
                                    "delivered by the operator"), result.stderr
    missing = stackctl("render", "dev", "--out", str(tmp_path / "out"),
                       cwd=with_secrets_provider(make_project({"dev": waiting}, "b"), "dev").root)
    assert missing.returncode == 2
    assert "operator.prerequisites.network: no stack file stacks/Pulumi.network.yaml" in missing.stderr
    assert not (tmp_path / "out").exists()


def test_render_refuses_a_stack_file_whose_own_secrets_provider_the_workspace_cannot_use(tmp_path, make_project):
    out = tmp_path / "out"
    passphrase = stackctl("render", "dev", "--out", str(out), cwd=make_project({"dev": VALID}).root)
    assert passphrase.returncode == 2
    assert passphrase.stderr.startswith("stacks/Pulumi.dev.yaml: secretsprovider: the stack file has no cloud "
                                        "secrets provider"), passphrase.stderr
    other = with_secrets_provider(make_project({"dev": VALID}, "other"), "dev", "awskms://alias/another")
    differs = stackctl("render", "dev", "--out", str(out), cwd=other.root)
    assert differs.returncode == 2
    assert differs.stderr.startswith("stacks/Pulumi.dev.yaml: operator.secrets_provider: "
                                     "'awskms://alias/platform-pulumi?region=us-east-1' differs from the stack "
                                     "file's secretsprovider 'awskms://alias/another'"), differs.stderr
    assert not out.exists()


@pytest.mark.parametrize("tier", ["dev", "staging", "prod"])
def test_the_workspace_policy_pack_paths_name_this_repositorys_pack(tier):
    spec = parse_environment({**VALID, "tier": tier}, "x")
    env = stack_objects("env", spec, "stacks/Pulumi.env.yaml")[2]["spec"]["envRefs"]
    for variable in ("PULUMI_OPTION_POLICY_PACK", "PULUMI_OPTION_POLICY_PACK_CONFIG"):
        path = env[variable]["literal"]["value"]
        assert path.startswith("/share/workspace/")
        assert (REPO / path.removeprefix("/share/workspace/")).exists(), path
    assert (REPO / "policy" / "PulumiPolicy.yaml").is_file()


def test_the_pinned_workspace_cli_reads_flags_from_the_environment():
    # PULUMI_OPTION_<FLAG> arrived in Pulumi CLI 3.208.0; the policy pack depends on it.
    tag = PULUMI_WORKSPACE_IMAGE.split(":", 1)[1].split("-", 1)[0]
    assert tuple(int(part) for part in tag.split(".")) >= (3, 208, 0)
