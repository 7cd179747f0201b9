"""Helpers to find workload objects in a recorded graph."""

from __future__ import annotations

from stackctl.engine.graph import Graph


def applied_objects(graph: Graph, kind: str | None = None) -> list[dict]:
    """Inputs of every Kubernetes object Pulumi applies itself (Helm releases and patches excluded)."""
    found = []
    for record in graph.resources:
        if record.type.startswith("kubernetes:") and "helm.sh" not in record.type and not record.type.endswith(
                "Patch"):
            if kind is None or record.inputs.get("kind") == kind:
                found.append(record.masked_inputs)
    return found


def manifests(graph: Graph, kind: str | None = None) -> list[dict]:
    """Every Kubernetes object the cluster gets: applied by Pulumi (push) or rendered for Argo CD (gitops)."""
    rendered = list(graph.stack_outputs.get("deployment_files", {}).get("files", {}).values())
    return applied_objects(graph, kind) + [m for m in rendered if kind is None or m["kind"] == kind]


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
