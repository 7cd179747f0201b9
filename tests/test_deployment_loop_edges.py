"""Deployment loop: Artifact Registry end to end (stub at the client boundary), and the refusals that need
no policy run: dirty stack files, missing git, missing policy, rollback targets that cannot be restored."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from google.cloud import artifactregistry_v1
from typer.testing import CliRunner

import stackctl.delivery.registry.artifact_registry as artifact_registry
from stackctl.cli import app
from tests.conftest import REPO
from tests.loop_helpers import ORDERS, StubArtifactRegistryClient, git, hours_ago, make_deployment

PACK = str(REPO / "policy")
HOST = "europe-docker.pkg.dev"
PARENT = "projects/acme-platform-dev/locations/europe/repositories/apps"


def stackctl(*args: str):
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _image(digest: str, tags: list[str], day: int) -> artifactregistry_v1.DockerImage:
    return artifactregistry_v1.DockerImage(
        name=f"{PARENT}/dockerImages/orders-worker@{digest}",
        uri=f"{HOST}/acme-platform-dev/apps/orders-worker@{digest}",
        tags=tags, upload_time=datetime(2026, 11, day, tzinfo=UTC))


def test_promote_gcp_dev_from_artifact_registry(tmp_path, monkeypatch):
    deployment = make_deployment(tmp_path, stacks=("gcp-dev",))
    old, new, branch = "sha256:" + "1" * 64, "sha256:" + "2" * 64, "sha256:" + "3" * 64
    stub = StubArtifactRegistryClient(
        [_image(old, ["main-1111111"], 1), _image(new, ["main-2222222"], 2), _image(branch, ["feature-x"], 3)],
        {f"{PARENT}/packages/orders-worker/versions/{new}": artifactregistry_v1.Version(
            annotations={"org.opencontainers.image.revision": "2" * 40,
                         "org.opencontainers.image.source": "https://github.com/acme/orders"})})
    monkeypatch.setattr(artifact_registry, "_client", lambda: stub)

    code, out, err = stackctl("promote", "gcp-dev", "orders", "--branch", "promote/gcp-1", "--json",
                              "--policy-pack", PACK, "-C", str(deployment.infra))
    assert code == 0, err
    outcome = json.loads(out)
    change = outcome["changes"][0]
    assert change["image"] == f"{HOST}/acme-platform-dev/apps/orders-worker@{new}"
    assert change["origin"] == "registry tag main-2222222"
    assert change["artifact"]["source"] == "https://github.com/acme/orders"
    assert change["gates"] == ["registry", f"revision {'2' * 12}", "check"]
    assert f"image: {HOST}/acme-platform-dev/apps/orders-worker@{new}" in deployment.stack_text("gcp-dev")
    assert ("get_docker_image", {"name": f"{PARENT}/dockerImages/orders-worker@{new}"}) in stub.requests

    # The newest main build has no revision annotation: refused by require_revision (the default).
    git(deployment.infra, "switch", "--quiet", "main")
    unannotated = "sha256:" + "4" * 64
    stub.images.append(_image(unannotated, ["main-4444444"], 4))
    code, _, err = stackctl("promote", "gcp-dev", "orders", "--policy-pack", PACK, "-C", str(deployment.infra))
    assert code == 2
    assert "has no org.opencontainers.image.revision annotation" in err


def test_refusals_that_need_no_policy_run(tmp_path, make_project):
    deployment = make_deployment(tmp_path, stacks=("dev", "prod"))
    infra = str(deployment.infra)
    dev = deployment.infra / "stacks" / "Pulumi.dev.yaml"
    dev.write_text(dev.read_text() + "  # an edit in progress\n")
    code, _, err = stackctl("promote", "dev", "orders", "-C", infra)
    assert (code, err.strip()) == (2, "stacks/Pulumi.dev.yaml: has uncommitted changes; commit or stash them first "
                                      "(a promotion starts from the committed desired state)")
    git(deployment.infra, "checkout", "--", "stacks/Pulumi.dev.yaml")

    code, _, err = stackctl("promote", "dev", "report", "-C", infra)
    assert code == 2 and "no workload 'report' with its own image (workloads: services.orders" in err
    code, _, err = stackctl("promote", "dev", "orders", "--digest", "sha256:abc", "-C", infra)
    assert code == 2 and "--digest takes a sha256:<64 hex> digest and exactly one WORKLOAD" in err
    code, _, err = stackctl("promote", "prod", "orders", "--from", "prod", "-C", infra)
    assert code == 2 and "stacks/Pulumi.prod.yaml: --from is the stack itself" in err
    code, _, err = stackctl("promote", "prod", "orders", "--from", "staging", "-C", infra)
    assert (code, err.strip()) == (2, "stacks/Pulumi.prod.yaml: --from: no stack 'staging' (stacks: dev, prod)")
    code, _, err = stackctl("promote", "nope", "-C", infra)
    assert code == 2 and "stacks/Pulumi.nope.yaml: no such stack file (stacks: dev, prod)" in err

    project = make_project({"dev": {"cloud": "aws", "region": "us-east-1", "tier": "dev"}})
    code, _, err = stackctl("history", "dev", "-C", str(project.root))
    assert code == 2 and "not inside a git repository" in err
    code, _, err = stackctl("promote", "dev", "-C", str(project.root))
    assert code == 2 and "not inside a git repository" in err


def test_rollback_refuses_what_it_cannot_restore(tmp_path):
    deployment = make_deployment(tmp_path, stacks=("dev",))
    infra = str(deployment.infra)
    dev = deployment.infra / "stacks" / "Pulumi.dev.yaml"
    digest = "sha256:" + "9" * 64
    dev.write_text(dev.read_text().replace(f"{ORDERS}:1.4.2", f"{ORDERS}@{digest}"))
    git(deployment.infra, "commit", "--quiet", "-am", "dev: pin orders", date=hours_ago(1))

    code, _, err = stackctl("rollback", "dev", "orders", "-C", infra)
    assert code == 2 and f"the earlier image '{ORDERS}:1.4.2' is a tag, not a digest" in err
    code, _, err = stackctl("rollback", "dev", "orders", "--steps", "2", "-C", infra)
    assert code == 2 and "services.orders has 1 earlier image(s) in its history; cannot go back 2" in err
    code, _, err = stackctl("rollback", "dev", "orders", "--to", "sha256:" + "8" * 64, "-C", infra)
    assert code == 2 and f"services.orders never ran sha256:{'8' * 64}" in err
    code, _, err = stackctl("rollback", "dev", "orders", "--to", "no-such-rev", "-C", infra)
    assert code == 2 and "--to 'no-such-rev': neither a sha256 digest nor a git revision" in err
    code, _, err = stackctl("rollback", "dev", "orders", "--to", digest, "--steps", "1", "-C", infra)
    assert code == 2 and "pass --to or --steps, not both" in err
    code, out, _ = stackctl("rollback", "dev", "orders", "--to", "HEAD", "-C", infra)
    assert code == 0 and f"services.orders: already runs {ORDERS}@{digest}" in out

    code, out, err = stackctl("history", "dev", "-C", infra)
    assert code == 0, err
    lines = out.splitlines()
    orders = lines.index("services.orders")
    assert lines[orders + 1].startswith("  * ") and "manual  by Test Engineer" in lines[orders + 1]
    assert lines[orders + 2].strip() == f"{ORDERS}@{digest}"
    assert lines[orders + 4].strip() == f"{ORDERS}:1.4.2"


@pytest.mark.parametrize("args", [["history", "dev", "nope"], ["rollback", "dev", "nope"]])
def test_unknown_workload_is_named(tmp_path, args):
    deployment = make_deployment(tmp_path, stacks=("dev",))
    code, _, err = stackctl(*args, "-C", str(deployment.infra))
    assert code == 2 and "no workload 'nope'" in err


@pytest.mark.parametrize(("edit", "message"), [
    ("from_environment: nope", "stacks/Pulumi.prod.yaml: promotion.from_environment: no stack 'nope' "
                               "(stacks: dev, gcp-dev, prod)"),
    ("from_environment: gcp-dev", "stacks/Pulumi.prod.yaml: promotion.from_environment: 'gcp-dev' runs on 'gcp', "
                                  "prod on 'aws'; digests do not move between clouds' registries"),
    ("from_environment: dev\n    tag_pattern: '^v.*$'", "promotion: tag_pattern applies only to the registry source"),
    ("tag_pattern: '^v.*$'\n    soak_minutes: 120", "promotion: soak_minutes applies only with from_environment"),
    ("from_environment: dev\n    verify: argocd", "verify: argocd needs `argocd: {server: ..., application: ...}`"),
])
def test_promotion_settings_that_cannot_apply_are_refused_at_load(tmp_path, edit, message):
    deployment = make_deployment(tmp_path, stacks=("dev", "gcp-dev", "prod"))
    prod = deployment.infra / "stacks" / "Pulumi.prod.yaml"
    text = prod.read_text()
    assert "    from_environment: staging\n    soak_minutes: 120\n" in text
    prod.write_text(text.replace("    from_environment: staging\n    soak_minutes: 120\n", f"    {edit}\n"))
    git(deployment.infra, "commit", "--quiet", "-am", "prod: promotion settings")
    code, out, err = stackctl("promote", "prod", "-C", str(deployment.infra))
    assert code == 2 and out == "" and message in err, err
    assert "Traceback" not in err
