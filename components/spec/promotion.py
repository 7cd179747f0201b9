"""How an environment picks the artifacts it runs: `stackctl promote` reads this, the program ignores it."""

from __future__ import annotations

import re
from typing import Optional

from pydantic import Field, field_validator

from .base import Name, StrictModel

DEFAULT_PROD_SOAK_MINUTES = 120


class PromotionSpec(StrictModel):
    """Where `stackctl promote` takes this environment's images from, and the gates they must pass.

    Without `from_environment` the newest image in each workload's registry repository whose tag matches
    `tag_pattern` is taken (for example dev, built from `main`). With it, the digest the named environment's
    stack file runs is taken, after it ran there for `soak_minutes`.
    """

    from_environment: Optional[Name] = Field(
        None,
        description=(
            "Stack name whose stack file supplies the digests (e.g. `dev` for staging, `staging` for prod). "
            "Default unset: take the newest matching image from the registry."
        ),
    )
    tag_pattern: str = Field(
        r"^main-[0-9a-f]{7,40}$",
        description=(
            "Registry source only: a regular expression one of the image's tags must match (full match), "
            "e.g. the tags CI gives builds of `main`. Default `^main-[0-9a-f]{7,40}$`."
        ),
    )
    soak_minutes: Optional[int] = Field(
        None,
        ge=0,
        le=43200,
        description=(
            "Minutes a digest must have run in `from_environment` (counted from the commit time that put it "
            f"into that stack file) before it may be promoted. Default {DEFAULT_PROD_SOAK_MINUTES} for tier "
            "prod, 0 otherwise."
        ),
    )
    require_revision: bool = Field(
        True,
        description=(
            "Refuse artifacts without the OCI annotation `org.opencontainers.image.revision` (the commit the "
            "image was built from), so every deployment traces back to source. Default true."
        ),
    )

    @field_validator("tag_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"must be a regular expression ({exc})") from None
        return value

    def soak_for(self, tier: str) -> int:
        """The soak time in minutes, with the tier's default."""
        if self.soak_minutes is not None:
            return self.soak_minutes
        return DEFAULT_PROD_SOAK_MINUTES if tier == "prod" else 0
