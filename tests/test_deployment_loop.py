"""The deployment loop end to end: real git repositories, ECR in moto, the real program and policy pack.

dev takes the newest `main-*` build from the registry, staging what dev runs, prod what ran in staging
for two hours (commit times set with GIT_COMMITTER_DATE); refusals, history, rollback, render.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO
from tests.loop_helpers import ORDERS, git, hours_ago, make_deployment, push_image, stackctl, trailers

PACK = str(REPO / "policy")
REV_A, REV_B = "a" * 40, "b" * 40


@pytest.mark.slow(7)
def test_promote_dev_staging_prod_with_soak_history_and_render(tmp_path, ecr):
    deployment = make_deployment(tmp_path)
    infra = str(deployment.infra)
    digest_a = push_image(ecr, "acme/orders-worker", "main-aaaaaaa", REV_A, pushed_at=hours_ago(3))
    digest_b = push_image(ecr, "acme/orders-worker", "main-bbbbbbb", REV_B, pushed_at=hours_ago(2))
    push_image(ecr, "acme/orders-worker", "pr-17", "c" * 40, pushed_at=hours_ago(1))  # newer, but not a build of main
    dev_before = deployment.stack_text("dev")

    # dev: the newest build of main, by digest, in place, on a new branch.
    code, out, err = stackctl("promote", "dev", "orders", "--branch", "promote/dev-1", "--policy-pack", PACK,
                              "-C", infra)
    assert code == 0, err
    assert f"-> {ORDERS}@{digest_b}" in out
    dev_after = deployment.stack_text("dev")
    assert dev_after == dev_before.replace(f"{ORDERS}:1.4.2", f"{ORDERS}@{digest_b}")  # nothing else changed
    assert [a for a in dev_after.splitlines() if a not in dev_before.splitlines()] == [
        f"      image: {ORDERS}@{digest_b}"]
    assert "# Where `stackctl promote dev` takes images from" in dev_after
    assert "# Desired state of the dev environment" in dev_after
    assert git(deployment.infra, "branch", "--show-current").strip() == "promote/dev-1"
    recorded = trailers(deployment.infra)
    assert recorded["Stackctl-Action"] == "promote"
    assert recorded["Stackctl-Workload"] == "services.orders"
    assert recorded["Stackctl-Image"] == f"{ORDERS}@{digest_b}"
    assert recorded["Stackctl-From"] == "registry tag main-bbbbbbb"
    assert recorded["Stackctl-Source-Revision"] == REV_B
    assert recorded["Stackctl-Source-Repository"] == "https://github.com/acme/orders"
    assert recorded["Stackctl-Gates"] == f"registry, revision {REV_B[:12]}, check"
    deployment.merge("promote/dev-1", hours_ago(5))

    # staging: what dev runs (no soak outside prod), rendered into the deployment repository.
    code, out, err = stackctl("promote", "staging", "orders", "--branch", "promote/staging-1",
                              "--render-to", str(deployment.manifests), "--policy-pack", PACK, "-C", infra)
    assert code == 0, err
    assert f"{ORDERS}@{digest_b}" in deployment.stack_text("staging")
    assert "jobs running this image too: monthly-report, orders-backfill, orders-nightly-report" in out
    rendered = (deployment.manifests / "staging" / "orders" / "deployment-orders.yaml").read_text()
    assert f"image: {ORDERS}@{digest_b}" in rendered
    assert git(deployment.manifests, "branch", "--show-current").strip() == "promote/staging-1"
    assert trailers(deployment.manifests)["Stackctl-Infra-Commit"] == git(deployment.infra, "rev-parse",
                                                                          "HEAD").strip()
    deployment.merge("promote/staging-1", hours_ago(3.5))
    # staging soaks from when its render reached the deployment repository's main (staging is GitOps).
    deployment.merge_render("promote/staging-1", hours_ago(3))

    # prod: a dry run first writes nothing, then the real promotion after 3h in staging (>= 2h soak).
    render_before = tmp_path / "render-before"
    code, _, err = stackctl("render", "prod", "--out", str(render_before), "-C", infra)
    assert code == 0, err
    head = git(deployment.infra, "rev-parse", "HEAD")
    code, out, err = stackctl("promote", "prod", "orders", "--dry-run", "--json", "--policy-pack", PACK,
                              "--deployments", str(deployment.manifests), "-C", infra)
    assert code == 0, err
    plan = json.loads(out)
    assert plan["dry_run"] is True and plan["commits"] == []
    assert plan["changes"][0]["image"] == f"{ORDERS}@{digest_b}"
    assert plan["changes"][0]["gates"][2].startswith("soak 3h") and plan["changes"][0]["gates"][2].endswith(
        ">= 2h00m in staging (clock: render reached main of the deployment repository)")
    assert git(deployment.infra, "rev-parse", "HEAD") == head and git(deployment.infra, "status", "--porcelain") == ""

    code, out, err = stackctl("promote", "prod", "orders", "--branch", "promote/prod-1", "--render-to",
                              str(deployment.manifests), "--deployments", str(deployment.manifests),
                              "--policy-pack", PACK, "-C", infra)
    assert code == 0, err
    assert trailers(deployment.infra)["Stackctl-From"] == "staging"
    assert "soak 3h" in trailers(deployment.infra)["Stackctl-Gates"]

    # The promoted prod stack passes check and renders the same manifests apart from the digest.
    code, out, err = stackctl("check", "prod", "--policy-pack", PACK, "-C", infra)
    assert code == 0, out + err
    # (`stackctl render` also writes prod's operator Stack to pulumi-operator/; a promotion changes images only.)
    before = {p.relative_to(render_before): p.read_text() for p in render_before.rglob("*.yaml")
              if p.relative_to(render_before).parts[0] != "pulumi-operator"}
    after = {p.relative_to(deployment.manifests): p.read_text() for p in deployment.manifests.rglob("*.yaml")
             if p.relative_to(deployment.manifests).parts[0] == "prod"}  # staging's render is there too
    assert before.keys() == after.keys()
    changed = {path for path in before if before[path] != after[path]}
    assert changed == {p for p in before if p.parts[1] in ("orders", "orders-nightly-report", "orders-backfill",
                                                           "monthly-report") and p.name.startswith(
        ("deployment-", "cronjob-", "scaledjob-"))}
    for path in changed:
        old_lines, new_lines = before[path].splitlines(), after[path].splitlines()
        diff = [(o, n) for o, n in zip(old_lines, new_lines, strict=True) if o != n]
        assert all("image: " in o and n.strip() == f"image: {ORDERS}@{digest_b}" for o, n in diff), diff

    # History: which digest ran, since when, from which promotion or manual change.
    code, out, err = stackctl("history", "prod", "orders", "--json", "-C", infra)
    assert code == 0, err
    entries = json.loads(out)["workloads"]["services.orders"]
    assert [e["action"] for e in entries] == ["promote", "manual"]
    assert entries[0]["digest"] == digest_b and entries[0]["from"] == "staging"
    assert entries[0]["source_revision"] == REV_B and entries[0]["until"] is None
    assert entries[1]["until"] == entries[0]["since"]
    # GitOps: when the render of that desired state reached the deployment repository's main.
    git(deployment.manifests, "switch", "--quiet", "main")
    merged_at = hours_ago(0.25)
    git(deployment.manifests, "merge", "--quiet", "--no-ff", "-m", "Merge promote/prod-1", "promote/prod-1",
        date=merged_at)
    code, out, err = stackctl("history", "prod", "orders", "--json", "--deployments", str(deployment.manifests),
                              "-C", infra)
    assert code == 0, err
    deployed = json.loads(out)["workloads"]["services.orders"][0]["deployed"]
    assert deployed["commit"] == git(deployment.manifests, "rev-parse", "HEAD").strip()
    assert deployed["since"] == merged_at.replace(microsecond=0).isoformat()
    assert json.loads(out)["workloads"]["services.orders"][1]["deployed"] is None
    code, out, err = stackctl("history", "prod", "--deployments", str(deployment.manifests), "-C", infra)
    assert f"in the deployment repository since {merged_at:%Y-%m-%d %H:%M} UTC" in out

    code, out, err = stackctl("history", "staging", "-C", infra)
    assert code == 0, err
    assert "services.orders" in out and "promote from staging" not in out and "promote from dev" in out
    assert f"source {REV_B[:12]}" in out and "services.thumbnailer" in out
    assert digest_a not in out


def test_prod_refuses_before_soak_time_and_unknown_artifacts(tmp_path, ecr):
    deployment = make_deployment(tmp_path, created=hours_ago(10))
    infra = str(deployment.infra)
    digest = push_image(ecr, "acme/orders-worker", "main-aaaaaaa", REV_A)
    # staging got the digest by hand 30 minutes ago (a manual change counts like a promotion).
    staging = deployment.infra / "stacks" / "Pulumi.staging.yaml"
    staging.write_text(staging.read_text().replace(f"{ORDERS}:1.4.2", f"{ORDERS}@{digest}"))
    git(deployment.infra, "commit", "--quiet", "-am", "staging: orders by hand", date=hours_ago(0.6))
    git(deployment.infra, "push", "--quiet", "origin", "main")
    prod_before = deployment.stack_text("prod")
    head = git(deployment.infra, "rev-parse", "HEAD")
    manifests = ("--deployments", str(deployment.manifests))

    # Not rendered yet: the soak has not started, whatever the stack file's commit time says.
    code, out, err = stackctl("promote", "prod", "orders", "--policy-pack", PACK, *manifests, "-C", infra)
    assert code == 2 and "has not started soaking in staging: no render of it reached" in err
    deployment.render("staging", hours_ago(0.5))
    code, out, err = stackctl("promote", "prod", "orders", "--policy-pack", PACK, *manifests, "-C", infra)
    assert code == 2
    assert "has run in staging for 0h30m" in err or "has run in staging for 0h29m" in err
    assert "prod needs 2h00m of soak time" in err and "nothing was changed" in err
    assert "Traceback" not in err and out == ""

    # Promoting every workload: none is ready, so nothing changes and the reasons are listed (exit 0).
    push_image(ecr, "acme/thumbnailer", "0.9.0", REV_A)
    push_image(ecr, "acme/orders-api", "1.4.2", REV_A)
    code, out, err = stackctl("promote", "prod", "--policy-pack", PACK, *manifests, "-C", infra)
    assert code == 0, err
    assert "services.orders: waiting: " in out and "nothing to change" in out
    assert "services.thumbnailer: waiting: " in out and "never ran pinned in staging" in out
    code, _, err = stackctl("promote", "prod", "thumbnailer", "--policy-pack", PACK, *manifests, "-C", infra)
    assert code == 2 and "promote staging first" in err

    # A digest the registry does not hold (deleted, or never pushed) is refused too.
    ecr.batch_delete_image(repositoryName="acme/orders-worker", imageIds=[{"imageDigest": digest}])
    code, out, err = stackctl("promote", "dev", "orders", "--digest", digest, "--policy-pack", PACK, "-C", infra)
    assert code == 2
    assert f"{ORDERS}@{digest} is unknown to the registry" in err
    assert deployment.stack_text("prod") == prod_before
    assert git(deployment.infra, "rev-parse", "HEAD") == head
    assert git(deployment.infra, "branch", "--list").split() == ["*", "main"]

    # Registries other than ECR and Artifact Registry are named, not guessed.
    code, _, err = stackctl("promote", "staging", "orders-api", "--from", "dev", "-C", infra, "--policy-pack", PACK)
    assert code == 2 and "dev.yaml declares no services.orders-api" in err


@pytest.mark.slow(5)
def test_promotion_refused_when_check_fails_and_rollback_restores(tmp_path, ecr):
    deployment = make_deployment(tmp_path, stacks=("dev", "prod"))
    infra = str(deployment.infra)
    digest_a = push_image(ecr, "acme/orders-worker", "main-aaaaaaa", REV_A, pushed_at=hours_ago(8))
    code, _, err = stackctl("promote", "dev", "orders", "--digest", digest_a, "--branch", "p1",
                            "--policy-pack", PACK, "-C", infra)
    assert code == 0, err
    deployment.merge("p1", hours_ago(6))
    digest_b = push_image(ecr, "acme/orders-worker", "main-bbbbbbb", REV_B)
    code, out, err = stackctl("promote", "dev", "--branch", "p2", "--policy-pack", PACK, "-C", infra)
    assert code == 0, err
    # Promoting every workload: one without a new build waits instead of holding back the others.
    assert "services.thumbnailer: waiting: " in out and "has no image with a tag matching" in out
    assert "1 commit(s)" in out
    deployment.merge("p2", hours_ago(3))
    assert f"{ORDERS}@{digest_b}" in deployment.stack_text("dev")

    # Rollback: one command, a new commit restoring the previous digest (history is not rewritten).
    head = git(deployment.infra, "rev-parse", "HEAD").strip()
    code, out, err = stackctl("rollback", "dev", "orders", "--branch", "rollback-1", "--policy-pack", PACK,
                              "-C", infra)
    assert code == 0, err
    assert f"      image: {ORDERS}@{digest_a}" in deployment.stack_text("dev")
    assert git(deployment.infra, "rev-parse", "HEAD~1").strip() == head
    recorded = trailers(deployment.infra)
    assert recorded["Stackctl-Action"] == "rollback" and recorded["Stackctl-From"].startswith("history ")
    assert recorded["Stackctl-Gates"] == f"registry, revision {REV_A[:12]}, check"
    code, out, err = stackctl("history", "dev", "orders", "--json", "-C", infra)
    actions = [(e["action"], e["digest"]) for e in json.loads(out)["workloads"]["services.orders"]]
    assert actions == [("rollback", digest_a), ("promote", digest_b), ("promote", digest_a), ("manual", None)]

    # A promotion whose result fails the policy pack is refused with the violation, exit 2.
    git(deployment.infra, "switch", "--quiet", "main")
    prod = deployment.infra / "stacks" / "Pulumi.prod.yaml"
    prod.write_text(prod.read_text().replace("scaling: {min_replicas: 3, max_replicas: 12",
                                             "scaling: {min_replicas: 1, max_replicas: 12"))
    git(deployment.infra, "commit", "--quiet", "-am", "prod: fewer replicas", date=hours_ago(0.1))
    code, out, err = stackctl("promote", "prod", "orders", "--from", "dev", "--policy-pack", PACK, "-C", infra)
    assert code == 2
    assert "gate check refused" in err and "prod-service-availability" in err
    assert git(deployment.infra, "status", "--porcelain") == ""
    assert f"{ORDERS}@{digest_b}" not in deployment.stack_text("prod")
