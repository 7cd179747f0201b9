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
import yaml

CRD_DIR = Path(__file__).parent / "crds"
# The vendored CRDs are 1.9 MB of YAML: PyYAML's libyaml loader (PyYAML is kubernetes-validate's own YAML
# library) reads them in 0.2 s, where ruamel.yaml's pure-Python loader takes 2.9 s; same data for these files.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> openAPIV3Schema, for every served version of every vendored CRD."""
    schemas = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        crd = yaml.load(path.read_text(), Loader=_YAML_LOADER)
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version.get("served"):
                schemas[(f"{group}/{version['name']}", kind)] = version["schema"]["openAPIV3Schema"]
    return schemas


@cache
def _crd_validator(key: tuple[str, str]) -> jsonschema.Draft7Validator | None:
    schema = crd_schemas().get(key)
    return jsonschema.Draft7Validator(schema) if schema is not None else None


def kubernetes_release(version: str) -> str:
    """`1.35` -> `1.35.0`, the form kubernetes-validate names its schemas by."""
    return version if version.count(".") == 2 else f"{version}.0"


def validate_manifest(manifest: dict[str, Any], kubernetes_version: str) -> list[str]:
    """Schema violations of one manifest (empty when valid)."""
    key = (manifest.get("apiVersion", ""), manifest.get("kind", ""))
    validator = _crd_validator(key)
    if validator is not None:
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
