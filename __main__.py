"""The stack program. `pulumi up` and `stackctl` both run this file unchanged."""

import pulumi

from components import Environment, load_environment_spec

# Validate the whole stack file first: an invalid spec raises SpecError and registers nothing.
spec = load_environment_spec()
environment = Environment(pulumi.get_stack(), spec)

pulumi.export("queues", environment.queue_addresses)
# Where producers, other stacks and applications find each queue (URL and ARN; topic and subscription on GCP).
pulumi.export("queue_endpoints", environment.queue_endpoints)
if environment.queue_key is not None:
    # The environment's queue key (AWS key ARN, Cloud KMS key id): for senders' own grants.
    pulumi.export("queue_key", environment.queue_key_ref)
if environment.cluster is not None:
    pulumi.export("cluster_name", environment.cluster.cluster_name)
    # Secret: `pulumi stack output kubeconfig --show-secrets > kubeconfig.json` for kubectl.
    pulumi.export("kubeconfig", environment.cluster.kubeconfig)
if environment.deployment_files is not None:
    # GitOps: what `stackctl render --outputs` writes into the deployment repository.
    pulumi.export("deployment_files", environment.deployment_files)
