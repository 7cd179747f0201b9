"""Retained resources keep what they need to stay readable: the key a kept queue or topic is encrypted with
is kept with it (prod)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationArgs, StackValidationPolicy

from components.rules.stateful import DATA_KEY_FIELDS, KEY_TYPES

from ._metadata import about


def _keys_kept(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    # Analyzers see `protect`, not `retainOnDelete` (the engine's AnalyzerResourceOptions carry no such field);
    # the components set both together, so a protected data resource is a retained one, and its key must be
    # protected (and, in the components, retained) too.
    for resource in args.resources:
        field = DATA_KEY_FIELDS.get(resource.resource_type)
        if field is None or not resource.opts.protect:
            continue
        for key in resource.property_dependencies.get(field, []):
            if key.resource_type in KEY_TYPES and not key.opts.protect:
                report_violation(
                    f"{resource.resource_type} {resource.name} is kept on delete but its key {key.name} "
                    f"({key.resource_type}) is not: a `pulumi destroy` would delete the key and leave the kept "
                    "data unreadable; protect the key and retain it on delete", key.urn)


retained_resources_readable = StackValidationPolicy(
    name="retained-resources-readable",
    **about("retained-resources-readable"),
    description="A protected (retained) queue, topic or log group's key is protected and retained with it.",
    validate=_keys_kept,
    enforcement_level=EnforcementLevel.MANDATORY,
)

POLICIES = [retained_resources_readable]
