"""Argo CD: no default project, no wildcards in prod, the admin password never exported."""

from __future__ import annotations

import re
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._common import get, kubernetes_kind, plain
from ._metadata import about


def _no_default_project(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    kind = kubernetes_kind(args.resource_type)
    if kind == "Application":
        project = get(plain(args.props), "spec", "project")
    elif kind == "ApplicationSet":
        project = get(plain(args.props), "spec", "template", "spec", "project")
    else:
        return
    if project in (None, "", "default"):
        report_violation("uses the permissive `default` AppProject; use the environment's project")


argocd_no_default_project = ResourceValidationPolicy(
    name="argocd-no-default-project",
    **about("argocd-no-default-project"),
    description="Argo CD Applications never use the permissive `default` AppProject.",
    validate=_no_default_project,
    enforcement_level=EnforcementLevel.MANDATORY,
)


def _no_wildcards(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if kubernetes_kind(args.resource_type) != "AppProject":
        return
    spec = plain(args.props).get("spec") or {}
    repos = [r for r in spec.get("sourceRepos") or [] if "*" in str(r)]
    if repos:
        report_violation(f"source repositories with wildcards {repos}")
    for destination in spec.get("destinations") or []:
        if any("*" in str(destination.get(k, "")) for k in ("server", "name", "namespace")):
            report_violation(f"wildcard destination {dict(destination)}")
    for entry in spec.get("clusterResourceWhitelist") or []:
        if "*" in (str(entry.get("group")), str(entry.get("kind"))):
            report_violation(f"wildcard cluster resources {dict(entry)}")


argocd_no_wildcards = ResourceValidationPolicy(
    name="argocd-no-wildcards",
    **about("argocd-no-wildcards"),
    description="AppProjects name their source repositories, destinations and cluster resources (prod).",
    validate=_no_wildcards,
    enforcement_level=EnforcementLevel.MANDATORY,
)

_ADMIN_PASSWORD = re.compile(r"(admin.*pass|pass.*admin|initial[-_]?admin)", re.IGNORECASE)


def _keys(value: Any, prefix: str = "") -> list[str]:
    if not isinstance(value, dict):
        return []
    keys = []
    for key, item in value.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        keys.append(path)
        if key != "deployment_files":
            keys += _keys(item, path)
    return keys


def _admin_password_not_exported(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for resource in args.resources:
        if resource.resource_type == "pulumi:pulumi:Stack":
            for key in _keys(plain(resource.props)):
                if _ADMIN_PASSWORD.search(key):
                    report_violation(f"the stack exports {key!r}: the Argo CD admin password must never be an output",
                                     resource.urn)
        if resource.resource_type == "kubernetes:core/v1:Secret" and (
                get(resource.props, "metadata", "name") == "argocd-initial-admin-secret"):
            report_violation("the stack manages or reads argocd-initial-admin-secret", resource.urn)


argocd_admin_password_not_exported = StackValidationPolicy(
    name="argocd-admin-password-not-exported",
    **about("argocd-admin-password-not-exported"),
    description="The Argo CD admin password never appears in stack outputs or Pulumi-managed secrets.",
    validate=_admin_password_not_exported,
    enforcement_level=EnforcementLevel.MANDATORY,
)

POLICIES = [argocd_no_default_project, argocd_no_wildcards, argocd_admin_password_not_exported]
