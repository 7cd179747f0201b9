"""The stack program. `pulumi up` and `stackctl` both run this file unchanged."""

import pulumi

from components import Environment, load_environment_spec

# Validate the whole stack file first: an invalid spec raises SpecError and registers nothing.
spec = load_environment_spec()
environment = Environment(pulumi.get_stack(), spec)

pulumi.export("queues", environment.queue_addresses)
