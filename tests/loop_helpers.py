"""A deployment repository in a temporary directory: a bare remote, a clone holding this project with
ECR images and the shipped promotion policies, and images pushed to moto's ECR with OCI annotations."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from stackctl.cli import app
from tests.conftest import REPO

ACCOUNT = "123456789012"
REGISTRY = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
ORDERS = f"{REGISTRY}/acme/orders-worker"

def git(repo: Path, *args: str, date: datetime | None = None) -> str:
    env = dict(os.environ)
    if date is not None:
        stamp = date.strftime("%Y-%m-%dT%H:%M:%S+0000")
        env.update(GIT_COMMITTER_DATE=stamp, GIT_AUTHOR_DATE=stamp)
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def hours_ago(hours: float) -> datetime:
    return datetime.now(UTC) - timedelta(hours=hours)


@dataclass
class Deployment:
    """The infrastructure repository (a clone with a bare remote) and the deployment repository."""

    root: Path
    infra: Path
    remote: Path
    manifests: Path

    def stack_text(self, stack: str) -> str:
        return (self.infra / "stacks" / f"Pulumi.{stack}.yaml").read_text()

    def merge(self, branch: str, when: datetime) -> None:
        """Merge a reviewed branch into main at `when` (the first-parent commit time soak counts from)."""
        git(self.infra, "switch", "--quiet", "main")
        git(self.infra, "merge", "--quiet", "--no-ff", "-m", f"Merge {branch}", branch, date=when)
        git(self.infra, "push", "--quiet", "origin", "main")

    def merge_render(self, branch: str, when: datetime) -> None:
        """Merge a render branch (`--render-to`) into the deployment repository's main at `when`."""
        git(self.manifests, "switch", "--quiet", "main")
        git(self.manifests, "merge", "--quiet", "--no-ff", "-m", f"Merge {branch}", branch, date=when)

    def render(self, stack: str, when: datetime) -> str:
        """What the render workflow does after a merge: render `stack` from infra's main into the deployment
        repository's main, one commit naming the infrastructure commit (`Stackctl-Infra-Commit`)."""
        from typer.testing import CliRunner

        from stackctl.cli import app

        result = CliRunner().invoke(app, ["render", stack, "--out", str(self.manifests), "-C", str(self.infra)])
        assert result.exit_code == 0, result.stderr
        infra_commit = git(self.infra, "rev-parse", "HEAD").strip()
        git(self.manifests, "add", "-A")
        git(self.manifests, "commit", "--quiet", "-m", f"render: platform {infra_commit[:12]}", "-m",
            f"Stackctl-Action: render\nStackctl-Infra-Commit: {infra_commit}", date=when)
        return git(self.manifests, "rev-parse", "HEAD").strip()


def _identity(repo: Path) -> None:
    git(repo, "config", "user.name", "Test Engineer")
    git(repo, "config", "user.email", "test@example.com")
    git(repo, "config", "commit.gpgsign", "false")


def make_deployment(tmp_path: Path, stacks: tuple[str, ...] = ("dev", "staging", "prod"),
                    created: datetime | None = None) -> Deployment:
    remote = tmp_path / "infra.git"
    git(tmp_path, "init", "--quiet", "--bare", "-b", "main", str(remote))
    infra = tmp_path / "infra"
    git(tmp_path, "clone", "--quiet", str(remote), str(infra))
    _identity(infra)
    git(infra, "switch", "--quiet", "-c", "main")
    shutil.copy(REPO / "Pulumi.yaml", infra / "Pulumi.yaml")
    shutil.copy(REPO / "__main__.py", infra / "__main__.py")
    (infra / "stacks").mkdir()
    for stack in stacks:
        text = (REPO / "stacks" / f"Pulumi.{stack}.yaml").read_text()
        text = text.replace("ghcr.io/acme/", f"{REGISTRY}/acme/")  # gcp-dev already names Artifact Registry
        # The shipped stack files declare their promotion policies (dev: the newest main build; staging: what
        # dev runs; prod: what ran in staging for two hours; gcp-dev: the newest main build).
        assert "\n  promotion:\n" in text, stack
        (infra / "stacks" / f"Pulumi.{stack}.yaml").write_text(text)
    git(infra, "add", "-A")
    git(infra, "commit", "--quiet", "-m", "Initial desired state", date=created or hours_ago(48))
    git(infra, "push", "--quiet", "-u", "origin", "main")

    manifests = tmp_path / "deployments"
    git(tmp_path, "init", "--quiet", "-b", "main", str(manifests))
    _identity(manifests)
    (manifests / "README.md").write_text("deployment repository\n")
    git(manifests, "add", "-A")
    git(manifests, "commit", "--quiet", "-m", "Initial")
    return Deployment(tmp_path, infra, remote, manifests)


def push_image(client, repository: str, tag: str, revision: str | None,
               source: str = "https://github.com/acme/orders", pushed_at: datetime | None = None) -> str:
    """Push an OCI manifest (with annotations, as `docker buildx --annotation` writes) to moto's ECR.

    `pushed_at`: the push time ECR reports for it (default: now). Tests that need an order of pushes set it
    instead of sleeping through moto's one-second clock."""
    layer = "sha256:" + hashlib.sha256(f"{repository}:{tag}".encode()).hexdigest()
    annotations = {"org.opencontainers.image.source": source}
    if revision:
        annotations["org.opencontainers.image.revision"] = revision
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "sha256:" + "c" * 64, "size": 100},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": 1000}],
        "annotations": annotations,
    }
    result = client.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag,
                              imageManifestMediaType="application/vnd.oci.image.manifest.v1+json")
    digest = result["image"]["imageId"]["imageDigest"]
    if pushed_at is not None:
        _set_push_time(client.meta.region_name, repository, digest, pushed_at)
    return digest


def _set_push_time(region: str, repository: str, digest: str, when: datetime) -> None:
    """moto's ECR stamps `imagePushedAt` from its clock in whole seconds (moto/ecr/models.py, `Image`); set the
    stored image's stamp as a registry holding an image pushed at `when` reports it."""
    from moto.ecr.models import ecr_backends

    images = ecr_backends[ACCOUNT][region].repositories[repository].images
    [image] = [image for image in images if image.image_digest == digest]
    image.image_pushed_at = int(when.timestamp())


class StubArtifactRegistryClient:
    """The ArtifactRegistryClient methods stackctl calls, answering with the library's real messages."""

    def __init__(self, images, versions) -> None:
        self.images, self.versions, self.requests = images, versions, []

    def list_docker_images(self, request, timeout=None, retry=None):
        from google.api_core import exceptions

        self.requests.append(("list_docker_images", request))
        if not any(image.name.startswith(request["parent"] + "/") for image in self.images):
            raise exceptions.NotFound("repository not found")
        return iter(self.images)

    def get_docker_image(self, request, timeout=None, retry=None):
        from google.api_core import exceptions

        self.requests.append(("get_docker_image", request))
        for image in self.images:
            if image.name == request["name"]:
                return image
        raise exceptions.NotFound("image not found")

    def get_version(self, request, timeout=None, retry=None):
        from google.api_core import exceptions

        self.requests.append(("get_version", request))
        if request["name"] not in self.versions:
            raise exceptions.NotFound("version not found")
        return self.versions[request["name"]]


# Shared by the loop tests.
def stackctl(*args: str):
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def trailers(repo, rev="HEAD") -> dict[str, str]:
    out = git(repo, "log", "-1", "--format=%(trailers:unfold)", rev)
    return dict(line.split(": ", 1) for line in out.strip().splitlines())
