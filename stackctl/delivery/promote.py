"""`stackctl promote`: pick artifacts by the target environment's promotion policy, gate them, land them.

Policy (`promotion:` in the target stack file, components/spec/promotion.py):
- no `from_environment`: the newest image in the workload's registry repository with a tag matching
  `tag_pattern` (the registry repository is the one the stack file already names);
- `from_environment: staging`: the digest staging's stack file runs, once it has run there for the soak
  time, measured from the commit time (first-parent line) at which it entered staging's stack file.
Gates: the artifact is known to the registry; it carries its source revision (unless the policy says
otherwise); soak time; `stackctl check` passes on the result (desired.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Optional

from components.spec.promotion import PromotionSpec
from stackctl.engine.project import Project
from stackctl.errors import InputError

from . import gitrepo, stackfile
from .desired import Change, Outcome, Refused, Target, land
from .history import Entry, digest_of, timeline
from .registry import Artifact, ImageRef, Registry, RegistryError, parse_image, registry_for
from .registry.base import DIGEST
from .stackfile import WorkloadKey

RegistryFactory = Callable[[ImageRef], Registry]


def duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m"


class NotReady(Refused):
    """No candidate yet (no matching build, soak time not reached): refused when the workload was named,
    reported as waiting when promoting every workload, so one young build does not hold back the others."""


class _Registries:
    """One client per registry host for the whole run."""

    def __init__(self, factory: RegistryFactory) -> None:
        self.factory = factory
        self.clients: dict[str, Registry] = {}

    def __call__(self, image: ImageRef) -> Registry:
        if image.host not in self.clients:
            self.clients[image.host] = self.factory(image)
        return self.clients[image.host]


def policy_for(target: Target, from_env: Optional[str]) -> PromotionSpec:
    policy = target.spec.promotion
    if from_env is not None:
        if not re.fullmatch(r"[a-z][a-z0-9-]*", from_env):
            raise InputError(f"--from {from_env!r}: not a stack name")
        policy = (policy or PromotionSpec()).model_copy(update={"from_environment": from_env})
    if policy is None:
        raise InputError(f"{target.label}: has no `promotion` section, so its images change only by hand; "
                         "declare where they come from (docs/deployment-loop.md) or pass --from ENV")
    if policy.from_environment == target.stack:
        raise InputError(f"{target.label}: promotion.from_environment is the stack itself")
    return policy


def promote(project: Project, stack: str, workloads: list[str], *, from_env: Optional[str] = None,
            digest: Optional[str] = None, dry_run: bool = False, branch: Optional[str] = None,
            render_to: Optional[Path] = None, pack_dir: Optional[Path] = None,
            registries: RegistryFactory = registry_for, now: Optional[datetime] = None) -> Outcome:
    target = Target.load(project, stack)
    policy = policy_for(target, from_env)
    if digest is not None and (len(workloads) != 1 or not DIGEST.match(digest)):
        raise InputError("--digest takes a sha256:<64 hex> digest and exactly one WORKLOAD")
    known = stackfile.images(target.config)
    keys = [stackfile.find(known, w, target.label) for w in workloads] if workloads else sorted(known)
    source = _Source.load(project, target, policy) if policy.from_environment else None
    clients = _Registries(registries)
    now = now or datetime.now(UTC)

    changes: list[Change] = []
    notes: list[str] = []
    refusals: list[str] = []
    for key in keys:
        try:
            change = _pick(target, policy, source, key, known[key], digest, clients, now, explicit=bool(workloads))
        except NotReady as exc:
            (refusals if workloads else notes).append(f"{key}: {'' if workloads else 'waiting: '}{exc}")
            continue
        except (Refused, RegistryError) as exc:
            refusals.append(f"{key}: {exc}")
            continue
        if isinstance(change, str):
            notes.append(f"{key}: {change}")
        else:
            change.followers = stackfile.followers(target.config, key.name) if key.kind == "services" else []
            changes.append(change)
    if refusals:
        raise Refused(f"promote {stack} refused ({target.label}); nothing was changed:\n  " + "\n  ".join(refusals))
    return land(target, "promote", changes, notes, pack_dir=pack_dir or project.root / "policy",
                dry_run=dry_run, branch=branch, render_to=render_to)


class _Source:
    """The environment promotion takes digests from: its committed stack file and image timeline."""

    def __init__(self, stack: str, label: str, images: dict[WorkloadKey, str],
                 entries: dict[WorkloadKey, list[Entry]]) -> None:
        self.stack, self.label, self.images, self.entries = stack, label, images, entries

    @staticmethod
    def load(project: Project, target: Target, policy: PromotionSpec) -> _Source:
        stack = policy.from_environment
        file = project.stack_file(stack)
        label = project.stack_label(stack)
        path = gitrepo.relative(target.repo, file)
        text = gitrepo.show(target.repo, "HEAD", path)
        if text is None:
            raise InputError(f"{label}: not committed on the current branch (promotion.from_environment "
                             f"of {target.label} is {stack!r}; stacks: {', '.join(project.stacks())})")
        images = stackfile.images(stackfile.load_config(text, label, project.name))
        return _Source(stack, label, images, timeline(target.repo, path, project.name))


def _pick(target: Target, policy: PromotionSpec, source: Optional[_Source], key: WorkloadKey, current: str,
          digest: Optional[str], clients: _Registries, now: datetime, explicit: bool) -> Change | str:
    """The change for one workload, a note why there is none, or `Refused`."""
    gates: list[str] = []
    if source is not None:
        source_image = source.images.get(key)
        if source_image is None:
            if explicit:
                raise Refused(f"{source.label} declares no {key} with its own image")
            return f"not in {source.label}; left as is"
        image = parse_image(source_image)
        wanted = digest or image.digest or _tag_digest(image, clients)
        origin = source.stack
    else:
        image = parse_image(current)
        if digest:
            wanted, origin = digest, "registry (digest chosen by hand)"
        else:
            artifact = _newest(image, policy.tag_pattern, clients)
            wanted = artifact.digest
            origin = "registry tag " + next(t for t in artifact.tags if re.fullmatch(policy.tag_pattern, t))
    pinned = image.pinned(wanted)
    if parse_image(current).repository == image.repository and digest_of(current) == wanted:
        return f"already runs {_short(wanted)}"

    artifact = clients(image).artifact(image, wanted)
    if artifact is None:
        raise Refused(f"{pinned} is unknown to the registry (no image with that digest in {image.repository})")
    gates.append("registry")
    if policy.require_revision:
        if not artifact.revision:
            raise Refused(f"{pinned} has no org.opencontainers.image.revision annotation (promotion."
                          "require_revision); build it with the source revision, or set require_revision: false")
        gates.append(f"revision {artifact.revision[:12]}")
    if source is not None:
        gates.extend(_soak(target, policy, source, key, wanted, now))
    return Change(key, current, pinned, artifact, origin, gates)


def _short(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]


def _newest(image: ImageRef, pattern: str, clients: _Registries) -> Artifact:
    for artifact in clients(image).artifacts(image):  # newest push first
        if any(re.fullmatch(pattern, tag) for tag in artifact.tags):
            return artifact
    raise NotReady(f"{image.repository} has no image with a tag matching {pattern!r}")


def _tag_digest(image: ImageRef, clients: _Registries) -> str:
    """A source that still names a tag: the digest that tag points to now."""
    for artifact in clients(image).artifacts(image):
        if image.tag in artifact.tags:
            return artifact.digest
    raise Refused(f"{image} is unknown to the registry (no image tagged {image.tag!r})")


def _soak(target: Target, policy: PromotionSpec, source: _Source, key: WorkloadKey, digest: str,
          now: datetime) -> list[str]:
    need = timedelta(minutes=policy.soak_for(target.spec.tier))
    if not need:
        return []
    ran = [e for e in source.entries.get(key, []) if e.digest == digest]
    if not ran:
        raise NotReady(f"{_short(digest)} never ran pinned in {source.stack} ({source.label} has no commit that "
                       f"names this digest; soak time {duration(need)} applies: promote {source.stack} first)")
    entry = ran[-1]
    soaked = (entry.until or now) - entry.since
    if soaked < need:
        raise NotReady(f"{_short(digest)} has run in {source.stack} for {duration(soaked)} (since "
                      f"{entry.since:%Y-%m-%d %H:%M} UTC, commit {entry.commit[:10]}); {target.stack} needs "
                      f"{duration(need)} of soak time")
    return [f"soak {duration(soaked)} >= {duration(need)} in {source.stack}"]
