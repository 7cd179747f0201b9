"""Drive the real policy pack over its gRPC Analyzer service, the way the Pulumi CLI does.

The CLI starts a Python pack as `python -u -m pulumi.policy <engine address> .` in the pack directory, reads
the port it prints, then calls Handshake, ConfigureStack, GetPluginInfo, GetAnalyzerInfo, Configure,
Remediate + Analyze for each resource (checked inputs), and AnalyzeStack once (outputs). This module does
the same with the resources the offline run recorded, filled in as the engine would: engine URNs, parents,
dependencies, property dependencies, options and provider resources.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import jsonschema
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2_grpc
from ruamel.yaml import YAML

from . import pack_host
from .errors import InputError
from .graph import Graph, ResourceRecord
from .runner import ORGANIZATION, StackRun

LEVELS = {"advisory": analyzer_pb2.ADVISORY, "mandatory": analyzer_pb2.MANDATORY,
          "disabled": analyzer_pb2.DISABLED, "remediate": analyzer_pb2.REMEDIATE}
LEVEL_NAMES = {value: name for name, value in LEVELS.items()}
PORT_TIMEOUT_SECONDS = 60


class PackError(Exception):
    """The policy pack could not be started or failed while analyzing."""


@dataclass(frozen=True, order=True)
class Violation:
    urn: str
    policy: str
    level: str
    message: str
    type: str = ""
    name: str = ""


@dataclass
class PolicyInfo:
    name: str
    description: str
    level: str
    # pulumi-policy >= 1.18 metadata (empty when the pack does not set it).
    severity: str = ""
    framework: dict[str, str] = field(default_factory=dict)
    remediation: str = ""
    url: str = ""


SEVERITY_NAMES = {analyzer_pb2.POLICY_SEVERITY_LOW: "low", analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
                  analyzer_pb2.POLICY_SEVERITY_HIGH: "high", analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical"}


def policy_info(policy: analyzer_pb2.PolicyInfo) -> PolicyInfo:
    framework = {key: value for key, value in (("name", policy.framework.name),
                                                ("version", policy.framework.version),
                                                ("reference", policy.framework.reference)) if value}
    return PolicyInfo(policy.name, policy.description, LEVEL_NAMES.get(policy.enforcementLevel, "advisory"),
                      severity=SEVERITY_NAMES.get(policy.severity, ""), framework=framework,
                      remediation=policy.remediation_steps, url=policy.url)


@dataclass
class CheckResult:
    project: str
    stack: str
    pack_name: str
    pack_version: str
    policies: list[PolicyInfo]
    violations: list[Violation]
    pack_log: list[str] = field(default_factory=list)

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == "mandatory"]


# -- the engine side ------------------------------------------------------------------------------

class _Engine(engine_pb2_grpc.EngineServicer):
    """The engine endpoint a pack is given. Today's Python packs log to stderr instead, but a pack that
    connects back (as the CLI allows) finds a live service that records its log lines."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.root = ""

    def Log(self, request, context):  # noqa: N802 - gRPC method name
        self.log.append(request.message)
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):  # noqa: N802
        from pulumi.runtime.proto import engine_pb2

        return engine_pb2.GetRootResourceResponse(urn=self.root)

    def SetRootResource(self, request, context):  # noqa: N802
        from pulumi.runtime.proto import engine_pb2

        self.root = request.urn
        return engine_pb2.SetRootResourceResponse()


# -- what the engine sends ------------------------------------------------------------------------

def _engine_value(value: Any, graph: Graph) -> Any:
    """A property the way the engine marshals it for analyzers: secrets kept, resource references and output
    values downgraded, internal (`__`) keys dropped."""
    if isinstance(value, dict):
        sig = value.get(rpc._special_sig_key)
        if sig == rpc._special_resource_sig:
            record = graph.by_urn.get(value.get("urn", ""))
            return value.get("id") or (record.id if record and record.custom else value.get("urn", ""))
        if sig == rpc._special_output_value_sig:
            inner = _engine_value(value.get("value", rpc.UNKNOWN), graph)
            return {rpc._special_sig_key: rpc._special_secret_sig, "value": inner} if value.get("secret") else inner
        return {k: _engine_value(v, graph) for k, v in value.items() if not str(k).startswith("__")}
    if isinstance(value, list):
        return [_engine_value(v, graph) for v in value]
    return value


# A Struct holding none of these bytes has no resource reference, output value or internal (`__`) key (secrets
# may be there: they stay as they are): `_engine_value` would return it unchanged, so it is sent as it is.
# That is every resource of a generated 200-service stack; the round trip through dicts was a third of
# `check`'s own CPU. Any other Struct takes the round trip.
_SPECIAL_BYTES = (rpc._special_resource_sig.encode(), rpc._special_output_value_sig.encode(), b"__")


def _properties(struct: struct_pb2.Struct | None, graph: Graph) -> struct_pb2.Struct:
    if struct is None:
        return struct_pb2.Struct()
    wire = struct.SerializeToString()
    if not any(marker in wire for marker in _SPECIAL_BYTES):
        return struct
    result = struct_pb2.Struct()
    result.update(_engine_value(json_format.MessageToDict(struct), graph))
    return result


def _provider(record: ResourceRecord, graph: Graph,
              cache: dict[str, analyzer_pb2.AnalyzerProviderResource | None] | None = None,
              ) -> analyzer_pb2.AnalyzerProviderResource | None:
    if not record.provider:
        return None
    urn = record.provider.rsplit("::", 1)[0]
    if cache is not None and urn in cache:
        return cache[urn]
    provider = graph.by_urn.get(urn)
    resource = None if provider is None else analyzer_pb2.AnalyzerProviderResource(
        type=provider.type, urn=provider.urn, name=provider.name,
        properties=_properties(provider.wire_inputs, graph) if provider.wire_inputs is not None else
        json_format.ParseDict(provider.inputs, struct_pb2.Struct()))
    if cache is not None:
        cache[urn] = resource
    return resource


def _options(record: ResourceRecord) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=record.protect,
        ignoreChanges=record.ignoreChanges,
        deleteBeforeReplace=record.deleteBeforeReplace,
        deleteBeforeReplaceDefined=record.delete_before_replace_defined,
        additionalSecretOutputs=record.additional_secret_outputs,
        aliases=record.aliases,
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(),
        parent=record.parent,
    )


def analyze_request(record: ResourceRecord, graph: Graph,
                    providers: dict | None = None) -> analyzer_pb2.AnalyzeRequest:
    """`providers` (provider URN -> its message) saves converting a provider's properties for every resource."""
    request = analyzer_pb2.AnalyzeRequest(
        type=record.type, urn=record.urn, name=record.name, options=_options(record),
        properties=_properties(record.wire_inputs, graph))
    provider = _provider(record, graph, providers)
    if provider is not None:
        request.provider.CopyFrom(provider)
    return request


def stack_resource(record: ResourceRecord, graph: Graph,
                   providers: dict | None = None) -> analyzer_pb2.AnalyzerResource:
    resource = analyzer_pb2.AnalyzerResource(
        type=record.type, urn=record.urn, name=record.name, options=_options(record),
        properties=_properties(record.wire_outputs, graph), parent=record.parent,
        dependencies=record.dependencies,
        propertyDependencies={key: analyzer_pb2.AnalyzerPropertyDependencies(urns=urns)
                              for key, urns in record.propertyDependencies.items() if urns},
    )
    provider = _provider(record, graph, providers)
    if provider is not None:
        resource.provider.CopyFrom(provider)
    return resource


# -- policy configuration, reconciled as the CLI does ----------------------------------------------

def load_policy_config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a policy config file ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: must be a JSON object of policy name -> level or settings")
    return data


def reconcile_config(info: analyzer_pb2.AnalyzerInfo, file_config: dict[str, Any],
                     source: str) -> dict[str, analyzer_pb2.PolicyConfig]:
    """Each policy's level and settings: its defaults, then the pack's initial config, then the file."""
    names = {p.name for p in info.policies}
    unknown = sorted(set(file_config) - names - {"all"})
    if unknown:
        raise InputError(f"{source}: unknown policies {unknown}")
    config: dict[str, dict[str, Any]] = {}
    schemas: dict[str, dict[str, Any]] = {}
    for policy in info.policies:
        schema = json_format.MessageToDict(policy.configSchema.properties) if policy.configSchema else {}
        schemas[policy.name] = {"type": "object", "properties": schema,
                                "required": list(policy.configSchema.required)}
        config[policy.name] = {"level": policy.enforcementLevel,
                               "properties": {k: v["default"] for k, v in schema.items() if "default" in v}}
    for name, initial in info.initialConfig.items():
        if name in config:
            config[name]["level"] = initial.enforcementLevel
            config[name]["properties"].update(json_format.MessageToDict(initial.properties))
    for name, value in file_config.items():
        targets = list(config) if name == "all" else [name]
        for target in targets:
            if isinstance(value, str):
                level, properties = value, {}
            elif isinstance(value, dict):
                properties = dict(value)
                level = properties.pop("enforcementLevel", None)
            else:
                raise InputError(f"{source}: {name}: must be a level or an object of settings")
            if level is not None:
                if level not in LEVELS:
                    raise InputError(f"{source}: {name}: unknown enforcement level {level!r} "
                                     f"(one of {', '.join(LEVELS)})")
                config[target]["level"] = LEVELS[level]
            config[target]["properties"].update(properties)
    result = {}
    for name, entry in config.items():
        errors = sorted(jsonschema.Draft7Validator(schemas[name]).iter_errors(entry["properties"]), key=str)
        if errors:
            raise InputError(f"{source}: {name}: {errors[0].message}")
        result[name] = analyzer_pb2.PolicyConfig(
            enforcementLevel=entry["level"],
            properties=json_format.ParseDict(entry["properties"], struct_pb2.Struct()))
    return result


# -- running the pack ------------------------------------------------------------------------------

def pack_version(pack_dir: Path) -> str:
    data = YAML(typ="safe").load((pack_dir / "PulumiPolicy.yaml").read_text()) or {}
    return str(data.get("version", ""))


class PolicyPackProcess:
    """`python -u -m pulumi.policy <engine> .` in the pack directory (through `stackctl.pack_host`, which takes
    the stack config on stdin), and a channel to the port it prints.

    Started before the stack program runs, so its imports overlap the run; `connect` hands it the first stack's
    config and waits for its port."""

    def __init__(self, pack_dir: Path, engine_address: str, env: dict[str, str]):
        if not (pack_dir / "PulumiPolicy.yaml").is_file():
            raise InputError(f"{pack_dir}: not a policy pack (no PulumiPolicy.yaml)")
        self.channel: grpc.Channel | None = None
        self.stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "stackctl.pack_host", engine_address, "."],
            cwd=pack_dir, env={**env, pack_host.CONFIG_STDIN_VARIABLE: "1"},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Read all along, so a chatty pack never blocks on a full pipe; `stderr_lines` hands out what came.
        self._stderr: list[str] = []
        self._stderr_reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr_reader.start()

    def _read_stderr(self) -> None:
        for line in self.process.stderr:
            self._stderr.append(line.decode(errors="replace"))

    def stderr_lines(self) -> list[str]:
        lines, self._stderr[:] = list(self._stderr), []
        return [line.rstrip("\n") for line in lines if line.strip()]

    def connect(self, config: dict[str, str]) -> analyzer_pb2_grpc.AnalyzerStub:
        def hand_over() -> None:
            try:
                with self.process.stdin:
                    self.process.stdin.write(json.dumps(config).encode())
            except (BrokenPipeError, ValueError):  # the pack died (or was stopped) first: its stderr says why
                pass

        # A pipe holds 64 KiB: a large config is written while the pack reads it.
        threading.Thread(target=hand_over, daemon=True).start()
        lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=lambda: lines.put(self.process.stdout.readline()), daemon=True).start()
        try:
            first = lines.get(timeout=PORT_TIMEOUT_SECONDS).decode().strip()
        except queue.Empty:
            raise PackError(f"the policy pack printed no port within {PORT_TIMEOUT_SECONDS}s") from None
        if not first.isdigit() or not 0 < int(first) < 65536:
            raise PackError(f"the policy pack did not start (it printed {first!r}):\n{self.close()}")
        self.channel = grpc.insecure_channel(
            f"127.0.0.1:{first}", options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)])
        grpc.channel_ready_future(self.channel).result(timeout=10)
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)
        return self.stub

    def close(self) -> str:
        """Stop the pack; what it wrote to stderr and nobody took yet."""
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self.process.poll() is None:
            # SIGTERM, not SIGINT: a process started in the background by a non-interactive shell (CI steps,
            # `nohup`, `cmd &` in a script) inherits SIGINT ignored, and the pack then sat out the whole timeout.
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._stderr_reader.join(timeout=5)
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            if not pipe.closed:
                pipe.close()
        return "\n".join(self.stderr_lines())


def _optional(call, *args):
    """Call an RPC the pack may not implement (the CLI tolerates UNIMPLEMENTED for these)."""
    try:
        return call(*args)
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
            return None
        raise


class PackSession:
    """The engine endpoint and one policy pack process, for one or more stacks of a project.

    The pack starts at once (its imports overlap the stack program's run on the other core). `check` runs a
    stack through it as the Pulumi CLI runs a preview through a fresh pack: the first stack's config is the
    pack's start-up config (PULUMI_CONFIG), every stack gets ConfigureStack with its own config and stack name
    and Configure with its own policy config, so a pack reused for the next stack (`check --all`) sees what a
    fresh one would (stackctl/pack_host.py). Calls go one at a time, in the CLI's order; the next request is
    built while the pack works on the current one."""

    def __init__(self, pack_dir: Path, project: str, stack: str):
        self.pack_dir = pack_dir
        self.engine = _Engine()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(self.engine, self.server)
        self.engine_address = f"127.0.0.1:{self.server.add_insecure_port('127.0.0.1:0')}"
        self.server.start()
        self.stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self.pack: PolicyPackProcess | None = None
        env = {
            **{k: v for k, v in os.environ.items() if k != "PULUMI_CONFIG"},
            "PULUMI_PROJECT": project,
            "PULUMI_STACK": stack,
            "PULUMI_DRY_RUN": "true",
            "PULUMI_ORGANIZATION": ORGANIZATION,
        }
        try:
            self.pack = PolicyPackProcess(pack_dir, self.engine_address, env)
        except BaseException:
            self.server.stop(0)
            raise

    def __enter__(self) -> PackSession:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> str:
        stderr = self.pack.close() if self.pack is not None else ""
        self.pack = None
        self.server.stop(0)
        return stderr

    def _connect(self, run: StackRun) -> analyzer_pb2_grpc.AnalyzerStub:
        if self.stub is None:
            self.stub = self.pack.connect(run.config.values)
            _optional(self.stub.Handshake, analyzer_pb2.AnalyzerHandshakeRequest(
                engine_address=self.engine_address, root_directory=str(self.pack_dir),
                program_directory=str(self.pack_dir)))
        return self.stub

    def check(self, run: StackRun, file_config: dict[str, Any], config_source: str) -> CheckResult:
        graph = run.graph
        self.engine.root = graph.root.urn if graph.root else ""
        self.engine.log = []
        try:
            stub = self._connect(run)
            _optional(stub.ConfigureStack, analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=graph.stack, project=graph.project, organization=ORGANIZATION, dry_run=True,
                config=run.config.values, config_secret_keys=run.config.secret_keys))
            _optional(stub.GetPluginInfo, empty_pb2.Empty())
            info = stub.GetAnalyzerInfo(empty_pb2.Empty())
            stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(
                policyConfig=reconcile_config(info, file_config, config_source)))
            diagnostics = self._analyze(stub, graph)
        except grpc.RpcError as exc:
            raise PackError(f"the policy pack failed: {exc.code().name}: {exc.details()}") from None

        violations = []
        for urn, diagnostic in diagnostics:
            record = graph.by_urn.get(urn)
            level = LEVEL_NAMES.get(diagnostic.enforcementLevel, "advisory")
            level = "mandatory" if level == "remediate" else level
            violations.append(Violation(urn=urn, policy=diagnostic.policyName, level=level,
                                        message=diagnostic.message.strip(), type=record.type if record else "",
                                        name=record.name if record else ""))
        return CheckResult(
            project=graph.project, stack=graph.stack, pack_name=info.name,
            pack_version=pack_version(self.pack_dir) or info.version,
            policies=[policy_info(p) for p in info.policies],
            violations=sorted(set(violations)),
            pack_log=self.engine.log + self.pack.stderr_lines(),
        )

    @staticmethod
    def _analyze(stub: analyzer_pb2_grpc.AnalyzerStub, graph: Graph) -> list[tuple[str, Any]]:
        """Remediate + Analyze per resource, then AnalyzeStack, one call at a time in the engine's order. One
        thread makes the calls while this one builds the requests, so the pack starts on the first resource
        at once and the AnalyzeStack request is ready when the last Analyze returns."""
        providers: dict[str, Any] = {}
        # Bounded: the builder stays a little ahead of the calls instead of holding every request at once
        # (unbounded, the requests of a 2,264-resource stack added ~20 MiB to check's peak memory).
        requests: queue.Queue[tuple[str, analyzer_pb2.AnalyzeRequest] | None] = queue.Queue(maxsize=64)

        def analyze_each() -> list[tuple[str, Any]]:
            found = []
            while (item := requests.get()) is not None:
                urn, request = item
                _optional(stub.Remediate, request)
                # The CLI attributes a resource policy's violation to the resource analyzed.
                found += [(urn, d) for d in stub.Analyze(request).diagnostics]
            return found

        with futures.ThreadPoolExecutor(max_workers=1) as caller:
            analyzed = caller.submit(analyze_each)
            try:
                for record in graph.resources:
                    requests.put((record.urn, analyze_request(record, graph, providers)))
            finally:
                requests.put(None)
            diagnostics = analyzed.result()
        # Built once the Analyze calls are done, from a generator: built alongside them, the stack's resources
        # and the calls' buffers were alive together, +24 MiB of peak memory at aws-200 for ~0.3 s.
        response = _optional(stub.AnalyzeStack, analyzer_pb2.AnalyzeStackRequest(
            resources=(stack_resource(record, graph, providers) for record in graph.resources)))
        root = graph.root.urn if graph.root else ""
        for diagnostic in response.diagnostics if response else []:
            diagnostics.append((diagnostic.urn if diagnostic.urn in graph.by_urn else root, diagnostic))
        return diagnostics


def check(run: StackRun, pack_dir: Path, file_config: dict[str, Any], config_source: str) -> CheckResult:
    """One stack through a pack of its own, as `pulumi preview --policy-pack` runs it."""
    session = PackSession(pack_dir, run.graph.project, run.graph.stack)
    try:
        result = session.check(run, file_config, config_source)
    finally:
        stderr = session.close()
    result.pack_log += [line for line in stderr.splitlines() if line.strip()]
    return result
