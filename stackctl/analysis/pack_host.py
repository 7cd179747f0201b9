"""Start a Python policy pack the way the Pulumi CLI does, with the stack config handed over privately.

    python -u -m stackctl.analysis.pack_host <engine address> <pack dir>       (cwd: the pack directory)

The CLI hands a Python pack its stack config in one environment variable, PULUMI_CONFIG, and the
pulumi-policy SDK reads it from there (`pulumi.runtime.get_config_env()`, on every Analyze call). One
environment string is limited by the kernel (MAX_ARG_STRLEN, 128 KiB on Linux), so a stack of ~220 services
could not start its pack at all (`OSError: Argument list too long`). Here the config travels in a file
named by STACKCTL_PACK_CONFIG_FILE, or on stdin when STACKCTL_PACK_CONFIG_STDIN is set, is set as
PULUMI_CONFIG inside this process (no exec, so no limit), parsed once, and then `pulumi.policy` runs exactly
as `python -u -m pulumi.policy` would.

With the config on stdin, `stackctl check` starts the pack before the stack program runs: the SDK imports
below happen on the other core meanwhile, and the pack's own modules are imported only once the config is
set, as under the CLI.

One pack process can serve several stacks (`stackctl check --all`): a ConfigureStack request naming another
stack or carrying another config switches what pulumi-policy reads (PULUMI_CONFIG, PULUMI_PROJECT,
PULUMI_STACK, PULUMI_ORGANIZATION, PULUMI_DRY_RUN and the runtime's config store) before the SDK handles it.
For the first stack the request carries the config the process started with, so nothing changes.

pulumi-policy also converts each resource's property Struct to a dict once per policy (~20 times per
resource, and once per stack policy for every resource in AnalyzeStack). Within one RPC the Struct does not
change, so `_convert_each_struct_once` keeps the converted dict for the length of the call. The SDK builds
fresh containers from it for every policy (`deserialize_properties`), so no policy sees another's objects.
"""

from __future__ import annotations

import contextvars
import json
import os
import runpy
import sys
import threading
import types
from pathlib import Path

from stackctl.engine.speedups.collector import few_collections_for_this_process
from stackctl.engine.speedups.stock import stock_requested

CONFIG_FILE_VARIABLE = "STACKCTL_PACK_CONFIG_FILE"
CONFIG_STDIN_VARIABLE = "STACKCTL_PACK_CONFIG_STDIN"

# What pulumi-policy serves from `get_config_env()`: the parsed PULUMI_CONFIG of the current stack.
_current: dict[str, dict] = {"config": {}}


def _read_config() -> str | None:
    path = os.environ.pop(CONFIG_FILE_VARIABLE, None)
    if path:
        return Path(path).read_text()
    if os.environ.pop(CONFIG_STDIN_VARIABLE, None):
        with sys.stdin:
            return sys.stdin.read()
    return None


def _install_config() -> None:
    raw = _read_config()
    if raw is None:
        return
    os.environ["PULUMI_CONFIG"] = raw
    _current["config"] = json.loads(raw)

    import pulumi.runtime
    import pulumi.runtime.config

    # pulumi-policy re-parses PULUMI_CONFIG on every Analyze call, which grows as resources x config size.
    # The variable changes only through ConfigureStack (below), so the parsed value is served from here.
    def get_config_env() -> dict:
        return dict(_current["config"])

    pulumi.runtime.get_config_env = pulumi.runtime.config.get_config_env = get_config_env


def _switch_stack(request) -> None:
    """Make the process look as if the CLI had started it for the stack `request` (ConfigureStack) names."""
    import pulumi.runtime.config

    config = dict(request.config)
    stack_env = {"PULUMI_PROJECT": request.project, "PULUMI_STACK": request.stack,
                 "PULUMI_DRY_RUN": "true" if request.dry_run else "false"}
    if request.organization:
        stack_env["PULUMI_ORGANIZATION"] = request.organization
    if config == pulumi.runtime.config.get_config_env() and all(os.environ.get(k) == v for k, v in stack_env.items()):
        return  # the stack this process was started for
    os.environ.update(stack_env)
    os.environ["PULUMI_CONFIG"] = json.dumps(config)
    _current["config"] = config
    # pulumi-policy copies the config into the runtime's store (`set_config`) on every call; without a reset
    # the previous stack's keys would stay visible. The store is the ContextVar's default dict, shared by the
    # server's threads.
    contextvars.Context().run(pulumi.runtime.config.CONFIG.get).clear()
    pulumi.runtime.config.CONFIG.get().clear()


def _follow_configure_stack() -> None:
    import pulumi_policy.policy as policy_module

    servicer = policy_module._PolicyAnalyzerServicer
    configure_stack = servicer.ConfigureStack

    def switching_configure_stack(self, request, context):
        _switch_stack(request)
        return configure_stack(self, request, context)

    servicer.ConfigureStack = switching_configure_stack


def _convert_each_struct_once() -> None:
    """Per RPC, each property Struct is converted to a dict and deserialized once, not once per policy, and
    policies get proxies built as they read them (stackctl/engine/speedups/lazy_proxy.py) over that shared, never
    written tree. Trees holding assets or archives (objects a policy could change) are deserialized per policy."""
    import pulumi_policy.policy as policy_module
    from google.protobuf import json_format
    from pulumi_policy import deserialize

    from stackctl.engine.speedups import lazy_proxy

    asset_sigs = (deserialize.SPECIAL_ASSET_SIG.encode(), deserialize.SPECIAL_ARCHIVE_SIG.encode())
    local = threading.local()  # calls may overlap: one cache per server thread

    def cache() -> dict[int, tuple[object, object]]:
        if not hasattr(local, "cache"):
            local.cache = {}
        return local.cache

    # id(message) -> (message kept alive, its dict); id(dict) -> (dict kept alive, deserialized) for dicts
    # without assets.
    def message_to_dict(message, *args, **kwargs):
        if args or kwargs:
            return json_format.MessageToDict(message, *args, **kwargs)
        converted = cache()
        hit = converted.get(id(message))
        if hit is not None and hit[0] is message:
            return hit[1]
        result = json_format.MessageToDict(message)
        converted[id(message)] = (message, result)
        wire = message.SerializeToString()
        if not any(sig in wire for sig in asset_sigs):
            converted[id(result)] = (result, None)
        return result

    def deserialize_properties(props, proxy_secrets: bool = False):
        shared = cache()
        hit = shared.get(id(props))
        if proxy_secrets or hit is None or hit[0] is not props:
            return deserialize.deserialize_properties(props, proxy_secrets)
        if hit[1] is None:
            shared[id(props)] = hit = (props, deserialize.deserialize_properties(props))
        return hit[1]

    shim = types.SimpleNamespace(**{name: getattr(json_format, name) for name in dir(json_format)
                                    if not name.startswith("__")})
    shim.MessageToDict = message_to_dict
    policy_module.json_format = shim
    policy_module.deserialize_properties = deserialize_properties
    policy_module.unknown_checking_proxy = lazy_proxy.unknown_checking_proxy

    servicer = policy_module._PolicyAnalyzerServicer
    for method in ("Analyze", "AnalyzeStack", "Remediate"):
        def call_once(self, request, context, _method=getattr(servicer, method)):
            try:
                return _method(self, request, context)
            finally:
                cache().clear()

        setattr(servicer, method, call_once)


def _settings_signature_once() -> None:
    """pulumi-policy inspects `pulumi.runtime.Settings`' signature on every call (to know whether it takes an
    organization): 8 % of a large stack's pack time. A class's signature does not change while it runs."""
    import functools
    import inspect

    import pulumi_policy.policy as policy_module

    policy_module.signature = functools.lru_cache(maxsize=None)(inspect.signature)


def main() -> None:
    # What `python -m pulumi.policy` imports before it loads the pack: importing it here, while `stackctl
    # check` may still be running the stack program and writing the config, reads no config.
    import pulumi.runtime  # noqa: F401
    import pulumi_policy.policy  # noqa: F401

    _install_config()
    _follow_configure_stack()
    if not stock_requested():
        from stackctl.engine.speedups import lazy_proxy

        changed = lazy_proxy.pulumi_policy_mismatches()
        if changed:
            sys.stderr.write(f"stackctl: warning: pulumi-policy changed {', '.join(changed)}; the policy pack's "
                             "speed-ups are off and the stock pulumi-policy functions are used (same result, slower)\n")
        else:
            _convert_each_struct_once()
            _settings_signature_once()
    # pulumi-policy builds fresh dicts and proxies of every resource for every stack policy and makes almost no
    # cyclic garbage: with the default thresholds most of a large AnalyzeStack went to collections.
    few_collections_for_this_process()
    runpy.run_module("pulumi.policy", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
