"""The deployment loop: render desired state into the deployment repository, promote, roll back, read history.

Owns: `render` and `manifest_yaml` (GitOps manifests written deterministically), `stackfile` (read and change
workload images in a stack file, byte for byte), `history` (which image each workload ran, from git history),
`promote`, `rollback` and `hold` (the verbs; `hold` also releases), `desired` (gate a change with the policy
pack, commit it on its branch, all or nothing), `gitrepo` (the git operations the loop needs), `registry/`
(artifact registries: ECR, Artifact Registry), `retained` (the `adopt_retained` block that re-attaches what a
destroy kept), `legacy_roles` (the deployer's statements for roles made before the role path),
`operator_stacks` (an operator-delivered stack's PKO objects, written next to the manifests).

May import: `stackctl.analysis` (the policy gate), `stackctl.diff`, `stackctl.engine`, `stackctl.engine.speedups`
and the top-level `stackctl.errors`. Only the CLI sits above it. (Kept empty of imports: tests/test_rooms.py checks
the edges.)
"""
