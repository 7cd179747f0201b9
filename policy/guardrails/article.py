"""The deployment model: containers that pull from queues, not serverless functions."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._common import cluster_objects, get, plain
from ._metadata import about

SERVERLESS_TYPES = {
    "aws:lambda/function:Function": "tags",
    "gcp:cloudfunctions/function:Function": "labels",
    "gcp:cloudfunctionsv2/function:Function": "labels",
}
EXEMPTION_LABEL = "serverless-exemption"


def _no_serverless(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    labels_field = SERVERLESS_TYPES.get(args.resource_type)
    if labels_field is None:
        return
    reason = (plain(args.props).get(labels_field) or {}).get(EXEMPTION_LABEL)
    if reason or args.name in (args.get_config().get("exempt") or []):
        return
    report_violation(
        "a serverless function (cold starts, limits on size and duration): run a queue-pulling service or a batch "
        f"job instead, or exempt it with the {labels_field[:-1]} `{EXEMPTION_LABEL}: <reason>`")


no_serverless_functions = ResourceValidationPolicy(
    name="no-serverless-functions",
    **about("no-serverless-functions"),
    description="No Lambda / Cloud Functions / Cloud Run functions unless explicitly exempted.",
    validate=_no_serverless,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties={
        "exempt": {"type": "array", "items": {"type": "string"}, "default": [],
                   "description": "Resource names exempted from this policy."}}),
)


def _services_pull_from_queues(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    objects = list(cluster_objects(args))
    scaled = {(get(m, "metadata", "namespace"), get(m, "spec", "scaleTargetRef", "name"))
              for _, m, _ in objects if m.get("kind") == "ScaledObject"}
    for where, manifest, urn in objects:
        if manifest.get("kind") != "Deployment":
            continue
        key = (get(manifest, "metadata", "namespace"), get(manifest, "metadata", "name"))
        if key not in scaled:
            report_violation(f"{where}: Deployment {key[0]}/{key[1]} serves requests instead of pulling work from a "
                             "queue; prefer a queue-driven service where the work allows it", urn)


services_pull_from_queues = StackValidationPolicy(
    name="services-pull-from-queues",
    **about("services-pull-from-queues"),
    description="Services pull work from queues and scale on queue length (advisory).",
    validate=_services_pull_from_queues,
    enforcement_level=EnforcementLevel.ADVISORY,
)

POLICIES = [no_serverless_functions, services_pull_from_queues]
