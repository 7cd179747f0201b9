"""A resource monitor that records every registration the way the engine would receive it.

It subclasses the SDK's `MockMonitor` and fills in what the engine, not the SDK, decides: engine URNs,
alias URNs, inheritance of `protect` / `retainOnDelete` from the parent, and default providers for
custom resources registered without one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from google.protobuf import empty_pb2, json_format
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor, MockResourceArgs
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from .graph import ResourceRecord
from .mocks import OfflineMocks, stable_uuid
from .urns import ROOT_STACK_TYPE, alias_urn, engine_urn

PROVIDER_TYPE_PREFIX = "pulumi:providers:"


class RecordingMonitor(MockMonitor):
    # Source positions are for the engine's UI; nothing here reads them (engine/speedups/stack_trace.py).
    reads_stack_traces = False

    def __init__(self, mocks: OfflineMocks, project: str, stack: str, config: dict[str, str],
                 observer: Callable[[ResourceRecord], None] | None = None):
        super().__init__(mocks)
        self.project = project
        self.stack = stack
        self.config = config
        self.records: dict[str, ResourceRecord] = {}
        # Told of each resource as the engine receives it (`stackctl check` analyzes while the program runs, as
        # the engine calls analyzers during a preview).
        self.observer = observer
        self._lock = threading.Lock()
        mocks.provider_settings = self._provider_settings

    # -- identity ---------------------------------------------------------------------------------

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        return engine_urn(self.stack, self.project, type_, name, parent)

    def _aliases(self, request: Any, parent: str) -> list[str]:
        urns = list(request.aliasURNs)
        for alias in request.aliases:
            if alias.urn:
                urns.append(alias.urn)
                continue
            spec = alias.spec
            urns.append(alias_urn(
                self.stack, self.project, name=request.name, type_=request.type, parent=parent,
                alias_name=spec.name, alias_type=spec.type, alias_stack=spec.stack, alias_project=spec.project,
                alias_parent=spec.parentUrn, no_parent=spec.noParent,
            ))
        return list(dict.fromkeys(urns))

    # -- providers --------------------------------------------------------------------------------

    def _provider_settings(self, ref: str) -> dict[str, Any]:
        urn = ref.rsplit("::", 1)[0] if ref else ""
        record = self.records.get(urn)
        return record.inputs if record else {}

    def _default_provider(self, type_: str, version: str) -> str:
        """The engine's default provider for a package: registered once, configured from `<pkg>:*` config."""
        package = type_.split(":")[0]
        name = f"default_{version.replace('.', '_')}" if version else "default"
        urn = engine_urn(self.stack, self.project, f"{PROVIDER_TYPE_PREFIX}{package}", name)
        with self._lock:
            if urn not in self.records:
                inputs = {key.split(":", 1)[1]: value for key, value in sorted(self.config.items())
                          if key.startswith(f"{package}:")}
                if version:
                    inputs["version"] = version
                self.records[urn] = ResourceRecord(
                    urn=urn, type=f"{PROVIDER_TYPE_PREFIX}{package}", name=name, parent="", custom=True,
                    _inputs_display=inputs, dependencies=[], propertyDependencies={}, provider="", protect=False,
                    retainOnDelete=False, deleteBeforeReplace=False, ignoreChanges=[], aliases=[],
                    id=stable_uuid(urn), _outputs_display=inputs,
                )
                if self.observer is not None:
                    self.observer(self.records[urn])
        return f"{urn}::{self.records[urn].id}"

    # -- the monitor service ----------------------------------------------------------------------

    def RegisterResource(self, request):
        urn = self.make_urn(request.parent, request.type, request.name)
        parent = self.records.get(request.parent)
        protect = request.protect if request.HasField("protect") else bool(parent and parent.protect)
        retain = (request.retainOnDelete if request.HasField("retainOnDelete")
                  else bool(parent and parent.retainOnDelete))
        provider = request.provider
        if (request.custom and not provider and not request.type.startswith(PROVIDER_TYPE_PREFIX)
                and request.type != ROOT_STACK_TYPE):
            provider = self._default_provider(request.type, request.version)

        id_, state = "", {}
        object_proto = None
        if request.type != ROOT_STACK_TYPE:
            _ensure_event_loop()
            args = MockResourceArgs(
                typ=request.type, name=request.name, inputs=rpc.deserialize_properties(request.object),
                provider=provider, resource_id=request.importId, custom=request.custom,
            )
            args.urn = urn  # type: ignore[attr-defined]  # lets the mocks derive stable ids from identity
            id_, state = self.mocks.new_resource(args)
            object_proto = _sync_await(rpc.serialize_properties(state, {}))

        record = ResourceRecord(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent,
            custom=request.custom,
            dependencies=sorted(set(request.dependencies)),
            propertyDependencies={
                key: sorted(set(deps.urns)) for key, deps in sorted(request.propertyDependencies.items())
            },
            provider=provider,
            protect=protect,
            retainOnDelete=retain,
            deleteBeforeReplace=request.deleteBeforeReplace,
            ignoreChanges=list(request.ignoreChanges),
            aliases=self._aliases(request, request.parent),
            id=id_ or "",
            import_id=request.importId,
            additional_secret_outputs=list(request.additionalSecretOutputs),
            delete_before_replace_defined=request.deleteBeforeReplaceDefined,
            custom_timeouts=json_format.MessageToDict(request.customTimeouts) if request.customTimeouts else {},
        )
        record.wire_inputs = request.object
        record.wire_outputs = object_proto
        with self._lock:
            if urn in self.records:
                raise DuplicateResource(urn)
            self.records[urn] = record
        if self.observer is not None:
            self.observer(record)
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, id_, state)
        if object_proto is None:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=object_proto)

    def RegisterResourceOutputs(self, request):
        record = self.records.get(request.urn)
        if record is not None:
            record.wire_outputs = request.outputs
        return empty_pb2.Empty()


class DuplicateResource(Exception):
    def __init__(self, urn: str):
        super().__init__(f"duplicate resource URN {urn}: two resources of one type share a name under one parent")
