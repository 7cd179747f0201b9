"""The `stackctl` command line."""

from __future__ import annotations

import gc
import json
import os
import sys
import traceback
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, Optional

import typer

from .engine.speedups import sdk_packages
from .engine.speedups.collector import few_collections_for_this_process, skip_final_collection
from .engine.speedups.stock import STOCK_ENV, stock_requested
from .errors import InputError
from .package.command import app as package_app

if TYPE_CHECKING:
    from .engine.project import Project, StackConfig

# The rest of stackctl (and with it pulumi, gRPC, pydantic and the components) is imported by the command that
# uses it: `stackctl --help` or a mistyped option answers without loading the SDK (tests/test_cli_imports.py).

EXIT_INVALID_INPUT = 2
EXIT_PROGRAM_FAILED = 1
EXIT_POLICY_VIOLATION = 1
EXIT_DESTROY_DENIED = 3

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    # Plain help: the rich formatter of this typer version labels every flag `<bool>`, as if it took a value.
    rich_markup_mode=None,
    help="Run the stack program offline: no cloud credentials, no Pulumi CLI.",
)
app.add_typer(package_app, name="package")


# `stackctl -C DIR <verb>`: the project directory given before the verb (one given after it wins).
_root_project_dir: Optional[Path] = None
# Set by `main` (the `stackctl` process): the provider SDK packages' import finder is for a whole process.
_load_sdk_packages_by_name = False


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"stackctl {version('platform-components')}")
        except PackageNotFoundError:  # run from a checkout that was never installed
            typer.echo("stackctl (not installed: no version)")
        raise typer.Exit(0)


@app.callback()
def _root(
    context: typer.Context,
    project_dir: Optional[Path] = typer.Option(
        None, "--project-dir", "-C", help="Project directory (default: search upward from cwd)."),
    stock_sdk: bool = typer.Option(
        False, "--stock-sdk",
        help=f"Run the stock Pulumi SDK, without stackctl's speed-ups (as {STOCK_ENV}=1 does). Same output."),
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                 help="Print stackctl's version and exit."),
) -> None:
    """Offline preview, policy check and render of this project's stacks."""
    global _root_project_dir
    _root_project_dir = project_dir
    if stock_sdk and not stock_requested():
        os.environ[STOCK_ENV] = "1"  # for this command's runs and the policy pack's process
        context.call_on_close(lambda: os.environ.pop(STOCK_ENV, None))
    if _load_sdk_packages_by_name and not stock_requested():
        # An SDK module's objects live as long as the process, like everything imported before the run (frozen
        # by `main`): each module loaded during the run is frozen too instead of filling the run's young
        # collections (two of ~30 ms in `preview dev`; +1 % peak memory at 200 services).
        sdk_packages.install(after_load=gc.freeze)


ProjectDir = typer.Option(None, "--project-dir", "-C", help="Project directory (default: search upward from cwd).")


def _project(project_dir: Optional[Path]) -> Project:
    from .engine.project import Project

    if project_dir is None:
        project_dir = _root_project_dir
    if project_dir is None:
        return Project.find(Path.cwd())
    if not (project_dir / "Pulumi.yaml").is_file():
        raise InputError(f"-C {project_dir}: no Pulumi.yaml there (not a Pulumi project directory)")
    return Project.load(project_dir.resolve())


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _program_failure(exc: Exception) -> tuple[str, int]:
    """What to print and the exit status when a stack program raised `exc` (call it while handling `exc`).

    Bad input is one message and status 2: a stack file the components refuse, and a setting a program's
    `config.require*` / `config.get_<type>` finds missing or of the wrong type. A `pulumi.RunError` is how a
    program reports an error on purpose: its message, as the Pulumi CLI prints it, and status 1. Anything else is
    a bug in the program: status 1 with the traceback.
    """
    import pulumi
    from pulumi.config import ConfigTypeError

    from components.errors import SpecError

    if isinstance(exc, (SpecError, InputError)):
        return str(exc), EXIT_INVALID_INPUT
    if isinstance(exc, (pulumi.ConfigMissingError, ConfigTypeError)):
        return f"error: {exc}", EXIT_INVALID_INPUT
    if isinstance(exc, pulumi.RunError):
        return f"error: {exc}", EXIT_PROGRAM_FAILED
    return f"error: the stack program failed\n{traceback.format_exc()}", EXIT_PROGRAM_FAILED


def _run(project: Project, stack: str, config: Optional[StackConfig] = None, observer=None):
    # Loaded before the run, so it outlives it: a run forgets the modules it imported from the project directory
    # (this repository's `components` among them), and `_program_failure` must recognise the SpecError class the
    # program raised, not a second copy imported afterwards.
    import components.errors  # noqa: F401

    from .engine.runner import run_stack

    try:
        return run_stack(project, stack, config, observer=observer)
    except Exception as exc:  # noqa: BLE001 - sorted into bad input, reported errors and bugs
        raise _fail(*_program_failure(exc)) from None


@app.command()
def preview(
    stack: str = typer.Argument(..., metavar="STACK", help="Stack name: stacks/Pulumi.<STACK>.yaml."),
    json_output: bool = typer.Option(False, "--json", help="Print the resource graph as JSON (docs/stackctl.md)."),
    project_dir: Optional[Path] = ProjectDir,
) -> None:
    """Show the resources STACK declares, as `pulumi preview` would for a new stack."""
    try:
        project = _project(project_dir)
    except InputError as exc:
        raise _fail(str(exc), EXIT_INVALID_INPUT) from None
    run = _run(project, stack)
    if json_output:
        sys.stdout.write(run.graph.dumps())
    else:
        from .tree import render_preview

        sys.stdout.write(render_preview(run))


@app.command()
def render(
    stack: str = typer.Argument(..., metavar="STACK",
                                help="Stack name: stacks/Pulumi.<STACK>.yaml (delivery: gitops, or "
                                     "infra_delivery: operator)."),
    out: Path = typer.Option(..., "--out", "-o", help="Checkout of the deployment repository to write into."),
    outputs: Optional[Path] = typer.Option(
        None, "--outputs",
        help="Use real values: the JSON of `pulumi stack output --json` instead of an offline run."),
    json_output: bool = typer.Option(False, "--json", help="Print the files written and deleted as JSON."),
    project_dir: Optional[Path] = ProjectDir,
) -> None:
    """Write STACK's Kubernetes manifests into the deployment repository layout (docs/gitops.md), and with
    `infra_delivery: operator` its Pulumi Kubernetes Operator Stack (docs/deployment-loop.md).

    Prints each file written, then each file a previous render wrote that this one deleted (`deleted <path>`):
    once committed, Argo CD deletes the objects they declared."""
    from .delivery.operator_stacks import OPERATOR_DIR, operator_files, stack_spec, write_operator_files
    from .delivery.render import write_deployment

    try:
        project = _project(project_dir)
        if out.exists() and not out.is_dir():
            raise InputError(f"--out {out}: is a file; name the deployment repository's directory")
        label = project.stack_label(stack)
        spec = stack_spec(project, stack)
        infrastructure = operator_files(project, stack, spec)
        deployment: object = None
        if outputs is not None and (spec.delivery == "gitops" or not infrastructure):
            deployment, where = _deployment_from_outputs(outputs), f"{outputs}: deployment_files"
        elif outputs is None and spec.delivery == "gitops":
            run = _run(project, stack)
            deployment, where = run.graph.stack_outputs.get("deployment_files"), "deployment_files"
        if deployment is None and not infrastructure:
            raise InputError(f"{label}: delivery is push, so Pulumi applies the objects itself; set "
                             "`delivery: gitops` (and `argocd`) to render them, or `infra_delivery: operator` "
                             "for the operator's Stack")
        if isinstance(deployment, dict) and str(deployment.get("path", "")).split("/")[0] == OPERATOR_DIR:
            raise InputError(f"{label}: argocd.path: {OPERATOR_DIR}/ holds the operator's Stacks; choose another "
                             "directory")
        deleted: list[Path] = []
        written = write_deployment(deployment, out, label, where, deleted=deleted) if deployment is not None else []
        written += write_operator_files(infrastructure, out, stack, label, deleted=deleted)
        deleted.sort()
    except InputError as exc:
        raise _fail(str(exc), EXIT_INVALID_INPUT) from None
    if json_output:
        sys.stdout.write(json.dumps({"written": [str(p) for p in written], "deleted": [str(p) for p in deleted]},
                                    indent=2) + "\n")
        return
    for path in written:
        typer.echo(str(path))
    for path in deleted:
        typer.echo(f"deleted {path}")
    if deleted:
        typer.echo(f"{len(deleted)} file(s) deleted: once committed, Argo CD deletes their objects from the cluster",
                   err=True)


def _deployment_from_outputs(path: Path) -> object:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else exc
        raise InputError(f"{path}: not the JSON of `pulumi stack output --json` ({reason})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: must be a JSON object of stack outputs (`pulumi stack output --json`)")
    if "deployment_files" not in data:
        raise InputError(f"{path}: deployment_files: required output is missing (is the stack's delivery gitops?)")
    return data["deployment_files"]


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


@app.command()
def check(
    stack: Optional[str] = typer.Argument(None, metavar="[STACK]", help="Stack name (or --all)."),
    all_stacks: bool = typer.Option(False, "--all", help="Check every stack in stacks/."),
    output_format: Format = typer.Option(Format.text, "--format", help="text, json or sarif (SARIF 2.1.0)."),
    pack: Optional[Path] = typer.Option(
        None, "--policy-pack",
        help="Policy pack directory. Default: the project's policy/ if it is a pack, else the installed pack "
             "(`stackctl policy path`)."),
    policy_config: Optional[Path] = typer.Option(
        None, "--policy-pack-config",
        help="Policy config JSON (as for the Pulumi CLI). Default: config/<tier>.json beside the pack, for the "
             "stack's tier."),
    project_dir: Optional[Path] = ProjectDir,
) -> None:
    """Run the stack offline and check it with the real policy pack. Exit 1 on a mandatory violation."""
    from .analysis import (  # gRPC and jsonschema: only `check` needs them (faster start for the other verbs)
        analyzer,
        packs,
        report,
    )

    try:
        project = _project(project_dir)
        if all_stacks == (stack is not None):
            raise InputError("name one stack or pass --all")
        stacks = project.stacks() if all_stacks else [stack]
        if not stacks:
            raise InputError(f"--all: no stack files (Pulumi.<stack>.yaml) in {project.stack_config_dir}; "
                             "nothing to check")
        pack_dir = (pack or packs.default_pack(project)).resolve()
        if not (pack_dir / "PulumiPolicy.yaml").is_file():
            raise InputError(f"--policy-pack {pack_dir}: not a policy pack (no PulumiPolicy.yaml)")
    except InputError as exc:
        raise _fail(str(exc), EXIT_INVALID_INPUT) from None
    results = []
    invalid: dict[str, str] = {}  # --all: stack -> why its file or config is invalid (the others are checked)
    # One pack for every stack, started now so its imports overlap the first program run (analyzer.PackSession).
    with analyzer.PackSession(pack_dir, project.name, stacks[0]) as session:
        for name in stacks:
            try:
                results.append(_check_stack(session, project, name, pack_dir, policy_config))
            except _InvalidStack as exc:
                if not all_stacks:
                    raise _fail(exc.message, EXIT_INVALID_INPUT) from None
                typer.echo(exc.message, err=True)
                invalid[name] = exc.message
    if output_format is Format.json:
        sys.stdout.write(report.json_report(results, invalid, project.name))
    elif output_format is Format.sarif:
        checked = [r.stack for r in results] + list(invalid)
        sys.stdout.write(report.sarif_report(results, {name: project.stack_label(name) for name in checked},
                                             {name: project.stack_file(name) for name in checked}, invalid))
    else:
        sys.stdout.write(report.text_report(results, invalid))
    if invalid:
        raise typer.Exit(EXIT_INVALID_INPUT)
    if any(r.mandatory for r in results):
        raise typer.Exit(EXIT_POLICY_VIOLATION)


def _raise_program_failure(exc: Exception) -> NoReturn:
    """`check`'s side of `_program_failure`: bad input is an invalid stack (`check --all` goes on)."""
    message, code = _program_failure(exc)
    if code == EXIT_INVALID_INPUT:
        raise _InvalidStack(message) from None
    raise _fail(message, code) from None


class _InvalidStack(Exception):
    """A stack file or policy config that cannot be checked (exit 2); `check --all` reports it and goes on."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _check_stack(session, project: Project, stack: str, pack_dir: Path, policy_config: Optional[Path]):
    """One stack through the session's pack (`analyzer.PackSession`), analyzed while its program runs (as the
    engine does in a preview). A stack file or policy config that cannot be read fails exactly as without
    streaming: the stack file's error first."""
    from components.errors import SpecError

    from .analysis import analyzer
    from .engine.project import read_stack_config
    from .engine.runner import run_stack

    try:
        config = read_stack_config(project, stack)
    except (SpecError, InputError) as exc:
        raise _InvalidStack(str(exc)) from None
    try:
        config_path = policy_config or _tier_config(project, pack_dir, config)
        file_config = analyzer.load_policy_config(config_path)
    except InputError as exc:
        try:  # a broken stack file is reported before the policy config
            run_stack(project, stack, config)
        except Exception as program_exc:  # noqa: BLE001 - sorted into bad input, reported errors and bugs
            _raise_program_failure(program_exc)
        raise _InvalidStack(str(exc)) from None
    analysis = session.start(project.name, stack, config, file_config, str(config_path or "policy config"))
    try:
        run = run_stack(project, stack, config, observer=analysis.observe)
    except Exception as exc:  # noqa: BLE001 - sorted into bad input, reported errors and bugs
        analysis.abandon()
        _raise_program_failure(exc)
    except BaseException:
        analysis.abandon()
        raise
    try:
        return analysis.finish(run)
    except InputError as exc:
        raise _InvalidStack(str(exc)) from None
    except analyzer.PackError as exc:
        raise _fail(f"error: {exc}", EXIT_PROGRAM_FAILED) from None


policy_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                         help="The policy pack installed with the package.")
app.add_typer(policy_app, name="policy")


@policy_app.command("path")
def policy_path() -> None:
    """Print the installed pack's directory, for `pulumi preview --policy-pack "$(stackctl policy path)"`; its
    per-tier config is in `config/<tier>.json` beside it (override with --policy-pack-config)."""
    from .analysis import packs

    try:
        typer.echo(str(packs.installed_pack()))
    except InputError as exc:
        raise _fail(str(exc), EXIT_INVALID_INPUT) from None


def _tier_config(project: Project, pack_dir: Path, config: StackConfig) -> Optional[Path]:
    tier = config.values.get(f"{project.name}:tier")
    path = pack_dir / "config" / f"{tier}.json"
    return path if path.is_file() else None


@app.command()
def diff(
    stack: str = typer.Argument(..., help="Stack name: stacks/Pulumi.<STACK>.yaml."),
    base: Optional[str] = typer.Option(
        None, "--base", help="Git revision whose program and stack file are the prior state (e.g. origin/main)."),
    state: Optional[Path] = typer.Option(None, "--state", help="A `pulumi stack export` file as the prior state."),
    deny_destroy: bool = typer.Option(
        False, "--deny-destroy",
        help="Exit 3 if a stateful or protected resource would be deleted or replaced without allow_destroy."),
    json_output: bool = typer.Option(False, "--json", help="Steps, summary, prune set and guard as JSON."),
    project_dir: Optional[Path] = ProjectDir,
) -> None:
    """Show what `pulumi up` would create, update, replace and delete, against a revision or a state export."""
    from .diff import command as diff_command
    from .diff import report as diff_report
    from .diff.revision import RevisionError

    try:
        project = _project(project_dir)
        if (base is None) == (state is None):
            raise InputError("give exactly one of --base REV or --state FILE")
    except InputError as exc:
        raise _fail(str(exc), EXIT_INVALID_INPUT) from None
    run = _run(project, stack)
    try:
        outcome = diff_command.diff_stack(project, stack, run, base=base, state=state, deny_destroy=deny_destroy)
    except InputError as exc:
        raise _fail(str(exc), EXIT_INVALID_INPUT) from None
    except RevisionError as exc:
        raise _fail(f"error: {exc}", EXIT_PROGRAM_FAILED) from None
    render_report = diff_report.json_report if json_output else diff_report.text_report
    sys.stdout.write(render_report(outcome.report))
    if outcome.blocked:
        raise typer.Exit(EXIT_DESTROY_DENIED)


@app.command("import-retained")
def import_retained(
    stack: str = typer.Argument(..., metavar="STACK", help="Stack name: stacks/Pulumi.<STACK>.yaml."),
    state: Optional[Path] = typer.Option(
        None, "--state", help="A `pulumi stack export` taken before the destroy: the ids of what it kept."),
    project_dir: Optional[Path] = ProjectDir,
) -> None:
    """Print the `adopt_retained` block that re-attaches what a destroy of STACK kept (docs/bootstrap.md 5)."""
    from .delivery.retained import import_retained as block_for

    try:
        project = _project(project_dir)
    except InputError as exc:
        raise _fail(str(exc), EXIT_INVALID_INPUT) from None
    run = _run(project, stack)
    try:
        text, missing = block_for(project, stack, run.graph, state)
    except InputError as exc:
        raise _fail(str(exc), EXIT_INVALID_INPUT) from None
    sys.stdout.write(text)
    if missing:
        lines = [f"{item.key}: no id: pass --state <pulumi stack export taken before the destroy>, or add it "
                 f"yourself ({item.how})" for item in missing]
        raise _fail("\n".join(lines), EXIT_INVALID_INPUT)


@app.command("legacy-roles")
def legacy_roles(
    stack: str = typer.Argument(..., metavar="STACK", help="Stack name: stacks/Pulumi.<STACK>.yaml."),
    state: Path = typer.Option(..., "--state", help="A `pulumi stack export` of STACK: where its roles are."),
    project_dir: Optional[Path] = ProjectDir,
) -> None:
    """Print the deployer statements for STACK's roles made before the role path (aws_keep_role_paths)."""
    from .delivery.legacy_roles import legacy_roles as document_for
    from .delivery.stackfile import environment, load_config
    from .engine.project import read_stack_config

    try:
        project = _project(project_dir)
        read_stack_config(project, stack)  # a missing or malformed stack file says so as for every verb
        label = project.stack_label(stack)
        spec = environment(load_config(project.stack_file(stack).read_text(encoding="utf-8"), label, project.name),
                           label)
        sys.stdout.write(document_for(label, spec.aws_keep_role_paths, state))
    except InputError as exc:
        raise _fail(str(exc), EXIT_INVALID_INPUT) from None


# -- the deployment loop (docs/deployment-loop.md): thin wrappers over delivery/ (promote, history, rollback) --

DryRun = typer.Option(False, "--dry-run", help="Show what would change and which gates pass; write nothing.")
Branch = typer.Option(
    None, "--branch",
    help="Branch to commit on. Default: <verb>/<STACK>[-<WORKLOAD>], the same every run: an existing one that "
         "carries the change is left alone, one with something else is replaced (push with --force-with-lease).")
RenderTo = typer.Option(
    None, "--render-to",
    help="GitOps stacks: checkout of the deployment repository to render into, on a branch of the same name.")
JsonOutput = typer.Option(False, "--json", help="Print the outcome as JSON.")
PolicyPack = typer.Option(None, "--policy-pack", help="Policy pack directory for the check gate. Default: policy/.")


def _land(verb, json_output: bool) -> None:
    from components.errors import SpecError

    from .analysis import analyzer  # loaded only by the verbs that may run the policy pack
    from .delivery.desired import Refused, render_text

    def failed(outcome: str, message: str, code: int) -> typer.Exit:
        if json_output:  # a document on every outcome, refusals included (scripts read stdout)
            sys.stdout.write(json.dumps({"outcome": outcome, "error": message, "exit_code": code}, indent=2) + "\n")
        return _fail(message, code)

    try:
        outcome = verb()
    except Refused as exc:
        raise failed("refused", str(exc), EXIT_INVALID_INPUT) from None
    except (InputError, SpecError) as exc:
        raise failed("invalid", str(exc), EXIT_INVALID_INPUT) from None
    except analyzer.PackError as exc:
        raise failed("failed", f"error: {exc}", EXIT_PROGRAM_FAILED) from None
    sys.stdout.write(json.dumps(outcome.as_json(), indent=2) + "\n" if json_output else render_text(outcome))


@app.command()
def promote(
    stack: str = typer.Argument(..., help="Target stack: stacks/Pulumi.<STACK>.yaml."),
    workloads: Optional[list[str]] = typer.Argument(
        None, help="Workloads to promote (`orders` or `services.orders`). Default: every workload with an image."),
    from_env: Optional[str] = typer.Option(
        None, "--from", help="Take digests from this stack instead of promotion.from_environment."),
    digest: Optional[str] = typer.Option(None, "--digest", help="Promote this sha256 digest (one WORKLOAD)."),
    allow_older: bool = typer.Option(
        False, "--allow-older", help="Promote a build older than what runs (by push time or source revision)."),
    app_repo: Optional[Path] = typer.Option(
        None, "--app-repo",
        help="Checkout of the application repository: builds are also ordered by their source revisions' commits."),
    deployments: Optional[Path] = typer.Option(
        None, "--deployments",
        help="Checkout of the deployment repository: a GitOps source environment soaks from when its render "
             "reached the default branch there."),
    dry_run: bool = DryRun,
    branch: Optional[str] = Branch,
    render_to: Optional[Path] = RenderTo,
    json_output: bool = JsonOutput,
    pack: Optional[Path] = PolicyPack,
    project_dir: Optional[Path] = ProjectDir,
) -> None:
    """Pick artifacts by STACK's promotion policy, gate them, commit the digests on one branch. Exit 2 if refused."""
    from .delivery.promote import promote as run_promote

    _land(lambda: run_promote(_project(project_dir), stack, workloads or [], from_env=from_env, digest=digest,
                              dry_run=dry_run, branch=branch, render_to=render_to, pack_dir=pack,
                              allow_older=allow_older, app_repo=app_repo, deployments=deployments), json_output)


@app.command()
def history(
    stack: str = typer.Argument(..., help="Stack name: stacks/Pulumi.<STACK>.yaml."),
    workload: Optional[str] = typer.Argument(None, help="Only this workload (`orders` or `services.orders`)."),
    json_output: bool = typer.Option(False, "--json", help="Print the history as JSON."),
    deployments: Optional[Path] = typer.Option(
        None, "--deployments",
        help="GitOps: checkout of the deployment repository; shows when each image's render reached it."),
    project_dir: Optional[Path] = ProjectDir,
) -> None:
    """Which image each workload of STACK ran, since when, from which promotion or manual change."""
    from .delivery import gitrepo
    from .delivery import history as image_history
    from .delivery.stackfile import find

    try:
        project = _project(project_dir)
        label = project.stack_label(stack)
        stack_file = project.existing_stack_file(stack)
        repo = gitrepo.toplevel(project.root)
        entries, holds = image_history.read(repo, gitrepo.relative(repo, stack_file), project.name)
        if workload is not None:
            key = find({k: "" for k in entries}, workload, f"{label} (history)")
            entries = {key: entries[key]}
            holds = {key: holds[key]} if key in holds else {}
        if deployments is not None:
            image_history.attach_deployments(entries, gitrepo.toplevel(deployments), infra=repo)
    except InputError as exc:
        raise _fail(str(exc), EXIT_INVALID_INPUT) from None
    sys.stdout.write(image_history.render_json(stack, label, entries, holds) if json_output
                     else image_history.render_text(label, entries, holds))


@app.command()
def rollback(
    stack: str = typer.Argument(..., help="Stack name: stacks/Pulumi.<STACK>.yaml."),
    workload: str = typer.Argument(..., help="The workload to roll back (`orders` or `services.orders`)."),
    to: Optional[str] = typer.Option(
        None, "--to", help="A digest that ran before (sha256:...) or a git revision of the stack file."),
    steps: Optional[int] = typer.Option(None, "--steps", help="Go back N earlier images. Default 1."),
    reason: Optional[str] = typer.Option(
        None, "--reason", help="Why, for the hold the rollback puts on WORKLOAD. Default: what it rolled back to."),
    dry_run: bool = DryRun,
    branch: Optional[str] = Branch,
    render_to: Optional[Path] = RenderTo,
    json_output: bool = JsonOutput,
    pack: Optional[Path] = PolicyPack,
    project_dir: Optional[Path] = ProjectDir,
) -> None:
    """Restore an earlier image of WORKLOAD in a new commit (no rebuild); same gates as promote but soak."""
    from .delivery.rollback import rollback as run_rollback

    _land(lambda: run_rollback(_project(project_dir), stack, workload, to=to, steps=steps, dry_run=dry_run,
                               branch=branch, render_to=render_to, pack_dir=pack, reason=reason), json_output)


@app.command("hold")
def hold_command(
    stack: str = typer.Argument(..., help="Stack name: stacks/Pulumi.<STACK>.yaml."),
    workload: str = typer.Argument(..., help="The workload promotions must leave alone."),
    reason: str = typer.Option(..., "--reason", help="Why (recorded in the stack file and the commit)."),
    dry_run: bool = DryRun,
    branch: Optional[str] = Branch,
    json_output: bool = JsonOutput,
    project_dir: Optional[Path] = ProjectDir,
) -> None:
    """Put a hold on WORKLOAD in STACK (a commit): `promote` reports it as held and leaves it alone."""
    from .delivery.hold import hold as run_hold

    _land(lambda: run_hold(_project(project_dir), stack, workload, reason=reason, dry_run=dry_run, branch=branch),
          json_output)


@app.command("release")
def release_command(
    stack: str = typer.Argument(..., help="Stack name: stacks/Pulumi.<STACK>.yaml."),
    workload: str = typer.Argument(..., help="The held workload."),
    dry_run: bool = DryRun,
    branch: Optional[str] = Branch,
    json_output: bool = JsonOutput,
    project_dir: Optional[Path] = ProjectDir,
) -> None:
    """Clear the hold on WORKLOAD in STACK (a commit): promotions may change it again."""
    from .delivery.hold import release as run_release

    _land(lambda: run_release(_project(project_dir), stack, workload, dry_run=dry_run, branch=branch), json_output)


def main() -> None:
    global _load_sdk_packages_by_name
    _load_sdk_packages_by_name = True
    few_collections_for_this_process()
    try:
        app()
    finally:
        skip_final_collection()


if __name__ == "__main__":
    main()
