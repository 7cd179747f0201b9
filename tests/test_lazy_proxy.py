"""The pack's lazily built property proxies behave as pulumi-policy's eager ones, and share nothing writable."""

from __future__ import annotations

import copy

import pytest
from google.protobuf import json_format
from pulumi_policy import proxy as sdk
from pulumi_policy.deserialize import deserialize_properties, serialize_properties

from stackctl.engine.speedups import lazy_proxy

from .conftest import shipped_run

UNKNOWN = sdk.UNKNOWN_STRING_VALUE
SAMPLE = {
    "name": "web",
    "replicas": 2.0,
    "spec": {"containers": [{"image": "x@sha256:1", "ports": [{"port": 80.0}], "env": None},
                            {"image": UNKNOWN, "args": ["a", UNKNOWN, ["deep", {"k": UNKNOWN}]]}],
             "labels": {"app": "web", "unknown": UNKNOWN}, "empty": {}, "none": []},
    "flag": True,
    "arn": UNKNOWN,
}


def observe(value, depth=0):
    """Everything a policy can read through a proxy, in a comparable form (errors included)."""
    if isinstance(value, sdk._DictProxy):
        seen = {"kind": "dict", "len": len(value), "keys": list(value), "items": {}}
        for key in list(value) + ["missing"]:
            try:
                seen["items"][key] = observe(value[key], depth + 1)
            except sdk.UnknownValueError as exc:
                seen["items"][key] = ("unknown", exc.message, exc.props)
            except KeyError:
                seen["items"][key] = ("KeyError",)
        seen["same_child"] = all(value[k] is value[k] for k in value
                                 if isinstance(value["__target"][k], (sdk._DictProxy, sdk._ListProxy)))
        return seen
    if isinstance(value, sdk._ListProxy):
        seen = {"kind": "list", "len": len(value), "items": []}
        for index in [*range(len(value)), -1, len(value), True]:
            try:
                seen["items"].append(observe(value[index], depth + 1))
            except sdk.UnknownValueError as exc:
                seen["items"].append(("unknown", exc.message, exc.props))
            except IndexError:
                seen["items"].append(("IndexError",))
        try:
            seen["slice"] = [observe(v, depth + 1) for v in value[1:]]
        except sdk.UnknownValueError as exc:
            seen["slice"] = ("unknown", exc.message, exc.props)
        return seen
    return ("leaf", type(value).__name__, value)


def test_lazy_proxies_read_like_the_sdks():
    eager = sdk.unknown_checking_proxy(copy.deepcopy(SAMPLE))
    lazy = lazy_proxy.unknown_checking_proxy(copy.deepcopy(SAMPLE))
    assert isinstance(lazy, sdk._DictProxy)
    assert observe(lazy) == observe(eager)
    with pytest.raises(sdk.UnknownValueError) as error:
        lazy["spec"]["containers"][1]["args"][2][1]["k"]
    assert error.value.props == ["spec", "containers", "1", "args", "2", "1", "k"]
    # Iterating a list with an unknown raises where the SDK's does.
    with pytest.raises(sdk.UnknownValueError) as error:
        list(lazy["spec"]["containers"][1]["args"])
    assert error.value.message == "string value at .spec.containers.1.args.1 can't be known during preview"


def test_lazy_proxies_serialize_like_the_sdks():
    """The SDK's serializer (remediations) unwraps proxies through `"__target"`."""
    eager = sdk.unknown_checking_proxy(copy.deepcopy(SAMPLE))
    lazy = lazy_proxy.unknown_checking_proxy(copy.deepcopy(SAMPLE))
    lazy["spec"]["labels"]  # partly wrapped already
    assert serialize_properties(lazy) == serialize_properties(eager) == SAMPLE


def test_a_write_stays_in_its_own_proxy_and_the_shared_tree_is_never_changed():
    source = copy.deepcopy(SAMPLE)
    first, second = lazy_proxy.unknown_checking_proxy(source), lazy_proxy.unknown_checking_proxy(source)
    first["spec"]["labels"]["app"] = "changed"
    first["spec"]["new"] = {"raw": "dict"}
    first["name"] = "renamed"
    assert first["spec"]["labels"]["app"] == "changed" and first["name"] == "renamed"
    assert first["spec"]["new"] == {"raw": "dict"} and type(first["spec"]["new"]) is dict  # as the SDK: unwrapped
    assert second["spec"]["labels"]["app"] == "web" and "new" not in second["spec"]
    assert second["name"] == "web"
    serialize_properties(first)
    assert source == SAMPLE


def test_every_shipped_resource_reads_the_same_through_both():
    graph = shipped_run("dev").graph
    for record in graph.resources:
        for struct in (record.wire_inputs, record.wire_outputs):
            if struct is None:
                continue
            props = json_format.MessageToDict(struct)
            eager = sdk.unknown_checking_proxy(deserialize_properties(props))
            lazy = lazy_proxy.unknown_checking_proxy(deserialize_properties(props))
            assert observe(lazy) == observe(eager), record.urn
