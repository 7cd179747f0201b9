"""The offline engine: run a stack program in-process the way the Pulumi engine and language host would.

Owns: `runner` (run a project's program for one stack under recording mocks), `recorder` (the resource monitor
that records each registration as the engine would receive it), `mocks` (deterministic cloud answers), `graph`
(the recorded resource graph and its JSON form), `urns` (engine URNs), `wire` (property Structs to plain JSON),
`project` (`Pulumi.yaml` and its stack files).

May import: `stackctl.engine.speedups` and the top-level `stackctl.errors`. Nothing else in stackctl: every other
room builds on this one. (Kept empty of imports: `stackctl --help` loads no SDK; tests/test_rooms.py checks the
edges.)
"""
