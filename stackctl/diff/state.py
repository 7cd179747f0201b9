"""Prior state for `stackctl diff`: what a stack had before the change under review.

Two sources give the same shape (`PriorState`):
- a `pulumi stack export` file (deployment version 3), read here;
- the desired graph of another git revision (`stackctl.diff.revision`), which stands in for the state that
  revision's `pulumi up` would have left.

Export format (pulumi/pulumi `sdk/go/common/apitype/core.go`: `UntypedDeployment`, `DeploymentV3`,
`ResourceV3`, `OperationV2`, `SecretV1`): `{"version": 3, "deployment": {"manifest", "secrets_providers",
"resources": [ResourceV3...], "pending_operations": [{"resource": ResourceV3, "type": ...}]}}`. A secret
value is `{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": ...}`
(or `"plaintext"` after `--show-secrets`); it is read as the opaque "[secret]" and never kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stackctl.engine.wire import SECRET
from stackctl.errors import InputError

SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
ASSET_SIGS = {"c44067f5952c0a294b673a41bacd8c17", "0def7320c3a5731c473e5ecbe6d01bc7"}
SUPPORTED_VERSIONS = (3,)


@dataclass
class PriorResource:
    """One resource as the prior state knows it: inputs in wire (camelCase) names, secrets as "[secret]"."""

    urn: str
    type: str
    custom: bool
    parent: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    protect: bool = False
    retainOnDelete: bool = False
    pendingReplacement: bool = False
    external: bool = False
    aliases: list[str] = field(default_factory=list)
    # Bridged providers list the inputs their Check filled in (autonames, defaults): absent from the
    # program, the provider fills them again, so their absence is no change.
    defaults: list[str] = field(default_factory=list)
    # The cloud id (what `pulumi import` takes); "" for components.
    id: str = ""


@dataclass
class PriorState:
    source: str
    resources: list[PriorResource]
    outputs: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.by_urn = {r.urn: r for r in self.resources}


def masked(value: Any) -> Any:
    """An exported property value with every secret replaced by "[secret]" (its content is dropped)."""
    if isinstance(value, dict):
        sig = value.get(SECRET_SIG_KEY)
        if sig == SECRET_SIG:
            return SECRET
        if sig == RESOURCE_SIG:
            return value.get("urn", "")
        if sig in ASSET_SIGS:
            return "[asset]"
        return {str(k): masked(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [masked(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def read_export(path: Path) -> PriorState:
    """Read a `pulumi stack export` file. Bad input raises `InputError` naming the file and the field."""
    label = str(path)
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise InputError(f"{label}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{label}: not JSON ({exc}); expected the output of `pulumi stack export`") from None
    if not isinstance(data, dict) or "deployment" not in data:
        raise InputError(f"{label}: deployment: missing; expected the output of `pulumi stack export`")
    version = data.get("version")
    if version not in SUPPORTED_VERSIONS:
        raise InputError(f"{label}: version: {version!r} is not supported (deployment version 3 is; "
                         "export with a Pulumi CLI 3.x)")
    deployment = data["deployment"]
    if not isinstance(deployment, dict):
        raise InputError(f"{label}: deployment: must be an object")
    raw_resources = deployment.get("resources") or []
    if not isinstance(raw_resources, list):
        raise InputError(f"{label}: deployment.resources: must be a list")
    resources: list[PriorResource] = []
    warnings: list[str] = []
    for index, raw in enumerate(raw_resources):
        where = f"{label}: deployment.resources[{index}]"
        resource = _resource(raw, where)
        if raw.get("delete"):
            # Left over from a replacement whose delete did not finish: the next update deletes it.
            warnings.append(f"{resource.urn}: marked for deletion by an earlier update (`delete: true`); "
                            "the next update deletes it")
            continue
        if resource.pendingReplacement:
            warnings.append(f"{resource.urn}: pending replacement (deleted by a delete-before-replace "
                            "that did not finish); the next update creates it")
        resources.append(resource)
    pending = deployment.get("pending_operations") or []
    if not isinstance(pending, list):
        raise InputError(f"{label}: deployment.pending_operations: must be a list")
    for index, operation in enumerate(pending):
        if not isinstance(operation, dict) or not isinstance(operation.get("resource"), dict):
            raise InputError(f"{label}: deployment.pending_operations[{index}]: must be an object with a resource")
        urn = operation["resource"].get("urn", "?")
        kind = operation.get("type", "?")
        warnings.append(f"{urn}: pending operation '{kind}' from an interrupted update: the cloud may differ "
                        "from this state until it is resolved (`pulumi refresh` clears it)")
    outputs = None
    root = next((r for r in resources if r.type == "pulumi:pulumi:Stack"), None)
    if root is not None:
        outputs = root.outputs
    return PriorState(source=f"state export {label}", resources=resources, outputs=outputs, warnings=warnings)


def _resource(raw: Any, where: str) -> PriorResource:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: must be an object")
    for key, kind in (("urn", str), ("type", str)):
        if not isinstance(raw.get(key), kind) or not raw.get(key):
            raise InputError(f"{where}.{key}: missing or not a string")
    if not raw["urn"].startswith("urn:pulumi:"):
        raise InputError(f"{where}.urn: {raw['urn']!r} is not a Pulumi URN")
    inputs = raw.get("inputs") or {}
    outputs = raw.get("outputs") or {}
    for key, value in (("inputs", inputs), ("outputs", outputs)):
        if not isinstance(value, dict):
            raise InputError(f"{where}.{key}: must be an object")
    aliases = raw.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise InputError(f"{where}.aliases: must be a list of URNs")
    defaults = inputs.get("__defaults") or []
    return PriorResource(
        urn=raw["urn"],
        type=raw["type"],
        custom=bool(raw.get("custom")),
        parent=str(raw.get("parent") or ""),
        inputs={k: masked(v) for k, v in sorted(inputs.items()) if k != "__defaults"},
        outputs={k: masked(v) for k, v in sorted(outputs.items()) if k != "__defaults"},
        protect=bool(raw.get("protect")),
        retainOnDelete=bool(raw.get("retainOnDelete")),
        pendingReplacement=bool(raw.get("pendingReplacement")),
        external=bool(raw.get("external")),
        aliases=list(aliases),
        defaults=[str(d) for d in defaults] if isinstance(defaults, list) else [],
        id=str(raw.get("id") or ""),
    )


def from_graph_json(data: dict[str, Any], source: str) -> PriorState:
    """The prior state a revision's desired graph stands for (the JSON of `stackctl preview --json`)."""
    resources = [
        PriorResource(
            urn=r["urn"], type=r["type"], custom=r["custom"], parent=r["parent"], inputs=r["inputs"],
            outputs=r.get("outputs", {}), protect=r["protect"], retainOnDelete=r["retainOnDelete"],
            aliases=list(r.get("aliases", [])),
        )
        for r in data["resources"]
    ]
    return PriorState(source=source, resources=resources, outputs=data.get("outputs"))
