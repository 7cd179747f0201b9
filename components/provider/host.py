"""The `platform` provider: the facade components other languages see, and how `Construct` builds them.

Each facade below declares what the package schema shows (its `args` TypedDict from `facades.py` and its outputs,
with descriptions); the analyzer in `pulumi.provider.experimental` reads it. `PlatformProvider.construct` maps the
wire (camelCase) inputs onto the pydantic model's fields, validates them with that model (the messages Python
callers read from `parse_environment` / `validate_model`), and builds the Python class itself: the same type
token, children, names and parents as a Python program gets, so URNs do not depend on the caller's language.

No `from __future__ import annotations`: the analyzer reads these annotations as objects.
"""

import asyncio
import inspect
import re
import sys
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Optional

import grpc
import grpc.aio
import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.errors import InputPropertiesError
from pulumi.output import Output, Unknown
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.util import camel_case
from pulumi.provider.provider import ConstructResult
from pulumi.provider.server import ProviderServicer
from pulumi.runtime import rpc
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import provider_pb2_grpc
from pydantic import BaseModel

from ..errors import Problem, SpecError
from ..spec.base import NAME_PATTERN
from . import PACKAGE_NAME, facades, package_version
from .outputs import carrying, settled, unknown_output


class Environment(pulumi.ComponentResource):
    """One environment built from a whole stack spec: cloud provider, work queues, network, cluster, add-ons and
    workloads, as `stacks/Pulumi.<env>.yaml` declares them. Services and jobs name their queue (`queue`), and
    get exactly the grants that names. The resource name is the environment's name (children are
    `<name>-<map key>-...`)."""

    queue_addresses: pulumi.Output[dict[str, str]]
    """Each queue's consumer address (SQS queue URL or Pub/Sub subscription path), keyed by queue name."""
    cluster_name: pulumi.Output[str]
    """The cluster's name; unset when the spec declares no cluster."""
    kubeconfig: pulumi.Output[str]
    """Secret kubeconfig (JSON) using exec-plugin auth; unset when the spec declares no cluster."""

    def __init__(self, name: str, args: facades.EnvironmentArgs, opts: Optional[pulumi.ResourceOptions] = None):
        raise TypeError("this class describes the package schema; from Python use `components.Environment`")


class WorkQueue(pulumi.ComponentResource):
    """A queue that workers pull from, with a dead-letter queue for messages that keep failing: SQS on aws,
    Pub/Sub on gcp, encrypted, with the consumers it lists granted exactly what consuming needs."""

    consumer_address: pulumi.Output[str]
    """What consumer code is configured with: the SQS queue URL or the Pub/Sub subscription path."""
    publish_address: pulumi.Output[str]
    """Where producers send messages: the SQS queue URL or the Pub/Sub topic path."""
    dead_letter_address: pulumi.Output[str]
    """The dead-letter queue URL (SQS) or subscription path (Pub/Sub) for inspection and redrive."""
    physical_name: pulumi.Output[str]
    """The queue's cloud name, known before deployment."""
    queue_arn: pulumi.Output[str]
    """aws: the SQS queue's ARN (what a `Service` or `BatchJob` names in `queue.arn`); unset on gcp."""

    def __init__(self, name: str, args: facades.WorkQueueArgs, opts: Optional[pulumi.ResourceOptions] = None):
        raise TypeError("this class describes the package schema; from Python use `components.work_queue`")


class EksCluster(pulumi.ComponentResource):
    """EKS control plane, managed node groups, core add-ons, IRSA, and a kubeconfig using exec-plugin auth."""

    cluster_name: pulumi.Output[str]
    """The EKS cluster's name."""
    endpoint: pulumi.Output[str]
    """The Kubernetes API endpoint."""
    kubeconfig: pulumi.Output[str]
    """Secret kubeconfig (JSON) using exec-plugin auth (`aws eks get-token`)."""
    oidc_provider_arn: pulumi.Output[str]
    """The IAM OIDC provider ARN that workload roles (IRSA) trust."""
    oidc_issuer: pulumi.Output[str]
    """The cluster's OIDC issuer URL."""
    node_role_arn: pulumi.Output[str]
    """The IAM role ARN of the managed node groups."""

    def __init__(self, name: str, args: facades.EksClusterArgs, opts: Optional[pulumi.ResourceOptions] = None):
        raise TypeError("this class describes the package schema; from Python use `components.EksCluster`")


class GkeCluster(pulumi.ComponentResource):
    """A private, hardened GKE Standard cluster with Workload Identity, node pools and a kubeconfig using
    exec-plugin auth."""

    cluster_name: pulumi.Output[str]
    """The GKE cluster's name."""
    endpoint: pulumi.Output[str]
    """The Kubernetes API endpoint."""
    kubeconfig: pulumi.Output[str]
    """Secret kubeconfig (JSON) using exec-plugin auth (`gke-gcloud-auth-plugin`)."""
    node_service_account_email: pulumi.Output[str]
    """The Google service account the nodes run as."""

    def __init__(self, name: str, args: facades.GkeClusterArgs, opts: Optional[pulumi.ResourceOptions] = None):
        raise TypeError("this class describes the package schema; from Python use `components.GkeCluster`")


class Service(pulumi.ComponentResource):
    """A long-running workload: Deployment, ServiceAccount with its own cloud identity, PodDisruptionBudget,
    NetworkPolicy, and a KEDA ScaledObject on its queue's length (an HPA on CPU without a queue). Its identity may
    consume the queue it names and nothing else."""

    cloud_identity: pulumi.Output[str]
    """The IAM role ARN (aws) or Google service account email (gcp) the pods run as: grant it what else they
    reach."""

    def __init__(self, name: str, args: facades.ServiceArgs, opts: Optional[pulumi.ResourceOptions] = None):
        raise TypeError("this class describes the package schema; from Python use `components.Service`")


class BatchJob(pulumi.ComponentResource):
    """A batch job: a CronJob (scheduled or on demand) or a KEDA ScaledJob (one Job per queue message), with a
    ServiceAccount of its own cloud identity and a NetworkPolicy. Its identity may consume the queue it names and
    nothing else."""

    cloud_identity: pulumi.Output[str]
    """The IAM role ARN (aws) or Google service account email (gcp) the job's pods run as."""

    def __init__(self, name: str, args: facades.BatchJobArgs, opts: Optional[pulumi.ResourceOptions] = None):
        raise TypeError("this class describes the package schema; from Python use `components.BatchJob`")


COMPONENTS: list[type[pulumi.ComponentResource]] = [Environment, WorkQueue, Service, BatchJob, EksCluster,
                                                    GkeCluster]


# -- from the wire to the pydantic model --------------------------------------------------------------------


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = members[0] if len(members) == 1 else Any
        else:
            return annotation


def _takes_inputs(annotation: Any) -> bool:
    """Fields typed `Any` (or lists of it) take Pulumi Inputs: Outputs, secrets and unknowns pass through."""
    annotation = _unwrap(annotation)
    return annotation is Any or (typing.get_origin(annotation) is list and _unwrap(typing.get_args(annotation)[0])
                                 is Any)


def _as_input(value: Any) -> Any:
    """A wire value for an Input field: secrets stay secret, unknowns stay unknown."""
    if isinstance(value, Unknown):
        return unknown_output()
    if rpc.is_rpc_secret(value):
        return pulumi.Output.secret(_as_input(rpc.unwrap_rpc_secret(value)))
    if isinstance(value, list):
        return [_as_input(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_input(item) for key, item in value.items()}
    return value


def _input_map(value: Any) -> Any:
    """A map whose keys are names and whose values are Inputs. The wire marks a whole map secret when one value
    is (secrets are pushed up to the top-level property): its values stay secret, its keys are names."""
    if isinstance(value, Output):
        data = settled(value)
        if data is None or not data.is_known or not isinstance(data.value, dict):
            return value
        return {key: carrying(data, _as_input(item)) for key, item in data.value.items()}
    if rpc.is_rpc_secret(value):
        value = rpc.unwrap_rpc_secret(value)
        return {key: pulumi.Output.secret(_as_input(item)) for key, item in value.items()} \
            if isinstance(value, dict) else value
    return {key: _as_input(item) for key, item in value.items()} if isinstance(value, dict) else value


@dataclass
class _Inputs:
    """Turns wire inputs into the dict a pydantic model validates, collecting what cannot be plain."""

    problems: list[Problem]
    depends_on: list[pulumi.Resource]

    def plain(self, value: Any, path: str) -> Any:
        """A value for a plain (spec) field: known, and not a secret (it would be stored in clear text)."""
        if isinstance(value, Output):
            data = settled(value)
            if data is None or not data.is_known:
                self.problems.append(Problem(path, "is not known before deployment (an output of a resource not "
                                                   "created yet); this setting must be a plain value"))
                return None
            if data.is_secret:
                self.problems.append(Problem(path, "is a secret but is not a secret setting; pass it as a plain "
                                                   "value (value hidden)"))
                return None
            self.depends_on.extend(data.resources)
            value = data.value
        if rpc.is_rpc_secret(value):
            self.problems.append(Problem(path, "is a secret but is not a secret setting; pass it as a plain value "
                                               "(value hidden)"))
            return None
        if isinstance(value, Unknown):
            self.problems.append(Problem(path, "is not known before deployment (an output of a resource not "
                                               "created yet); this setting must be a plain value"))
            return None
        return value

    def model(self, model: type[BaseModel], raw: Any, path: str = "") -> Any:
        """`raw` with the wire's camelCase field names as the model's, values converted field by field."""
        if not isinstance(raw, dict):
            return raw
        by_wire = {camel_case(name): name for name in model.model_fields}
        result: dict[str, Any] = {}
        for key, value in raw.items():
            field_name = by_wire.get(key, key)
            info = model.model_fields.get(field_name)
            where = f"{path}.{field_name}" if path else field_name
            if info is None:
                result[key] = self.plain(value, where)
            elif _takes_inputs(info.annotation):
                result[field_name] = _as_input(value)
            else:
                result[field_name] = self.value(info.annotation, value, where)
        return result

    def value(self, annotation: Any, value: Any, path: str) -> Any:
        annotation = _unwrap(annotation)
        value = self.plain(value, path)
        origin = typing.get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return self.model(annotation, value, path)
        if origin is dict and isinstance(value, dict):
            # Map keys are identities (resource names): never renamed.
            item = typing.get_args(annotation)[1]
            return {key: self.value(item, entry, f"{path}.{key}") for key, entry in value.items()}
        if origin is list and isinstance(value, list):
            item = typing.get_args(annotation)[0]
            return [self.value(item, entry, f"{path}.{index}") for index, entry in enumerate(value)]
        if annotation is int and isinstance(value, float) and value.is_integer():
            return int(value)   # every number crosses the wire as a double
        return value


def _REFERENCE_MODELS() -> dict[str, type[BaseModel]]:  # noqa: N802 - a constant, imported late
    from .refs import CallRef, ClusterRef, QueueRef

    return {"cluster": ClusterRef, "queue": QueueRef, "sends_to": dict[str, QueueRef], "calls": list[CallRef]}


def wire_path(model: type[BaseModel], path: str) -> str:
    """`services.orders.scaling.max_replicas` as the caller wrote it: `services.orders.scaling.maxReplicas`."""
    # Rules checked by a model validator name the argument itself (`args.private_access_cidrs`).
    parts = path.removeprefix("args.").split(".") if path else []
    out: list[str] = []
    annotation: Any = model
    for part in parts:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and part in annotation.model_fields:
            out.append(camel_case(part))
            # A workload's cluster, queue, sends_to and calls are Python objects: other languages fill references.
            referenced = annotation.__name__ in ("ServiceArgs", "BatchJobArgs") and part in _REFERENCE_MODELS()
            annotation = (_REFERENCE_MODELS()[part] if referenced else annotation.model_fields[part].annotation)
        elif typing.get_origin(annotation) in (dict, list):
            out.append(part)
            annotation = typing.get_args(annotation)[-1]
        else:
            out.append(part)
            annotation = Any
    return ".".join(out)


# -- builders: validate, then build the Python class ---------------------------------------------------------


@dataclass
class Built:
    resource: pulumi.ComponentResource
    outputs: dict[str, Any]


def _problems_first(problems: list[Problem], source: str) -> None:
    if problems:
        raise SpecError(source, problems)


def build_environment(name: str, raw: dict[str, Any], opts: pulumi.ResourceOptions) -> tuple[type[BaseModel], Built]:
    from ..environment import Environment as PythonEnvironment
    from ..spec import EnvironmentSpec, parse_environment

    inputs = _Inputs([], [])
    plain = inputs.model(EnvironmentSpec, raw)
    source = f"Environment {name}"
    _problems_first(inputs.problems, source)
    spec = parse_environment(plain, source, environment=name, project=pulumi.get_project())
    environment = PythonEnvironment(name, spec, _with_dependencies(opts, inputs))
    outputs: dict[str, Any] = {"queue_addresses": environment.queue_addresses}
    if environment.cluster is not None:
        outputs.update(cluster_name=environment.cluster.cluster_name, kubeconfig=environment.cluster.kubeconfig)
    return EnvironmentSpec, Built(environment, outputs)


def build_work_queue(name: str, raw: dict[str, Any], opts: pulumi.ResourceOptions) -> tuple[type[BaseModel], Built]:
    from ..identity import WorkloadPrincipal
    from ..queues import WorkQueueArgs, work_queue
    from ..spec.loading import validate_model

    inputs = _Inputs([], [])
    raw = dict(raw)
    cloud = inputs.plain(raw.pop("cloud", None), "cloud")
    consumers = raw.pop("consumers", None) or {}
    source = f"WorkQueue {name}"
    if cloud not in ("aws", "gcp"):
        got = "" if cloud is None else f" (got {cloud!r})"
        inputs.problems.append(Problem("cloud", "required field is missing" if cloud is None
                                       else f"must be one of 'aws' or 'gcp'{got}"))
    grantees = {}
    for field_name, value in (("consumers", consumers),):
        value = _input_map(value)
        if not isinstance(value, dict):
            inputs.problems.append(Problem(field_name, "must be a map of keys to values"))
            value = {}
        for key in value:
            if not re.match(NAME_PATTERN, key):
                inputs.problems.append(Problem(f"{field_name}.{key}", "name must be 1-30 lowercase letters, digits "
                                                                      "or '-', starting with a letter and not ending "
                                                                      "with '-'"))
        grantees[field_name] = value
    plain = inputs.model(WorkQueueArgs, raw)
    try:
        args = validate_model(WorkQueueArgs, plain, source)
    except SpecError as error:
        inputs.problems.extend(error.problems)
    _problems_first(inputs.problems, source)
    queue = work_queue(cloud, name, args, _with_dependencies(opts, inputs))
    principal = WorkloadPrincipal.aws_role if cloud == "aws" else WorkloadPrincipal.gcp_service_account
    for key, ref in sorted(grantees["consumers"].items()):
        queue.grant_consume(f"{name}-{key}-consume", principal(_as_input(ref)), pulumi.ResourceOptions(parent=queue))
    return WorkQueueArgs, Built(queue, {
        "consumer_address": queue.consumer_address, "publish_address": queue.publish_address,
        "dead_letter_address": queue.dead_letter_address, "physical_name": queue.physical_name,
        "queue_arn": getattr(queue, "queue_arn", None)})


def _build_cluster(kind: str) -> Callable[..., tuple[type[BaseModel], Built]]:
    def build(name: str, raw: dict[str, Any], opts: pulumi.ResourceOptions) -> tuple[type[BaseModel], Built]:
        from .. import cluster
        from ..spec.loading import validate_model

        model = getattr(cluster, f"{kind}Args")
        inputs = _Inputs([], [])
        plain = inputs.model(model, raw)
        source = f"{kind} {name}"
        _problems_first(inputs.problems, source)
        args = validate_model(model, plain, source)
        built = getattr(cluster, kind)(name, args, _with_dependencies(opts, inputs))
        names = ["cluster_name", "endpoint", "kubeconfig"] + (
            ["oidc_provider_arn", "oidc_issuer", "node_role_arn"] if kind == "EksCluster"
            else ["node_service_account_email"])
        return model, Built(built, {key: getattr(built, key) for key in names})
    return build


def _reference(model: type[BaseModel], raw: Any, field_name: str, inputs: _Inputs) -> Any:
    """The Python object a `ClusterRef` / `QueueRef` names, or None (its problems prefixed with `field_name`)."""
    from ..spec.loading import validate_model
    from . import refs

    raw = inputs.plain(raw, field_name)
    if raw is None:
        return None
    values = inputs.model(model, raw, field_name) if isinstance(raw, dict) else raw
    if isinstance(values, dict) and "cluster_urn" in values:
        # A URN is known at preview; the reference needs it as text (`DependencyResource`).
        values["cluster_urn"] = inputs.plain(values["cluster_urn"], f"{field_name}.cluster_urn")
    try:
        ref = validate_model(model, values, field_name)
    except SpecError as error:
        inputs.problems.extend(Problem(f"{field_name}.{p.path}" if p.path else field_name, p.message)
                               for p in error.problems)
        return None
    if model is refs.ClusterRef:
        return refs.cluster_reference(ref)
    return refs.queue_reference(ref) if model is refs.QueueRef else refs.call_target(ref)


def _build_workload(kind: str) -> Callable[..., tuple[type[BaseModel], Built]]:
    def build(name: str, raw: dict[str, Any], opts: pulumi.ResourceOptions) -> tuple[type[BaseModel], Built]:
        from .. import workloads
        from ..spec.loading import validate_model
        from .refs import CallRef, ClusterRef, QueueRef

        model = getattr(workloads, f"{kind}Args")
        inputs = _Inputs([], [])
        raw = dict(raw)
        cluster = _reference(ClusterRef, raw.pop("cluster", None), "cluster", inputs)
        queue = _reference(QueueRef, raw.pop("queue", None), "queue", inputs)
        sends_to = inputs.plain(raw.pop("sendsTo", raw.pop("sends_to", None)), "sends_to") or {}
        calls = inputs.plain(raw.pop("calls", None), "calls") or []
        plain = inputs.model(model, raw)
        plain.update({key: value for key, value in (("cluster", cluster), ("queue", queue)) if value is not None})
        if isinstance(sends_to, dict):
            plain["sends_to"] = {key: _reference(QueueRef, ref, f"sends_to.{key}", inputs)
                                 for key, ref in sends_to.items()}
        else:
            inputs.problems.append(Problem("sends_to", "must be a map of keys to values"))
        if isinstance(calls, list):
            plain["calls"] = [_reference(CallRef, ref, f"calls.{index}", inputs) for index, ref in enumerate(calls)]
        else:
            inputs.problems.append(Problem("calls", "must be a list"))
        source = f"{kind} {name}"
        args = None
        try:
            args = validate_model(model, plain, source)
        except SpecError as error:
            reported = {problem.path.split(".")[0] for problem in inputs.problems}
            inputs.problems.extend(problem for problem in error.problems
                                   if problem.path.split(".")[0] not in reported)
        _problems_first(inputs.problems, source)
        workload = getattr(workloads, kind)(name, args, _with_dependencies(opts, inputs))
        return model, Built(workload, {"cloud_identity": workload.identity.cloud_identity})
    return build


BUILDERS: dict[str, Callable[..., tuple[type[BaseModel], Built]]] = {
    "Environment": build_environment,
    "WorkQueue": build_work_queue,
    "Service": _build_workload("Service"),
    "BatchJob": _build_workload("BatchJob"),
    "EksCluster": _build_cluster("EksCluster"),
    "GkeCluster": _build_cluster("GkeCluster"),
}
_MODELS = {"Environment": "EnvironmentSpec", "WorkQueue": "WorkQueueArgs", "EksCluster": "EksClusterArgs",
           "GkeCluster": "GkeClusterArgs", "Service": "ServiceArgs", "BatchJob": "BatchJobArgs"}


def _with_dependencies(opts: pulumi.ResourceOptions, inputs: _Inputs) -> pulumi.ResourceOptions:
    if not inputs.depends_on:
        return opts
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=inputs.depends_on))


class PlatformProvider(ComponentProvider):
    """The SDK's component provider (schema from `COMPONENTS`), constructing through `BUILDERS`."""

    def __init__(self) -> None:
        super().__init__(COMPONENTS, PACKAGE_NAME, version=package_version())

    def construct(self, name: str, resource_type: str, inputs: dict[str, Any],
                  options: Optional[pulumi.ResourceOptions] = None) -> ConstructResult:
        self.validate_resource_type(PACKAGE_NAME, resource_type)
        component = resource_type.rsplit(":", 1)[-1]
        if component not in BUILDERS:
            raise ValueError(f"unknown component {resource_type}")
        try:
            _, built = BUILDERS[component](name, dict(inputs), options or pulumi.ResourceOptions())
        except SpecError as error:
            raise InputPropertiesError(str(error), [
                {"property_path": wire_path(_model(component), problem.path), "reason": problem.message}
                for problem in error.problems
            ]) from None
        state = self.get_state(SimpleNamespace(**built.outputs), self._component_defs[component])  # type: ignore[arg-type]
        return ConstructResult(built.resource.urn, state)


def _model(component: str) -> type[BaseModel]:
    from .. import cluster, queues, spec, workloads
    for module in (spec, queues, cluster, workloads):
        model = getattr(module, _MODELS[component], None)
        if model is not None:
            return model
    raise KeyError(component)


def schema() -> dict[str, Any]:
    """The package schema, as `pulumi package get-schema` returns it."""
    import json

    return json.loads(PlatformProvider().schema or "{}")


def _with_nulls(value: Any, wire: Any) -> Any:
    """`value` with the wire's explicit nulls put back where the SDK dropped them.

    The SDK treats a property that deserializes to None as absent, but a spec tells the two apart: a job with
    `queue: null` does not inherit its service's queue (the Python spec reads `model_fields_set`). Secrets and
    outputs (already Outputs here) are left as they are.
    """
    if isinstance(value, dict) and isinstance(wire, dict):
        for key, item in wire.items():
            if item is None and key not in value:
                value[key] = None
            elif key in value:
                value[key] = _with_nulls(value[key], item)
    elif isinstance(value, list) and isinstance(wire, list) and len(value) == len(wire):
        return [_with_nulls(a, b) for a, b in zip(value, wire, strict=True)]
    return value


class _Servicer(ProviderServicer):
    @staticmethod
    async def _construct_inputs(inputs: struct_pb2.Struct, input_dependencies: Any) -> dict[str, Any]:
        values = await ProviderServicer._construct_inputs(inputs, input_dependencies)
        return _with_nulls(values, json_format.MessageToDict(inputs))


def serve(args: Optional[list[str]] = None) -> None:
    """Serve the package: what `component_provider_host` does (the engine's address as the first argument, the
    port printed on stdout), with `PlatformProvider` and explicit nulls kept."""
    args = args if args is not None else sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.stderr.write("usage: python -m components.provider <engine address> (the Pulumi engine starts it)\n")
        raise SystemExit(2)
    engine = args[0]

    async def run() -> None:
        server = grpc.aio.server(options=_GRPC_CHANNEL_OPTIONS)
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(
            _Servicer(PlatformProvider(), args, engine_address=engine), server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        sys.stdout.write(f"{port}\n")
        sys.stdout.flush()
        await server.wait_for_termination()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass


# Descriptions in the schema are the class docstrings, without the source's indentation.
for _component in COMPONENTS:
    _component.__doc__ = inspect.cleandoc(_component.__doc__ or "")
