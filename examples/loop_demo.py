"""The deployment loop on one machine, in about a minute: `make loop-demo`.

Everything is local: Amazon ECR is moto's server on 127.0.0.1 (builds pushed with the OCI annotations CI
writes), the infrastructure and deployment repositories are bare git repositories with clones, and the
pull requests are merges with merge commits whose commit times are set in the past, which is how the soak
time passes in seconds. The commands are the real `stackctl` ones, run in the infrastructure clone:

  build 1 -> promote dev -> staging (rendered into the deployment repository) -> prod (after the soak)
  build 2 -> the same, then `rollback prod orders` (which puts a hold on it), `promote prod` (held),
  `release prod orders`, and prod's history.

Nothing leaves this machine. The clones stay in DIR (default `.loop-demo/`) to look at afterwards; the
registry stops with the script. Usage: python examples/loop_demo.py [DIR]
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"
REGION = "us-east-1"
REPOSITORIES = ("acme/orders-worker", "acme/thumbnailer", "acme/orders-api", "acme/image-classifier")
NOW = datetime.now(UTC)

# What README.md's deployment-loop section shows; tests/test_loop_demo.py checks the demo runs these.
README_COMMANDS = (
    "stackctl promote prod orders --dry-run --deployments ../deployments",
    "stackctl history prod orders",
    "stackctl rollback prod orders --reason 'orders-worker 2 fails in prod' --render-to ../deployments",
    "stackctl release prod orders",
)


def ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def say(text: str) -> None:
    print(f"\n== {text}", flush=True)


def git(repo: Path, *args: str, when: datetime | None = None) -> str:
    env = dict(os.environ)
    if when is not None:
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S+0000")
        env.update(GIT_COMMITTER_DATE=stamp, GIT_AUTHOR_DATE=stamp)
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"git {' '.join(args)} failed in {repo}: {result.stderr.strip()}")
    return result.stdout


def identity(repo: Path, name: str) -> None:
    git(repo, "config", "user.name", name)
    git(repo, "config", "user.email", f"{name.lower().replace(' ', '.')}@acme.example")
    git(repo, "config", "commit.gpgsign", "false")


class Demo:
    def __init__(self, base: Path, stackctl: str, env: dict[str, str]) -> None:
        self.base, self.stackctl, self.env = base, stackctl, env
        self.infra = base / "infra"
        self.deployments = base / "deployments"
        self.commands: list[str] = []

    def run(self, command: str, expect: int = 0, quiet: bool = False) -> str:
        """Run a `stackctl ...` command line in the infrastructure clone, as a person would type it."""
        self.commands.append(command)
        print(f"\n$ {command}", flush=True)
        argv = shlex.split(command)
        result = subprocess.run([self.stackctl, *argv[1:]], cwd=self.infra, env=self.env, capture_output=True,
                                text=True)
        output = (result.stdout + result.stderr).rstrip()
        if not quiet:
            print(output)
        if result.returncode != expect:
            sys.exit(f"loop-demo: `{command}` exited {result.returncode}, expected {expect}")
        return result.stdout

    def merge(self, branch: str, when: datetime, render: bool = False) -> None:
        """Merge the pull request (a merge commit at `when`); for a render, its deployment branch too."""
        git(self.infra, "switch", "--quiet", "main")
        git(self.infra, "merge", "--quiet", "--no-ff", "-m", f"Merge pull request: {branch}", branch, when=when)
        git(self.infra, "push", "--quiet", "origin", "main")
        git(self.infra, "branch", "--quiet", "-D", branch)
        print(f"   (merged {branch} at {when:%H:%M} UTC)")
        if render:
            git(self.deployments, "switch", "--quiet", "main")
            git(self.deployments, "merge", "--quiet", "--no-ff", "-m", f"Merge pull request: {branch}", branch,
                when=when)
            git(self.deployments, "push", "--quiet", "origin", "main")
            git(self.deployments, "branch", "--quiet", "-D", branch)
            print(f"   (merged {branch} into the deployment repository at {when:%H:%M} UTC)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def push_build(ecr, repository: str, build: int) -> str:
    """An image as CI pushes it: an OCI manifest with the source revision and repository as annotations."""
    revision = hashlib.sha1(f"{repository} build {build}".encode()).hexdigest()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "sha256:" + hashlib.sha256(f"config {revision}".encode()).hexdigest(), "size": 100},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": "sha256:" + hashlib.sha256(f"layer {revision}".encode()).hexdigest(), "size": 1000}],
        "annotations": {"org.opencontainers.image.revision": revision,
                        "org.opencontainers.image.source": f"https://github.com/acme/{repository.split('/')[1]}"},
    }
    result = ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest),
                           imageTag=f"main-{revision[:7]}",
                           imageManifestMediaType="application/vnd.oci.image.manifest.v1+json")
    return result["image"]["imageId"]["imageDigest"]


def setup(base: Path) -> Demo:
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    for name in ("infra", "deployments"):
        git(base, "init", "--quiet", "--bare", "-b", "main", str(base / f"{name}.git"))
        git(base, "clone", "--quiet", str(base / f"{name}.git"), str(base / name))
        identity(base / name, "Jane Doe")
        git(base / name, "switch", "--quiet", "-c", "main")
    infra = base / "infra"
    for item in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / item, infra / item)
    shutil.copytree(ROOT / "stacks", infra / "stacks")
    shutil.copytree(ROOT / "policy", infra / "policy", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (infra / ".gitignore").write_text("__pycache__/\n")
    git(infra, "add", "-A")
    git(infra, "commit", "--quiet", "-m", "The platform's desired state", when=ago(48))
    git(infra, "push", "--quiet", "-u", "origin", "main")
    (base / "deployments" / "README.md").write_text("Rendered manifests; Argo CD reconciles from here.\n")
    git(base / "deployments", "add", "-A")
    git(base / "deployments", "commit", "--quiet", "-m", "Initial", when=ago(48))
    git(base / "deployments", "push", "--quiet", "-u", "origin", "main")
    stackctl = str(Path(sys.executable).parent / "stackctl")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GOOGLE_"))}
    return Demo(base, stackctl, env)


def main(argv: list[str]) -> int:
    started = time.monotonic()
    base = Path(argv[0]).resolve() if argv else ROOT / ".loop-demo"
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)   # no access log lines between the commands
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        import boto3

        endpoint = f"http://127.0.0.1:{port}"
        demo = setup(base)
        # stackctl's ECR client reads these like any boto3 client: the service endpoint override
        # (AWS_ENDPOINT_URL_ECR) points it at moto instead of ecr.us-east-1.amazonaws.com.
        demo.env.update(AWS_ACCESS_KEY_ID="demo", AWS_SECRET_ACCESS_KEY="demo", AWS_DEFAULT_REGION=REGION,
                        AWS_ENDPOINT_URL_ECR=endpoint, AWS_EC2_METADATA_DISABLED="true")
        ecr = boto3.client("ecr", region_name=REGION, endpoint_url=endpoint, aws_access_key_id="demo",
                           aws_secret_access_key="demo")
        for repository in REPOSITORIES:
            ecr.create_repository(repositoryName=repository)

        say(f"ECR on {endpoint}: build 1 of every workload (CI pushes with OCI annotations)")
        for repository in REPOSITORIES:
            print(f"   {repository}@{push_build(ecr, repository, 1)}")
        deployments = "--deployments ../deployments"
        say("Build 1: dev takes the newest build of main")
        demo.run("stackctl promote dev")
        demo.merge("promote/dev", ago(12))
        say("staging takes what dev runs, rendered into the deployment repository (GitOps)")
        demo.run("stackctl promote staging --render-to ../deployments")
        demo.merge("promote/staging", ago(11), render=True)
        say("prod takes what ran in staging for 2 hours (the render reached the deployment repository 11 h ago)")
        demo.run(f"stackctl promote prod {deployments} --render-to ../deployments")
        demo.merge("promote/prod", ago(9), render=True)

        time.sleep(1.1)  # ECR's push times have one-second resolution: build 2 is pushed after build 1
        say("Build 2 of orders-worker")
        print(f"   acme/orders-worker@{push_build(ecr, 'acme/orders-worker', 2)}")
        demo.run("stackctl promote dev")
        demo.merge("promote/dev", ago(8))
        demo.run("stackctl promote staging orders --render-to ../deployments")
        demo.merge("promote/staging-orders", ago(7), render=True)
        say("Still soaking? A dry run shows the gates (README: `stackctl promote prod orders --dry-run`)")
        demo.run(README_COMMANDS[0])
        demo.run(f"stackctl promote prod orders {deployments} --render-to ../deployments")
        demo.merge("promote/prod-orders", ago(5), render=True)

        say("Build 2 misbehaves in prod: roll back (a new commit, with a hold so promotions leave it alone)")
        demo.run(README_COMMANDS[2])
        demo.merge("rollback/prod-orders", ago(3), render=True)
        demo.run(README_COMMANDS[1])
        say("The hourly promotion to prod now reports orders as held and changes nothing for it")
        demo.run(f"stackctl promote prod {deployments}")
        say("Build 2 is fixed upstream: release the hold; promotions may change orders again")
        demo.run(README_COMMANDS[3])
        demo.merge("release/prod-orders", ago(1))
        demo.run(f"stackctl promote prod orders --dry-run {deployments}")

        say("prod's history, with when each render reached the deployment repository")
        demo.run("stackctl history prod --deployments ../deployments")
        print(f"\nloop-demo: done in {time.monotonic() - started:.0f} s; the repositories are in {base} "
              "(the registry stopped with the demo)")
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
