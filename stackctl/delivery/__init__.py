"""The deployment loop: render desired state into the deployment repository, promote, roll back, read history.

Owns: `render` and `manifest_yaml` (GitOps manifests written deterministically), `stackfile` (read and change
workload images in a stack file, byte for byte), `history` (which image each workload ran, from git history),
`promote` and `rollback` (the verbs), `desired` (gate a change with the policy pack, commit it on a new branch),
`gitrepo` (the git operations the loop needs), `registry/` (artifact registries: ECR, Artifact Registry),
`operator_stacks` (an operator-delivered stack's PKO objects, written next to the manifests).

May import: `stackctl.analysis` (the policy gate), `stackctl.diff`, `stackctl.engine`, `stackctl.engine.speedups`
and the top-level `stackctl.errors`. Only the CLI sits above it. (Kept empty of imports: tests/test_rooms.py checks
the edges.)
"""
