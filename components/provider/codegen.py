"""Generate `facades.py`: the pydantic specs as the TypedDicts and Enums Pulumi's component analyzer reads.

    python -m components.provider.codegen > components/provider/facades.py

`pulumi.provider.experimental` infers a package schema from annotations: TypedDicts with `NotRequired` for
optional fields, Enums, lists and string-keyed dicts; it rejects `Literal` and unions and cannot read a pydantic
model. The specs stay the one source of truth: this module derives each facade from a model's fields (names,
requiredness, descriptions, `Literal` choices), and `tests/test_component_package.py` fails when the committed
file differs from what this prints. `Optional[X]` fields and fields with defaults become `NotRequired[X]`.
"""

from __future__ import annotations

import json
import re
import sys
import textwrap
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from ..cluster import EksClusterArgs, GkeClusterArgs
from ..queues import WorkQueueArgs
from ..spec import EnvironmentSpec
from ..workloads import BatchJobArgs, ServiceArgs
from .refs import CallRef, ClusterRef, QueueRef


@dataclass(frozen=True)
class Extra:
    """A facade field with no pydantic field of its own: an Input the provider resolves itself."""

    annotation: str
    description: str
    required: bool = False


@dataclass(frozen=True)
class Facade:
    """How one component's pydantic arguments become its facade `args` TypedDict."""

    name: str
    model: type[BaseModel]
    # Pydantic fields typed `Any` because they take Pulumi Inputs: their facade annotation.
    inputs: dict[str, str] = field(default_factory=dict)
    # Pydantic fields other languages do not set (resource objects; `opts` covers them), with the reason.
    omitted: dict[str, str] = field(default_factory=dict)
    extras: dict[str, Extra] = field(default_factory=dict)
    doc: str = ""
    # Pydantic fields holding Python objects (a `Cluster`, a `WorkQueue`): the model other languages fill instead.
    references: dict[str, type[BaseModel]] = field(default_factory=dict)


_WORKLOAD_OMITTED = {
    "depends_on": "other languages pass `dependsOn` in the resource options",
    "application": "GitOps delivery (an Argo CD Application) is the Environment's",
    "secret_manager": "cloud secrets (`aws_secret`, `gcp_secret`) are the Environment's",
    "secret_grants_depend_on": "cloud secrets are the Environment's",
}
_WORKLOAD_INPUTS = {"placement": "dict[str, typing.Any]"}
_REFERENCES = {"cluster": ClusterRef, "queue": QueueRef, "sends_to": QueueRef, "calls": CallRef}
# Fields typed `Any` in models that only other languages fill (the references): Inputs of these types.
_NESTED_INPUTS = {
    "ClusterRef": {"oidc_provider_arn": "pulumi.Input[str]", "oidc_issuer": "pulumi.Input[str]",
                   "cluster_urn": "pulumi.Input[str]"},
    "QueueRef": {"address": "pulumi.Input[str]", "arn": "pulumi.Input[str]", "kms_key": "pulumi.Input[str]",
                 "topic": "pulumi.Input[str]"},
}


FACADES = [
    Facade("EnvironmentArgs", EnvironmentSpec,
           doc="Arguments of `Environment`: a whole stack file's settings (the `platform:` config keys)."),
    Facade(
        "WorkQueueArgs", WorkQueueArgs,
        inputs={"service_agent_email": "pulumi.Input[str]", "managed_key": "pulumi.Input[str]"},
        omitted={"depends_on": "other languages pass `dependsOn` in the resource options",
                 "key_agent_grant": "the Environment's, made once per key"},
        extras={
            "cloud": Extra("EnvironmentSpecCloud", "Which cloud's queue: `aws` (SQS) or `gcp` (Pub/Sub). Required.",
                           required=True),
            "consumers": Extra(
                "dict[str, pulumi.Input[str]]",
                "Who may consume the queue, keyed by a stable name (the key names the grant resource): an IAM role "
                "name (aws) or a Google service account email (gcp), granted receive/acknowledge/extend on this "
                "queue (and decrypt on its key) and nothing else, as `grant_consume` does. Default none."),
        },
        doc="Arguments of `WorkQueue`: the queue spec (with who may send to it), its cloud, and who consumes it.",
    ),
    Facade("ServiceArgs", ServiceArgs, inputs=_WORKLOAD_INPUTS, omitted=_WORKLOAD_OMITTED, references=_REFERENCES,
           doc="Arguments of `Service`: what runs and how it scales, the cluster it runs on and the queue it "
               "consumes (named by their outputs: the service's identity is granted exactly that queue)."),
    Facade("BatchJobArgs", BatchJobArgs, inputs=_WORKLOAD_INPUTS, omitted=_WORKLOAD_OMITTED, references=_REFERENCES,
           doc="Arguments of `BatchJob`: how and when it runs, what runs, the cluster and the queue it consumes "
               "(named by their outputs: the job's identity is granted exactly that queue)."),
    Facade("EksClusterArgs", EksClusterArgs, inputs={"subnet_ids": "pulumi.Input[list[str]]"},
           doc="Arguments of `EksCluster`: the cluster spec plus where it runs."),
    Facade(
        "GkeClusterArgs", GkeClusterArgs,
        inputs={"network": "pulumi.Input[str]", "subnetwork": "pulumi.Input[str]",
                "service_agent_email": "pulumi.Input[str]"},
        omitted={"depends_on": "other languages pass `dependsOn` in the resource options"},
        doc="Arguments of `GkeCluster`: the cluster spec plus where it runs.",
    ),
]

# Enums shared by name where the specs share the Literal (one `Cloud`, not one per field).
_SHARED_ENUMS = {"EnvironmentSpecCloud": ("aws", "gcp")}


def _declaring(model: type[BaseModel], field_name: str) -> str:
    """The model class that declares `field_name` (a base for inherited fields): it names the field's Enum."""
    for cls in model.__mro__:
        if field_name in getattr(cls, "__annotations__", {}):
            return cls.__name__
    return model.__name__


def _pascal(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\W]+", text) if part)


def _member(value: str) -> str:
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", value)
    return re.sub(r"\W", "_", snake).upper()


def _docstring(text: str, indent: str) -> str:
    """A docstring the analyzer reads as one string: long ones as adjacent literals the parser joins."""
    body = " ".join(text.split())
    if len(indent) + len(body) + 6 <= 120:
        return f"{indent}{_quote(body)}"
    chunks = textwrap.wrap(body, 120 - len(indent) - 8, drop_whitespace=False, break_on_hyphens=False)
    return "\n".join([f"{indent}(", *(f"{indent}    {json.dumps(chunk)}" for chunk in chunks), f"{indent})"])


def _quote(text: str) -> str:
    return json.dumps(text)


class _Writer:
    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.types: dict[str, Any] = {}   # facade type name -> model or Literal values

    def _enum(self, name: str, values: tuple[str, ...]) -> str:
        known = self.types.get(name)
        if known is not None and known != values:
            raise TypeError(f"two Literals want the enum name {name}: {known} and {values}")
        if known is None:
            self.types[name] = values
            lines = [f"class {name}(StrEnum):", _docstring(f"One of: {', '.join(values)}.", "    ")]
            for value in values:
                lines.append(f"    {_member(value)} = {json.dumps(value)}")
                lines.append(_docstring(f"`{value}` (the field that takes it describes each choice).", "    "))
            self.blocks.append("\n".join(lines))
        return name

    def annotation(self, owner: str, field_name: str, annotation: Any) -> str:
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is typing.Annotated:
            return self.annotation(owner, field_name, args[0])
        if origin in (typing.Union, types.UnionType):
            members = [a for a in args if a is not type(None)]
            if len(members) != 1:
                raise TypeError(f"{owner}.{field_name}: unions cannot be expressed in a Pulumi schema")
            return self.annotation(owner, field_name, members[0])
        if origin is typing.Literal:
            return self._enum(f"{owner}{_pascal(field_name)}", tuple(args))
        if origin is list:
            return f"list[{self.annotation(owner, field_name, args[0])}]"
        if origin is dict:
            return f"dict[str, {self.annotation(owner, field_name, args[1])}]"
        if annotation in (str, int, float, bool):
            return annotation.__name__
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return self.model(annotation.__name__, annotation)
        raise TypeError(f"{owner}.{field_name}: no facade for {annotation!r}")

    def model(self, name: str, model: type[BaseModel], facade: Facade | None = None) -> str:
        if name in self.types:
            if self.types[name] is not model:
                raise TypeError(f"two models want the facade name {name}")
            return name
        self.types[name] = model
        doc = (facade.doc if facade and facade.doc else model.__doc__) or name
        lines = [f"class {name}(TypedDict):", _docstring(doc, "    ")]
        for field_name, info in model.model_fields.items():
            if facade and field_name in facade.omitted:
                continue
            if facade and field_name in facade.inputs:
                text = facade.inputs[field_name]
            elif facade and field_name in facade.references:
                text = self.model(facade.references[field_name].__name__, facade.references[field_name])
                shape = typing.get_origin(info.annotation)
                text = {dict: f"dict[str, {text}]", list: f"list[{text}]"}.get(shape, text)
            elif field_name in _NESTED_INPUTS.get(name, {}):
                text = _NESTED_INPUTS[name][field_name]
            else:
                text = self.annotation(_declaring(model, field_name), field_name, info.annotation)
            required = info.is_required() and typing.get_origin(info.annotation) not in (typing.Union,
                                                                                          types.UnionType)
            lines.append(f"    {field_name}: {text if required else f'NotRequired[{text}]'}")
            described = (facade.references[field_name].__doc__ if facade and field_name in facade.references
                         else info.description)
            lines.append(_docstring(described or "", "    "))
        for field_name, extra in (facade.extras if facade else {}).items():
            if extra.annotation in _SHARED_ENUMS:
                self._enum(extra.annotation, _SHARED_ENUMS[extra.annotation])
            text = extra.annotation
            lines.append(f"    {field_name}: {text if extra.required else f'NotRequired[{text}]'}")
            lines.append(_docstring(extra.description, "    "))
        self.blocks.append("\n".join(lines))
        return name


def render() -> str:
    writer = _Writer()
    for facade in FACADES:
        writer.model(facade.name, facade.model, facade)
    header = (
        '"""Generated by `python -m components.provider.codegen` from the pydantic specs: do not edit.\n\n'
        "The TypedDicts and Enums that `pulumi.provider.experimental` turns into the `platform` package schema.\n"
        "No `from __future__ import annotations` here: the analyzer reads these annotations as objects.\n"
        '"""\n\n'
        "import typing\n"
        "from enum import StrEnum\n"
        "from typing import NotRequired, TypedDict\n\n"
        "import pulumi\n"
    )
    return header + "\n\n" + "\n\n\n".join(writer.blocks) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
