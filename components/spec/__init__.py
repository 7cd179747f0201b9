"""Typed desired state (pydantic v2) for environments and the components they hold."""

from .environment import EnvironmentSpec
from .loading import parse_environment
from .queue import QueueSpec

__all__ = ["EnvironmentSpec", "QueueSpec", "parse_environment"]
