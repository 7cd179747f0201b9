"""Read the running stack's desired state from Pulumi config.

The stack file's `config:` keys in the project namespace are the top-level fields of
`EnvironmentSpec`. The same function serves `pulumi up` (config comes from the CLI) and `stackctl`
(config comes from the stack file it read), so both validate identically.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import pulumi
import pulumi.runtime
from pulumi.runtime import config as runtime_config

from .spec import EnvironmentSpec, parse_environment


def stack_file_label(stack: str, project_dir: Path = Path(".")) -> str:
    """The stack file's path as users know it, e.g. `stacks/Pulumi.dev.yaml` (for error messages)."""
    config_dir = ""
    project_file = project_dir / "Pulumi.yaml"
    if project_file.exists():
        from ruamel.yaml import YAML

        project = YAML(typ="safe").load(project_file.read_text()) or {}
        config_dir = str(project.get("stackConfigDir") or "").strip("/")
    return f"{config_dir}/Pulumi.{stack}.yaml" if config_dir else f"Pulumi.{stack}.yaml"


def _all_config() -> dict[str, Any]:
    # The SDK keeps config in a context variable filled by the language host (or by stackctl); values
    # arrive as strings, structured ones as JSON text.
    merged = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    return merged


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def read_environment_config(namespace: str) -> tuple[dict[str, Any], set[str]]:
    """All config values under `namespace:` (without the prefix) and the keys that are secret."""
    prefix = f"{namespace}:"
    raw: dict[str, Any] = {}
    secret: set[str] = set()
    for full_key, value in _all_config().items():
        if not full_key.startswith(prefix):
            continue
        key = full_key[len(prefix):]
        raw[key] = _decode(value)
        if pulumi.runtime.is_config_secret(full_key):
            secret.add(key)
    return raw, secret


def load_environment_spec(namespace: Optional[str] = None) -> EnvironmentSpec:
    """Validate the running stack's config into an `EnvironmentSpec`.

    Raises `SpecError` naming the stack file, each field path and its problem; call this before
    registering any resource so an invalid stack registers nothing.
    """
    namespace = namespace or pulumi.get_project()
    raw, secret_keys = read_environment_config(namespace)
    return parse_environment(raw, stack_file_label(pulumi.get_stack()), secret_keys,
                             environment=pulumi.get_stack(), project=pulumi.get_project())


def secret_setting(key: str, namespace: Optional[str] = None) -> Optional[pulumi.Output[str]]:
    """A secret setting from config as a secret Output (None when unset)."""
    return pulumi.Config(namespace or pulumi.get_project()).get_secret(key)
