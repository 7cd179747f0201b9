"""`stackctl rollback`: a new commit that restores an earlier image of one workload, no rebuild.

The earlier image comes from the stack file's history (history.py): `--steps N` back (default 1), a
digest that ran before (`--to sha256:...`), or the image at a git revision (`--to REV`). Same gates as a
promotion except soak time: the artifact must still be in the registry, carry its source revision when
the policy requires it, and `stackctl check` must pass on the result. The same commit puts a hold on the
workload (`promotion.holds`, who, when, why), so the next scheduled promotion does not undo the rollback;
`stackctl release` clears it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Optional

from stackctl.engine.project import Project
from stackctl.errors import InputError

from . import gitrepo, stackfile
from .desired import Change, Outcome, Refused, Target, land
from .history import digest_of, timeline
from .registry import ImageRef, Registry, RegistryError, parse_image, registry_for
from .registry.base import DIGEST


def rollback(project: Project, stack: str, workload: str, *, to: Optional[str] = None, steps: Optional[int] = None,
             dry_run: bool = False, branch: Optional[str] = None, render_to: Optional[Path] = None,
             pack_dir: Optional[Path] = None, reason: Optional[str] = None,
             registries: Callable[[ImageRef], Registry] = registry_for) -> Outcome:
    if to is not None and steps is not None:
        raise InputError("pass --to or --steps, not both")
    if steps is not None and steps < 1:
        raise InputError(f"--steps must be >= 1 (got {steps})")
    target = Target.load(project, stack)
    known = stackfile.images(target.config)
    key = stackfile.find(known, workload, target.label)
    current = known[key]
    entries = [e for e in timeline(target.repo, target.path, project.name).get(key, []) if e.image]

    if to is not None and DIGEST.match(to):
        matching = [e for e in entries if e.digest == to]
        if not matching:
            raise InputError(f"{target.label}: {key} never ran {to} (see `stackctl history {stack} {key.name}`)")
        image, origin = matching[-1].image, f"history {matching[-1].commit[:12]}"
    elif to is not None:
        rev = gitrepo.resolve(target.repo, to)
        if rev is None:
            raise InputError(f"--to {to!r}: neither a sha256 digest nor a git revision of {target.repo}")
        text = gitrepo.show(target.repo, rev, target.path)
        image = stackfile.images(stackfile.load_config(text, target.label, project.name)).get(key) if text else None
        if image is None:
            raise InputError(f"{target.label} at {to}: has no {key} with its own image")
        origin = f"revision {rev[:12]}"
    else:
        earlier = []
        for entry in reversed(entries):
            if entry.image != current and (not earlier or earlier[-1].image != entry.image):
                earlier.append(entry)
        wanted = steps or 1
        if len(earlier) < wanted:
            raise InputError(f"{target.label}: {key} has {len(earlier)} earlier image(s) in its history; "
                             f"cannot go back {wanted}")
        image, origin = earlier[wanted - 1].image, f"history {earlier[wanted - 1].commit[:12]}"

    digest = digest_of(image)
    if digest is None:
        raise InputError(f"{target.label}: the earlier image {image!r} is a tag, not a digest; a rollback "
                         "restores exact artifacts only (pass --to sha256:...)")
    if image == current:
        return land(target, "rollback", [], [f"{key}: already runs {image}"], pack_dir=pack_dir or
                    project.root / "policy", dry_run=dry_run, branch=branch, render_to=render_to, scope=[workload])
    ref = parse_image(image)
    try:
        artifact = registries(ref).artifact(ref, digest)
    except RegistryError as exc:
        raise Refused(f"rollback {stack} refused: {key}: {exc}") from None
    if artifact is None:
        raise Refused(f"rollback {stack} refused: {key}: {image} is no longer in the registry")
    gates = ["registry"]
    policy = target.spec.promotion
    if policy is not None and policy.require_revision:
        if not artifact.revision:
            raise Refused(f"rollback {stack} refused: {key}: {image} has no org.opencontainers.image.revision "
                          "annotation (promotion.require_revision)")
        gates.append(f"revision {artifact.revision[:12]}")
    change = Change(key, current, ref.pinned(digest), artifact, origin, gates,
                    stackfile.followers(target.config, key.name) if key.kind == "services" else [])
    notes = []
    if target.spec.promotion is not None:
        change.hold = {"by": gitrepo.identity(target.repo), "at": f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}",
                       "reason": reason or f"rolled back to {digest.removeprefix('sha256:')[:12]} ({origin})"}
    else:
        notes.append(f"{key}: no hold set: {target.label} has no promotion policy, so nothing promotes it "
                     "over this rollback")
    outcome = land(target, "rollback", [change], notes, pack_dir=pack_dir or project.root / "policy",
                   dry_run=dry_run, branch=branch, render_to=render_to, scope=[workload])
    if change.hold:
        outcome.edits.append(f"hold {key}: {change.hold['reason']} (`stackctl release {stack} {key.name}` "
                             "clears it)")
    return outcome
