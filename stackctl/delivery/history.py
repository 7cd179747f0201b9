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
from .stackfile import WorkloadKey, holds, images, load_config

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
    promoted_by: Optional[str] = None   # Stackctl-Promoted-By: who proposed it (the author is who merged)
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
            "promoted_by": self.promoted_by,
            "deployed": ({"commit": self.deployed_commit, "since": self.deployed_at.isoformat()}
                         if self.deployed_commit and self.deployed_at else None),
        }


def digest_of(image: Optional[str]) -> Optional[str]:
    if image and "@" in image:
        return image.rsplit("@", 1)[1]
    return None


@dataclass
class HoldEvent:
    """A hold set (or changed) or released on a workload, by a commit of the stack file."""

    workload: WorkloadKey
    held: bool
    since: datetime
    commit: str
    by: Optional[str]        # the hold's `by` (set) or the commit's promoter/author (release)
    reason: Optional[str]
    at: Optional[str] = None  # the hold's own `at`

    def as_json(self) -> dict:
        return {"workload": str(self.workload), "event": "hold" if self.held else "release",
                "since": self.since.isoformat(), "commit": self.commit, "by": self.by, "reason": self.reason,
                "at": self.at}


def timeline(repo: Path, path: str, project_name: str, rev: str = "HEAD") -> dict[WorkloadKey, list[Entry]]:
    """Entries per workload, oldest first; the last entry of each is what `rev` runs."""
    return read(repo, path, project_name, rev)[0]


def read(repo: Path, path: str, project_name: str, rev: str = "HEAD"
         ) -> tuple[dict[WorkloadKey, list[Entry]], dict[WorkloadKey, list[HoldEvent]]]:
    """Image entries and hold events per workload, oldest first, from one pass over the stack file's history."""
    result: dict[WorkloadKey, list[Entry]] = {}
    events: dict[WorkloadKey, list[HoldEvent]] = {}
    current: dict[WorkloadKey, Optional[str]] = {}
    held: dict[str, dict] = {}
    for commit in gitrepo.history(repo, path, rev):
        text = gitrepo.show(repo, commit.sha, path)
        try:
            config = load_config(text, path, project_name) if text is not None else {}
            now = images(config)
            now_held = holds(config)
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
        for name in sorted(set(held) | set(now_held)):
            if held.get(name) == now_held.get(name):
                continue
            kind, _, workload = name.partition(".")
            hold = now_held.get(name)
            if isinstance(hold, dict):
                event = HoldEvent(WorkloadKey(kind, workload), True, commit.committed_at, commit.sha,
                                  hold.get("by"), hold.get("reason"), hold.get("at"))
            else:
                decision = commit.decision(TRAILER_WORKLOAD, name)
                event = HoldEvent(WorkloadKey(kind, workload), False, commit.committed_at, commit.sha,
                                  _first(decision, TRAILER_PROMOTED_BY) or commit.author, None)
            events.setdefault(event.workload, []).append(event)
        held = {k: v for k, v in now_held.items() if isinstance(v, dict)}
    return result, events


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
        promoted_by=_first(decision, TRAILER_PROMOTED_BY) if ours else None,
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


def render_text(label: str, entries: dict[WorkloadKey, list[Entry]],
                hold_events: Optional[dict[WorkloadKey, list[HoldEvent]]] = None) -> str:
    hold_events = hold_events or {}
    lines = [f"{label}: image history (newest first; * = current)"]
    for key in sorted(set(entries) | set(hold_events)):
        lines.append("")
        lines.append(str(key))
        events = hold_events.get(key, [])
        if events and events[-1].held:
            last = events[-1]
            lines.append(f"  HELD since {last.at or f'{last.since:%Y-%m-%d %H:%M} UTC'} by {last.by}: {last.reason} "
                         "(promotions leave it alone until `stackctl release`)")
        history = entries.get(key, [])
        rows: list[tuple[datetime, list[str]]] = []
        for index, entry in enumerate(history):
            marker = "*" if index == len(history) - 1 else " "
            what = entry.image or "(removed)"
            why = entry.action
            if entry.origin:
                why += f" from {entry.origin}"
            if entry.revision:
                why += f", source {entry.revision[:12]}"
            by = f"by {entry.author}"
            if entry.promoted_by and entry.promoted_by.split(" <")[0] != entry.author:
                by = f"proposed by {entry.promoted_by}, merged by {entry.author}"
            elif entry.promoted_by:
                by = f"by {entry.promoted_by}"
            row = [f"  {marker} {entry.since:%Y-%m-%d %H:%M} UTC  {entry.commit[:10]}  {why}  {by}",
                   f"      {what}"]
            if entry.deployed_commit and entry.deployed_at:
                row.append(f"      in the deployment repository since {entry.deployed_at:%Y-%m-%d %H:%M} UTC "
                           f"({entry.deployed_commit[:10]})")
            rows.append((entry.since, row))
        for event in events:
            text = (f"hold set by {event.by}: {event.reason}" if event.held else f"hold released by {event.by}")
            rows.append((event.since, [f"    {event.since:%Y-%m-%d %H:%M} UTC  {event.commit[:10]}  {text}"]))
        for _, row in sorted(rows, key=lambda item: item[0], reverse=True):
            lines.extend(row)
    return "\n".join(lines) + "\n"


def render_json(stack: str, label: str, entries: dict[WorkloadKey, list[Entry]],
                hold_events: Optional[dict[WorkloadKey, list[HoldEvent]]] = None) -> str:
    hold_events = hold_events or {}
    return json.dumps({
        "stack": stack,
        "file": label,
        "workloads": {str(key): [e.as_json() for e in reversed(entries[key])] for key in sorted(entries)},
        "holds": {str(key): [e.as_json() for e in reversed(hold_events[key])] for key in sorted(hold_events)},
        "held": {str(key): hold_events[key][-1].as_json() for key in sorted(hold_events) if hold_events[key][-1].held},
    }, indent=2) + "\n"
