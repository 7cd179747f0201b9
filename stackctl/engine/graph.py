"""The recorded resource graph and its stable JSON form.

JSON format (documented in docs/stackctl.md):
    {"project": str, "stack": str, "resources": [ResourceRecord, ...], "outputs": {name: value}}
Stack outputs are in display form: secrets "[secret]", unknowns "[unknown]".
Resources are listed parent before child, siblings sorted by name then type, so the output depends
only on what the program declares, not on the order asynchronous registrations happened to land.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Optional

from google.protobuf import struct_pb2

from .urns import ROOT_STACK_TYPE


@dataclass
class ResourceRecord:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    dependencies: list[str]
    propertyDependencies: dict[str, list[str]]
    provider: str
    protect: bool
    retainOnDelete: bool
    deleteBeforeReplace: bool
    ignoreChanges: list[str]
    aliases: list[str]
    # Not part of the JSON format: kept for the policy and render layers.
    id: str = field(default="", compare=False, repr=False)
    # The `import` resource option's id: the engine adopts the resource instead of creating it.
    import_id: str = field(default="", compare=False, repr=False)
    additional_secret_outputs: list[str] = field(default_factory=list, compare=False, repr=False)
    delete_before_replace_defined: bool = field(default=False, compare=False, repr=False)
    custom_timeouts: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    # The registration's property Structs as the engine received them (secrets and unknowns intact), kept
    # serialized: a Struct held in memory keeps its whole request's protobuf arena alive, which was a sixth
    # of a large stack's peak memory (docs/performance.md). `wire_inputs` / `wire_outputs` parse them back.
    wire_inputs_bytes: Optional[bytes] = field(default=None, compare=False, repr=False)
    wire_outputs_bytes: Optional[bytes] = field(default=None, compare=False, repr=False)
    # `inputs` / `outputs` in display form (secrets "[secret]", unknowns "[unknown]"), built from the wire bytes
    # on first use rather than at registration: during a run the SDK's own objects are alive too, and two
    # display copies of every resource's properties were ~20 MiB of a 200-service stack's peak
    # (docs/performance.md). Set directly for records with no wire form (default providers).
    _inputs_display: Optional[dict[str, Any]] = field(default=None, compare=False, repr=False)
    _outputs_display: Optional[dict[str, Any]] = field(default=None, compare=False, repr=False)

    JSON_FIELDS = (
        "urn", "type", "name", "parent", "custom", "inputs", "dependencies", "propertyDependencies",
        "provider", "protect", "retainOnDelete", "deleteBeforeReplace", "ignoreChanges", "aliases",
    )

    @property
    def inputs(self) -> dict[str, Any]:
        if self._inputs_display is None:
            self._inputs_display = _display(self.wire_inputs_bytes)
        return self._inputs_display

    @inputs.setter
    def inputs(self, display: dict[str, Any]) -> None:
        self._inputs_display = display

    @property
    def outputs(self) -> dict[str, Any]:
        if self._outputs_display is None:
            self._outputs_display = _display(self.wire_outputs_bytes)
        return self._outputs_display

    @outputs.setter
    def outputs(self, display: dict[str, Any]) -> None:
        self._outputs_display = display

    @property
    def wire_inputs(self) -> Optional[struct_pb2.Struct]:
        return _struct(self.wire_inputs_bytes)

    @wire_inputs.setter
    def wire_inputs(self, struct: Optional[struct_pb2.Struct]) -> None:
        self.wire_inputs_bytes = _serialized(struct)
        self._inputs_display = None

    @property
    def wire_outputs(self) -> Optional[struct_pb2.Struct]:
        return _struct(self.wire_outputs_bytes)

    @wire_outputs.setter
    def wire_outputs(self, struct: Optional[struct_pb2.Struct]) -> None:
        self.wire_outputs_bytes = _serialized(struct)
        self._outputs_display = None

    @property
    def masked_inputs(self) -> dict[str, Any]:
        """Inputs with secrets masked leaf by leaf (shape kept), for schema checks."""
        from .wire import struct_to_masked

        return struct_to_masked(self.wire_inputs) if self.wire_inputs is not None else self.inputs

    def to_json(self) -> dict[str, Any]:
        # The fields as they are: json.dumps only reads them, so the deep copy `dataclasses.asdict` makes was
        # a third of a large stack's dump time (docs/performance.md).
        return {key: getattr(self, key) for key in self.JSON_FIELDS}


def _struct(serialized: Optional[bytes]) -> Optional[struct_pb2.Struct]:
    return None if serialized is None else struct_pb2.Struct.FromString(serialized)


def _display(serialized: Optional[bytes]) -> dict[str, Any]:
    from .wire import struct_to_display

    return struct_to_display(_struct(serialized))


def _serialized(struct: Optional[struct_pb2.Struct]) -> Optional[bytes]:
    return None if struct is None else struct.SerializeToString(deterministic=True)


@dataclass
class Graph:
    project: str
    stack: str
    resources: list[ResourceRecord]

    def __post_init__(self) -> None:
        self.resources = list(_ordered(self.resources))
        self.by_urn = {r.urn: r for r in self.resources}

    @property
    def stack_outputs(self) -> dict[str, Any]:
        """The root stack's outputs in display form (built on first use: a GitOps stack's `deployment_files`
        is its largest value, and `check` never reads it in this form)."""
        root = self.root
        return root.outputs if root else {}

    @property
    def root(self) -> Optional[ResourceRecord]:
        return next((r for r in self.resources if r.type == ROOT_STACK_TYPE), None)

    def children(self, urn: str) -> list[ResourceRecord]:
        return [r for r in self.resources if r.parent == urn]

    def urns(self) -> list[str]:
        return [r.urn for r in self.resources]

    def of_type(self, type_: str) -> list[ResourceRecord]:
        return [r for r in self.resources if r.type == type_]

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": [r.to_json() for r in self.resources],
            "outputs": self.stack_outputs,
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n"


def _ordered(resources: list[ResourceRecord]) -> Iterator[ResourceRecord]:
    by_parent: dict[str, list[ResourceRecord]] = {}
    urns = {r.urn for r in resources}
    for record in resources:
        parent = record.parent if record.parent in urns else ""
        by_parent.setdefault(parent, []).append(record)

    def walk(parent: str) -> Iterator[ResourceRecord]:
        siblings = by_parent.get(parent, [])
        for record in sorted(siblings, key=lambda r: (r.type != ROOT_STACK_TYPE, r.name, r.type)):
            yield record
            yield from walk(record.urn)

    yield from walk("")
