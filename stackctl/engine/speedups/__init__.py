"""The SDK speed-ups: faster stand-ins for Pulumi SDK internals and the collector tuning, nothing else.

Owns: `unknowns`, `output_futures`, `type_hints` (faster equivalents of SDK functions, installed by
`stackctl.engine.runner` at import), `sdk_packages` (provider SDK packages that load a resource's module by
name, installed by the CLI), `lazy_proxy` (pulumi-policy's property proxies built as they are read, used by the pack
host), `pending` (await what a program left pending), `collector` (cycle-collector thresholds for a run and for a
short-lived process). Two SDK patches live elsewhere for now: the stack-trace skip (`_stack_trace_unless_offline`)
in `stackctl.engine.runner`, and the pulumi-policy patches in `stackctl.analysis.pack_host`.

May import: nothing else in stackctl (only the SDKs and the standard library). It is the bottom floor; the engine,
the policy host, diff and the CLI import it. (Kept empty of imports: tests/test_rooms.py checks the edges.)
"""
