"""The registry interface, the artifact it returns, and image references."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional, Protocol

# OCI image-spec annotation keys (opencontainers/image-spec, annotations.md): the commit the image was
# built from and the URL of the repository holding that source.
REVISION_KEY = "org.opencontainers.image.revision"
SOURCE_KEY = "org.opencontainers.image.source"

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_REPOSITORY = re.compile(r"^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9]+([._-]+[a-z0-9]+)*)+$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class RegistryError(Exception):
    """The registry could not answer (no access, no such repository, unsupported registry); the message says why."""


class CredentialsError(RegistryError):
    """No credentials for the registry at all: the whole run stops with one line (every workload would fail)."""


# Every registry call: connect and read timeouts, and this many attempts in all (bounded retry).
CONNECT_TIMEOUT_SECONDS = 10
READ_TIMEOUT_SECONDS = 30
ATTEMPTS = 3


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference: `repository` includes the registry host."""

    repository: str
    tag: Optional[str] = None
    digest: Optional[str] = None

    @property
    def host(self) -> str:
        return self.repository.split("/", 1)[0]

    @property
    def path(self) -> str:
        """The repository name inside its registry (without the host)."""
        return self.repository.split("/", 1)[1] if "/" in self.repository else self.repository

    def pinned(self, digest: str) -> str:
        """This repository pinned to `digest`: what promotion writes, never a tag."""
        return f"{self.repository}@{digest}"

    def __str__(self) -> str:
        text = self.repository
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def parse_image(reference: str) -> ImageRef:
    """Parse `host/path[:tag][@sha256:...]` (the distribution reference grammar, host required).

    Raises `RegistryError` for anything else.
    """
    rest, _, digest = reference.strip().partition("@")
    tag = None
    if ":" in rest.rsplit("/", 1)[-1]:
        rest, tag = rest.rsplit(":", 1)
    bad_tag = tag is not None and not _TAG.match(tag)
    if not _REPOSITORY.match(rest) or bad_tag or (digest and not DIGEST.match(digest)):
        raise RegistryError(f"{reference!r} is not an image reference of the form host/repository[:tag][@sha256:...]")
    return ImageRef(rest, tag, digest or None)


@dataclass(frozen=True)
class Artifact:
    """One image in a registry, identified by its manifest digest."""

    repository: str
    digest: str
    tags: tuple[str, ...] = ()
    pushed_at: Optional[datetime] = None
    revision: Optional[str] = None
    source: Optional[str] = None
    annotations: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def reference(self) -> str:
        return f"{self.repository}@{self.digest}"

    def as_json(self) -> dict:
        return {
            "repository": self.repository,
            "digest": self.digest,
            "tags": list(self.tags),
            "pushed_at": self.pushed_at.isoformat() if self.pushed_at else None,
            "revision": self.revision,
            "source": self.source,
        }


class Registry(Protocol):
    """What promotion needs from a registry."""

    def artifacts(self, image: ImageRef) -> list[Artifact]:
        """Every tagged image in `image.repository`, newest push first (annotations may be unset)."""
        ...

    def artifact(self, image: ImageRef, digest: str) -> Optional[Artifact]:
        """The image with this digest, with its annotations; None when the repository does not hold it."""
        ...
