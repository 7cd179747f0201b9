"""A workload's NetworkPolicy: deny by default, allow only what the workload needs.

Selecting the workload's pods with both policy types isolates them (Kubernetes: a pod selected by a policy of
a type accepts only what some policy allows). The allows:
- DNS to the cluster's kube-dns pods (`k8s-app: kube-dns` in kube-system, on EKS's CoreDNS and GKE's kube-dns);
- HTTPS (TCP 443) anywhere: the work queue (SQS / Pub/Sub), STS / Google token endpoints and the cloud APIs
  the workload calls have no stable addresses a policy could name;
- on GKE, the metadata server Workload Identity reads tokens from (169.254.169.254:80 and, with Dataplane V2,
  169.254.169.252:988; https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity, "network policy");
- ingress only for an exposed service, on its declared ports, from pods of its own namespace and of the
  namespaces listed in `expose_to` or calling it (`calls`);
- egress to the declared `egress` ranges on their ports (an `ipBlock` with `ports`), and to the pods of each
  service in `calls` on its declared ports (a namespace and pod selector).
Kubelet probes need no rule: traffic to and from the node a pod runs on is always allowed (kubernetes.io,
"Network Policies"). Enforced on EKS by the VPC CNI's network policy agent (the vpc-cni add-on with
`enableNetworkPolicy`) and on GKE by Dataplane V2 (ADVANCED_DATAPATH).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..spec.workload import EgressRule
from . import manifests

Manifest = dict[str, Any]
KUBE_DNS = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}
GKE_METADATA = [("169.254.169.254/32", 80), ("169.254.169.252/32", 988)]


@dataclass(frozen=True)
class CallTarget:
    """An exposed service of the environment a workload calls: where its pods are and which ports they serve."""

    namespace: str
    workload_name: str
    ports: tuple[int, ...]


def network_policy(name: str, namespace: str, component: str, cloud: str, ports: dict[str, int],
                   expose_to: list[str], egress_rules: tuple[EgressRule, ...] | list[EgressRule] = (),
                   calls: tuple[CallTarget, ...] | list[CallTarget] = ()) -> Manifest:
    egress: list[dict[str, Any]] = [
        {"to": [KUBE_DNS], "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
        {"ports": [{"protocol": "TCP", "port": 443}]},
    ]
    if cloud == "gcp":
        egress += [{"to": [{"ipBlock": {"cidr": cidr}}], "ports": [{"protocol": "TCP", "port": port}]}
                   for cidr, port in GKE_METADATA]
    egress += [{"to": [{"ipBlock": {"cidr": rule.cidr}}],
                "ports": [{"protocol": rule.protocol, "port": port} for port in rule.ports]}
               for rule in egress_rules]
    egress += [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": target.namespace}},
                        "podSelector": {"matchLabels": manifests.selector(target.workload_name)}}],
                "ports": [{"protocol": "TCP", "port": port} for port in target.ports]}
               for target in sorted(calls, key=lambda t: (t.namespace, t.workload_name))]
    ingress: list[dict[str, Any]] = []
    if ports:
        sources: list[dict[str, Any]] = [{"podSelector": {}}]
        sources += [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}}
                    for ns in sorted(set(expose_to) - {namespace})]
        ingress.append({"from": sources,
                        "ports": [{"protocol": "TCP", "port": port} for _, port in sorted(ports.items())]})
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": manifests.metadata(name, namespace, manifests.labels(name, component)),
        "spec": {
            "podSelector": {"matchLabels": manifests.selector(name)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": ingress,
            "egress": egress,
        },
    }


# Longer than a workload name may be (30 characters, `components/spec/base.py`), so no workload's own policy
# can ever take this name in the same namespace.
NAMESPACE_DEFAULT_DENY = "namespace-wide-default-deny-policy"


def namespace_default_deny(namespace: str) -> Manifest:
    """Isolates every pod of a workload namespace, including pods no workload policy selects (a Job's debug
    copy, something applied by hand): policies are additive, so each workload's own policy still opens
    exactly what that workload needs (kubernetes.io, "Network Policies", "Default deny all ingress and all
    egress traffic")."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": manifests.metadata(NAMESPACE_DEFAULT_DENY, namespace,
                                       {"app.kubernetes.io/managed-by": manifests.MANAGED_BY}),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }
