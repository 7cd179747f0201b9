"""Registry clients: ECR against moto, Artifact Registry against a stub at its client boundary that
returns the library's real message types, and image references."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from google.api_core import exceptions as google_exceptions
from google.cloud import artifactregistry_v1
from moto import mock_aws

from stackctl.delivery.registry import RegistryError, parse_image, registry_for
from stackctl.delivery.registry.artifact_registry import ArtifactRegistry
from stackctl.delivery.registry.ecr import EcrRegistry
from tests.loop_helpers import REGISTRY, StubArtifactRegistryClient, hours_ago, push_image


@pytest.fixture
def ecr(monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        client = boto3.client("ecr", region_name="us-east-1")
        client.create_repository(repositoryName="acme/orders-worker")
        yield client


def test_ecr_lists_newest_first_and_reads_oci_annotations(ecr):
    old = push_image(ecr, "acme/orders-worker", "main-aaaaaaa", "a" * 40, pushed_at=hours_ago(1))
    new = push_image(ecr, "acme/orders-worker", "main-bbbbbbb", None, source="https://github.com/acme/other")
    image = parse_image(f"{REGISTRY}/acme/orders-worker:main-aaaaaaa")
    registry = registry_for(image)
    assert isinstance(registry, EcrRegistry) and (registry.account, registry.region) == ("123456789012", "us-east-1")

    listed = registry.artifacts(image)
    assert [(a.digest, a.tags) for a in listed] == [(new, ("main-bbbbbbb",)), (old, ("main-aaaaaaa",))]
    assert listed[0].pushed_at > listed[1].pushed_at

    artifact = registry.artifact(image, old)
    assert artifact.revision == "a" * 40 and artifact.source == "https://github.com/acme/orders"
    assert artifact.reference == f"{REGISTRY}/acme/orders-worker@{old}"
    unannotated = registry.artifact(image, new)
    assert unannotated.revision is None and unannotated.source == "https://github.com/acme/other"
    assert registry.artifact(image, "sha256:" + "0" * 64) is None


def test_ecr_missing_repository_is_a_clear_error(ecr):
    image = parse_image(f"{REGISTRY}/acme/nope:1")
    with pytest.raises(RegistryError, match=r"acme/nope: no such ECR repository in account 123456789012"):
        registry_for(image).artifacts(image)


def test_artifact_registry_reads_tags_upload_time_and_version_annotations():
    host, digest_a, digest_b = "europe-west1-docker.pkg.dev", "sha256:" + "a" * 64, "sha256:" + "b" * 64
    parent = "projects/acme-prod/locations/europe-west1/repositories/apps"

    def docker_image(name: str, digest: str, tags: list[str], day: int) -> artifactregistry_v1.DockerImage:
        return artifactregistry_v1.DockerImage(
            name=f"{parent}/dockerImages/{name.replace('/', '%2F')}@{digest}",
            uri=f"{host}/acme-prod/apps/{name}@{digest}", tags=tags,
            upload_time=datetime(2026, 11, day, tzinfo=UTC))

    stub = StubArtifactRegistryClient(
        [docker_image("orders/worker", digest_a, ["main-aaaaaaa"], 1),
         docker_image("orders/worker", digest_b, ["main-bbbbbbb", "v2"], 2),
         docker_image("other", "sha256:" + "c" * 64, ["main-ccccccc"], 3)],
        {f"{parent}/packages/orders%2Fworker/versions/{digest_b}": artifactregistry_v1.Version(
            annotations={"org.opencontainers.image.revision": "b" * 40,
                         "org.opencontainers.image.source": "https://github.com/acme/orders"})})
    image = parse_image(f"{host}/acme-prod/apps/orders/worker:main-bbbbbbb")
    registry = ArtifactRegistry(image, client=stub)

    listed = registry.artifacts(image)
    assert [(a.digest, a.tags, a.pushed_at.day) for a in listed] == [
        (digest_b, ("main-bbbbbbb", "v2"), 2), (digest_a, ("main-aaaaaaa",), 1)]
    assert stub.requests[0] == ("list_docker_images", {"parent": parent})

    artifact = registry.artifact(image, digest_b)
    assert (artifact.revision, artifact.source) == ("b" * 40, "https://github.com/acme/orders")
    assert stub.requests[-1] == ("get_version", {"name": f"{parent}/packages/orders%2Fworker/versions/{digest_b}",
                                                 "view": artifactregistry_v1.VersionView.FULL})
    no_annotations = registry.artifact(image, digest_a)
    assert no_annotations.digest == digest_a and no_annotations.revision is None
    assert registry.artifact(image, "sha256:" + "d" * 64) is None


def test_artifact_registry_permission_denied_is_a_clear_error():
    class Denied(StubArtifactRegistryClient):
        def list_docker_images(self, request, timeout=None, retry=None):
            raise google_exceptions.PermissionDenied("denied")

    image = parse_image("us-docker.pkg.dev/acme/apps/orders:1")
    with pytest.raises(RegistryError, match="needs roles/artifactregistry.reader"):
        ArtifactRegistry(image, client=Denied([], {})).artifacts(image)


@pytest.mark.parametrize(("reference", "parsed"), [
    (f"{REGISTRY}/acme/orders:main-abc1234", (f"{REGISTRY}/acme/orders", "main-abc1234", None)),
    (f"{REGISTRY}/acme/orders@sha256:{'1' * 64}", (f"{REGISTRY}/acme/orders", None, "sha256:" + "1" * 64)),
    ("localhost:5000/a/b:1@sha256:" + "2" * 64, ("localhost:5000/a/b", "1", "sha256:" + "2" * 64)),
])
def test_parse_image(reference, parsed):
    image = parse_image(reference)
    assert (image.repository, image.tag, image.digest) == parsed
    assert str(image) == reference


@pytest.mark.parametrize("reference", ["orders", "ACME/orders:1", f"{REGISTRY}/acme/orders@sha256:abc",
                                       f"{REGISTRY}/acme/orders:bad tag"])
def test_parse_image_rejects(reference):
    with pytest.raises(RegistryError, match="is not an image reference"):
        parse_image(reference)


def test_unsupported_registry_is_named():
    with pytest.raises(RegistryError, match=r"registry ghcr.io is not supported \(Amazon ECR"):
        registry_for(parse_image("ghcr.io/acme/orders:1"))


def test_cli_import_leaves_cloud_clients_unloaded():
    import subprocess
    import sys

    probe = ("import sys, stackctl.cli; heavy = [m for m in ('boto3', 'botocore', 'google.cloud.artifactregistry_v1') "
             "if m in sys.modules]; print(heavy)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
