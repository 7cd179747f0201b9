"""Validate manifests against the real upstream schemas.

Built-in kinds: the official Kubernetes OpenAPI schemas for the cluster's version (kubernetes-validate),
strict (unknown fields are errors). Custom resources (KEDA, Argo CD): the `openAPIV3Schema` of the
vendored upstream CRDs in `stackctl/crds/`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
from ruamel.yaml import YAML

CRD_DIR = Path(__file__).parent / "crds"


@cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> openAPIV3Schema, for every served version of every vendored CRD."""
    schemas = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        crd = YAML(typ="safe").load(path.read_text())
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version.get("served"):
                schemas[(f"{group}/{version['name']}", kind)] = version["schema"]["openAPIV3Schema"]
    return schemas


def kubernetes_release(version: str) -> str:
    """`1.35` -> `1.35.0`, the form kubernetes-validate names its schemas by."""
    return version if version.count(".") == 2 else f"{version}.0"


def validate_manifest(manifest: dict[str, Any], kubernetes_version: str) -> list[str]:
    """Schema violations of one manifest (empty when valid)."""
    key = (manifest.get("apiVersion", ""), manifest.get("kind", ""))
    schema = crd_schemas().get(key)
    if schema is not None:
        validator = jsonschema.Draft7Validator(schema)
        return [f"{'.'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
                for error in sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))]
    try:
        kubernetes_validate.validate(manifest, kubernetes_release(kubernetes_version), strict=True)
    except kubernetes_validate.ValidationError as error:
        path = ".".join(str(p) for p in error.path) or "<root>"
        return [f"{path}: {error.message}"]
    except kubernetes_validate.SchemaNotFoundError:
        return [f"no schema for {key[0]} {key[1]} in Kubernetes {kubernetes_version} or the vendored CRDs"]
    return []
