"""Start a Python policy pack the way the Pulumi CLI does, with the stack config read from a file.

    python -u -m stackctl.pack_host <engine address> <pack dir>       (cwd: the pack directory)

The CLI hands a Python pack its stack config in one environment variable, PULUMI_CONFIG, and the
pulumi-policy SDK reads it from there (`pulumi.runtime.get_config_env()`, on every Analyze call). One
environment string is limited by the kernel (MAX_ARG_STRLEN, 128 KiB on Linux), so a stack of ~220 services
could not start its pack at all (`OSError: Argument list too long`). Here the config travels in a file
named by STACKCTL_PACK_CONFIG_FILE, is set as PULUMI_CONFIG inside this process (no exec, so no limit),
parsed once, and then `pulumi.policy` runs exactly as `python -u -m pulumi.policy` would.

pulumi-policy also converts each resource's property Struct to a dict once per policy (~20 times per
resource, and once per stack policy for every resource in AnalyzeStack). Within one RPC the Struct does not
change, so `_convert_each_struct_once` keeps the converted dict for the length of the call. The SDK builds
fresh containers from it for every policy (`deserialize_properties`), so no policy sees another's objects.
"""

from __future__ import annotations

import json
import os
import runpy
import types
from pathlib import Path

CONFIG_FILE_VARIABLE = "STACKCTL_PACK_CONFIG_FILE"


def _install_config() -> None:
    path = os.environ.pop(CONFIG_FILE_VARIABLE, None)
    if not path:
        return
    raw = Path(path).read_text()
    os.environ["PULUMI_CONFIG"] = raw
    parsed = json.loads(raw)

    import pulumi.runtime
    import pulumi.runtime.config

    # pulumi-policy re-parses PULUMI_CONFIG on every Analyze call, which grows as resources x config size.
    # The variable does not change while the pack runs, so the parsed value is served from here.
    def get_config_env() -> dict:
        return dict(parsed)

    pulumi.runtime.get_config_env = pulumi.runtime.config.get_config_env = get_config_env


def _convert_each_struct_once() -> None:
    import pulumi_policy.policy as policy_module
    from google.protobuf import json_format

    converted: dict[int, tuple[object, dict]] = {}  # id(message) -> (message kept alive, its dict)

    def message_to_dict(message, *args, **kwargs):
        if args or kwargs:
            return json_format.MessageToDict(message, *args, **kwargs)
        hit = converted.get(id(message))
        if hit is not None and hit[0] is message:
            return hit[1]
        result = json_format.MessageToDict(message)
        converted[id(message)] = (message, result)
        return result

    shim = types.SimpleNamespace(**{name: getattr(json_format, name) for name in dir(json_format)
                                    if not name.startswith("__")})
    shim.MessageToDict = message_to_dict
    policy_module.json_format = shim

    servicer = policy_module._PolicyAnalyzerServicer
    for method in ("Analyze", "AnalyzeStack", "Remediate"):
        def call_once(self, request, context, _method=getattr(servicer, method)):
            try:
                return _method(self, request, context)
            finally:
                converted.clear()

        setattr(servicer, method, call_once)


def main() -> None:
    _install_config()
    _convert_each_struct_once()
    runpy.run_module("pulumi.policy", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
