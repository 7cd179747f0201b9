"""Artifact metadata from container registries, behind one interface.

A `Registry` answers two questions about an image repository: which artifacts it holds (to pick the
newest build that matches a policy) and what one digest is (to prove an artifact exists before it is
promoted, and to read its source revision). Clients use the ambient cloud identity of whoever runs
`stackctl` (AWS credential chain, Google Application Default Credentials), never anything from a stack file.
"""

from __future__ import annotations

from .base import Artifact, ImageRef, Registry, RegistryError, parse_image
from .select import registry_for

__all__ = ["Artifact", "ImageRef", "Registry", "RegistryError", "parse_image", "registry_for"]
