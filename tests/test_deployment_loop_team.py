"""The deployment loop as a team runs it: holds after a rollback, one branch per change, builds in order,
a soak clock read from origin's default branch, all-or-nothing writes, and errors with bounds.

Real git repositories (a bare `origin`), ECR in moto, the real program and policy pack.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time

import pytest

from tests.conftest import REPO
from tests.loop_helpers import ORDERS, git, hours_ago, make_deployment, push_image, stackctl, trailers

PACK = str(REPO / "policy")
REV_A, REV_B, REV_C = "a" * 40, "b" * 40, "c" * 40


def state(repo) -> tuple[str, str, str, str]:
    """What a failed write must leave exactly as it was: branch, HEAD, status, branches."""
    return (git(repo, "branch", "--show-current"), git(repo, "rev-parse", "HEAD"),
            git(repo, "status", "--porcelain", "--untracked-files=all"), git(repo, "branch", "--list"))


@pytest.mark.slow(8)
def test_one_branch_per_change_rollback_hold_and_release(tmp_path, ecr):
    deployment = make_deployment(tmp_path, stacks=("dev", "staging", "prod"))
    infra, dev = str(deployment.infra), ("dev", "orders", "--policy-pack", PACK, "-C", str(deployment.infra))
    digest_a = push_image(ecr, "acme/orders-worker", "main-aaaaaaa", REV_A, pushed_at=hours_ago(9))
    code, out, err = stackctl("promote", *dev[:2], "--digest", digest_a, *dev[2:])
    assert code == 0, err
    assert "branch promote/dev-orders: 1 commit(s)" in out          # the same name every run
    deployment.merge("promote/dev-orders", hours_ago(8))

    digest_b = push_image(ecr, "acme/orders-worker", "main-bbbbbbb", REV_B, pushed_at=hours_ago(7))
    assert digest_b != digest_a
    code, out, err = stackctl("promote", *dev)
    assert code == 0, err
    assert "push it with --force-with-lease" in out              # the merged branch was replaced from main
    tip = git(deployment.infra, "rev-parse", "promote/dev-orders").strip()
    # Twice before merging: nothing new, on the branch or from main (CI's fresh checkout sees it on origin).
    code, out, err = stackctl("promote", *dev)
    assert code == 0 and "already runs" in out and "nothing to change" in out, err
    git(deployment.infra, "push", "--quiet", "origin", "promote/dev-orders")
    git(deployment.infra, "switch", "--quiet", "main")
    git(deployment.infra, "branch", "--quiet", "-D", "promote/dev-orders")
    code, out, err = stackctl("promote", *dev, "--json")
    assert code == 0, err
    outcome = json.loads(out)
    assert outcome["commits"] == [] and outcome["branch_up_to_date"] == tip
    assert git(deployment.infra, "branch", "--show-current").strip() == "main"
    assert git(deployment.infra, "rev-parse", "origin/promote/dev-orders").strip() == tip
    deployment.merge("origin/promote/dev-orders", hours_ago(6))
    trailer = trailers(deployment.infra, "HEAD^2")
    assert trailer["Stackctl-Promoted-By"] == "Test Engineer <test@example.com>"

    # Rollback puts a hold in the same commit: who, when, why.
    code, out, err = stackctl("rollback", *dev[:2], "--reason", "orders-worker leaks memory", *dev[2:])
    assert code == 0, err
    assert "hold services.orders: orders-worker leaks memory" in out
    text = deployment.stack_text("dev")
    assert f"      image: {ORDERS}@{digest_a}" in text
    assert ('    holds:\n      services.orders:\n        by: "Test Engineer <test@example.com>"\n'
            '        at: "') in text and '        reason: "orders-worker leaks memory"\n' in text
    assert trailers(deployment.infra)["Stackctl-Hold"] == "set: orders-worker leaks memory"
    assert git(deployment.infra, "branch", "--show-current").strip() == "rollback/dev-orders"
    deployment.merge("rollback/dev-orders", hours_ago(5))

    # A newer build: promote leaves the held workload alone (all workloads: reported; named: refused).
    push_image(ecr, "acme/orders-worker", "main-ccccccc", REV_C, pushed_at=hours_ago(1))
    head = git(deployment.infra, "rev-parse", "HEAD")
    code, out, err = stackctl("promote", "dev", "--policy-pack", PACK, "-C", infra)
    assert code == 0, err
    assert "services.orders: held: held since " in out and "orders-worker leaks memory" in out
    assert "stackctl release dev orders" in out and "nothing to change" in out
    code, out, err = stackctl("promote", *dev)
    assert code == 2 and "services.orders: held: " in err
    assert git(deployment.infra, "rev-parse", "HEAD") == head and f"@{digest_a}" in deployment.stack_text("dev")

    code, out, err = stackctl("history", "dev", "orders", "-C", infra)
    assert code == 0, err
    assert "HELD since " in out and "by Test Engineer <test@example.com>: orders-worker leaks memory" in out
    assert "hold set by Test Engineer <test@example.com>: orders-worker leaks memory" in out
    code, out, err = stackctl("history", "dev", "orders", "--json", "-C", infra)
    assert json.loads(out)["held"]["services.orders"]["reason"] == "orders-worker leaks memory"

    # Release: a commit with trailers; then promotions change the workload again.
    code, out, err = stackctl("release", "dev", "orders", "-C", infra)
    assert code == 0, err
    assert "release services.orders (held since" in out
    assert "holds:" not in deployment.stack_text("dev")
    recorded = trailers(deployment.infra)
    assert recorded["Stackctl-Action"] == "release" and recorded["Stackctl-Workload"] == "services.orders"
    deployment.merge("release/dev-orders", hours_ago(0.5))
    code, out, err = stackctl("history", "dev", "orders", "-C", infra)
    assert "HELD" not in out and "hold released by Test Engineer <test@example.com>" in out
    code, out, err = stackctl("promote", *dev)
    assert code == 0, err
    assert "main-ccccccc" in out
    assert code == 0

    # hold: the same without a rollback; a reason is required.
    git(deployment.infra, "switch", "--quiet", "main")
    code, _, err = stackctl("hold", "dev", "thumbnailer", "--reason", " ", "-C", infra)
    assert code == 2 and "--reason is required" in err
    code, out, err = stackctl("hold", "dev", "thumbnailer", "--reason", "freeze for the audit", "-C", infra)
    assert code == 0, err
    assert trailers(deployment.infra)["Stackctl-Reason"] == "freeze for the audit"
    assert git(deployment.infra, "branch", "--show-current").strip() == "hold/dev-thumbnailer"


def test_builds_in_order_and_the_soak_clock_on_origin(tmp_path, ecr):
    deployment = make_deployment(tmp_path, stacks=("dev", "prod"), created=hours_ago(30))
    infra = str(deployment.infra)
    app_repo = tmp_path / "app"
    git(tmp_path, "init", "--quiet", "-b", "main", str(app_repo))
    git(app_repo, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "--quiet", "--allow-empty", "-m", "one")
    rev_old = git(app_repo, "rev-parse", "HEAD").strip()
    git(app_repo, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "--quiet", "--allow-empty", "-m", "two")
    rev_new = git(app_repo, "rev-parse", "HEAD").strip()
    older = push_image(ecr, "acme/orders-worker", "main-1111111", rev_old, pushed_at=hours_ago(5))
    newer = push_image(ecr, "acme/orders-worker", "main-2222222", rev_new, pushed_at=hours_ago(4))
    # The build of the older commit, pushed last (a re-run pipeline).
    rerun = push_image(ecr, "acme/orders-worker", "main-3333333", rev_old, source="https://github.com/acme/o2",
                       pushed_at=hours_ago(3))
    code, _, err = stackctl("promote", "dev", "orders", "--digest", newer, "--policy-pack", PACK, "-C", infra)
    assert code == 0, err
    deployment.merge("promote/dev-orders", hours_ago(2.5))
    git(deployment.infra, "branch", "--quiet", "-D", "promote/dev-orders")

    code, out, err = stackctl("promote", "dev", "orders", "--digest", older, "--policy-pack", PACK, "-C", infra)
    assert code == 2
    assert f"build {older[7:19]} (tags main-1111111" in err and f"build {newer[7:19]} (tags main-2222222" in err
    assert "older than what runs now" in err and "pushed earlier" in err and "--allow-older" in err
    # By push time the re-run is newer; by the application's commit order it is not.
    code, out, err = stackctl("promote", "dev", "orders", "--digest", rerun, "--dry-run", "--policy-pack", PACK,
                              "-C", infra)
    assert code == 0, err
    code, out, err = stackctl("promote", "dev", "orders", "--digest", rerun, "--dry-run", "--app-repo",
                              str(app_repo), "--policy-pack", PACK, "-C", infra)
    assert code == 2 and "its revision is an ancestor of the running one" in err
    code, out, err = stackctl("promote", "dev", "orders", "--digest", older, "--allow-older", "--dry-run",
                              "--json", "--policy-pack", PACK, "-C", infra)
    assert code == 0, err
    assert "order (older build allowed by --allow-older)" in json.loads(out)["changes"][0]["gates"]

    # dev is pushed: prod's soak counts on origin/main's first-parent line. A back-dated commit on a
    # branch that was never merged does not count, whatever its date.
    git(deployment.infra, "switch", "--quiet", "-c", "sneaky")
    dev = deployment.infra / "stacks" / "Pulumi.dev.yaml"
    dev.write_text(dev.read_text().replace(f"{ORDERS}@{newer}", f"{ORDERS}@{rerun}"))
    git(deployment.infra, "commit", "--quiet", "-am", "dev: back-dated", date=hours_ago(20))
    code, out, err = stackctl("promote", "prod", "orders", "--from", "dev", "--digest", rerun, "--dry-run",
                              "--policy-pack", PACK, "-C", infra)
    assert code == 2, out
    assert f"{rerun[7:19]} never ran pinned in dev" in err and "on origin/main" in err
    code, out, err = stackctl("promote", "prod", "orders", "--from", "dev", "--dry-run", "--json",
                              "--policy-pack", PACK, "-C", infra)
    assert code == 0 and json.loads(out)["changes"][0]["digest"] == newer, err   # what origin/main runs
    # What origin/main ran for 2.5 h passes prod's 2 h and the gate says which clock it used.
    git(deployment.infra, "switch", "--quiet", "main")
    code, out, err = stackctl("promote", "prod", "orders", "--from", "dev", "--dry-run", "--json",
                              "--policy-pack", PACK, "-C", infra)
    assert code == 0, err
    gates = json.loads(out)["changes"][0]["gates"]
    assert any(g.startswith("soak 2h") and g.endswith("in dev (clock: origin/main first-parent)") for g in gates)


@pytest.mark.slow(6)
def test_a_failed_write_leaves_both_repositories_as_they_were(tmp_path, ecr):
    deployment = make_deployment(tmp_path, stacks=("dev", "staging"))
    infra = str(deployment.infra)
    digest = push_image(ecr, "acme/orders-worker", "main-aaaaaaa", REV_A, pushed_at=hours_ago(3))
    code, _, err = stackctl("promote", "dev", "orders", "--digest", digest, "--policy-pack", PACK, "-C", infra)
    assert code == 0, err
    deployment.merge("promote/dev-orders", hours_ago(2))
    (deployment.infra / "notes.txt").write_text("someone's unrelated work in progress\n")
    args = ("promote", "staging", "orders", "--render-to", str(deployment.manifests), "--policy-pack", PACK,
            "-C", infra)

    for refusing in (deployment.manifests, deployment.infra):   # the render's commit, then the first commit
        hook = refusing / ".git" / "hooks" / "pre-commit"
        hook.write_text("#!/bin/sh\necho 'commits are refused here' >&2\nexit 1\n")
        hook.chmod(0o755)
        before = state(deployment.infra), state(deployment.manifests)
        code, out, err = stackctl(*args)
        assert code == 2, out
        assert "failed while writing, and was undone" in err and "commits are refused here" in err
        assert "deleted branch promote/staging-orders" in err and "Traceback" not in err
        assert (state(deployment.infra), state(deployment.manifests)) == before
        hook.unlink()
    code, out, err = stackctl(*args)       # nothing left behind that blocks a retry
    assert code == 0, err

    # On the change's own branch, a failed commit on top is undone too (the branch goes back to its tip).
    hook = deployment.infra / ".git" / "hooks" / "commit-msg"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    before = state(deployment.infra)
    code, out, err = stackctl("hold", "staging", "orders", "--reason", "audit", "--branch", "promote/staging-orders",
                              "-C", infra)
    assert code == 2 and "reset branch promote/staging-orders to " in err, out + err
    assert state(deployment.infra) == before


def test_a_deleted_source_tag_waits(tmp_path, ecr):
    deployment = make_deployment(tmp_path, stacks=("dev", "staging"))
    infra = str(deployment.infra)
    # staging follows dev, whose images are still tags; one tag was deleted from the registry: only the
    # workloads without a build wait, the command succeeds.
    push_image(ecr, "acme/thumbnailer", "0.9.0", REV_A)
    code, out, err = stackctl("promote", "staging", "--policy-pack", PACK, "-C", infra)
    assert code == 0, err
    assert f"services.orders: waiting: {ORDERS}:1.4.2 is unknown to the registry (no image tagged '1.4.2'" in out


def test_missing_registry_credentials_are_one_line(tmp_path, monkeypatch):
    deployment = make_deployment(tmp_path, stacks=("dev", "gcp-dev"))
    infra = str(deployment.infra)
    # No AWS credentials at all (no moto here): one line naming the chain, exit 2, before anything else.
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code, out, err = stackctl("promote", "dev", "--policy-pack", PACK, "-C", infra)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "no AWS credentials found (the AWS credential chain" in err

    # No Google credentials (and no metadata server): the same, not a traceback.
    import google.auth.compute_engine._metadata as metadata

    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setattr(metadata, "ping", lambda *a, **k: False)
    monkeypatch.setattr(metadata, "is_on_gce", lambda *a, **k: False, raising=False)
    code, out, err = stackctl("promote", "gcp-dev", "--policy-pack", PACK, "-C", infra)
    assert code == 2 and out == "", out + err
    assert err.count("\n") == 1 and "no Google credentials found (Application Default Credentials" in err


def test_a_registry_that_never_answers_is_bounded_and_says_so(tmp_path, monkeypatch):
    """ECR at a local server that accepts connections and never answers: timeouts, bounded retries and a
    progress line (small bounds here; the shipped ones are in stackctl/delivery/registry/base.py)."""
    import stackctl.delivery.promote as promote
    import stackctl.delivery.registry.ecr as ecr_module

    deployment = make_deployment(tmp_path, stacks=("dev",))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_ENDPOINT_URL_ECR": f"http://127.0.0.1:{listener.getsockname()[1]}"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(ecr_module, "READ_TIMEOUT_SECONDS", 0.5)
    monkeypatch.setattr(ecr_module, "ATTEMPTS", 2)
    monkeypatch.setattr(promote, "PROGRESS_AFTER_SECONDS", 0.3)
    started = time.monotonic()
    try:
        code, out, err = stackctl("promote", "dev", "orders", "--policy-pack", PACK, "-C",
                                  str(deployment.infra))
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()
    assert time.monotonic() - started < 30
    assert code == 2 and "ECR did not answer (ReadTimeoutError after 2 attempts" in err
    assert "stackctl: still waiting for the registry (listing " in err
    assert len(held) >= 2   # retried, and no more than the bound allows
    assert os.environ["AWS_ENDPOINT_URL_ECR"].startswith("http://127.0.0.1:")


class _ArgoCd:
    """A local stand-in for Argo CD's API server on 127.0.0.1: GET /api/v1/applications/{name} answers an
    Application shaped like the published API (status.sync, status.health, status.history[].deployedAt)."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        owner = self
        self.application: dict = {}
        self.requests: list[tuple[str, str]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                owner.requests.append((self.path, self.headers.get("Authorization", "")))
                if self.path != "/api/v1/applications/staging-platform":
                    self.send_response(404)
                    self.end_headers()
                    return
                body = json.dumps(owner.application).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> _ArgoCd:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.mark.slow(5)
def test_health_verified_soak_reads_argo_cd(tmp_path, ecr, monkeypatch):
    deployment = make_deployment(tmp_path, stacks=("dev", "staging", "prod"), created=hours_ago(30))
    infra = str(deployment.infra)
    digest = push_image(ecr, "acme/orders-worker", "main-aaaaaaa", REV_A, pushed_at=hours_ago(20))
    staging = deployment.infra / "stacks" / "Pulumi.staging.yaml"
    staging.write_text(staging.read_text().replace(f"{ORDERS}:1.4.2", f"{ORDERS}@{digest}"))
    git(deployment.infra, "commit", "--quiet", "-am", "staging: orders pinned", date=hours_ago(10))
    render = deployment.render("staging", hours_ago(9))       # reached the deployment repository 9 h ago
    with _ArgoCd() as argocd:
        prod = deployment.infra / "stacks" / "Pulumi.prod.yaml"
        prod.write_text(prod.read_text().replace(
            "    soak_minutes: 120\n",
            f"    soak_minutes: 120\n    verify: argocd\n    argocd:\n      server: {argocd.url}\n"
            "      application: staging-platform\n"))
        git(deployment.infra, "commit", "--quiet", "-am", "prod: soak verified by Argo CD", date=hours_ago(8))
        git(deployment.infra, "push", "--quiet", "origin", "main")
        args = ("promote", "prod", "orders", "--dry-run", "--json", "--deployments", str(deployment.manifests),
                "--policy-pack", PACK, "-C", infra)
        code, _, err = stackctl(*args)
        assert code == 2 and "needs an Argo CD token in ARGOCD_AUTH_TOKEN" in err
        monkeypatch.setenv("ARGOCD_AUTH_TOKEN", "t0ken")

        def application(sync: str, health: str, deployed_hours_ago: float) -> dict:
            at = hours_ago(deployed_hours_ago).strftime("%Y-%m-%dT%H:%M:%SZ")
            return {"metadata": {"name": "staging-platform"},
                    "status": {"sync": {"status": sync, "revision": render},
                               "health": {"status": health},
                               "history": [{"id": 1, "revision": render, "deployedAt": at,
                                            "deployStartedAt": at}]}}

        # Synced and Healthy: soak counts from Argo CD's deployedAt (3 h), not the render (9 h).
        argocd.application = application("Synced", "Healthy", 3)
        code, out, err = stackctl(*args)
        assert code == 0, err
        gates = json.loads(out)["changes"][0]["gates"]
        assert any(g.startswith("soak 3h") and "Argo CD application staging-platform Synced and Healthy" in g
                   for g in gates), gates
        assert argocd.requests[-1] == ("/api/v1/applications/staging-platform", "Bearer t0ken")
        # Degraded: the soak stops.
        argocd.application = application("Synced", "Degraded", 3)
        code, out, err = stackctl(*args)
        assert code == 2 and "Argo CD application staging-platform is Synced and Degraded" in err
        # Healthy but deployed for only one hour: still soaking.
        argocd.application = application("Synced", "Healthy", 1)
        code, out, err = stackctl(*args)
        assert code == 2 and ("has run in staging for 1h00m" in err or "has run in staging for 0h59m" in err), err


def test_ci_promotions_are_labelled_and_history_names_the_promoter(tmp_path, ecr, monkeypatch):
    deployment = make_deployment(tmp_path, stacks=("dev",))
    infra = str(deployment.infra)
    digest = push_image(ecr, "acme/orders-worker", "main-aaaaaaa", REV_A, pushed_at=hours_ago(3))
    for key, value in {"GITHUB_ACTIONS": "true", "GITHUB_WORKFLOW": "build-and-promote", "GITHUB_RUN_ID": "42",
                       "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/orders"}.items():
        monkeypatch.setenv(key, value)
    git(deployment.infra, "config", "user.name", "acme-deploy-bot")
    code, _, err = stackctl("promote", "dev", "orders", "--digest", digest, "--policy-pack", PACK, "-C", infra)
    assert code == 0, err
    recorded = trailers(deployment.infra)
    assert recorded["Stackctl-From"] == "registry (digest given by CI)"
    assert recorded["Stackctl-Promoted-By"] == ("acme-deploy-bot <test@example.com> (CI: build-and-promote run "
                                                "https://github.com/acme/orders/actions/runs/42)")
    git(deployment.infra, "config", "user.name", "Jane Reviewer")   # who merges the pull request
    deployment.merge("promote/dev-orders", hours_ago(2))
    code, out, err = stackctl("history", "dev", "orders", "-C", infra)
    assert code == 0, err
    assert ("promote from registry (digest given by CI), source aaaaaaaaaaaa  proposed by acme-deploy-bot "
            "<test@example.com> (CI: build-and-promote run") in out and "merged by Jane Reviewer" in out
    code, out, err = stackctl("history", "dev", "orders", "--json", "-C", infra)
    entry = json.loads(out)["workloads"]["services.orders"][0]
    assert entry["promoted_by"].startswith("acme-deploy-bot <test@example.com> (CI: ") and entry["author"] == (
        "Jane Reviewer")


def test_a_render_delivers_every_image_from_its_commit_on(tmp_path):
    """A render that skipped a commit (the workflow failed, or two merges were rendered at once) still
    delivered that commit's image: history maps it to the first render at or after it."""
    deployment = make_deployment(tmp_path, stacks=("staging",))
    staging = deployment.infra / "stacks" / "Pulumi.staging.yaml"
    digest = "sha256:" + "d" * 64
    staging.write_text(staging.read_text().replace(f"{ORDERS}:1.4.2", f"{ORDERS}@{digest}"))
    git(deployment.infra, "commit", "--quiet", "-am", "staging: orders pinned", date=hours_ago(5))
    (deployment.infra / "NOTES.md").write_text("an unrelated change, merged later\n")
    git(deployment.infra, "add", "-A")
    git(deployment.infra, "commit", "--quiet", "-m", "notes", date=hours_ago(4))
    render = deployment.render("staging", hours_ago(3))        # renders the later commit only
    code, out, err = stackctl("history", "staging", "orders", "--json", "--deployments", str(deployment.manifests),
                              "-C", str(deployment.infra))
    assert code == 0, err
    entries = json.loads(out)["workloads"]["services.orders"]
    assert entries[0]["digest"] == digest
    assert entries[0]["deployed"]["commit"] == render
    assert entries[1]["deployed"] is None    # the tag it ran before was never rendered


def test_the_check_gate_runs_the_committed_program_and_refuses_its_failure(tmp_path, ecr):
    deployment = make_deployment(tmp_path, stacks=("dev",))
    infra = str(deployment.infra)
    digest = push_image(ecr, "acme/orders-worker", "main-aaaaaaa", REV_A, pushed_at=hours_ago(3))
    args = ("promote", "dev", "orders", "--digest", digest, "--policy-pack", PACK, "-C", infra)
    program = deployment.infra / "__main__.py"
    committed = program.read_text()
    program.write_text(committed + "\n# an edit in progress\n")
    code, out, err = stackctl(*args)
    assert code == 2 and out == ""
    assert "gate check refused: the program has uncommitted changes (__main__.py)" in err
    program.write_text(committed + "\nraise RuntimeError('the program is broken')\n")
    git(deployment.infra, "commit", "--quiet", "-am", "a broken program")
    head = state(deployment.infra)
    code, out, err = stackctl(*args)
    assert code == 2 and "Traceback" not in err
    assert "gate check refused: the stack program failed on the changed stack file: RuntimeError: the program " \
           "is broken" in err
    assert state(deployment.infra) == head
