"""The SDK floor: register a recorded resource graph with plain Pulumi resources, no components code.

Used as a project's `__main__.py` next to `graph.json` (the `stackctl preview --json` of a stack). Every
recorded resource is registered again with the same type, name, parent, provider, dependencies, options
and inputs through `pulumi.CustomResource` / `ComponentResource` / `ProviderResource`, and the recorded stack
outputs (`stack_outputs`, when the file has them) are exported again, so the run pays what the SDK and the
offline harness cost for that graph and nothing the components add.
"""

from __future__ import annotations

import json
from pathlib import Path

import pulumi

STACK_TYPE = "pulumi:pulumi:Stack"
PROVIDER_PREFIX = "pulumi:providers:"


def _ordered(records: list[dict]) -> list[dict]:
    """Parents, providers and dependencies before the resources that name them."""
    by_urn = {r["urn"]: r for r in records}
    done: set[str] = set()
    order: list[dict] = []

    def visit(urn: str) -> None:
        if urn in done or urn not in by_urn:
            return
        done.add(urn)
        record = by_urn[urn]
        for needed in [record["parent"], record["provider"].rsplit("::", 1)[0], *record["dependencies"]]:
            visit(needed)
        order.append(record)

    for record in records:
        visit(record["urn"])
    return order


def replay(graph: dict) -> int:
    registered: dict[str, pulumi.Resource] = {}
    for record in _ordered(graph["resources"]):
        if record["type"] == STACK_TYPE:
            continue
        provider_urn = record["provider"].rsplit("::", 1)[0] if record["provider"] else ""
        opts = pulumi.ResourceOptions(
            parent=registered.get(record["parent"]),
            provider=registered.get(provider_urn),  # type: ignore[arg-type]
            depends_on=[registered[d] for d in record["dependencies"] if d in registered],
            protect=record["protect"], retain_on_delete=record["retainOnDelete"],
            delete_before_replace=record["deleteBeforeReplace"], ignore_changes=record["ignoreChanges"] or None,
        )
        if record["type"].startswith(PROVIDER_PREFIX):
            resource: pulumi.Resource = pulumi.ProviderResource(
                record["type"][len(PROVIDER_PREFIX):], record["name"], record["inputs"], opts)
        elif record["custom"]:
            resource = pulumi.CustomResource(record["type"], record["name"], record["inputs"], opts)
        else:
            resource = pulumi.ComponentResource(record["type"], record["name"], None, opts)
            resource.register_outputs({})
        registered[record["urn"]] = resource
    return len(registered)


if __name__ == "__main__":
    recorded = json.loads((Path(__file__).parent / "graph.json").read_text())
    replay(recorded)
    for key, value in recorded.get("stack_outputs", {}).items():
        pulumi.export(key, value)
