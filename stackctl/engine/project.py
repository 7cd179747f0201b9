"""The Pulumi project on disk: `Pulumi.yaml` and the stack files it points to."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from stackctl.errors import InputError

# Pulumi's stack names; anything else (a `/`, `..`) could point outside the stack config directory.
STACK_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*$")
# What a Pulumi stack file may hold at its top level (workspace.ProjectStack); settings go under `config:`.
STACK_FILE_KEYS = frozenset({"config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"})

# Stand-in for a `secure:` value. Offline runs never decrypt stack secrets; the program sees this
# text, marked secret, so it stays secret all the way through (and it is no secret itself).
SECRET_PLACEHOLDER = "[secret]"


@dataclass(frozen=True)
class Project:
    root: Path
    name: str
    main: Path
    stack_config_dir: Path

    @staticmethod
    def find(start: Path) -> Project:
        """The project containing `start` (searching upward for Pulumi.yaml)."""
        for directory in [start, *start.parents]:
            project_file = directory / "Pulumi.yaml"
            if project_file.is_file():
                return Project.load(directory)
        raise InputError(f"no Pulumi.yaml found in {start} or any parent directory")

    @staticmethod
    def load(root: Path) -> Project:
        data = _load_yaml(root / "Pulumi.yaml", "Pulumi.yaml")
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise InputError(f"{root / 'Pulumi.yaml'}: 'name' must be set to the project name")
        # `main` is what the language host runs: the project directory (its __main__.py) unless set.
        main = _inside(root, data.get("main") or ".", "main")
        if main.is_dir() and not (main / "__main__.py").is_file():
            raise InputError(f"{root / 'Pulumi.yaml'}: main: {main} has no __main__.py")
        if not main.exists():
            raise InputError(f"{root / 'Pulumi.yaml'}: main: {data.get('main')!r} does not exist")
        return Project(
            root=root,
            name=data["name"],
            main=main,
            stack_config_dir=_inside(root, data.get("stackConfigDir") or ".", "stackConfigDir"),
        )

    @property
    def program_directory(self) -> Path:
        """The directory the language host puts first on the import path (the program's own modules)."""
        return self.main if self.main.is_dir() else self.main.parent

    def stack_file(self, stack: str) -> Path:
        if not STACK_NAME.match(stack):
            raise InputError(f"{stack!r} is not a stack name: letters, digits, '-', '_' or '.', not starting with "
                             "'.' (the stack file is stacks/Pulumi.<STACK>.yaml)")
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def existing_stack_file(self, stack: str) -> Path:
        """The stack's file, or InputError naming it and the stacks that do exist."""
        path = self.stack_file(stack)
        if not path.is_file():
            known = ", ".join(self.stacks()) or "none"
            raise InputError(f"{self.stack_label(stack)}: no such stack file (stacks: {known})")
        return path

    def stack_label(self, stack: str) -> str:
        return str(self.stack_file(stack).relative_to(self.root))

    def stacks(self) -> list[str]:
        """Every stack with a stack file, sorted."""
        return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in self.stack_config_dir.glob("Pulumi.*.yaml"))


def _inside(root: Path, value: object, field: str) -> Path:
    """`root / value`, refusing a path that leaves the project directory."""
    if not isinstance(value, str):
        raise InputError(f"{root / 'Pulumi.yaml'}: {field}: must be a path inside the project")
    path = (root / value).resolve()
    if not path.is_relative_to(root.resolve()):
        raise InputError(f"{root / 'Pulumi.yaml'}: {field}: {value!r} points outside the project directory")
    return path


@dataclass
class StackConfig:
    """A stack's config the way the Pulumi CLI hands it to a program: strings, JSON for structures."""

    values: dict[str, str] = field(default_factory=dict)
    secret_keys: list[str] = field(default_factory=list)

    @staticmethod
    def from_mapping(project: str, settings: dict[str, Any], secret_keys: tuple[str, ...] = ()) -> StackConfig:
        """Config from `{key: value}` as a stack file's `config:` would give it (keys without a namespace belong
        to `project`; structured values are passed as JSON, like the CLI does)."""
        result = StackConfig()
        for key, value in settings.items():
            full_key = key if ":" in key else f"{project}:{key}"
            result.values[full_key] = value if isinstance(value, str) else _as_config_string(value)
            if key in secret_keys or full_key in secret_keys:
                result.secret_keys.append(full_key)
        return result


def read_stack_config(project: Project, stack: str) -> StackConfig:
    path = project.existing_stack_file(stack)
    label = project.stack_label(stack)
    data = _load_yaml(path, label) or {}
    if not isinstance(data, dict):
        raise InputError(f"{label}: must be a mapping with a 'config' key")
    misplaced = sorted(set(data) - STACK_FILE_KEYS)
    if misplaced:
        raise InputError("\n".join(
            f"{label}: {key}: settings belong under `config:` (the top level of a stack file holds only "
            f"{', '.join(sorted(STACK_FILE_KEYS))})" for key in misplaced))
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise InputError(f"{label}: config: must be a mapping of settings")
    result = StackConfig()
    written: dict[str, str] = {}
    duplicates = []
    for key, value in config.items():
        full_key = str(key) if ":" in str(key) else f"{project.name}:{key}"
        if full_key in written:
            duplicates.append(f"{label}: {key}: set twice, as {written[full_key]!r} and {str(key)!r}; keep one")
        written[full_key] = str(key)
        plain, is_secret = _strip_secrets(value)
        result.values[full_key] = plain if isinstance(plain, str) else _as_config_string(plain)
        if is_secret:
            result.secret_keys.append(full_key)
    if duplicates:
        raise InputError("\n".join(duplicates))
    return result


def _as_config_string(value: Any) -> str:
    # The CLI passes scalars as their YAML text and structures as JSON.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, sort_keys=True, default=str)


def _strip_secrets(value: Any) -> tuple[Any, bool]:
    """Replace every `{secure: ...}` with the placeholder; report whether there was any."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECRET_PLACEHOLDER, True
        found = False
        result = {}
        for key, item in value.items():
            result[str(key)], secret = _strip_secrets(item)
            found = found or secret
        return result, found
    if isinstance(value, list):
        pairs = [_strip_secrets(item) for item in value]
        return [p[0] for p in pairs], any(p[1] for p in pairs)
    return value, False


def _load_yaml(path: Path, label: str) -> Any:
    try:
        return _plain(YAML(typ="safe").load(path.read_text(encoding="utf-8")))
    except UnicodeDecodeError as exc:
        raise InputError(f"{label}: not UTF-8 text (byte {exc.start} cannot be decoded); save it as UTF-8") from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise InputError(f"{label}: {problem}{where}") from None
    except OSError as exc:
        raise InputError(f"{label}: {exc.strerror}") from None


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
