"""The SDK's `_get_stack_trace`, skipped for a monitor that never reads source positions.

The SDK walks and resolves the whole Python stack on every registration (`pulumi.runtime.resource._get_stack_trace`,
~15 % of a large offline run) to send the engine source positions for its UI. The recording monitor of an offline
run never reads them (it says so with `reads_stack_traces = False`), so for a run under it the replacement returns
an empty trace; any other monitor gets the SDK's.

The switch (`switch.py`) puts it in place for the length of an offline run when the installed SDK's function is the
one this was written against (its source is compared: a changed signature would otherwise make every registration
fail inside the SDK's event loop, which waits for it forever).
"""

from __future__ import annotations

from typing import Any

import pulumi.runtime.resource
import pulumi.runtime.settings
from pulumi.runtime.proto import source_pb2

# The source digest of pulumi 3.272.0's `pulumi.runtime.resource._get_stack_trace` (no arguments, returns a
# `source_pb2.StackTrace`).
SDK_FINGERPRINT = "3943b22730169251"

# The SDK's own function (tests compare the two).
sdk_get_stack_trace: Any = pulumi.runtime.resource._get_stack_trace


def stack_trace_unless_offline(original: Any) -> Any:
    """`original` (the SDK's `_get_stack_trace`), skipped while the monitor does not read stack traces."""

    def _get_stack_trace() -> source_pb2.StackTrace:
        if getattr(pulumi.runtime.settings.get_monitor(), "reads_stack_traces", True) is False:
            return source_pb2.StackTrace()
        return original()

    _get_stack_trace.sdk_function = original  # type: ignore[attr-defined]
    return _get_stack_trace
