"""Helpers to find workload objects in a recorded graph."""

from __future__ import annotations

from stackctl.graph import Graph


def manifests(graph: Graph, kind: str | None = None) -> list[dict]:
    """Inputs of every Kubernetes object Pulumi would apply (Helm releases excluded)."""
    found = []
    for record in graph.resources:
        if record.type.startswith("kubernetes:") and "helm.sh" not in record.type:
            if kind is None or record.inputs.get("kind") == kind:
                found.append(record.inputs)
    return found


def manifest(graph: Graph, kind: str, name: str, namespace: str | None = None) -> dict:
    matches = [m for m in manifests(graph, kind) if m["metadata"]["name"] == name
               and (namespace is None or m["metadata"].get("namespace") == namespace)]
    assert len(matches) == 1, f"{kind} {name}: {len(matches)} matches"
    return matches[0]


def pod_specs(graph: Graph) -> dict[str, dict]:
    """Pod spec of every workload object, keyed by `<kind>/<name>`."""
    specs = {}
    for m in manifests(graph):
        spec = m.get("spec", {})
        template = None
        if m["kind"] == "Deployment":
            template = spec["template"]
        elif m["kind"] == "CronJob":
            template = spec["jobTemplate"]["spec"]["template"]
        elif m["kind"] == "ScaledJob":
            template = spec["jobTargetRef"]["template"]
        if template is not None:
            specs[f"{m['kind']}/{m['metadata']['name']}"] = template["spec"]
    return specs
