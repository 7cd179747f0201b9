"""The policy pack. `pulumi preview --policy-pack policy` and `stackctl check` both run this file.

Rules live in `guardrails/` (importable without starting the server); this file only assembles them.
"""

from guardrails import ALL_POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name="platform-guardrails",
    description="Secure defaults and the deployment model of this platform, enforced before anything reaches a cloud.",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=ALL_POLICIES,
)
