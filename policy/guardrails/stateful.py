"""Data-holding resources (queues, topics, subscriptions, log groups) are protected from deletion (prod)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from components.rules.stateful import DATA_TYPES

from ._metadata import about


def _protected(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    # Analyzers see `protect` (the engine does not send retainOnDelete), the option that makes a delete fail.
    if args.resource_type in DATA_TYPES and not args.opts.protect:
        report_violation(f"{args.resource_type} is not `protect`ed: removing its line from the stack file or a "
                         f"`pulumi destroy` would delete {DATA_TYPES[args.resource_type]}")


stateful_resources_protected = ResourceValidationPolicy(
    name="stateful-resources-protected",
    **about("stateful-resources-protected"),
    description="Queues, topics, subscriptions and log groups are protected from deletion (prod).",
    validate=_protected,
    enforcement_level=EnforcementLevel.MANDATORY,
)

POLICIES = [stateful_resources_protected]
