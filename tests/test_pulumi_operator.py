"""The management side of operator delivery: `PulumiOperator` previews offline, installs the pinned chart, and gives
each workspace exactly one federated identity with the deployer's permissions, bounded by them."""

from __future__ import annotations

import json
from functools import cache

import platform_ci_identity
import pytest
from pydantic import ValidationError

from components.addons.pulumi_operator import (
    DEPLOYER_POLICY_FILE,
    OperatorWorkspace,
    PulumiOperator,
    PulumiOperatorArgs,
)
from components.versions import PULUMI_OPERATOR_CHART, PULUMI_OPERATOR_CHART_VERSION
from stackctl.schemas import validate_manifest
from stackctl.testing import run_program

ISSUER = "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
PROVIDER_ARN = f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"
KEY_ARN = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34bc-56ef-1234567890ab"
GCP_KEY = "projects/acme-dev/locations/global/keyRings/pulumi/cryptoKeys/dev"


def aws_workspace(stack: str, role: str = "", manage_role: bool = True) -> OperatorWorkspace:
    return OperatorWorkspace(cloud="aws", namespace="pulumi-stacks", service_account=f"pulumi-{stack}",
                             cloud_identity=f"arn:aws:iam::123456789012:role/{role or f'platform-{stack}-operator'}",
                             state_bucket="acme-state", secrets_key=KEY_ARN, manage_role=manage_role)


@cache
def management_run():
    def program():
        PulumiOperator("pko", PulumiOperatorArgs(
            workspaces={"prod": aws_workspace("prod", "deployer", manage_role=False),
                        "dev": aws_workspace("dev"),
                        "staging": aws_workspace("staging", "ci/platform-staging-operator"),
                        "gcp-dev": OperatorWorkspace(
                            cloud="gcp", namespace="pulumi-gcp", service_account="pulumi-gcp-dev",
                            cloud_identity="platform-operator@acme-dev.iam.gserviceaccount.com",
                            gcp_project="acme-dev", state_bucket="acme-gcp-state", secrets_key=GCP_KEY)},
            aws_oidc_provider_arn=PROVIDER_ARN, aws_oidc_issuer=ISSUER,
            gcp_workload_pool="acme-mgmt.svc.id.goog"))

    return run_program(program, project="management", stack="mgmt",
                       config={"aws:region": "us-west-2", "gcp:project": "acme-mgmt"})


def test_the_pinned_chart_is_installed_with_its_rbac_into_its_own_namespace():
    run = management_run()
    [component] = run.graph.of_type("platform:index:PulumiOperator")
    [release] = run.graph.of_type("kubernetes:helm.sh/v3:Release")
    assert release.parent == component.urn
    assert release.inputs["chart"] == PULUMI_OPERATOR_CHART == "oci://ghcr.io/pulumi/helm-charts/pulumi-kubernetes-operator"
    assert release.inputs["version"] == PULUMI_OPERATOR_CHART_VERSION == "2.9.0"
    assert release.inputs["namespace"] == "pulumi-kubernetes-operator"
    assert release.inputs["values"]["rbac"] == {"create": True, "createClusterRole": True}
    assert release.inputs["atomic"] is True


def test_the_namespaces_are_schema_valid_and_workspaces_run_restricted():
    run = management_run()
    namespaces = {r.inputs["metadata"]["name"]: r.inputs for r in run.graph.of_type("kubernetes:core/v1:Namespace")}
    assert set(namespaces) == {"pulumi-kubernetes-operator", "pulumi-stacks", "pulumi-gcp"}
    for name, inputs in namespaces.items():
        manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": inputs["metadata"]}
        assert validate_manifest(manifest, "1.35") == [], name
    assert namespaces["pulumi-stacks"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_each_aws_workspace_role_trusts_only_its_service_account_and_is_bounded_by_the_deployer_policy():
    run = management_run()
    roles = {r.inputs["name"]: r for r in run.graph.of_type("aws:iam/role:Role")}
    # prod reuses CI's deployer role (manage_role false): nothing is created for it.
    assert set(roles) == {"platform-dev-operator", "platform-staging-operator"}
    # Each is created where its ARN says: the path is part of the ARN the workspace's annotation carries.
    assert (roles["platform-dev-operator"].inputs["path"], roles["platform-staging-operator"].inputs["path"]) == \
        ("/", "/ci/")
    deployer = json.loads(platform_ci_identity.read(DEPLOYER_POLICY_FILE))
    deployer["Statement"] += [
        {"Sid": "PulumiStateList", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::acme-state"},
        {"Sid": "PulumiState", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
         "Resource": "arn:aws:s3:::acme-state/.pulumi/*"},
        {"Sid": "PulumiSecrets", "Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": KEY_ARN}]
    policies = {r.inputs["name"]: r for r in run.graph.of_type("aws:iam/policy:Policy")}
    for stack in ("dev", "staging"):
        role = roles[f"platform-{stack}-operator"]
        trust = json.loads(role.inputs["assumeRolePolicy"])
        [statement] = trust["Statement"]
        assert statement["Principal"] == {"Federated": PROVIDER_ARN}
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Condition"]["StringEquals"] == {
            f"{ISSUER}:sub": f"system:serviceaccount:pulumi-stacks:pulumi-{stack}",
            f"{ISSUER}:aud": "sts.amazonaws.com"}
        boundary = policies[f"platform-{stack}-operator-boundary"]
        assert json.loads(boundary.inputs["policy"]) == deployer
        assert boundary.urn in role.dependencies
    inline = run.graph.of_type("aws:iam/rolePolicy:RolePolicy")
    assert len(inline) == 2 and all(json.loads(p.inputs["policy"]) == deployer for p in inline)
    assert not run.graph.of_type("aws:iam/accessKey:AccessKey")


def test_a_gcp_workspace_is_federated_with_workload_identity_and_gets_the_deployer_role():
    run = management_run()
    [account] = run.graph.of_type("gcp:serviceaccount/account:Account")
    assert (account.inputs["accountId"], account.inputs["project"]) == ("platform-operator", "acme-dev")
    [binding] = run.graph.of_type("gcp:serviceaccount/iAMMember:IAMMember")
    assert binding.inputs["role"] == "roles/iam.workloadIdentityUser"
    assert binding.inputs["member"] == "serviceAccount:acme-mgmt.svc.id.goog[pulumi-gcp/pulumi-gcp-dev]"
    [grant] = run.graph.of_type("gcp:projects/iAMMember:IAMMember")
    assert grant.inputs["role"] == "projects/acme-dev/roles/platformDeployer"
    assert not run.graph.of_type("gcp:serviceaccount/key:Key")
    [state] = run.graph.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
    assert (state.inputs["bucket"], state.inputs["role"]) == ("acme-gcp-state", "roles/storage.objectAdmin")
    [secrets] = run.graph.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
    assert (secrets.inputs["cryptoKeyId"], secrets.inputs["role"]) == (GCP_KEY,
                                                                         "roles/cloudkms.cryptoKeyEncrypterDecrypter")


def test_workspaces_come_from_the_stack_files_and_an_alias_is_not_a_key():
    from stackctl.delivery.stackfile import environment, load_config

    from .conftest import REPO

    label = "stacks/Pulumi.prod.yaml"
    spec = environment(load_config((REPO / label).read_text(encoding="utf-8"), label, "platform"), label)
    workspace = OperatorWorkspace.of("prod", spec, aws_secrets_key_arn=KEY_ARN)
    assert (workspace.service_account, workspace.state_bucket) == ("pulumi-prod", "acme-platform-pulumi-state")
    assert workspace.cloud_identity == spec.operator.cloud_identity
    with pytest.raises(ValueError, match="name the KMS key ARN"):
        OperatorWorkspace.of("prod", spec)
    with pytest.raises(ValidationError, match="not an alias"):
        OperatorWorkspace.of("prod", spec, aws_secrets_key_arn="arn:aws:kms:us-west-2:123456789012:alias/pulumi")


def test_children_are_named_after_the_component_and_stack():
    names = sorted(r.name for r in management_run().graph.resources if r.type != "pulumi:pulumi:Stack")
    assert "pko" in names and "pko-namespace" in names and "pko-staging-role" in names and "pko-gcp-dev-sa" in names
    assert not [n for n in names if n.startswith("pko-prod-")]
