"""Policy check reports: readable text grouped by resource, JSON, and SARIF 2.1.0 for code scanning."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .stack_lines import StackLines

if TYPE_CHECKING:  # annotations only: the analyzer (gRPC, jsonschema) loads when `check` runs
    from .analyzer import CheckResult, PolicyInfo

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVELS = {"mandatory": "error", "advisory": "warning"}


def text_report(results: list[CheckResult], invalid: dict[str, str] | None = None) -> str:
    """`invalid`: stacks that could not be checked (`check --all`), each with the error that says why."""
    lines: list[str] = []
    for result in results:
        mandatory, advisory = len(result.mandatory), len(result.violations) - len(result.mandatory)
        lines.append(f"Policy check of stack '{result.stack}' with {result.pack_name}@{result.pack_version}: "
                     f"{mandatory} mandatory, {advisory} advisory violation(s)")
        by_resource: dict[str, list] = defaultdict(list)
        for violation in result.violations:
            by_resource[violation.urn].append(violation)
        for urn, violations in sorted(by_resource.items()):
            first = violations[0]
            lines.append(f"  {first.type} {first.name}" if first.type else f"  {urn}")
            lines.append(f"    {urn}")
            for violation in sorted(violations, key=lambda v: (v.level != "mandatory", v.policy, v.message)):
                message = violation.message.replace("\n", "\n        ")
                lines.append(f"    [{violation.level}] {violation.policy}: {message}")
        lines.append("")
    for stack, message in (invalid or {}).items():
        lines.append(f"Stack '{stack}' not checked: its stack file or policy config is invalid")
        lines.append("  " + message.replace("\n", "\n  "))
        lines.append("")
    return "\n".join(lines)


def _about(result: CheckResult, policy: str) -> dict[str, Any]:
    """A violation's rule metadata (severity, benchmark reference, remediation, url), where the pack sets it."""
    for info in result.policies:
        if info.name == policy:
            about = {"severity": info.severity, "compliance": info.framework.get("reference", ""),
                     "remediation": info.remediation, "url": info.url}
            return {key: value for key, value in about.items() if value}
    return {}


def json_report(results: list[CheckResult], invalid: dict[str, str] | None = None, project: str = "") -> str:
    """One stack's document, or a list of them (`check --all`); a stack in `invalid` has an `error` instead of a
    summary and violations."""
    data: list[dict[str, Any]] = [{
        "project": r.project,
        "stack": r.stack,
        "policyPack": {"name": r.pack_name, "version": r.pack_version},
        "summary": {"mandatory": len(r.mandatory), "advisory": len(r.violations) - len(r.mandatory)},
        "violations": [{"policy": v.policy, "level": v.level, "urn": v.urn, "type": v.type, "name": v.name,
                        "message": v.message, **_about(r, v.policy)} for v in r.violations],
    } for r in results]
    data += [{"project": project, "stack": stack, "error": message} for stack, message in (invalid or {}).items()]
    return json.dumps(data[0] if len(data) == 1 and not invalid else data, indent=2) + "\n"


# GitHub code scanning ranks security results by `security-severity` (over 9.0 critical, 7.0-8.9 high,
# 4.0-6.9 medium, 0.1-3.9 low: docs.github.com, "SARIF support for code scanning", reportingDescriptor object).
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def _rule(policy: PolicyInfo) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": policy.name,
        "name": policy.name,
        "shortDescription": {"text": policy.description},
        "defaultConfiguration": {"level": SARIF_LEVELS.get(policy.level, "none")},
    }
    if policy.url:
        rule["helpUri"] = policy.url
    if policy.remediation:
        rule["help"] = {"text": policy.remediation}
    properties: dict[str, Any] = {"tags": ["security"]}
    if policy.severity:
        properties["security-severity"] = SECURITY_SEVERITY[policy.severity]
    if policy.framework.get("reference"):
        properties["compliance"] = policy.framework
        properties["tags"].append("compliance")
    rule["properties"] = properties
    return rule


def sarif_report(results: list[CheckResult], stack_files: dict[str, str],
                 stack_paths: dict[str, Path] | None = None, invalid: dict[str, str] | None = None) -> str:
    """SARIF 2.1.0; `stack_files` are the stack files' repository-relative paths (the artifact URIs),
    `stack_paths` where to read them for the line of each result (line 1 when not given). A stack in `invalid`
    (not checked) gets a run of its own whose invocation failed, with the error as an error-level result on its
    stack file, so code scanning shows it."""
    runs: list[dict[str, Any]] = []
    for result in results:
        rules = [_rule(policy) for policy in result.policies]
        index = {rule["id"]: i for i, rule in enumerate(rules)}
        path = (stack_paths or {}).get(result.stack)
        lines = StackLines.load(path, result.stack) if path is not None else None
        runs.append({
            "tool": {"driver": {"name": result.pack_name, "version": result.pack_version,
                                "informationUri": "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/",
                                "rules": rules}},
            "automationDetails": {"id": f"stackctl-check/{result.stack}/"},
            "results": [{
                "ruleId": v.policy,
                "ruleIndex": index.get(v.policy, 0),
                "level": SARIF_LEVELS[v.level],
                "message": {"text": v.message},
                "locations": [{
                    # The stack file is what a developer edits to fix a violation.
                    "physicalLocation": {
                        "artifactLocation": {"uri": stack_files[result.stack]},
                        "region": {"startLine": lines.line(v.urn, v.name, v.policy, v.message) if lines else 1},
                    },
                    "logicalLocations": [{"fullyQualifiedName": v.urn, "kind": "resource"}],
                }],
                "partialFingerprints": {"urnPolicy/v1": f"{v.urn}|{v.policy}"},
            } for v in result.violations],
        })
    for stack, message in (invalid or {}).items():
        runs.append({
            "tool": {"driver": {"name": "stackctl", "informationUri": "https://www.pulumi.com/docs/iac/",
                                "rules": [{"id": INVALID_STACK_RULE, "name": INVALID_STACK_RULE,
                                           "shortDescription": {"text": "The stack file or its policy config is "
                                                                        "invalid: the stack was not checked."},
                                           "defaultConfiguration": {"level": "error"}}]}},
            "automationDetails": {"id": f"stackctl-check/{stack}/"},
            "invocations": [{"executionSuccessful": False, "exitCode": 2,
                             "toolExecutionNotifications": [{"level": "error", "message": {"text": message}}]}],
            "results": [{
                "ruleId": INVALID_STACK_RULE, "ruleIndex": 0, "level": "error", "message": {"text": message},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": stack_files[stack]},
                                                    "region": {"startLine": 1}}}],
                "partialFingerprints": {"urnPolicy/v1": f"{stack}|{INVALID_STACK_RULE}"},
            }],
        })
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}, indent=2) + "\n"


INVALID_STACK_RULE = "stack-file-invalid"
