"""Shared pydantic configuration and constrained types for every spec model."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

# Map keys become parts of resource names, URNs and Kubernetes object names, so they must be valid
# DNS-1123 labels with room for suffixes such as "-dlq" (cloud names cap out near 63 characters).
NAME_PATTERN = r"^[a-z]([a-z0-9-]{0,28}[a-z0-9])?$"
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]


class StrictModel(BaseModel):
    """Base for spec models: unknown keys are errors, values are immutable once validated, and types are strict
    (`true` is not a number, `5` is not a string): a stack file means exactly what it says."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, strict=True)
