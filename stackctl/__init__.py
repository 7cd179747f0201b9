"""stackctl: run the real stack program offline (no cloud credentials, no Pulumi CLI).

`preview` shows the resource graph a stack declares, `check` runs the policy pack over it, `render`
writes the Kubernetes manifests for GitOps delivery. It depends on `components`, never the reverse.
"""
