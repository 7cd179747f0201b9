"""The SDK's type-metadata lookups, answered once per class or type instead of once per property.

With a generated provider SDK (`pulumi_aws.sqs.Queue`, ...) the Pulumi Python SDK (3.272.0) works out what a
property's type hint means every time it serializes or resolves that property: `rpc.serialize_property` calls
`_types.unwrap_type(typ)` for every typed input value (19,540 times in a preview of the generated 200-service
AWS stack), `rpc.resolve_outputs` calls `_types.resource_types(type(res))` for every resource, which re-reads
the class's annotations with `typing.get_type_hints`, and so on. Each answer depends only on the class or the
type hint, which never change once defined; the SDK itself already caches one of these lookups
(`_types._types_from_py_properties` is a `functools.cache`). About 7 % of an offline run of that stack went to
these lookups, against 3 % for the same graph registered with untyped `pulumi.CustomResource`
(docs/performance.md, "Fourth SDK note").

The switch (`switch.py`) puts a wrapper of each lookup below, with a cache keyed by the argument's identity, in
the SDK's place for the length of an offline run, when the installed SDK's function is the one this was written
against (its source is compared), and leaves the SDK's function alone otherwise. The wrappers are made once per
process, so their answers serve every run. The cache holds its arguments weakly, so the classes of a run's program
modules (re-imported by every offline run) can leave it with them, and an identity is never reused while its
answer is kept; an answer that is its own argument is remembered as such, not held. A lookup that raises is
not cached: it raises again the next time, as the SDK's would. The SDK's own class-keyed caches would still
keep each run's classes: the switch also replaces those, for the run, with caches the runner empties of a run's
classes when it forgets the run's modules (`forget_classes_of`).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any

from pulumi import _types
from pulumi.runtime import rpc

# (module, function name) -> the source digest of the pulumi 3.272.0 function: a pure function of its one
# argument (a class or a type hint), returning a value its SDK callers only read. An SDK whose function reads
# otherwise keeps its own until this module is checked against it (tests/test_type_hints.py says when).
SDK_FINGERPRINTS: dict[tuple[Any, str], str] = {
    (_types, "unwrap_type"): "6ccd35036cb0b3d4",
    (_types, "unwrap_optional_type"): "66ac125c3482ccba",
    (_types, "resource_types"): "36ca79dc260ad3c1",
    (_types, "resource_pulumi_to_py_names"): "bcc13d05dd1d086b",
    (_types, "input_type_py_to_pulumi_names"): "c80765937c2c2bca",
    (_types, "input_type_types"): "8290a8cbb598d0a9",
    (rpc, "_get_list_element_type"): "3f8a08367e4b35f1",
}

def remembered(lookup: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`lookup` answered once per argument object (compared by identity, held weakly)."""
    answers: dict[int, tuple[weakref.ref, Any]] = {}

    @functools.wraps(lookup)
    def cached(argument: Any) -> Any:
        known = answers.get(id(argument))
        if known is not None and known[0]() is argument:
            return argument if known[1] is _ITSELF else known[1]
        answer = lookup(argument)
        try:
            reference = weakref.ref(argument, functools.partial(_forget, answers, id(argument)))
        except TypeError:
            return answer  # not weakly referable: answered every time, as by the SDK
        # An answer that is the argument itself (`unwrap_type(str)`) is not held: it would keep its own key alive.
        answers[id(argument)] = (reference, _ITSELF if answer is argument else answer)
        return answer

    cached.sdk_function = lookup  # type: ignore[attr-defined]  # the SDK's own (tests compare the answers)
    cached.answers = answers  # type: ignore[attr-defined]
    return cached


_ITSELF = object()  # stands for "the argument" in a remembered answer


def _forget(answers: dict[int, tuple[weakref.ref, Any]], key: int, gone: weakref.ref) -> None:
    # The classes of each offline run's program modules go when the run's modules are forgotten; so do their
    # answers. Another object may hold the identity by now.
    if key in answers and answers[key][0] is gone:
        del answers[key]


# The SDK's own caches keyed by class or type hint (`functools.cache` in pulumi 3.272.0's `_types`), by name ->
# the source digest of the function each one wraps. They hold every class they saw for as long as the process:
# each offline run's component classes (its program's modules are imported again per run) and through them their
# modules' globals, ~4 MiB per run of the shipped dev stack in a test worker or `check --all`. Their answers refer
# back to their keys (a class's properties' functions hold its module's globals), so weak keys would not free
# them: the switch puts a cache in their place (`evictable_cache`) that `forget_classes_of` can empty of one run's
# classes. (`_required_property_names`, cached the same way, is not replaced: only the SDK's matching of a value
# against a union of object types reaches it, which no shipped stack's run does; tests/test_switch.py checks that
# every replacement is reached.)
SDK_CLASS_CACHES: dict[str, str] = {
    "_py_properties": "bbc9ffdf4ce95786",
    "_types_from_py_properties": "15e10f93750b5915",
    "_raw_return_hints": "2d3a92980274817e",
    "_wire_union_members": "58374b57294068a6",
}


def evictable(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`function` answered once per argument object, as `functools.cache` would per equal argument, with a
    way to forget the answers about some arguments (`cached.evict(predicate)`)."""
    answers: dict[int, tuple[Any, Any]] = {}

    @functools.wraps(function)
    def cached(argument: Any) -> Any:
        known = answers.get(id(argument))
        if known is not None and known[0] is argument:
            return known[1]
        answer = function(argument)
        answers[id(argument)] = (argument, answer)  # held: its identity is not reused while the answer is kept
        return answer

    def evict(predicate: Callable[[Any], bool]) -> None:
        for key, (argument, _) in list(answers.items()):
            if predicate(argument):
                del answers[key]

    cached.sdk_function = function  # type: ignore[attr-defined]  # the SDK's own, without its cache
    cached.answers = answers  # type: ignore[attr-defined]
    cached.evict = evict  # type: ignore[attr-defined]
    return cached


# Every evictable cache made (`evictable_cache`), in or out of the SDK's place.
_EVICTABLE: list[Callable[[Any], Any]] = []


def evictable_cache(sdk_cache: Any) -> Callable[[Any], Any]:
    """An evictable cache of the function the SDK's `functools.cache` `sdk_cache` wraps."""
    cached = evictable(sdk_cache.__wrapped__)
    _EVICTABLE.append(cached)
    return cached


def forget_classes_of(modules: set[str]) -> None:
    """Drop what the class caches remember about classes defined in `modules` (a run's forgotten program
    modules), and about type hints that name one (`Optional[Cluster]`)."""
    def defined_there(argument: Any) -> bool:
        if getattr(argument, "__module__", None) in modules:
            return True
        return any(defined_there(arg) for arg in getattr(argument, "__args__", None) or ())

    for cache in _EVICTABLE:
        cache.evict(defined_there)
