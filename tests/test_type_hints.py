"""stackctl.engine.speedups.type_hints: the SDK's type-metadata lookups, answered once per class or type hint."""

from __future__ import annotations

import typing

import pytest
from pulumi import _types
from pulumi.runtime import rpc

from stackctl.engine.runner import run_stack
from stackctl.engine.speedups import switch, type_hints
from stackctl.engine.speedups.unknowns import fingerprint

from .conftest import PROJECT

LOOKUPS = list(type_hints.SDK_FINGERPRINTS)


@pytest.fixture
def speedups():
    """The replacements in the SDK's place, as for an offline run."""
    with switch.speedups() as on:
        assert on
        yield


@pytest.mark.parametrize("lookup", LOOKUPS, ids=lambda key: key[1])
def test_the_installed_sdk_gets_the_wrapper_for_a_run_only(lookup):
    # Fails after an SDK upgrade that changed one of these functions: read the new function, check that its
    # answer still depends on its argument alone and that its SDK callers only read it, then set its
    # fingerprint in SDK_FINGERPRINTS to `fingerprint(<the SDK's>)`.
    module, name = lookup
    stock = getattr(module, name)
    with switch.speedups():
        installed = getattr(module, name)
        assert installed is not stock
        assert installed.sdk_function is stock
    assert getattr(module, name) is stock
    assert fingerprint(stock) == type_hints.SDK_FINGERPRINTS[lookup]


@pytest.mark.parametrize("name", list(type_hints.SDK_CLASS_CACHES))
def test_the_sdk_class_caches_are_replaced_by_evictable_ones(name, speedups):
    # Fails after an SDK upgrade that changed one of these functions or dropped its cache: read it, check that
    # its answer still depends on its argument alone, then set its digest in SDK_CLASS_CACHES.
    installed = getattr(_types, name)
    assert fingerprint(installed.sdk_function) == type_hints.SDK_CLASS_CACHES[name]
    assert callable(installed.evict)


def test_forgetting_a_module_s_classes_keeps_everyone_else_s(speedups):
    program = type("Cluster", (), {"__module__": "components.cluster.base"})
    sdk = type("Release", (), {"__module__": "pulumi_kubernetes.helm.v3"})
    cache = type_hints.evictable(lambda argument: repr(argument))
    hints = [program, sdk, typing.Optional[program], dict[str, list[program]], typing.Optional[sdk]]
    for hint in hints:
        cache(hint)
    assert len(cache.answers) == 5

    cache.evict(lambda argument: argument is sdk)
    assert [argument for argument, _ in cache.answers.values()] == [program, *hints[2:]]
    # What the runner calls for the modules it forgot: the classes defined there and hints naming them, however
    # deep, go; the rest stays.
    properties, unions = _types._py_properties, _types._wire_union_members
    properties(program), properties(sdk)
    for hint in hints[2:]:
        unions(hint)
    type_hints.forget_classes_of({"components.cluster.base"})
    assert not [a for a, _ in properties.answers.values() if a is program]
    assert [a for a, _ in properties.answers.values() if a is sdk] == [sdk]
    left = [a for a, _ in unions.answers.values() if any(a is hint for hint in hints)]
    assert left == [hints[4]]


@pytest.mark.slow(2.0)
def test_every_remembered_answer_is_the_sdks_answer(monkeypatch):
    # Compared at the moment of each lookup: some answers depend on the program's modules being imported (a
    # component class's string annotations), and a run forgets its program's modules when it ends.
    looked_up = {name: 0 for _, name in LOOKUPS}

    def checked(name, make):
        def checking(sdk_function):
            remembering = make(sdk_function)

            def lookup(argument):
                answer = remembering(argument)
                assert answer == sdk_function(argument), (name, argument)
                looked_up[name] += 1
                return answer
            return lookup
        return checking

    # The switch puts these checking wrappers (around the remembering ones) in the SDK's place for each run.
    for slot in switch.SLOTS:
        if slot.make is type_hints.remembered:
            monkeypatch.setattr(slot, "make", checked(slot.attribute, slot.make))
            monkeypatch.setattr(slot, "_made", {})
    # The shipped stacks on both clouds: typed AWS, GCP and Kubernetes classes, their input types and hints.
    for stack in ("dev", "gcp-dev"):
        run_stack(PROJECT, stack)
    for name, count in looked_up.items():
        assert count, f"no {name} lookups in two runs: the wrapper is not in the SDK's path"


def test_an_argument_leaves_the_cache_when_nothing_else_holds_it():
    # Every offline run imports its program's modules again, so its component classes are new objects; the
    # cache must not be what keeps the old ones alive.
    lookup = type_hints.remembered(lambda hint: hint.name)
    hint = _Hint("first")
    assert lookup(hint) == "first"
    assert len(lookup.answers) == 1
    del hint  # freed here: nothing but the cache's weak reference is left
    assert lookup.answers == {}


def test_an_answer_that_is_its_own_argument_does_not_keep_it():
    # `unwrap_type(X)` is X for a plain class: held as the answer, X would keep its own entry alive forever.
    lookup = type_hints.remembered(lambda hint: hint)
    hint = _Hint("itself")
    assert lookup(hint) is hint
    assert lookup(hint) is hint  # answered from the cache
    del hint
    assert lookup.answers == {}


class _Hint:
    def __init__(self, name: str) -> None:
        self.name = name


def test_a_lookup_that_raises_raises_every_time_and_is_not_remembered(speedups):
    lookup = rpc._get_list_element_type
    for _ in range(2):
        with pytest.raises(AssertionError, match="Expected 'list'"):
            lookup(int)
    assert id(int) not in lookup.answers


def test_answers_are_per_object_not_per_equal_value(speedups):
    first = type("Shape", (), {"__annotations__": {}})
    second = type("Shape", (), {"__annotations__": {}})
    lookup = type_hints.remembered(lambda cls: object())
    assert lookup(first) is lookup(first)
    assert lookup(first) is not lookup(second)
    assert _types.unwrap_type(typing.Optional[str]) is str


def test_an_sdk_that_reads_otherwise_keeps_its_own(monkeypatch):
    def other_unwrap_type(val):
        return val

    monkeypatch.setattr(_types, "unwrap_type", other_unwrap_type)
    stock_resource_types = _types.resource_types
    with switch.speedups() as on:
        # All or nothing: one lookup that reads otherwise keeps every SDK function stock.
        assert not on
        assert _types.unwrap_type is other_unwrap_type
        assert _types.resource_types is stock_resource_types
