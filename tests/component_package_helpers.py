"""The engine's side of a component package, offline: what `pulumi up` does with `platform` from another language.

`PackageHost` starts the package's provider the way the Python language host does (`python components/provider
<engine address>`, which prints its port), and serves, over gRPC, an engine (logs) and resource monitors that
record every registration with stackctl's `RecordingMonitor` and answer with its offline mocks. A test then calls
`GetSchema` and `Construct` as the engine would, with inputs shaped as a TypeScript or YAML program sends them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import typing
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import (
    engine_pb2,
    engine_pb2_grpc,
    provider_pb2,
    provider_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
)
from pydantic import BaseModel

from stackctl.engine.mocks import OfflineMocks
from stackctl.engine.recorder import RecordingMonitor
from stackctl.engine.urns import ROOT_STACK_TYPE, engine_urn

REPO = Path(__file__).resolve().parents[1]
PLUGIN_DIR = REPO / "components" / "provider"
# How a secret and an unknown cross the wire (pulumi/sdk/go/common/resource/plugin/rpc.go; the SDKs' rpc modules).
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIG_KEY = "4dabf18193072939515e22adb298388d"


def secret(value: Any) -> dict[str, Any]:
    return {SIG_KEY: SECRET_SIG, "value": value}


UNKNOWN = rpc.UNKNOWN
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"


def output(value: Any, dependencies: list[str]) -> dict[str, Any]:
    """An output value of another resource, as the engine passes it to a provider that accepts outputs."""
    return {SIG_KEY: OUTPUT_SIG, "value": value, "dependencies": dependencies}


def camel_case(name: str) -> str:
    """`visibility_timeout_seconds` -> `visibilityTimeoutSeconds` (the schema's property names)."""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def to_wire(model: Any, value: Any) -> Any:
    """`value` as a TypeScript or YAML program sends it: field names camelCase, map keys unchanged."""
    origin = typing.get_origin(model)
    if origin is typing.Annotated:
        return to_wire(typing.get_args(model)[0], value)
    if origin in (typing.Union, __import__("types").UnionType):
        members = [a for a in typing.get_args(model) if a is not type(None)]
        return to_wire(members[0], value) if len(members) == 1 else value
    if isinstance(model, type) and issubclass(model, BaseModel) and isinstance(value, dict):
        return {camel_case(key): to_wire(model.model_fields[key].annotation, item) if key in model.model_fields
                else item for key, item in value.items()}
    if origin is dict and isinstance(value, dict):
        return {key: to_wire(typing.get_args(model)[1], item) for key, item in value.items()}
    if origin is list and isinstance(value, list):
        return [to_wire(typing.get_args(model)[0], item) for item in value]
    return value


class _Monitor(resource_pb2_grpc.ResourceMonitorServicer):
    def __init__(self, recorder: RecordingMonitor):
        self.recorder = recorder

    def SupportsFeature(self, request, context):
        return resource_pb2.SupportsFeatureResponse(hasSupport=self.recorder.SupportsFeature(request).hasSupport)

    def GetDeploymentInfo(self, request, context):
        return self.recorder.GetDeploymentInfo(request)

    def RegisterResource(self, request, context):
        return self.recorder.RegisterResource(request)

    def RegisterResourceOutputs(self, request, context):
        return self.recorder.RegisterResourceOutputs(request)

    def Invoke(self, request, context):
        return self.recorder.Invoke(request)

    def RegisterPackage(self, request, context):
        return self.recorder.RegisterPackage(request)

    def RegisterStackTransform(self, request, context):
        return empty_pb2.Empty()

    def RegisterStackInvokeTransform(self, request, context):
        return empty_pb2.Empty()

    def SignalAndWaitForShutdown(self, request, context):
        return empty_pb2.Empty()


class _Engine(engine_pb2_grpc.EngineServicer):
    def __init__(self) -> None:
        self.logs: list[str] = []
        self.root = ""

    def Log(self, request, context):
        self.logs.append(request.message)
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):
        return engine_pb2.GetRootResourceResponse(urn=self.root)

    def SetRootResource(self, request, context):
        self.root = request.urn
        return engine_pb2.SetRootResourceResponse()


class Deployment:
    """One `pulumi preview` of a consumer program: its resource monitor, recording what the provider registers."""

    def __init__(self, project: str, stack: str, config: dict[str, str]):
        self.project, self.stack, self.config = project, stack, config
        self.recorder = RecordingMonitor(OfflineMocks(), project, stack, config)
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        resource_pb2_grpc.add_ResourceMonitorServicer_to_server(_Monitor(self.recorder), self.server)
        self.address = f"127.0.0.1:{self.server.add_insecure_port('127.0.0.1:0')}"
        self.server.start()
        # The consumer program's root stack, registered before anything else (as the language SDKs do).
        self.stack_urn = self.recorder.RegisterResource(resource_pb2.RegisterResourceRequest(
            type=ROOT_STACK_TYPE, name=f"{project}-{stack}", custom=False)).urn
        assert self.stack_urn == engine_urn(stack, project, ROOT_STACK_TYPE, f"{project}-{stack}")

    def knows(self, urn: str, id_: str, outputs: dict[str, Any]) -> None:
        """A resource of the consumer program registered before (e.g. the Kubernetes provider it passes in
        `providers`), so the provider process can look it up as the engine would answer."""
        from pulumi.runtime.mocks import MockMonitor

        self.recorder.resources[urn] = MockMonitor.ResourceRegistration(urn, id_, outputs)

    def records(self) -> dict:
        return {urn: record for urn, record in self.recorder.records.items() if record.type != ROOT_STACK_TYPE}

    def close(self) -> None:
        self.server.stop(None)


class PackageHost:
    """The provider process of the component package, and the engine it logs to."""

    def __init__(self) -> None:
        self.engine = _Engine()
        self.engine_server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(self.engine, self.engine_server)
        engine_address = f"127.0.0.1:{self.engine_server.add_insecure_port('127.0.0.1:0')}"
        self.engine_server.start()
        # As the Python language host runs a plugin directory: `python <dir> <engine address>`.
        self.process = subprocess.Popen(
            [sys.executable, str(PLUGIN_DIR), engine_address], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=PLUGIN_DIR, env={**os.environ, "PYTHONPATH": ""})
        assert self.process.stdout is not None
        port = self.process.stdout.readline().decode().strip()
        if not port.isdigit():
            self.process.kill()
            raise RuntimeError(f"the provider did not start: {port!r} {self.process.stderr.read().decode()}")
        self._stderr: list[bytes] = []
        threading.Thread(target=lambda: self._stderr.extend(self.process.stderr), daemon=True).start()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.provider = provider_pb2_grpc.ResourceProviderStub(self.channel)

    def schema(self) -> str:
        return self.provider.GetSchema(provider_pb2.GetSchemaRequest(version=0)).schema

    def construct(self, deployment: Deployment, type_: str, name: str, inputs: dict[str, Any],
                  dependencies: dict[str, list[str]] | None = None,
                  providers: dict[str, str] | None = None) -> provider_pb2.ConstructResponse:
        struct = struct_pb2.Struct()
        struct.update(inputs)
        return self.provider.Construct(provider_pb2.ConstructRequest(
            project=deployment.project, stack=deployment.stack, config=deployment.config, dryRun=True,
            parallel=4, monitorEndpoint=deployment.address, type=type_, name=name, parent=deployment.stack_urn,
            inputs=struct, accepts_output_values=True, organization="organization", providers=providers or {},
            inputDependencies={key: provider_pb2.ConstructRequest.PropertyDependencies(urns=urns)
                               for key, urns in (dependencies or {}).items()},
        ), timeout=300)

    def stderr(self) -> str:
        return b"".join(self._stderr).decode(errors="replace")

    def close(self) -> None:
        self.channel.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.engine_server.stop(None)
