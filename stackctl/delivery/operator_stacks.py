"""Write an operator-delivered stack's PKO objects into the deployment repository.

`stackctl render STACK` writes, for `infra_delivery: operator`, `pulumi-operator/<stack>/` with the workspace's
ServiceAccount, its auth-delegator binding and the `pulumi.com/v1` `Stack` (components/addons/pulumi_operator.py).
The management cluster applies that directory. Render owns it as it owns an environment's directory: files it
wrote that are no longer declared are removed, so a stack moved back to push delivery loses its Stack object
(with `destroyOnFinalize: false`, which changes nothing in the cloud).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from components.spec import EnvironmentSpec
from stackctl.engine.project import Project
from stackctl.errors import InputError

from .manifest_yaml import ManifestWriter
from .render import _no_symlinks, _written_by_render, to_yaml

OPERATOR_DIR = "pulumi-operator"


def stack_spec(project: Project, stack: str) -> EnvironmentSpec:
    """The stack file's spec, validated as the program validates it (with the names it produces), or
    InputError. Secret values are never read (`parse_environment` names a misplaced one without its value); keys
    of other namespaces (`aws:region`) are the providers'."""
    from components.errors import SpecError
    from components.spec import parse_environment

    from .stackfile import load_config

    label = project.stack_label(stack)
    config = load_config(project.existing_stack_file(stack).read_text(encoding="utf-8"), label, project.name)
    own = {k: v for k, v in config.items() if ":" not in k}
    secret_keys = {k for k, v in own.items() if isinstance(v, dict) and set(v) == {"secure"}}
    try:
        return parse_environment(own, label, secret_keys, environment=stack, project=project.name)
    except SpecError as exc:
        raise InputError(str(exc)) from None


def operator_files(project: Project, stack: str, spec: EnvironmentSpec) -> dict[str, dict[str, Any]]:
    """`{repository path: manifest}` for `stack` (empty when its infrastructure is pushed).

    Prerequisites must be stacks of this project that the operator reconciles too: a Stack waiting for an
    object that never exists would never run.
    """
    from components.addons.pulumi_operator import stack_objects

    if spec.infra_delivery != "operator":
        return {}
    assert spec.operator is not None
    label = project.stack_label(stack)
    for name in sorted(spec.operator.prerequisites):
        where = f"{label}: operator.prerequisites.{name}"
        if name not in project.stacks():
            raise InputError(f"{where}: no stack file {project.stack_label(name)} in this project")
        other = stack_spec(project, name)
        if other.infra_delivery != "operator" or other.operator is None \
                or other.operator.namespace != spec.operator.namespace:
            raise InputError(f"{where}: must be a stack delivered by the operator in namespace "
                             f"{spec.operator.namespace!r} too (its Stack is what this one waits for)")
    _check_secrets_provider(project, stack, spec)
    stack_file = label if spec.operator.repo_dir is None else f"{spec.operator.repo_dir.strip('/')}/{label}"
    return {f"{OPERATOR_DIR}/{stack}/{manifest['kind'].lower()}-{_file_name(manifest)}.yaml": manifest
            for manifest in stack_objects(stack, spec, stack_file)}


def _check_secrets_provider(project: Project, stack: str, spec: EnvironmentSpec) -> None:
    """The stack file's own `secretsprovider:` is what decrypts its secrets: PKO passes `secretsProvider` only to
    `pulumi stack init` (agent/pkg/server/server.go at v2.9.0, initStack), and `useLocalStackOnly` never inits.
    So the two must agree, and a stack file without one (a passphrase, on a self-managed backend) cannot be
    reconciled."""
    from ruamel.yaml import YAML

    assert spec.operator is not None
    label = project.stack_label(stack)
    data = YAML(typ="safe").load(project.stack_file(stack).read_text(encoding="utf-8")) or {}
    written = data.get("secretsprovider") if isinstance(data, dict) else None
    wanted = spec.operator.secrets_provider
    if written is None and wanted == "default":
        return
    if written is None or (isinstance(data, dict) and "encryptionsalt" in data):
        raise InputError(f"{label}: secretsprovider: the stack file has no cloud secrets provider (a passphrase "
                         f"on a self-managed backend), so the operator could not decrypt it; run `pulumi stack "
                         f"change-secrets-provider --stack {stack} \"{wanted}\"` and commit the stack file")
    if written != wanted:
        raise InputError(f"{label}: operator.secrets_provider: {wanted!r} differs from the stack file's "
                         f"secretsprovider {written!r}, which is what decrypts its secrets; make them the same")


def _file_name(manifest: dict[str, Any]) -> str:
    # ClusterRoleBinding names carry ':' (`<namespace>:<account>:system:auth-delegator`); file names do not.
    return manifest["metadata"]["name"].replace(":", "-")


def write_operator_files(files: dict[str, dict[str, Any]], out: Path, stack: str, source: str,
                         deleted: list[Path] | None = None) -> list[Path]:
    """Write `files` under `out/pulumi-operator/<stack>/`, removing render's own files there that are not in it
    (appended to `deleted` when given).

    Same guarantees as `write_deployment`: nothing outside `out`, no writing through symbolic links, only files
    that start with render's header are ever removed, and every text is made before anything is touched.
    """
    if out.is_symlink():
        raise InputError(f"--out {out}: is a symbolic link; name the real directory")
    root = out.resolve()
    directory = root / OPERATOR_DIR / stack
    targets = {name: root / name for name in files}
    for target in [directory, *targets.values()]:
        _no_symlinks(root, target)
        for parent in list(target.parents)[: len(target.relative_to(root).parts) - 1]:
            if parent.exists() and not parent.is_dir():
                raise InputError(f"{parent}: is a file where render needs a directory")
    for target in targets.values():
        if target.is_dir():
            raise InputError(f"{target}: is a directory where render writes a file")
    writer = ManifestWriter()
    writer.learn(files.values())
    texts = {name: to_yaml(manifest, source, writer) for name, manifest in sorted(files.items())}
    if directory.is_dir():
        for existing in sorted(directory.iterdir()):
            if existing.name.endswith(".yaml") and existing.is_file() and not existing.is_symlink() \
                    and _written_by_render(existing) and str(existing.relative_to(root)) not in files:
                existing.unlink()
                if deleted is not None:
                    deleted.append(existing)
        if not any(directory.iterdir()):
            directory.rmdir()
    written = []
    for name, text in texts.items():
        target = targets[name]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
