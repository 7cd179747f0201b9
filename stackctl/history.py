"""Which image each workload ran, since when, and why: read from the git history of the stack file.

Every commit on the first-parent line that changed the stack file is read; a change of a workload's
`image` opens a new entry. Commits made by `stackctl promote` / `rollback` carry trailers
(`Stackctl-Action`, `Stackctl-Workload`, `Stackctl-From`, ...) that say where the image came from and which
gates it passed; any other change is `manual`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Optional

from . import gitrepo
from .stackfile import WorkloadKey, images, load_config

TRAILER_ACTION = "Stackctl-Action"
TRAILER_STACK = "Stackctl-Stack"
TRAILER_WORKLOAD = "Stackctl-Workload"
TRAILER_IMAGE = "Stackctl-Image"
TRAILER_FROM = "Stackctl-From"
TRAILER_REVISION = "Stackctl-Source-Revision"
TRAILER_SOURCE = "Stackctl-Source-Repository"
TRAILER_GATES = "Stackctl-Gates"
TRAILER_INFRA_COMMIT = "Stackctl-Infra-Commit"
TRAILER_PROMOTED_BY = "Stackctl-Promoted-By"
TRAILER_HOLD = "Stackctl-Hold"
TRAILER_REASON = "Stackctl-Reason"


@dataclass
class Entry:
    """One stretch of time a workload's stack file named one image."""

    workload: WorkloadKey
    image: Optional[str]           # None: the workload was removed (or lost its own image)
    since: datetime
    commit: str
    author: str
    action: str                    # promote | rollback | manual
    origin: Optional[str] = None   # Stackctl-From: the environment, registry tag or history it came from
    revision: Optional[str] = None
    gates: Optional[str] = None
    until: Optional[datetime] = None
    merged: tuple[str, ...] = ()   # commits a merge brought in: a render may name any of them
    # GitOps: the deployment repository commit (first-parent) that carried this desired state, and when.
    deployed_commit: Optional[str] = None
    deployed_at: Optional[datetime] = None

    @property
    def digest(self) -> Optional[str]:
        return digest_of(self.image)

    def as_json(self) -> dict:
        return {
            "workload": str(self.workload),
            "image": self.image,
            "digest": self.digest,
            "since": self.since.isoformat(),
            "until": self.until.isoformat() if self.until else None,
            "commit": self.commit,
            "author": self.author,
            "action": self.action,
            "from": self.origin,
            "source_revision": self.revision,
            "gates": self.gates,
            "deployed": ({"commit": self.deployed_commit, "since": self.deployed_at.isoformat()}
                         if self.deployed_commit and self.deployed_at else None),
        }


def digest_of(image: Optional[str]) -> Optional[str]:
    if image and "@" in image:
        return image.rsplit("@", 1)[1]
    return None


def timeline(repo: Path, path: str, project_name: str, rev: str = "HEAD") -> dict[WorkloadKey, list[Entry]]:
    """Entries per workload, oldest first; the last entry of each is what `rev` runs."""
    result: dict[WorkloadKey, list[Entry]] = {}
    current: dict[WorkloadKey, Optional[str]] = {}
    for commit in gitrepo.history(repo, path, rev):
        text = gitrepo.show(repo, commit.sha, path)
        try:
            now = images(load_config(text, path, project_name)) if text is not None else {}
        except Exception:  # noqa: BLE001 - an unparsable past version is skipped, not fatal
            continue
        for key in sorted(set(current) | set(now)):
            image = now.get(key)
            if current.get(key) == image:
                continue
            entries = result.setdefault(key, [])
            if entries:
                entries[-1].until = commit.committed_at
            entries.append(_entry(key, image, commit))
            current[key] = image
    return result


def _entry(key: WorkloadKey, image: Optional[str], commit: gitrepo.Commit) -> Entry:
    decision = commit.decision(TRAILER_WORKLOAD, str(key))
    action = _first(decision, TRAILER_ACTION)
    ours = decision is not None and action in ("promote", "rollback") and _first(decision, TRAILER_IMAGE) == image
    return Entry(
        workload=key,
        image=image,
        since=commit.committed_at,
        commit=commit.sha,
        author=commit.author,
        action=action if ours else "manual",
        origin=_first(decision, TRAILER_FROM) if ours else None,
        revision=_first(decision, TRAILER_REVISION) if ours else None,
        gates=_first(decision, TRAILER_GATES) if ours else None,
        merged=commit.merged,
    )


def attach_deployments(entries: dict[WorkloadKey, list[Entry]], deployments: Path, rev: str = "HEAD",
                       infra: Optional[Path] = None, infra_rev: str = "HEAD") -> None:
    """Mark each entry with the first deployment-repository commit (first-parent line of `rev`) whose render
    delivered its image.

    Renders name the infrastructure commit they came from in the trailer `Stackctl-Infra-Commit` (the
    render workflow, `promote --render-to`). A render delivers an entry when it names the entry's own commit
    or one its merge brought in, or, given the infrastructure repository (`infra`), any later commit on its
    first-parent line before the next entry's: a render that skipped a commit still delivered its image.
    """
    renders: list[tuple[gitrepo.Commit, str]] = []
    for commit in gitrepo.history(deployments, rev=rev):
        for decision in commit.decisions:
            for sha in decision.get(TRAILER_INFRA_COMMIT.lower(), []):
                renders.append((commit, sha))
    position: dict[str, int] = {}
    if infra is not None:
        line = gitrepo.git(infra, "rev-list", "--first-parent", "--reverse", infra_rev).split()
        position = {sha: index for index, sha in enumerate(line)}
    for history in entries.values():
        for index, entry in enumerate(history):
            own = {entry.commit, *entry.merged}
            start = position.get(entry.commit)
            stop = position.get(history[index + 1].commit) if index + 1 < len(history) else None
            for commit, sha in renders:
                at = position.get(sha)
                later = (start is not None and at is not None and at >= start and (stop is None or at < stop))
                if sha in own or later:
                    entry.deployed_commit, entry.deployed_at = commit.sha, commit.committed_at
                    break


def _first(decision: Optional[dict[str, list[str]]], key: str) -> Optional[str]:
    values = (decision or {}).get(key.lower())
    return values[-1] if values else None


def render_text(label: str, entries: dict[WorkloadKey, list[Entry]]) -> str:
    lines = [f"{label}: image history (newest first; * = current)"]
    for key in sorted(entries):
        lines.append("")
        lines.append(str(key))
        history = entries[key]
        for index, entry in reversed(list(enumerate(history))):
            marker = "*" if index == len(history) - 1 else " "
            what = entry.image or "(removed)"
            why = entry.action
            if entry.origin:
                why += f" from {entry.origin}"
            if entry.revision:
                why += f", source {entry.revision[:12]}"
            lines.append(f"  {marker} {entry.since:%Y-%m-%d %H:%M} UTC  {entry.commit[:10]}  {why}  "
                         f"by {entry.author}")
            lines.append(f"      {what}")
            if entry.deployed_commit and entry.deployed_at:
                lines.append(f"      in the deployment repository since {entry.deployed_at:%Y-%m-%d %H:%M} UTC "
                             f"({entry.deployed_commit[:10]})")
    return "\n".join(lines) + "\n"


def render_json(stack: str, label: str, entries: dict[WorkloadKey, list[Entry]]) -> str:
    return json.dumps({
        "stack": stack,
        "file": label,
        "workloads": {str(key): [e.as_json() for e in reversed(entries[key])] for key in sorted(entries)},
    }, indent=2) + "\n"
