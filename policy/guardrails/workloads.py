"""Workloads: locked-down pods, pinned images, probes, and availability of prod services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from components.rules.pods import (
    image_pin_problems,
    non_root_problems,
    pod_labels,
    pod_spec,
    privilege_problems,
    probe_problems,
    read_only_root_problems,
    resource_problems,
)

from ._common import WORKLOAD_KINDS, cluster_objects, get, kubernetes_kind, plain, report_all
from ._metadata import about

PodRule = Callable[[dict[str, Any], dict[str, Any]], list[str]]


def pod_policy(name: str, description: str, rule: PodRule, level: EnforcementLevel = EnforcementLevel.MANDATORY,
               kinds: tuple[str, ...] | None = None, config_schema: PolicyConfigSchema | None = None):
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        kind = kubernetes_kind(args.resource_type)
        if kind is None or (kinds is not None and kind not in kinds):
            return
        pod = pod_spec({**plain(args.props), "kind": kind})
        if pod is not None:
            report_all(report_violation, rule(pod, args.get_config()))

    return ResourceValidationPolicy(name=name, description=description, validate=validate, enforcement_level=level,
                                    config_schema=config_schema, **about(name))


DIGEST_SCHEMA = PolicyConfigSchema(properties={
    "require_digest": {"type": "boolean", "default": True,
                       "description": "Require repo@sha256:... images (prod); tags are allowed when false."}})

# name -> (description, rule); the same rules check rendered GitOps manifests (deployment-repo-manifests).
POD_RULES: dict[str, tuple[str, PodRule]] = {
    "k8s-run-as-non-root": ("Containers run as a non-root user.", lambda pod, cfg: non_root_problems(pod)),
    "k8s-read-only-root-filesystem": ("Containers have a read-only root filesystem.",
                                      lambda pod, cfg: read_only_root_problems(pod)),
    "k8s-no-privilege-escalation": ("No privileged containers, privilege escalation, host namespaces or "
                                    "added capabilities.", lambda pod, cfg: privilege_problems(pod)),
    "k8s-resource-limits": ("Containers request CPU and memory and have a memory limit.",
                            lambda pod, cfg: resource_problems(pod)),
    "k8s-image-pinned": ("Images have a tag other than latest; in prod they are pinned by digest.",
                         lambda pod, cfg: image_pin_problems(pod, bool(cfg.get("require_digest", True)))),
}

POLICIES = [
    pod_policy(name, description, rule, config_schema=DIGEST_SCHEMA if name == "k8s-image-pinned" else None)
    for name, (description, rule) in POD_RULES.items()
]


def _probes(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    # A stack policy, so that one rule sees both what Pulumi applies (push) and what the deployment repository
    # holds (GitOps): the same service gets the same advice in either delivery mode.
    for where, manifest, urn in cluster_objects(args):
        if manifest.get("kind") != "Deployment":
            continue
        prefix = f"{where}: " if where.endswith(".yaml") else ""
        for problem in probe_problems(pod_spec(manifest) or {}):
            report_violation(f"{prefix}{problem}", urn)


POLICIES.append(StackValidationPolicy(
    name="k8s-probes",
    **about("k8s-probes"),
    description="Services declare readiness and liveness probes (applied and rendered manifests).",
    validate=_probes,
    enforcement_level=EnforcementLevel.ADVISORY,
))


def _rendered_manifests(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    require_digest = bool(args.get_config().get("require_digest", True))
    for where, manifest, urn in cluster_objects(args):
        if not where.endswith(".yaml"):
            continue  # applied by Pulumi: the resource policies above checked it
        pod = pod_spec(manifest)
        if pod is None:
            continue
        for name, (_, rule) in POD_RULES.items():
            for problem in rule(pod, {"require_digest": require_digest}):
                report_violation(f"{where}: {name}: {problem}", urn)


POLICIES.append(StackValidationPolicy(
    name="deployment-repo-manifests",
    **about("deployment-repo-manifests"),
    description="Manifests rendered into the deployment repository (GitOps) pass the same pod rules.",
    validate=_rendered_manifests,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=DIGEST_SCHEMA,
))


def _selects(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    match = selector.get("matchLabels") or {}
    return bool(match) and all(labels.get(k) == v for k, v in match.items())


def _availability(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    # Objects indexed by namespace once: each Deployment then looks only at its own namespace's objects, so the
    # rule grows linearly with the stack, not as Deployments x objects.
    by_namespace: dict[Any, list[dict]] = {}
    deployments: list[tuple[str, dict, str | None]] = []
    for where, manifest, urn in cluster_objects(args):
        by_namespace.setdefault(get(manifest, "metadata", "namespace"), []).append(manifest)
        if str(manifest.get("kind")) == "Deployment":
            deployments.append((where, manifest, urn))
    for where, deployment, urn in deployments:
        name = get(deployment, "metadata", "name")
        namespace = get(deployment, "metadata", "namespace")
        labels = get(deployment, "spec", "template", "metadata", "labels", default={}) or {}
        same_namespace = by_namespace.get(namespace, [])
        if not any(m.get("kind") == "PodDisruptionBudget" and _selects(get(m, "spec", "selector", default={}), labels)
                   for m in same_namespace):
            report_violation(f"{where}: Deployment {namespace}/{name} has no PodDisruptionBudget", urn)
        minimum = deployment.get("spec", {}).get("replicas", 1)
        for m in same_namespace:
            if get(m, "spec", "scaleTargetRef", "name") == name:
                if m.get("kind") == "ScaledObject":
                    minimum = get(m, "spec", "minReplicaCount", default=0)
                elif m.get("kind") == "HorizontalPodAutoscaler":
                    minimum = get(m, "spec", "minReplicas", default=1)
        if minimum < 2:
            report_violation(f"{where}: Deployment {namespace}/{name} may run {minimum} replica(s); prod needs 2",
                             urn)


prod_service_availability = StackValidationPolicy(
    name="prod-service-availability",
    **about("prod-service-availability"),
    description="Prod services keep at least two replicas and a PodDisruptionBudget.",
    validate=_availability,
    enforcement_level=EnforcementLevel.MANDATORY,
)
POLICIES.append(prod_service_availability)


def _isolates(policy: dict[str, Any], labels: dict[str, Any]) -> bool:
    """Whether a NetworkPolicy selects pods with `labels` for both ingress and egress."""
    spec = policy.get("spec") or {}
    selector = (spec.get("podSelector") or {}).get("matchLabels") or {}
    return (set(spec.get("policyTypes") or []) >= {"Ingress", "Egress"}
            and all(labels.get(k) == v for k, v in selector.items()))


def _network_policies(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    objects = list(cluster_objects(args))
    policies: dict[Any, list[dict[str, Any]]] = {}
    for _, manifest, _ in objects:
        if manifest.get("kind") == "NetworkPolicy":
            policies.setdefault(get(manifest, "metadata", "namespace"), []).append(manifest)
    for where, manifest, urn in objects:
        if manifest.get("kind") not in WORKLOAD_KINDS or pod_spec(manifest) is None:
            continue
        kind, namespace, name = manifest.get("kind"), get(manifest, "metadata", "namespace"), get(
            manifest, "metadata", "name")
        labels = pod_labels(manifest)
        if not any(_isolates(policy, labels) for policy in policies.get(namespace, [])):
            prefix = f"{where}: " if where.endswith(".yaml") else ""
            report_violation(f"{prefix}{kind} {namespace}/{name}: no NetworkPolicy isolates its pods (ingress and "
                             "egress): every pod in the cluster can reach them and they can reach everything", urn)


POLICIES.append(StackValidationPolicy(
    name="k8s-network-policy",
    **about("k8s-network-policy"),
    description="Every workload's pods are isolated by a NetworkPolicy (default deny plus the allows it needs).",
    validate=_network_policies,
    enforcement_level=EnforcementLevel.MANDATORY,
))
