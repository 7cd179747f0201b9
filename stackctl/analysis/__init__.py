"""The policy host: drive the real policy pack over its gRPC Analyzer service, as the Pulumi CLI does.

Owns: `analyzer` (start the pack, send each recorded resource and the stack, collect violations), `pack_host`
(the subprocess entry point, `python -m stackctl.analysis.pack_host`, that starts a Python pack with the stack
config handed over privately), `packs` (which pack: the project's `policy/`, else the one installed with the
package as `platform_policy`), `report` (text, JSON and SARIF reports), `stack_lines` (the stack-file line a
violation comes from).

May import: `stackctl.engine`, `stackctl.engine.speedups` and the top-level `stackctl.errors`. Not `diff` or
`delivery` (same floor or above). (Kept empty of imports: only `check` and the gated verbs pay for gRPC and
jsonschema; tests/test_rooms.py checks the edges.)
"""
