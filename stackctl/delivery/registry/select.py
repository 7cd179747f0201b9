"""Pick the registry client from the image reference's host."""

from __future__ import annotations

from .base import ImageRef, Registry, RegistryError


def registry_for(image: ImageRef) -> Registry:
    """The client for `image`'s registry: ECR or Artifact Registry; others are refused by name."""
    from . import artifact_registry, ecr

    if ecr.matches(image):
        return ecr.EcrRegistry(image)
    if artifact_registry.matches(image):
        return artifact_registry.ArtifactRegistry(image)
    raise RegistryError(f"{image.repository}: registry {image.host} is not supported (Amazon ECR "
                        "<account>.dkr.ecr.<region>.amazonaws.com or Artifact Registry <location>-docker.pkg.dev)")
