"""How an environment picks the artifacts it runs: `stackctl promote` reads this, the program ignores it."""

from __future__ import annotations

import re
from typing import Annotated, Literal, Optional

from pydantic import Field, StringConstraints, field_validator, model_validator

from .base import Name, StrictModel

DEFAULT_PROD_SOAK_MINUTES = 120

# `services.<name>` or `jobs.<name>`: the workload a hold applies to, as `stackctl` names it.
WORKLOAD_KEY_PATTERN = r"^(services|jobs)\.[a-z]([a-z0-9-]{0,28}[a-z0-9])?$"
WorkloadKeyName = Annotated[str, StringConstraints(pattern=WORKLOAD_KEY_PATTERN)]
UTC_TIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"


class HoldSpec(StrictModel):
    """A workload that `stackctl promote` leaves alone until `stackctl release` clears it.

    Written by `stackctl rollback` (so the next scheduled promotion does not undo the rollback) and by
    `stackctl hold`; each change is a reviewed commit like any other change of desired state.
    """

    by: str = Field(min_length=1, max_length=200,
                    description="Who set the hold (the git identity of whoever ran the command). Required.")
    at: Annotated[str, StringConstraints(pattern=UTC_TIME_PATTERN)] = Field(
        description="When the hold was set, UTC, `YYYY-MM-DDTHH:MM:SSZ`. Required.")
    reason: str = Field(min_length=1, max_length=500,
                        description="Why promotions must leave the workload alone (e.g. the rollback). Required.")


class ArgoCdVerifySpec(StrictModel):
    """Where the source environment's Argo CD Application is read from (`promotion.verify: argocd`)."""

    server: str = Field(
        pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        description="Argo CD API server URL, e.g. `https://argocd.staging.example.com`. The token is read from "
                    "the environment variable `ARGOCD_AUTH_TOKEN`, never from the stack file. Required.")
    application: Name = Field(description="The Argo CD Application of the source environment. Required.")


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
    verify: Optional[Literal["argocd"]] = Field(
        None,
        description=(
            "With `from_environment`: `argocd` counts soak time only while the source environment's Argo CD "
            "Application is `Synced` and `Healthy` at a revision carrying the digest (needs `argocd`). "
            "Default unset: soak counts from the desired state alone."
        ),
    )
    argocd: Optional[ArgoCdVerifySpec] = Field(
        None, description="The Argo CD server and Application `verify: argocd` reads. Default unset.")
    holds: dict[WorkloadKeyName, HoldSpec] = Field(
        default_factory=dict,
        description=(
            "Workloads promotion leaves alone, keyed `services.<name>` or `jobs.<name>`: set by `stackctl "
            "rollback` and `stackctl hold`, cleared by `stackctl release`. Default none."
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

    @model_validator(mode="after")
    def _settings_apply(self) -> PromotionSpec:
        given = self.model_fields_set
        if self.from_environment is not None and "tag_pattern" in given:
            raise ValueError("tag_pattern applies only to the registry source; with from_environment "
                             f"({self.from_environment}) the digest comes from that stack file: remove tag_pattern")
        if self.from_environment is None and self.soak_minutes is not None:
            raise ValueError("soak_minutes applies only with from_environment (the registry source has no "
                             "environment to soak in): remove soak_minutes or set from_environment")
        if self.verify is not None and self.from_environment is None:
            raise ValueError("verify applies only with from_environment: it checks the source environment")
        if self.verify == "argocd" and self.argocd is None:
            raise ValueError("verify: argocd needs `argocd: {server: ..., application: ...}`")
        if self.argocd is not None and self.verify != "argocd":
            raise ValueError("argocd is read only with verify: argocd")
        return self

    def soak_for(self, tier: str) -> int:
        """The soak time in minutes, with the tier's default."""
        if self.soak_minutes is not None:
            return self.soak_minutes
        return DEFAULT_PROD_SOAK_MINUTES if tier == "prod" else 0
