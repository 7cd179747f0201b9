"""The platform's policies, importable without starting a policy server (that is `policy/__main__.py`)."""

from . import argocd, article, clusters, identity, keys, queues, retention, stateful, workloads

ALL_POLICIES = [
    *clusters.POLICIES,
    *queues.POLICIES,
    *stateful.POLICIES,
    *retention.POLICIES,
    *keys.POLICIES,
    *identity.POLICIES,
    *workloads.POLICIES,
    *argocd.POLICIES,
    *article.POLICIES,
]

__all__ = ["ALL_POLICIES"]
