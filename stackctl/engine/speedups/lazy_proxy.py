"""pulumi-policy's read-only property proxies, built as they are read instead of all at once.

For every policy and every resource, pulumi-policy deserializes the resource's properties and wraps the
whole tree in proxies that raise `UnknownValueError` when a policy reads a value unknown during preview
(`pulumi_policy/proxy.py`, `unknown_checking_proxy`). A stack check hands every stack policy every resource,
including the stack's outputs (1.5 MB of rendered manifests for 200 services): most of the pack's time went
to wrapping values no policy reads.

The proxies here are the SDK's own classes (subclasses of `_DictProxy` / `_ListProxy`), with the same key
paths, the same errors and the same identity of nested proxies; a nested value is wrapped when it is first
read, and the whole level when `"__target"` is read (as the SDK's serializer does). The deserialized tree
they read from is shared by the policies of one call and never handed out or written: each proxy copies its
own level, so what one policy sets is seen by no other, as with the SDK's fresh trees.
"""

from __future__ import annotations

import operator
from typing import Any

from pulumi_policy import proxy as sdk

_CONTAINERS = (list, dict)

# The pulumi-policy 1.21.0 sources the pack host's speed-ups were written against (stackctl/analysis/pack_host.py):
# `policy.py` (what it calls through its module globals: `json_format`, `deserialize_properties`,
# `unknown_checking_proxy`, `signature`, and the servicer's methods) and `proxy.py` (the proxies subclassed here).
PULUMI_POLICY_FINGERPRINTS = {"pulumi_policy.policy": "f16bf20d4462d17f", "pulumi_policy.proxy": "7c369f060299e873"}


def pulumi_policy_mismatches() -> list[str]:
    """The pulumi-policy modules whose source is not the one the pack host's speed-ups were written against."""
    import hashlib
    import importlib
    import inspect

    changed = []
    for name, digest in PULUMI_POLICY_FINGERPRINTS.items():
        try:
            source = inspect.getsource(importlib.import_module(name))
        except (ImportError, OSError, TypeError):
            source = ""
        if hashlib.sha256(source.encode()).hexdigest()[:16] != digest:
            changed.append(name)
    return changed


class LazyDictProxy(sdk._DictProxy):
    def __init__(self, source: dict, props_acc: list[str]):
        target = dict(source)
        super().__init__(target, props_acc)
        self.__target = target
        self.__props_acc = props_acc
        self.__wrapped: set = set()  # keys whose value is final: wrapped when read, or set by a policy

    def __resolve(self, key: Any) -> Any:
        value = self.__target[key]
        if key not in self.__wrapped:
            self.__wrapped.add(key)
            if isinstance(value, _CONTAINERS):
                value = self.__target[key] = wrap(value, [*self.__props_acc, str(key)])
        return value

    def __getitem__(self, key):
        if key == "__target":
            for each in list(self.__target):
                self.__resolve(each)
            return self.__target
        return sdk._raise_if_unknown(key, self.__resolve(key), self.__props_acc)

    def __setitem__(self, key, value):
        self.__target[key] = value
        self.__wrapped.add(key)


class LazyListProxy(sdk._ListProxy):
    def __init__(self, source: list, props_acc: list[str]):
        target = list(source)
        super().__init__(target, props_acc)
        self.__target = target
        self.__props_acc = props_acc
        self.__wrapped: set[int] = set()

    def __resolve(self, index: int) -> None:
        if index not in self.__wrapped:
            self.__wrapped.add(index)
            value = self.__target[index]
            if isinstance(value, _CONTAINERS):
                self.__target[index] = wrap(value, [*self.__props_acc, str(index)])

    def __getitem__(self, key):
        length = len(self.__target)
        if isinstance(key, str):
            if key == "__target":
                for index in range(length):
                    self.__resolve(index)
                return self.__target
        elif isinstance(key, slice):
            for index in range(*key.indices(length)):
                self.__resolve(index)
        elif hasattr(key, "__index__") and -length <= operator.index(key) < length:
            self.__resolve(operator.index(key) % length)
        return sdk._raise_if_unknown(key, self.__target[key], self.__props_acc)


def wrap(value: Any, props_acc: list[str]) -> Any:
    """What `pulumi_policy.proxy._proxy_helper(value, props_acc)` returns, built lazily."""
    kind = type(value)
    if kind is dict:
        return LazyDictProxy(value, props_acc)
    if kind is list:
        return LazyListProxy(value, props_acc)
    return sdk._proxy_helper(value, props_acc)  # subclasses, leaves: the SDK's own code


def unknown_checking_proxy(props: Any) -> Any:
    return wrap(props, [])
