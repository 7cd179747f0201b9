"""Land a change of desired state: gate it with the policy pack, then commit it on the change's branch.

Shared by `promote`, `rollback` and `hold`. The target stack file is edited in place (only its `image:` values
and `promotion.holds`), checked by running the committed program offline and the real policy pack over the
result, committed one workload per commit with trailers that record the decision, and, for GitOps stacks when
asked, rendered into the deployment repository on a branch of the same name. The branch name is the same every
run (`branch_for`), so a re-run updates the open pull request or does nothing. Nothing is pushed and `main` is
never rewritten; any failure after the first write puts both repositories back as they were (`write`).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from components.errors import SpecError
from components.spec import EnvironmentSpec
from stackctl.analysis import analyzer, report
from stackctl.engine.project import Project, read_stack_config
from stackctl.engine.runner import StackRun, run_stack
from stackctl.errors import InputError

from . import gitrepo
from .history import (
    TRAILER_ACTION,
    TRAILER_FROM,
    TRAILER_GATES,
    TRAILER_HOLD,
    TRAILER_IMAGE,
    TRAILER_INFRA_COMMIT,
    TRAILER_PROMOTED_BY,
    TRAILER_REVISION,
    TRAILER_SOURCE,
    TRAILER_STACK,
    TRAILER_WORKLOAD,
)
from .registry import Artifact
from .render import write_deployment
from .stackfile import WorkloadKey, environment, load_config, set_hold, set_images


class Refused(InputError):
    """A gate refused the change; the message says which and why (exit 2)."""


@dataclass
class Target:
    """The environment being changed: its stack file, as committed (it must have no local edits)."""

    project: Project
    stack: str
    repo: Path
    path: str          # the stack file, relative to the repository
    label: str         # the stack file, as users know it
    text: str
    config: dict
    spec: EnvironmentSpec

    @staticmethod
    def load(project: Project, stack: str) -> Target:
        label = project.stack_label(stack)
        file = project.existing_stack_file(stack)
        repo = gitrepo.toplevel(project.root)
        path = gitrepo.relative(repo, file)
        if not gitrepo.is_clean(repo, path):
            raise InputError(f"{label}: has uncommitted changes; commit or stash them first (a promotion "
                             "starts from the committed desired state)")
        text = file.read_text()
        config = load_config(text, label, project.name)
        return Target(project, stack, repo, path, label, text, config, environment(config, label))


@dataclass
class Change:
    workload: WorkloadKey
    before: str
    image: str                     # always repo@sha256:...
    artifact: Artifact
    origin: str                    # where it came from: an environment, a registry tag, a history entry
    gates: list[str] = field(default_factory=list)
    followers: list[str] = field(default_factory=list)
    hold: Optional[dict] = None    # set promotion.holds.<workload> in the same commit ({}: clear it)

    def as_json(self) -> dict:
        return {
            "workload": str(self.workload),
            "from_image": self.before,
            "image": self.image,
            "digest": self.artifact.digest,
            "origin": self.origin,
            "artifact": self.artifact.as_json(),
            "gates": self.gates,
            "jobs_following": self.followers,
        }


@dataclass
class Outcome:
    action: str
    stack: str
    label: str
    changes: list[Change]
    notes: list[str]
    dry_run: bool
    branch: Optional[str] = None
    commits: list[str] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)
    render_commit: Optional[str] = None
    edits: list[str] = field(default_factory=list)  # other edits of the stack file (holds)
    up_to_date: Optional[str] = None   # the branch already carried this change (its tip)
    replaced: Optional[str] = None     # the branch existed with something else: its old tip

    def as_json(self) -> dict:
        return {
            "action": self.action,
            "stack": self.stack,
            "file": self.label,
            "dry_run": self.dry_run,
            "branch": self.branch,
            "changes": [c.as_json() for c in self.changes],
            "commits": self.commits,
            "notes": self.notes,
            "rendered": self.rendered,
            "render_commit": self.render_commit,
            "edits": self.edits,
            "branch_up_to_date": self.up_to_date,
            "branch_replaced": self.replaced,
        }


def program_is_committed(target: Target) -> None:
    """The check gate runs the committed program: refuse when its Python files or Pulumi.yaml have local edits."""
    root = gitrepo.relative(target.repo, target.project.root) or "."
    prefix = "" if root == "." else root.rstrip("/") + "/"
    dirty = [line for line in gitrepo.git(target.repo, "status", "--porcelain", "--", f":(glob){prefix}**/*.py",
                                          f"{prefix}Pulumi.yaml").splitlines() if line.strip()]
    if dirty:
        files = ", ".join(line[3:] for line in dirty[:5])
        raise Refused(f"gate check refused: the program has uncommitted changes ({files}); the check gate runs "
                      "the committed program: commit or stash them first")


def check_gate(target: Target, text: str, pack_dir: Path) -> StackRun:
    """Run the program offline on `text` and the policy pack over it; refuse on any mandatory violation."""
    program_is_committed(target)
    with tempfile.TemporaryDirectory(prefix="stackctl-promote-") as tmp:
        root = Path(tmp)
        scratch = Project(root=root, name=target.project.name, main=target.project.main,
                          stack_config_dir=root / "stacks")
        scratch.stack_config_dir.mkdir()
        scratch.stack_file(target.stack).write_text(text)
        config = read_stack_config(scratch, target.stack)
    try:
        run = run_stack(target.project, target.stack, config)
    except SpecError as exc:
        raise Refused(f"gate check refused: the changed stack file does not validate\n{exc}") from None
    except InputError as exc:
        raise Refused(f"gate check refused: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - the program failed on the changed stack: a refusal, not a crash
        raise Refused(f"gate check refused: the stack program failed on the changed stack file: "
                      f"{type(exc).__name__}: {exc}") from None
    tier_config = pack_dir / "config" / f"{target.spec.tier}.json"
    config_path = tier_config if tier_config.is_file() else None
    result = analyzer.check(run, pack_dir, analyzer.load_policy_config(config_path), str(config_path or "defaults"))
    if result.mandatory:
        raise Refused("gate check refused: `stackctl check` fails on the changed stack\n"
                      + report.text_report([result]).rstrip())
    return run


def branch_for(action: str, stack: str, workloads: list[str]) -> str:
    """The one branch a change of `stack` (and of these workloads, when named) is proposed on: the same name
    every run, so a scheduled promotion updates its open pull request instead of opening another."""
    if not workloads:
        return f"{action}/{stack}"
    return f"{action}/{stack}-" + "+".join(sorted({w.split(".", 1)[-1] for w in workloads}))


def land(target: Target, action: str, changes: list[Change], notes: list[str], *, pack_dir: Path,
         dry_run: bool, branch: Optional[str], render_to: Optional[Path],
         scope: Optional[list[str]] = None) -> Outcome:
    outcome = Outcome(action, target.stack, target.label, changes, notes, dry_run)
    if not changes:
        return outcome
    if not pack_dir.is_dir():
        raise InputError(f"{pack_dir}: no policy pack there (pass --policy-pack)")
    texts: list[str] = []
    text = target.text
    for change in changes:
        text = set_images(text, {change.workload: change.image}, target.label, target.project.name)
        if change.hold is not None:
            text = set_hold(text, change.workload, change.hold or None, target.label, target.project.name)
        texts.append(text)
    run = check_gate(target, text, pack_dir)
    for change in changes:
        change.gates.append("check")
    by = promoter(target.repo)
    steps = [(text, _message(target, action, change, by)) for text, change in zip(texts, changes, strict=True)]
    deployment = run.graph.stack_outputs.get("deployment_files")
    if render_to is not None and deployment is None:
        raise InputError(f"{target.label}: delivery is push; there is no deployment repository to render into "
                         "(drop --render-to)")
    render = (render_to, deployment, changes) if render_to is not None else None
    return write(target, outcome, steps, branch or branch_for(action, target.stack, scope or []), render)


def write(target: Target, outcome: Outcome, steps: list[tuple[str, str]], name: str,
          render: Optional[tuple[Path, dict, list[Change]]] = None) -> Outcome:
    """Commit `steps` (stack file text, message) on branch `name`, all or nothing.

    The branch is the same every run: when it already carries this stack file (locally or on `origin`)
    nothing is written; when it exists with something else it is replaced by a branch from the current
    commit (push it with --force-with-lease). Any failure after the first write puts both repositories
    back as they were (branch, index, working tree) and says so.
    """
    outcome.branch = name
    gitrepo.check_branch_format(target.repo, name)
    existing = gitrepo.branch_tip(target.repo, name)
    final = steps[-1][0]
    on_branch = gitrepo.current_branch(target.repo) == name
    if existing and not on_branch and gitrepo.show(target.repo, existing, target.path) == final:
        outcome.up_to_date = existing
        outcome.notes.append(f"branch {name} ({existing[:10]}) already carries this change; nothing to commit")
        return outcome
    if existing and not on_branch:
        outcome.replaced = existing
    render_repo = env_path = None
    if render is not None:
        render_to, deployment, _ = render
        render_repo = gitrepo.toplevel(render_to)
        gitrepo.check_branch_format(render_repo, name)
        env_path = gitrepo.relative(render_repo, render_to / deployment["path"])
        if not gitrepo.is_clean(render_repo, env_path):
            raise InputError(f"{render_to / deployment['path']}: has uncommitted changes; commit or stash them first")
    if outcome.dry_run:
        return outcome
    gitrepo.identity(target.repo)  # a clear refusal before anything is written
    saved = [gitrepo.Checkpoint(target.repo, [target.path])]
    if render_repo is not None:
        saved.append(gitrepo.Checkpoint(render_repo, [env_path]))
    try:
        saved[0].moves(name)   # created, replaced, or (when checked out) given commits on top
        if not on_branch:
            gitrepo.git(target.repo, "switch", "--quiet", "-C", name)
        file = target.project.stack_file(target.stack)
        for text, message in steps:
            file.write_text(text)
            outcome.commits.append(gitrepo.commit(target.repo, [target.path], message))
        if render is not None:
            render_to, deployment, changes = render
            saved[1].moves(name)
            if gitrepo.current_branch(render_repo) != name:
                gitrepo.git(render_repo, "switch", "--quiet", "-C", name)
            written = write_deployment(deployment, render_to, target.label)
            outcome.rendered = [gitrepo.relative(render_repo, p) for p in written]
            message = _render_message(target, outcome.action, changes, outcome.commits[-1])
            if gitrepo.is_clean(render_repo, env_path):
                outcome.notes.append(f"{render_to}: rendered manifests are unchanged; nothing to commit there")
            else:
                outcome.render_commit = gitrepo.commit(render_repo, [env_path], message)
    except BaseException as exc:
        done = []
        for checkpoint in reversed(saved):
            done += [f"{checkpoint.repo}: {what}" for what in checkpoint.restore()]
        reason = str(exc) if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"
        raise InputError(f"{outcome.action} {target.stack} failed while writing, and was undone: {reason}\n  "
                         + "\n  ".join(done)) from None
    return outcome


def _short(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]


def promoter(repo: Path) -> str:
    """Who makes the change, for the `Stackctl-Promoted-By` trailer (the merger is whoever merges the pull
    request; this is whoever, or whichever CI run, proposed it)."""
    who = gitrepo.identity(repo)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        run = "/".join(os.environ.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY"))
        who += (f" (CI: {os.environ.get('GITHUB_WORKFLOW', 'workflow')} run "
                f"{run}/actions/runs/{os.environ.get('GITHUB_RUN_ID', '?')})")
    elif os.environ.get("CI") == "true":
        who += " (CI)"
    return who


def _message(target: Target, action: str, change: Change, by: str) -> str:
    subject = f"{action} {target.stack}: {change.workload} {_short(change.artifact.digest)} from {change.origin}"
    trailers = [
        (TRAILER_ACTION, action),
        (TRAILER_STACK, target.stack),
        (TRAILER_WORKLOAD, str(change.workload)),
        (TRAILER_IMAGE, change.image),
        (TRAILER_FROM, change.origin),
        (TRAILER_REVISION, change.artifact.revision or "unknown"),
        (TRAILER_SOURCE, change.artifact.source or "unknown"),
        (TRAILER_GATES, ", ".join(change.gates)),
        (TRAILER_PROMOTED_BY, by),
    ]
    if change.hold:
        trailers.append((TRAILER_HOLD, f"set: {change.hold['reason']}"))
    body = [f"{change.workload}: {change.before}", f"{' ' * len(str(change.workload))}  -> {change.image}"]
    if change.followers:
        body.append(f"Jobs that run this service's image: {', '.join(change.followers)}.")
    return f"{subject}\n\n" + "\n".join(body) + "\n\n" + gitrepo.format_trailers(trailers) + "\n"


def _render_message(target: Target, action: str, changes: list[Change], infra_commit: str) -> str:
    names = ", ".join(str(c.workload) for c in changes)
    trailers = [(TRAILER_ACTION, action), (TRAILER_STACK, target.stack),
                (TRAILER_INFRA_COMMIT, infra_commit)]
    trailers += [(TRAILER_IMAGE, f"{c.workload}={c.image}") for c in changes]
    return (f"{action} {target.stack}: {names}\n\nRendered by `stackctl {action}` from {target.label}.\n\n"
            + gitrepo.format_trailers(trailers) + "\n")


def render_text(outcome: Outcome) -> str:
    head = "would " if outcome.dry_run else ""
    lines = [f"{outcome.action} {outcome.stack} ({outcome.label})"]
    for change in outcome.changes:
        art = change.artifact
        lines.append(f"  {change.workload}: {head}change")
        lines.append(f"      {change.before}")
        lines.append(f"   -> {change.image}")
        detail = [f"from {change.origin}"]
        if art.tags:
            detail.append("tags " + ", ".join(art.tags))
        if art.pushed_at:
            detail.append(f"pushed {art.pushed_at:%Y-%m-%d %H:%M %Z}".rstrip())
        detail.append(f"source revision {art.revision or 'unknown'}" + (f" ({art.source})" if art.source else ""))
        lines.append("      " + "; ".join(detail))
        lines.append("      gates passed: " + ", ".join(change.gates))
        if change.followers:
            lines.append("      jobs running this image too: " + ", ".join(change.followers))
    for edit in outcome.edits:
        lines.append(f"  {head}{edit}")
    for note in outcome.notes:
        lines.append(f"  {note}")
    if not (outcome.changes or outcome.edits) or outcome.up_to_date:
        lines.append("  nothing to change")
    elif outcome.dry_run:
        lines.append(f"dry run: nothing written (would commit on branch {outcome.branch})")
    elif outcome.commits:
        push = ("push it with --force-with-lease and update its pull request (it replaced "
                f"{outcome.replaced[:10]})" if outcome.replaced else "push it and open a pull request")
        lines.append(f"branch {outcome.branch}: {len(outcome.commits)} commit(s) "
                     f"{', '.join(c[:10] for c in outcome.commits)}; {push}")
        if outcome.render_commit:
            lines.append(f"deployment repository: branch {outcome.branch}, commit {outcome.render_commit[:10]} "
                         f"({len(outcome.rendered)} files)")
    return "\n".join(lines) + "\n"
