"""Land a change of desired state: gate it with the policy pack, then commit it on a new branch.

Shared by `promote` and `rollback`. The target stack file is edited in place (only its `image:` values),
checked by running the real program offline and the real policy pack over the result, committed one
workload per commit with trailers that record the decision, and, for GitOps stacks when asked, rendered
into the deployment repository on a branch of the same name. Nothing is pushed and no history is rewritten:
the branch is ready for review.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
    TRAILER_IMAGE,
    TRAILER_INFRA_COMMIT,
    TRAILER_REVISION,
    TRAILER_SOURCE,
    TRAILER_STACK,
    TRAILER_WORKLOAD,
)
from .registry import Artifact
from .render import write_deployment
from .stackfile import WorkloadKey, environment, load_config, set_images


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
        }


def check_gate(target: Target, text: str, pack_dir: Path) -> StackRun:
    """Run the program offline on `text` and the policy pack over it; refuse on any mandatory violation."""
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
    tier_config = pack_dir / "config" / f"{target.spec.tier}.json"
    config_path = tier_config if tier_config.is_file() else None
    result = analyzer.check(run, pack_dir, analyzer.load_policy_config(config_path), str(config_path or "defaults"))
    if result.mandatory:
        raise Refused("gate check refused: `stackctl check` fails on the changed stack\n"
                      + report.text_report([result]).rstrip())
    return run


def land(target: Target, action: str, changes: list[Change], notes: list[str], *, pack_dir: Path,
         dry_run: bool, branch: Optional[str], render_to: Optional[Path]) -> Outcome:
    outcome = Outcome(action, target.stack, target.label, changes, notes, dry_run)
    if not changes:
        return outcome
    if not pack_dir.is_dir():
        raise InputError(f"{pack_dir}: no policy pack there (pass --policy-pack)")
    final = set_images(target.text, {c.workload: c.image for c in changes}, target.label, target.project.name)
    run = check_gate(target, final, pack_dir)
    for change in changes:
        change.gates.append("check")
    deployment = run.graph.stack_outputs.get("deployment_files")
    if render_to is not None and deployment is None:
        raise InputError(f"{target.label}: delivery is push; there is no deployment repository to render into "
                         "(drop --render-to)")
    name = branch or f"{action}/{target.stack}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    outcome.branch = name
    render_repo = gitrepo.toplevel(render_to) if render_to is not None else None
    if dry_run:
        return outcome
    gitrepo.check_branch_name(target.repo, name)
    if render_repo is not None:
        gitrepo.check_branch_name(render_repo, name)
        env_path = gitrepo.relative(render_repo, render_to / deployment["path"])
        if not gitrepo.is_clean(render_repo, env_path):
            raise InputError(f"{render_to / deployment['path']}: has uncommitted changes; commit or stash them first")

    gitrepo.switch_new_branch(target.repo, name)
    file = target.project.stack_file(target.stack)
    text = target.text
    for change in changes:
        text = set_images(text, {change.workload: change.image}, target.label, target.project.name)
        file.write_text(text)
        outcome.commits.append(gitrepo.commit(target.repo, [target.path], _message(target, action, change)))

    if render_repo is not None:
        gitrepo.switch_new_branch(render_repo, name)
        written = write_deployment(deployment, render_to, target.label)
        outcome.rendered = [gitrepo.relative(render_repo, p) for p in written]
        message = _render_message(target, action, changes, outcome.commits[-1])
        if gitrepo.is_clean(render_repo, env_path):
            notes.append(f"{render_to}: rendered manifests are unchanged; nothing to commit there")
        else:
            outcome.render_commit = gitrepo.commit(render_repo, [env_path], message)
    return outcome


def _short(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]


def _message(target: Target, action: str, change: Change) -> str:
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
    ]
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
    for note in outcome.notes:
        lines.append(f"  {note}")
    if not outcome.changes:
        lines.append("  nothing to change")
    elif outcome.dry_run:
        lines.append(f"dry run: nothing written (would commit on branch {outcome.branch})")
    else:
        lines.append(f"branch {outcome.branch}: {len(outcome.commits)} commit(s) "
                     f"{', '.join(c[:10] for c in outcome.commits)}; push it and open a pull request")
        if outcome.render_commit:
            lines.append(f"deployment repository: branch {outcome.branch}, commit {outcome.render_commit[:10]} "
                         f"({len(outcome.rendered)} files)")
    return "\n".join(lines) + "\n"
