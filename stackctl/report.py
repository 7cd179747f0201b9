"""Policy check reports: readable text grouped by resource, JSON, and SARIF 2.1.0 for code scanning."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: the analyzer (gRPC, jsonschema) loads when `check` runs
    from .analyzer import CheckResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVELS = {"mandatory": "error", "advisory": "warning"}


def text_report(results: list[CheckResult]) -> str:
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
    return "\n".join(lines)


def json_report(results: list[CheckResult]) -> str:
    data = [{
        "project": r.project,
        "stack": r.stack,
        "policyPack": {"name": r.pack_name, "version": r.pack_version},
        "summary": {"mandatory": len(r.mandatory), "advisory": len(r.violations) - len(r.mandatory)},
        "violations": [{"policy": v.policy, "level": v.level, "urn": v.urn, "type": v.type, "name": v.name,
                        "message": v.message} for v in r.violations],
    } for r in results]
    return json.dumps(data[0] if len(data) == 1 else data, indent=2) + "\n"


def sarif_report(results: list[CheckResult], stack_files: dict[str, str]) -> str:
    runs: list[dict[str, Any]] = []
    for result in results:
        rules = [{
            "id": policy.name,
            "name": policy.name,
            "shortDescription": {"text": policy.description},
            "defaultConfiguration": {"level": SARIF_LEVELS.get(policy.level, "none")},
        } for policy in result.policies]
        index = {rule["id"]: i for i, rule in enumerate(rules)}
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
                    "physicalLocation": {"artifactLocation": {"uri": stack_files[result.stack]}},
                    "logicalLocations": [{"fullyQualifiedName": v.urn, "kind": "resource"}],
                }],
                "partialFingerprints": {"urnPolicy/v1": f"{v.urn}|{v.policy}"},
            } for v in result.violations],
        })
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}, indent=2) + "\n"
