"""Cloud review of issues 22 and 24: what the real APIs would do with the shipped stacks' resources."""

from __future__ import annotations

from components import PubSubWorkQueue, WorkQueueArgs
from stackctl.delivery.retained import Where, retained
from stackctl.testing import run_program

from .conftest import shipped_run

AGENT_GRANT = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"


def test_gcp_prod_keeps_the_pubsub_agent_grant_on_the_retained_queue_key():
    """Pub/Sub encrypts and decrypts a CMEK topic's messages as its service agent: without the agent's
    encrypter/decrypter role on the key, publish and pull fail FAILED_PRECONDITION ("Pub/Sub can't access the
    customer-managed encryption key", Pub/Sub error codes). A destroy keeps the topics, subscriptions and key so
    their messages stay readable; deleting the grant with the rest would leave them unreadable."""
    graph = shipped_run("gcp-prod").graph
    [grant] = [r for r in graph.of_type(AGENT_GRANT) if r.name == "gcp-prod-queues-kms-agent"]
    assert grant.retainOnDelete
    # Re-adding an IAM member is idempotent (the binding merges into the key's policy): nothing to adopt.
    items = retained(graph, Where(region="europe-west1", gcp_project="acme-platform-prod"))
    assert not [item for item in items if item.key.startswith(AGENT_GRANT)]
    # The cluster's own key grants go with the cluster (its keys are not retained).
    assert not [r for r in graph.of_type(AGENT_GRANT) if r.retainOnDelete and r.name != grant.name]


def test_a_protected_pubsub_queue_used_directly_keeps_its_agent_grant():
    """The same for a PubSubWorkQueue used directly with its own key: protected (kept) topics keep the grant;
    unprotected ones let it go with them."""
    key = "projects/acme-1/locations/europe-west1/keyRings/r/cryptoKeys/jobs"
    for protect in (True, False):
        run = run_program(lambda p=protect: PubSubWorkQueue("jobs", WorkQueueArgs(kms_key=key, protect=p)),
                          config={"gcp:project": "acme-1"})
        [grant] = run.graph.of_type(AGENT_GRANT)
        assert grant.name == "jobs-kms-agent" and bool(grant.retainOnDelete) is protect
