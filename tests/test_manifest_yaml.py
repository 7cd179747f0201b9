"""The manifest writer of `stackctl render` writes what ruamel's safe dumper writes, byte for byte."""

from __future__ import annotations

import random

import pytest
from ruamel.yaml.representer import RepresenterError

from stackctl.delivery import manifest_yaml
from stackctl.delivery.manifest_yaml import ManifestWriter, ruamel_dump
from stackctl.delivery.render import write_deployment

from .conftest import shipped_run

# Scalars whose YAML text ruamel decides: YAML 1.2 resolution (`yes` is a string, `1_000` is not), indicators,
# quotes, escapes, unicode, line breaks of every kind, simple-key limits and lengths near the line width.
TRICKY = [
    "", " ", "a", "yes", "no", "on", "off", "true", "True", "FALSE", "null", "~", "Null", "1", "0777", "0o17",
    "0x1F", "1_000", "1e3", "1.5", ".5", "-1", "+1", ".inf", "-.inf", ".nan", "2024-01-01", "2024-01-01T10:00:00Z",
    "12:30", "a: b", "a:b", "a #b", "a#b", "#a", "- a", "-a", "-", "---", "...", "? a", "?a", ":a", "a:", "'",
    "'a'", '"', "it's", "a,b", "[a]", "{a}", "&a", "*a", "!a", "|", ">", "%a", "@a", "`a", "a b", "a  b", " a",
    "a ", "\t", "a\tb", "a\nb", "\n", "a\n", "a\r\nb", "é", "ü ber", "日本", "\u2028", "a\u2028b", "\x85", "\xa0",
    "\ufeff", "\x00", "\x7f", "😀", "<<", "x" * 127, "x" * 128, "http://x/y?z=1&b=2", "!!str a", "%YAML",
    "9 2 * * *", "arn:aws:iam::123456789012:role/x", 0, 1, -1, 10**20, True, False, None, 0.0, -0.0, 1.5, 1e20,
    1e-7, float("inf"), float("-inf"), float("nan"), 3.0,
]
LONG = ["y" * 2100, " ".join(["word"] * 1100), "z" * 4100]


def _random_document(rng: random.Random) -> dict:
    def scalar():
        if rng.random() < 0.02:
            return rng.choice(LONG)
        if rng.random() < 0.7:
            return rng.choice(TRICKY)
        return f"s{rng.randrange(50)}" if rng.random() < 0.5 else f"{rng.choice(TRICKY)}{rng.choice(TRICKY)}"

    def key():
        text = rng.choice(TRICKY) if rng.random() < 0.3 else f"k{rng.randrange(20)}"
        return text if isinstance(text, str) else str(text)

    def value(depth):
        roll = rng.random()
        if depth > 4 or roll < 0.5:
            return scalar()
        if roll < 0.75:
            return {key(): value(depth + 1) for _ in range(rng.randrange(0, 5))}
        return [value(depth + 1) for _ in range(rng.randrange(0, 5))]

    return {key(): value(0) for _ in range(rng.randrange(1, 6))}


def test_shipped_gitops_manifests_are_written_as_ruamel_writes_them_without_ruamel():
    for stack in ("staging", "prod"):
        writer = ManifestWriter()
        files = shipped_run(stack).graph.stack_outputs["deployment_files"]["files"]
        assert len(files) > 30
        for name, manifest in files.items():
            assert writer.dump(manifest) == ruamel_dump(manifest), name
        assert writer.dumped_by_ruamel == 0, stack


@pytest.mark.parametrize("scalar", TRICKY + LONG, ids=repr)
def test_each_scalar_as_value_item_and_key(scalar):
    key = scalar if isinstance(scalar, str) else repr(scalar)
    document = {"a": scalar, "b": [scalar, {"c": scalar, key: [[scalar]]}], key: {"d": {key: scalar}}, "e": {}}
    assert ManifestWriter().dump(document) == ruamel_dump(document)


@pytest.mark.parametrize("learn_first", [False, True])
def test_random_documents_are_written_as_ruamel_writes_them(learn_first):
    rng = random.Random(15)
    writer = ManifestWriter()
    documents = [_random_document(rng) for _ in range(300)]
    if learn_first:  # all texts from one document of values and one of keys, split where a text takes lines
        writer.learn(documents)
    for document in documents:
        assert writer.dump(document) == ruamel_dump(document), document
    # Both paths ran: the writer's own layout and ruamel for what it leaves to ruamel.
    assert 50 < writer.dumped_by_ruamel < 250


def test_anything_but_plain_json_values_is_left_to_ruamel():
    class Name(str):
        pass

    writer = ManifestWriter()
    for document in ({}, {"a": (1, 2)}, {"a": {1: "x"}}, {"a": "line\nbreak"}, {"k" * 130: 1}, {"a": b"x"}):
        assert writer.dump(document) == ruamel_dump(document)
    assert writer.dumped_by_ruamel == 6
    for document, error in (({"a": Name("x")}, RepresenterError), ({"a": {1: "x", "b": "y"}}, TypeError)):
        with pytest.raises(error):
            ruamel_dump(document)
        with pytest.raises(error):
            writer.dump(document)


def test_texts_are_asked_from_ruamel_once_per_writer(monkeypatch):
    calls = []

    def counting_dump(value):
        calls.append(value)
        return ruamel_dump(value)

    monkeypatch.setattr(manifest_yaml, "ruamel_dump", counting_dump)
    files = shipped_run("prod").graph.stack_outputs["deployment_files"]["files"]
    manifest = files["prod/orders/deployment-orders.yaml"]
    writer = ManifestWriter()
    first = writer.dump(manifest)
    assert len(calls) == 2  # one document of the new values, one of the new keys
    assert writer.dump(manifest) == first == ruamel_dump(manifest)
    assert len(calls) == 2
    calls.clear()
    learned = ManifestWriter()
    learned.learn(files.values())  # what render does: every text of every manifest in two documents
    assert len(calls) == 2
    texts = [learned.dump(manifest) for manifest in files.values()]
    assert len(calls) == 2 and learned.dumped_by_ruamel == 0
    assert texts == [ruamel_dump(manifest) for manifest in files.values()]


def test_render_touches_nothing_when_a_manifest_cannot_be_written(tmp_path):
    out = tmp_path / "deployments"
    deployment = shipped_run("prod").graph.stack_outputs["deployment_files"]
    write_deployment(deployment, out, "stacks/Pulumi.prod.yaml")
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    files = dict(deployment["files"])
    files["prod/zz/broken.yaml"] = {"kind": "ConfigMap", "data": {"a": object()}}
    with pytest.raises(RepresenterError):
        write_deployment({**deployment, "files": files}, out, "stacks/Pulumi.prod.yaml")
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == before
