"""Google Artifact Registry (Docker format) through google-cloud-artifact-registry, with Application
Default Credentials of whoever runs it (never credentials from a stack file).

API (google.cloud.artifactregistry_v1.ArtifactRegistryClient): `list_docker_images` and
`get_docker_image` give digest (in `uri`), `tags` and `upload_time`; the image's version
(`get_version`, `VersionView.FULL`) carries `annotations`, where the OCI source revision and repository
appear when the registry recorded them (reference: cloud.google.com/python/docs/reference/artifactregistry).
Checked against google-cloud-artifact-registry 1.22.0 and REST v1 `projects.locations.repositories.packages.versions`:
`Version.annotations` is a `map<string, string>` ("Optional. Client specified annotations."), `GetVersionRequest`
has `name` and `view`, `VersionView.FULL` is 2, and version and package IDs in resource names have their slashes
escaped. Google's pages say nothing of Artifact Registry copying a pushed manifest's annotations into the
version's: when it does not, the revision reads "unknown" (it is informational) unless the pipeline sets them with
`gcloud artifacts versions update <digest> --package=<image> --annotations=...` (gcloud reference).
"""

from __future__ import annotations

import re
import warnings
from datetime import datetime
from typing import Any, Optional
from urllib.parse import quote

from .base import (
    ATTEMPTS,
    CONNECT_TIMEOUT_SECONDS,
    READ_TIMEOUT_SECONDS,
    REVISION_KEY,
    SOURCE_KEY,
    Artifact,
    CredentialsError,
    ImageRef,
    RegistryError,
)

# <location>-docker.pkg.dev/<project>/<repository>/<image>: Artifact Registry's Docker hosts.
HOST = re.compile(r"^(?P<location>[a-z0-9-]+)-docker\.pkg\.dev$")


# google.devtools.artifactregistry.v1.VersionView.FULL: the view that includes annotations.
VERSION_VIEW_FULL = 2


def matches(image: ImageRef) -> bool:
    return HOST.match(image.host) is not None


NO_CREDENTIALS = ("no Google credentials found (Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS, "
                  "`gcloud auth application-default login`, workload identity federation or the metadata server); "
                  "sign in, e.g. `gcloud auth application-default login` or google-github-actions/auth in CI")


def _client() -> Any:
    # Lazily: `stackctl --help` must not import gRPC clients. google-api-core warns at import about Python
    # versions it will drop later; that is no concern of a promotion and must not clutter its output.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from google.auth.exceptions import DefaultCredentialsError
        from google.cloud import artifactregistry_v1

        try:
            return artifactregistry_v1.ArtifactRegistryClient()
        except DefaultCredentialsError:
            raise CredentialsError(NO_CREDENTIALS) from None


def _limits() -> dict[str, Any]:
    """Per call: a deadline and a bounded retry of transient failures (google-api-core `Retry`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from google.api_core.retry import Retry

    return {"timeout": READ_TIMEOUT_SECONDS,
            "retry": Retry(initial=1.0, maximum=4.0, multiplier=2.0,
                           timeout=ATTEMPTS * (CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS))}


class ArtifactRegistry:
    """One Artifact Registry Docker repository, read with `client` (default: a client with ADC)."""

    def __init__(self, image: ImageRef, client: Any = None) -> None:
        match = HOST.match(image.host)
        parts = image.path.split("/", 2)
        if match is None or len(parts) < 3:
            raise RegistryError(f"{image.repository}: not an Artifact Registry image "
                                "(<location>-docker.pkg.dev/<project>/<repository>/<image>)")
        self.location = match["location"]
        self.project, self.repository, self.package = parts
        self.client = client if client is not None else _client()
        self.host = image.host

    @property
    def parent(self) -> str:
        return f"projects/{self.project}/locations/{self.location}/repositories/{self.repository}"

    def _image_name(self, digest: str) -> str:
        # Slashes inside the image (package) name are escaped in resource names.
        return f"{self.parent}/dockerImages/{quote(self.package, safe='')}@{digest}"

    def _version_name(self, digest: str) -> str:
        return f"{self.parent}/packages/{quote(self.package, safe='')}/versions/{digest}"

    def artifacts(self, image: ImageRef) -> list[Artifact]:
        prefix = f"{image.repository}@"
        found = []
        for docker_image in self._call(image, lambda: list(self.client.list_docker_images(
                request={"parent": self.parent}, **_limits()))):
            if docker_image.uri.startswith(prefix) and docker_image.tags:
                found.append(self._artifact(image, docker_image))
        return sorted(found, key=lambda a: (a.pushed_at is not None, a.pushed_at), reverse=True)

    def artifact(self, image: ImageRef, digest: str) -> Optional[Artifact]:
        docker_image = self._call(image, lambda: self.client.get_docker_image(
            request={"name": self._image_name(digest)}, **_limits()), missing=True)
        if docker_image is None:
            return None
        annotations = self._annotations(image, digest)
        return self._artifact(image, docker_image, annotations)

    def _annotations(self, image: ImageRef, digest: str) -> dict[str, str]:
        version = self._call(image, lambda: self.client.get_version(
            request={"name": self._version_name(digest), "view": VERSION_VIEW_FULL}, **_limits()), missing=True)
        return dict(version.annotations) if version is not None else {}

    @staticmethod
    def _artifact(image: ImageRef, docker_image: Any, annotations: Optional[dict[str, str]] = None) -> Artifact:
        annotations = annotations or {}
        upload: Optional[datetime] = docker_image.upload_time or None
        return Artifact(
            repository=image.repository,
            digest=docker_image.uri.rsplit("@", 1)[-1],
            tags=tuple(sorted(docker_image.tags)),
            pushed_at=upload,
            revision=annotations.get(REVISION_KEY),
            source=annotations.get(SOURCE_KEY),
            annotations=annotations,
        )

    def _call(self, image: ImageRef, call, missing: bool = False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            from google.api_core import exceptions
            from google.auth.exceptions import DefaultCredentialsError

        try:
            return call()
        except exceptions.NotFound:
            if missing:
                return None
            raise RegistryError(f"{image.repository}: no such Artifact Registry repository "
                                f"({self.parent})") from None
        except exceptions.PermissionDenied:
            raise RegistryError(f"{image.repository}: Artifact Registry denied access to {self.parent}; "
                                "the identity needs roles/artifactregistry.reader") from None
        except DefaultCredentialsError:
            raise CredentialsError(f"{image.host}: {NO_CREDENTIALS}") from None
        except (exceptions.DeadlineExceeded, exceptions.RetryError, exceptions.ServiceUnavailable):
            raise RegistryError(f"{image.repository}: Artifact Registry did not answer ({ATTEMPTS} attempts, "
                                f"{READ_TIMEOUT_SECONDS}s each)") from None
        except exceptions.GoogleAPICallError as exc:
            raise RegistryError(f"{image.repository}: Artifact Registry failed ({exc.message})") from None
