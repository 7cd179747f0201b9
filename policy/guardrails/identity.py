"""Identity: least privilege for roles, no basic GCP roles, workload identities pinned to one account, and AWS
roles where the deployer may make them (the platform's path, with a permissions boundary)."""

from __future__ import annotations

import re

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from components.identity import PLATFORM_ROLE_PATH, ROLE_BOUNDARY_POLICY_NAME
from components.rules.iam import (
    BASIC_GCP_ROLES,
    document,
    web_identity_subject_problems,
    wildcard_allowed_actions,
    workload_identity_member_problem,
)

from ._common import plain, report_all
from ._metadata import about

POLICY_DOCUMENT_FIELDS = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
}


def _no_wildcard_actions(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    documents = []
    if args.resource_type in POLICY_DOCUMENT_FIELDS:
        documents.append(document(plain(args.props).get(POLICY_DOCUMENT_FIELDS[args.resource_type])))
    if args.resource_type == "aws:iam/role:Role":
        documents += [document(p.get("policy")) for p in plain(args.props).get("inlinePolicies") or []]
    for doc in documents:
        wildcards = wildcard_allowed_actions(doc)
        if wildcards:
            report_violation(f"allows wildcard actions {sorted(set(wildcards))}; list the actions needed")


iam_no_wildcard_actions = ResourceValidationPolicy(
    name="iam-no-wildcard-actions",
    **about("iam-no-wildcard-actions"),
    description="IAM policies allow named actions only, never wildcards.",
    validate=_no_wildcard_actions,
    enforcement_level=EnforcementLevel.MANDATORY,
)


def _no_basic_roles(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type.startswith("gcp:") and plain(args.props).get("role") in BASIC_GCP_ROLES:
        report_violation(f"grants the basic role {plain(args.props)['role']}; use a predefined or custom role")


gcp_no_basic_roles = ResourceValidationPolicy(
    name="gcp-no-basic-roles",
    **about("gcp-no-basic-roles"),
    description="No GCP basic roles (owner, editor, viewer): they grant far more than any workload needs.",
    validate=_no_basic_roles,
    enforcement_level=EnforcementLevel.MANDATORY,
)


def _single_subject(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == "aws:iam/role:Role":
        report_all(report_violation, web_identity_subject_problems(document(plain(args.props).get("assumeRolePolicy"))))
    elif (args.resource_type.startswith("gcp:serviceaccount/iAM")
          and plain(args.props).get("role") == "roles/iam.workloadIdentityUser"):
        props = plain(args.props)
        members = [props["member"]] if props.get("member") else list(props.get("members") or [])
        if len(members) != 1:
            report_violation(f"binds {len(members)} members; one Google service account per Kubernetes one")
        for member in members:
            problem = workload_identity_member_problem(str(member))
            if problem:
                report_violation(problem)


workload_identity_single_subject = ResourceValidationPolicy(
    name="workload-identity-single-subject",
    **about("workload-identity-single-subject"),
    description="A workload identity (IRSA role, Workload Identity binding) trusts exactly one service account.",
    validate=_single_subject,
    enforcement_level=EnforcementLevel.MANDATORY,
)

# The management stack's PulumiOperator makes workspace roles bounded by the deployer policy itself, deliberately
# off the platform's path (so the deployer cannot change them): not the platform's roles.
OPERATOR_COMPONENT = "platform:index:PulumiOperator$"


def _bounded_roles(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != "aws:iam/role:Role" or OPERATOR_COMPONENT in str(args.urn):
        return
    props = plain(args.props)
    config = args.get_config()
    name = str(config.get("boundary_policy", ROLE_BOUNDARY_POLICY_NAME))
    boundary = props.get("permissionsBoundary")
    if not boundary:
        report_violation(f"has no permissions boundary; the deployer may create roles only with {name!r} "
                         "(components' `permissions_boundary`, the stack file's `aws_role_permissions_boundary`)")
    elif isinstance(boundary, str) and not re.fullmatch(rf"arn:aws[a-z-]*:iam::\d{{12}}:policy/(.+/)?{re.escape(name)}",
                                                        boundary):
        report_violation(f"has the permissions boundary {boundary}, not the policy {name!r} the deployer requires "
                         "(another boundary: set this rule's `boundary_policy`)")
    path = props.get("path") or "/"
    if not path.startswith(PLATFORM_ROLE_PATH):
        report_violation(f"is on the path {path!r}, not {PLATFORM_ROLE_PATH!r} or under it: the deployer may create, "
                         "change and pass roles only there (deploy/ci-identity/aws-deployer-policy.json)")


aws_roles_bounded = ResourceValidationPolicy(
    name="aws-roles-bounded",
    **about("aws-roles-bounded"),
    description="Every IAM role is on the platform's path with the platform's permissions boundary, as the "
                "deployer policy requires: refused at preview instead of AccessDenied halfway through `pulumi up`.",
    validate=_bounded_roles,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties={
        "boundary_policy": {"type": "string", "default": ROLE_BOUNDARY_POLICY_NAME,
                            "description": "Name of the managed policy every role carries as its boundary."}}),
)

POLICIES = [iam_no_wildcard_actions, gcp_no_basic_roles, workload_identity_single_subject, aws_roles_bounded]
