"""IAM rules over policy documents and bindings, shared by the components' tests and the policy pack."""

from __future__ import annotations

import json
from typing import Any

BASIC_GCP_ROLES = frozenset({"roles/owner", "roles/editor", "roles/viewer"})
PUBLIC_GCP_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})


def document(value: Any) -> dict[str, Any]:
    """A policy document from its JSON text (or an already parsed dict); {} when it is neither."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    found = doc.get("Statement") or []
    return [s for s in (found if isinstance(found, list) else [found]) if isinstance(s, dict)]


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value] if value is not None else []


def wildcard_allowed_actions(doc: dict[str, Any]) -> list[str]:
    """Allowed actions with a wildcard (`*`, `sqs:*`, `s3:Get*`), and any Allow with NotAction."""
    found = []
    for statement in statements(doc):
        if statement.get("Effect") != "Allow":
            continue
        found += [a for a in _as_list(statement.get("Action")) if "*" in str(a)]
        if "NotAction" in statement:
            found.append("NotAction")
    return found


def public_allow_statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Allow statements for everyone (`*`) without a condition narrowing them."""
    public = []
    for statement in statements(doc):
        principal = statement.get("Principal")
        everyone = principal == "*" or (isinstance(principal, dict) and "*" in _as_list(principal.get("AWS")))
        if statement.get("Effect") == "Allow" and everyone and not statement.get("Condition"):
            public.append(statement)
    return public


def web_identity_subject_problems(doc: dict[str, Any]) -> list[str]:
    """Problems with a trust policy's web-identity statements: each must pin exactly one service account."""
    problems = []
    for statement in statements(doc):
        if "sts:AssumeRoleWithWebIdentity" not in _as_list(statement.get("Action")):
            continue
        conditions = statement.get("Condition") or {}
        if any("Like" in operator for operator in conditions):
            problems.append("uses a *Like condition: the subject can match many service accounts")
        equals = conditions.get("StringEquals") or {}
        subjects = [v for k, v in equals.items() if k.endswith(":sub")]
        flat = [s for value in subjects for s in _as_list(value)]
        if len(flat) != 1:
            problems.append(f"trusts {len(flat)} subjects; it must name exactly one service account")
        elif not str(flat[0]).startswith("system:serviceaccount:") or "*" in str(flat[0]):
            problems.append(f"subject {flat[0]!r} is not one service account")
        if not any(k.endswith(":aud") for k in equals):
            problems.append("does not pin the audience (sts.amazonaws.com)")
    return problems


def workload_identity_member_problem(member: str) -> str | None:
    """GCP: a workloadIdentityUser member must be exactly one `<pool>[namespace/service-account]`."""
    if not member.startswith("serviceAccount:") or ".svc.id.goog[" not in member:
        return f"member {member!r} is not a single Kubernetes service account"
    subject = member.split("[", 1)[1].rstrip("]")
    if "*" in subject or subject.count("/") != 1:
        return f"member {member!r} is not exactly one namespace/service-account"
    return None
