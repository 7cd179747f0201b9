"""Drive the real policy pack over its gRPC Analyzer service, the way the Pulumi CLI does.

The CLI starts a Python pack as `python -u -m pulumi.policy <engine address> .` in the pack directory, reads
the port it prints, then calls Handshake, ConfigureStack, GetPluginInfo, GetAnalyzerInfo, Configure,
Remediate + Analyze for each resource (checked inputs), and AnalyzeStack once (outputs). This module does
the same with the resources the offline run recorded, filled in as the engine would: engine URNs, parents,
dependencies, property dependencies, options and provider resources.
"""

from __future__ import annotations

import collections
import itertools
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

from stackctl.engine.graph import Graph, ResourceRecord
from stackctl.engine.project import StackConfig
from stackctl.engine.runner import ORGANIZATION, StackRun
from stackctl.engine.urns import ROOT_STACK_TYPE
from stackctl.errors import InputError

from . import pack_host

LEVELS = {"advisory": analyzer_pb2.ADVISORY, "mandatory": analyzer_pb2.MANDATORY,
          "disabled": analyzer_pb2.DISABLED, "remediate": analyzer_pb2.REMEDIATE}
LEVEL_NAMES = {value: name for name, value in LEVELS.items()}
PORT_TIMEOUT_SECONDS = 60
# Analyze calls sent ahead of their answers (bounds the requests held in memory).
MAX_CALLS_IN_FLIGHT = 128


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


# Serialized properties holding none of these bytes have no resource reference, output value or internal (`__`)
# key (secrets may be there: they stay as they are): `_engine_value` would return them unchanged, so they are
# sent as they are. That is every resource of a generated 200-service stack; the round trip through dicts was a
# third of `check`'s own CPU. Anything else takes the round trip.
_SPECIAL_BYTES = (rpc._special_resource_sig.encode(), rpc._special_output_value_sig.encode(), b"__")


def _properties(serialized: bytes | None, graph: Graph) -> struct_pb2.Struct:
    """A recorded property Struct (`ResourceRecord.wire_*_bytes`) the way the engine hands it to analyzers."""
    if serialized is None:
        return struct_pb2.Struct()
    struct = struct_pb2.Struct.FromString(serialized)
    if not any(marker in serialized for marker in _SPECIAL_BYTES):
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
        properties=_properties(provider.wire_inputs_bytes, graph) if provider.wire_inputs_bytes is not None else
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
        properties=_properties(record.wire_inputs_bytes, graph))
    provider = _provider(record, graph, providers)
    if provider is not None:
        request.provider.CopyFrom(provider)
    return request


def analyze_stack_request(graph: Graph) -> bytes:
    """The AnalyzeStack request for `graph`, serialized one resource at a time.

    A serialized message is the concatenation of its serialized fields, and `resources` (a repeated message) is
    the request's only field, so the request's bytes are the concatenation of one-resource requests. Built whole,
    the message (~18 MiB at aws-200) was alive next to its serialization while gRPC copied it: the largest part of
    `check`'s peak memory."""
    providers: dict[str, Any] = {}
    return b"".join(
        analyzer_pb2.AnalyzeStackRequest(resources=[stack_resource(record, graph, providers)]).SerializeToString()
        for record in graph.resources)


def stack_resource(record: ResourceRecord, graph: Graph,
                   providers: dict | None = None) -> analyzer_pb2.AnalyzerResource:
    resource = analyzer_pb2.AnalyzerResource(
        type=record.type, urn=record.urn, name=record.name, options=_options(record),
        properties=_properties(record.wire_outputs_bytes, graph), parent=record.parent,
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
    """`python -u -m pulumi.policy <engine> .` in the pack directory (through `stackctl.analysis.pack_host`, which takes
    the stack config on stdin), and a channel to the port it prints.

    Started before the stack program runs, so its imports overlap the run; `connect` hands it the first stack's
    config and waits for its port."""

    def __init__(self, pack_dir: Path, engine_address: str, env: dict[str, str]):
        if not (pack_dir / "PulumiPolicy.yaml").is_file():
            raise InputError(f"{pack_dir}: not a policy pack (no PulumiPolicy.yaml)")
        self.channel: grpc.Channel | None = None
        self.stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "stackctl.analysis.pack_host", engine_address, "."],
            cwd=pack_dir, env={**env, pack_host.CONFIG_STDIN_VARIABLE: "1"},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Read all along, so a chatty pack never blocks on a full pipe; `stderr_lines` hands out what came.
        self._stderr: list[str] = []
        self._stderr_reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr_reader.start()

    def _read_stderr(self) -> None:
        for line in self.process.stderr:
            text = line.decode(errors="replace")
            self._stderr.append(text)
            if text.startswith("stackctl: warning:"):  # the pack host's (pack_host.py): the user's to see
                sys.stderr.write(text)

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

    The pack starts when the first stack's program registers its first resource after the root stack, that is
    once the program got past validating the stack file (its imports then overlap the rest of the run on the
    other core); a stack file the program refuses never starts a pack. `check` runs a
    stack through it as the Pulumi CLI runs a preview through a fresh pack: the first stack's config is the
    pack's start-up config (PULUMI_CONFIG), every stack gets ConfigureStack with its own config and stack name
    and Configure with its own policy config, so a pack reused for the next stack (`check --all`) sees what a
    fresh one would (stackctl/analysis/pack_host.py). Each stack's resources are analyzed while its program runs
    (`StackAnalysis`)."""

    def __init__(self, pack_dir: Path, project: str, stack: str):
        self.pack_dir = pack_dir
        self.engine = _Engine()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(self.engine, self.server)
        self.engine_address = f"127.0.0.1:{self.server.add_insecure_port('127.0.0.1:0')}"
        self.server.start()
        self.stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self.pack: PolicyPackProcess | None = None
        self._env = {
            **{k: v for k, v in os.environ.items() if k != "PULUMI_CONFIG"},
            "PULUMI_PROJECT": project,
            "PULUMI_STACK": stack,
            "PULUMI_DRY_RUN": "true",
            "PULUMI_ORGANIZATION": ORGANIZATION,
        }
        if not (pack_dir / "PulumiPolicy.yaml").is_file():
            self.server.stop(0)
            raise InputError(f"{pack_dir}: not a policy pack (no PulumiPolicy.yaml)")
        self._closed = False
        self._starting = threading.Lock()

    def _start_pack(self) -> None:
        """Start the pack process, once (from the thread that first needs it)."""
        with self._starting:
            if self.pack is None and not self._closed:
                self.pack = PolicyPackProcess(self.pack_dir, self.engine_address, self._env)

    def __enter__(self) -> PackSession:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> str:
        with self._starting:
            self._closed = True
        stderr = self.pack.close() if self.pack is not None else ""
        self.pack = None
        self.server.stop(0)
        return stderr

    def _connect(self, config: StackConfig) -> analyzer_pb2_grpc.AnalyzerStub:
        if self.stub is None:
            self._start_pack()
            if self.pack is None:
                raise PackError("the policy pack session is closed")
            self.stub = self.pack.connect(config.values)
            _optional(self.stub.Handshake, analyzer_pb2.AnalyzerHandshakeRequest(
                engine_address=self.engine_address, root_directory=str(self.pack_dir),
                program_directory=str(self.pack_dir)))
        return self.stub

    def _configure(self, project: str, stack: str, config: StackConfig, file_config: dict[str, Any],
                   config_source: str) -> tuple[analyzer_pb2_grpc.AnalyzerStub, Any]:
        """What the CLI sends a pack before the first Analyze of a stack; the pack's AnalyzerInfo."""
        self.engine.log = []
        stub = self._connect(config)
        _optional(stub.ConfigureStack, analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=stack, project=project, organization=ORGANIZATION, dry_run=True,
            config=config.values, config_secret_keys=config.secret_keys))
        _optional(stub.GetPluginInfo, empty_pb2.Empty())
        info = stub.GetAnalyzerInfo(empty_pb2.Empty())
        stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(
            policyConfig=reconcile_config(info, file_config, config_source)))
        return stub, info

    def check(self, run: StackRun, file_config: dict[str, Any], config_source: str) -> CheckResult:
        """Check a finished run: every Analyze call, then AnalyzeStack."""
        analysis = self.start(run.graph.project, run.graph.stack, run.config, file_config, config_source)
        for record in run.graph.resources:
            analysis.observe(record)
        return analysis.finish(run)

    def start(self, project: str, stack: str, config: StackConfig, file_config: dict[str, Any],
              config_source: str) -> StackAnalysis:
        """Begin checking a stack whose program is about to run: pass `observe` as the run's observer, so
        each resource is analyzed as it registers (the engine calls analyzers during a preview the same way),
        then `finish` with the run."""
        return StackAnalysis(self, project, stack, config, file_config, config_source)

    def analyze_stack(self, serialized_request: bytes) -> analyzer_pb2.AnalyzeResponse:
        """AnalyzeStack with a request already serialized (`analyze_stack_request`)."""
        if self.pack is None or self.pack.channel is None:
            raise PackError("the policy pack session is closed")
        call = self.pack.channel.unary_unary(
            "/pulumirpc.Analyzer/AnalyzeStack",  # as in pulumi's generated analyzer_pb2_grpc.AnalyzerStub
            request_serializer=None, response_deserializer=analyzer_pb2.AnalyzeResponse.FromString)
        return call(serialized_request)

    def _result(self, graph: Graph, info: Any, diagnostics: list[tuple[str, Any]]) -> CheckResult:
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


class StackAnalysis:
    """The Analyze calls of one stack, made in a thread of their own while the stack's program runs.

    Resources arrive in registration order (`observe`, from the registering threads) rather than in the graph's
    order; findings are sorted, so the report does not depend on it. The pack's configuration calls go first,
    in the same thread, so a pack still starting up only delays the analysis, not the program."""

    def __init__(self, session: PackSession, project: str, stack: str, config: StackConfig,
                 file_config: dict[str, Any], config_source: str):
        self.session = session
        session.engine.root = ""
        self._abandoned = False
        self._arrived: queue.Queue[ResourceRecord | None] = queue.Queue()
        self._by_urn: dict[str, ResourceRecord] = {}
        self._worker = futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"analyze-{stack}")
        self._analyzed = self._worker.submit(self._analyze_each, project, stack, config, file_config,
                                             config_source)

    def observe(self, record: ResourceRecord) -> None:
        self._by_urn[record.urn] = record
        if record.type == ROOT_STACK_TYPE:
            self.session.engine.root = record.urn
        self._arrived.put(record)

    def _analyze_each(self, project: str, stack: str, config: StackConfig, file_config: dict[str, Any],
                      config_source: str) -> tuple[analyzer_pb2_grpc.AnalyzerStub, Any, list[tuple[str, Any]]] | None:
        # Nothing is asked of the pack (so a session's pack is not even started) until the program registers a
        # resource besides the root stack, which it does only once the stack file passed its validation.
        early: list[ResourceRecord] = []
        while (record := self._arrived.get()) is not None:
            early.append(record)
            if record.type != ROOT_STACK_TYPE:
                break
        if record is None and self._abandoned:
            return None
        # What is still to come (nothing once the end was seen); drained after a failure, so the program never
        # waits on this thread.
        rest = iter(()) if record is None else iter(self._arrived.get, None)
        try:
            stub, info = self.session._configure(project, stack, config, file_config, config_source)
        except BaseException:
            collections.deque(rest, maxlen=0)
            raise
        # What the requests look resources up in: every resource registered so far (providers and referenced
        # resources register before the resources that name them).
        registered = _Registered(self._by_urn)
        providers: dict[str, Any] = {}
        found: list[tuple[str, Any]] = []
        in_flight: collections.deque[tuple[str, grpc.Future, grpc.Future]] = collections.deque()

        def collect_oldest() -> None:
            urn, remediated, analyzed = in_flight.popleft()
            _optional(remediated.result)
            # The CLI attributes a resource policy's violation to the resource analyzed.
            found.extend((urn, d) for d in analyzed.result().diagnostics)

        # The calls are made without waiting for each answer (the engine, too, analyzes resources as their
        # steps run, in parallel): waiting, this thread had to win the interpreter lock back from the program
        # after every call and fell behind by most of the stack.
        try:
            for record in itertools.chain(early, rest):
                request = analyze_request(record, registered, providers)
                in_flight.append((record.urn, stub.Remediate.future(request), stub.Analyze.future(request)))
                if len(in_flight) > MAX_CALLS_IN_FLIGHT:
                    collect_oldest()
            while in_flight:
                collect_oldest()
        except BaseException:
            for _, remediated, analyzed in in_flight:
                remediated.cancel()
                analyzed.cancel()
            collections.deque(rest, maxlen=0)
            raise
        return stub, info, found

    def abandon(self) -> None:
        """The program failed: stop analyzing (whatever the pack said is dropped)."""
        self._abandoned = True
        self._arrived.put(None)
        self._worker.shutdown(wait=True)

    def finish(self, run: StackRun) -> CheckResult:
        """AnalyzeStack with the finished run, once every resource is analyzed."""
        self._arrived.put(None)
        graph = run.graph
        try:
            stub, info, diagnostics = self._analyzed.result()
            # Built once the Analyze calls are done: built alongside them, the stack's resources and the calls'
            # buffers were alive together (+24 MiB of peak memory at aws-200).
            response = _optional(self.session.analyze_stack, analyze_stack_request(graph))
        except grpc.RpcError as exc:
            raise PackError(f"the policy pack failed: {exc.code().name}: {exc.details()}") from None
        finally:
            self._worker.shutdown(wait=True)
        root = graph.root.urn if graph.root else ""
        for diagnostic in response.diagnostics if response else []:
            diagnostics.append((diagnostic.urn if diagnostic.urn in graph.by_urn else root, diagnostic))
        return self.session._result(graph, info, diagnostics)


@dataclass
class _Registered:
    """The resources registered so far, where the request builders look up providers and references."""
    by_urn: dict[str, ResourceRecord]


def check(run: StackRun, pack_dir: Path, file_config: dict[str, Any], config_source: str) -> CheckResult:
    """One stack through a pack of its own, as `pulumi preview --policy-pack` runs it."""
    session = PackSession(pack_dir, run.graph.project, run.graph.stack)
    try:
        result = session.check(run, file_config, config_source)
    finally:
        stderr = session.close()
    result.pack_log += [line for line in stderr.splitlines() if line.strip()]
    return result
