"""The preview as text: a resource tree in the style of `pulumi preview`."""

from __future__ import annotations

import json
from typing import Any

from .engine.graph import Graph, ResourceRecord
from .engine.runner import StackRun

# A few inputs that say what a resource is, per type; other types show their `name` input if any.
KEY_INPUTS: dict[str, tuple[str, ...]] = {
    "pulumi:providers:aws": ("region",),
    "pulumi:providers:gcp": ("project", "region"),
    "aws:sqs/queue:Queue": ("name", "visibilityTimeoutSeconds", "fifoQueue"),
    "gcp:pubsub/topic:Topic": ("name",),
    "gcp:pubsub/subscription:Subscription": ("name", "ackDeadlineSeconds"),
    "gcp:pubsub/topicIAMMember:TopicIAMMember": ("role",),
    "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": ("role",),
    "aws:eks/cluster:Cluster": ("name", "version"),
    "aws:eks/nodeGroup:NodeGroup": ("instanceTypes", "capacityType"),
    "aws:eks/addon:Addon": ("addonVersion",),
    "aws:ec2/subnet:Subnet": ("cidrBlock",),
    "aws:ec2/vpc:Vpc": ("cidrBlock",),
    "gcp:container/cluster:Cluster": ("name", "minMasterVersion"),
    "gcp:container/nodePool:NodePool": ("nodeConfig.machineType", "nodeConfig.spot"),
    "gcp:compute/subnetwork:Subnetwork": ("ipCidrRange",),
    "gcp:projects/iAMMember:IAMMember": ("role",),
}


def _info(record: ResourceRecord) -> str:
    keys = KEY_INPUTS.get(record.type, ("name",))
    parts = []
    for key in keys:
        value: Any = record.inputs
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            parts.append(f"{key.split('.')[-1]}={text}")
    # Shown in full (no fixed-width cut: a cut ARN or policy name hides what differs); flags follow.
    info = " ".join(parts)
    flags = [flag for flag, on in (("protect", record.protect), ("retain", record.retainOnDelete),
                                   ("delete-before-replace", record.deleteBeforeReplace)) if on]
    return f"{info} [{', '.join(flags)}]".strip() if flags else info


def _rows(graph: Graph) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []

    def walk(record: ResourceRecord, prefix: str, is_last: bool, depth: int) -> None:
        branch = "" if depth == 0 else ("└─ " if is_last else "├─ ")
        rows.append((prefix + branch + record.type, record.name, _info(record)))
        children = graph.children(record.urn)
        child_prefix = prefix if depth == 0 else prefix + ("   " if is_last else "│  ")
        for index, child in enumerate(children):
            walk(child, child_prefix, index == len(children) - 1, depth + 1)

    roots = [r for r in graph.resources if r.parent not in graph.by_urn]
    for record in roots:
        walk(record, "", True, 0)
    return rows


def render_preview(run: StackRun) -> str:
    graph = run.graph
    rows = _rows(graph)
    type_width = max([len("Type")] + [len(r[0]) for r in rows])
    name_width = max([len("Name")] + [len(r[1]) for r in rows])
    lines = [
        f"Previewing stack '{graph.stack}' of project '{graph.project}' offline "
        "(mocked cloud, no prior state: every resource is a create)",
        "",
        f"     {'Type':<{type_width}}  {'Name':<{name_width}}  Plan    Info",
    ]
    for type_col, name_col, info in rows:
        lines.append(f" +   {type_col:<{type_width}}  {name_col:<{name_width}}  create  {info}".rstrip())
    if run.diagnostics:
        lines += ["", "Diagnostics:"]
        lines += [f"  {d.severity}: {d.message}" for d in run.diagnostics]
    if graph.stack_outputs:
        lines += ["", "Outputs:"]
        for key, value in sorted(graph.stack_outputs.items()):
            lines.append(f"    {key}: {_format_output(value)}")
    lines += ["", "Resources:", f"    + {len(graph.resources)} to create", ""]
    return "\n".join(lines)


MAX_OUTPUT_LINES = 20


def _format_output(value: Any) -> str:
    if isinstance(value, dict) and set(value) == {"path", "files"} and isinstance(value["files"], dict):
        # GitOps manifests: hundreds of lines; `stackctl render` writes them.
        return f'{{"path": {json.dumps(value["path"])}, "files": <{len(value["files"])} manifests: stackctl render>}}'
    lines = json.dumps(value, indent=2, sort_keys=True).splitlines()
    if len(lines) > MAX_OUTPUT_LINES:
        lines = lines[:MAX_OUTPUT_LINES] + [f"… ({len(lines) - MAX_OUTPUT_LINES} more lines)"]
    return "\n    ".join(lines)
