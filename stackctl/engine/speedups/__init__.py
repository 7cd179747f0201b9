"""The SDK speed-ups: faster stand-ins for Pulumi SDK internals and the collector tuning, nothing else.

Owns: `switch` (the one installer: every SDK replacement in place for the length of an offline run, or none;
`STACKCTL_STOCK_SDK=1` / `stackctl --stock-sdk` for none, read by `stock`; each private SDK name a replacement
takes the place of or relies on is fingerprinted there, and a mismatch gives one warning and the stock SDK),
the replacements it installs: `unknowns`, `output_futures`, `type_hints`, `stack_trace`; `sdk_packages` (provider
SDK packages that load a resource's module by name, installed by the CLI unless the stock SDK is asked for),
`lazy_proxy` (pulumi-policy's property proxies built as they are read, used by the pack host unless the stock SDK
is asked for), `collector` (cycle-collector thresholds for a run and for a short-lived process).

May import: nothing else in stackctl (only the SDKs and the standard library). It is the bottom floor; the engine,
the policy host, diff and the CLI import it. (Kept empty of imports: tests/test_rooms.py checks the edges.)
"""
