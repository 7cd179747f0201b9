"""`stackctl diff`: the steps `pulumi up` would take from a prior state to a stack's desired graph.

Owns: `steps` (create/update/replace/delete steps), `replacements` (which input changes force a replace),
`state` (prior state from a `pulumi stack export`), `revision` and `snapshot` (the desired graph at another git
revision, run in a subprocess), `guard` (the destroy guard for stateful resources), `prune` (Kubernetes objects
that leave the rendered deployment repository), `report` (text and JSON output), `command` (the verb, wiring them).

May import: `stackctl.engine`, `stackctl.engine.speedups` and the top-level `stackctl.errors`. Not `analysis` or
`delivery` (same floor or above). (Kept empty of imports: tests/test_rooms.py checks the edges.)
"""
