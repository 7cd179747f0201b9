"""`stackctl promote`: pick artifacts by the target environment's promotion policy, gate them, land them.

Policy (`promotion:` in the target stack file, components/spec/promotion.py):
- no `from_environment`: the newest image in the workload's registry repository with a tag matching
  `tag_pattern` (the registry repository is the one the stack file already names);
- `from_environment: staging`: the digest staging's stack file runs on `origin`'s default branch, once it
  has run there for the soak time, measured from the commit time (first-parent line of that branch as
  fetched) at which it entered staging's stack file, or, for a GitOps source, from when its render reached
  the deployment repository's default branch.
Gates: the workload is not held (`promotion.holds`); the artifact is known to the registry, not older than
what runs (unless --allow-older); it carries its source revision (unless the policy says otherwise); soak
time; `stackctl check` passes on the result (desired.py).
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
from .history import Entry, attach_deployments, digest_of, timeline
from .registry import Artifact, ImageRef, Registry, RegistryError, parse_image, registry_for
from .registry.base import ATTEMPTS, DIGEST, CredentialsError
from .stackfile import WorkloadKey

RegistryFactory = Callable[[ImageRef], Registry]


def duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m"


class NotReady(Refused):
    """No candidate yet (no matching build, soak time not reached): refused when the workload was named,
    reported as waiting when promoting every workload, so one young build does not hold back the others."""


PROGRESS_AFTER_SECONDS = 5.0


class _Registries:
    """One client per registry host for the whole run; a call still waiting after PROGRESS_AFTER_SECONDS
    says so on stderr (the clients bound each call with timeouts and a bounded retry)."""

    def __init__(self, factory: RegistryFactory, progress_after: Optional[float] = None) -> None:
        self.factory = factory
        self.progress_after = PROGRESS_AFTER_SECONDS if progress_after is None else progress_after
        self.clients: dict[str, Registry] = {}

    def __call__(self, image: ImageRef) -> Registry:
        if image.host not in self.clients:
            self.clients[image.host] = _Watched(self.factory(image), self.progress_after)
        return self.clients[image.host]


class _Watched:
    def __init__(self, registry: Registry, after: float) -> None:
        self.registry, self.after = registry, after

    def _watch(self, what: str, call):
        import sys
        import threading

        timer = threading.Timer(self.after, lambda: print(
            f"stackctl: still waiting for the registry ({what}, {self.after:.0f}s so far; bounded by "
            f"timeouts and {ATTEMPTS} attempts)", file=sys.stderr, flush=True))
        timer.daemon = True
        timer.start()
        try:
            return call()
        finally:
            timer.cancel()

    def artifacts(self, image: ImageRef) -> list[Artifact]:
        return self._watch(f"listing {image.repository}", lambda: self.registry.artifacts(image))

    def artifact(self, image: ImageRef, digest: str) -> Optional[Artifact]:
        return self._watch(f"{image.repository}@{digest[:19]}", lambda: self.registry.artifact(image, digest))


def policy_for(project: Project, target: Target, from_env: Optional[str]) -> PromotionSpec:
    policy = target.spec.promotion
    if from_env is not None:
        if not re.fullmatch(r"[a-z][a-z0-9-]*", from_env):
            raise InputError(f"--from {from_env!r}: not a stack name")
        policy = (policy or PromotionSpec()).model_copy(update={"from_environment": from_env})
    if policy is None:
        raise InputError(f"{target.label}: has no `promotion` section, so its images change only by hand; "
                         "declare where they come from (docs/deployment-loop.md) or pass --from ENV")
    field = "--from" if from_env is not None else "promotion.from_environment"
    source = policy.from_environment
    if source == target.stack:
        raise InputError(f"{target.label}: {field} is the stack itself")
    if source is not None:
        if source not in project.stacks():
            raise InputError(f"{target.label}: {field}: no stack {source!r} (stacks: {', '.join(project.stacks())})")
        source_config = stackfile.load_config(project.stack_file(source).read_text(), project.stack_label(source),
                                              project.name)
        if source_config.get("cloud") != target.spec.cloud:
            raise InputError(f"{target.label}: {field}: {source!r} runs on {source_config.get('cloud')!r}, "
                             f"{target.stack} on {target.spec.cloud!r}; digests do not move between clouds' "
                             "registries")
    return policy


def promote(project: Project, stack: str, workloads: list[str], *, from_env: Optional[str] = None,
            digest: Optional[str] = None, dry_run: bool = False, branch: Optional[str] = None,
            render_to: Optional[Path] = None, pack_dir: Optional[Path] = None,
            registries: RegistryFactory = registry_for, now: Optional[datetime] = None,
            allow_older: bool = False, app_repo: Optional[Path] = None,
            deployments: Optional[Path] = None) -> Outcome:
    target = Target.load(project, stack)
    policy = policy_for(project, target, from_env)
    if digest is not None and (len(workloads) != 1 or not DIGEST.match(digest)):
        raise InputError("--digest takes a sha256:<64 hex> digest and exactly one WORKLOAD")
    if app_repo is not None:
        app_repo = gitrepo.toplevel(app_repo)
    known = stackfile.images(target.config)
    keys = [stackfile.find(known, w, target.label) for w in workloads] if workloads else sorted(known)
    source = _Source.load(project, target, policy, deployments) if policy.from_environment else None
    clients = _Registries(registries)
    now = now or datetime.now(UTC)
    held = stackfile.holds(target.config)
    order = _Order(allow_older, app_repo)

    changes: list[Change] = []
    notes: list[str] = []
    refusals: list[str] = []
    for key in keys:
        hold = held.get(str(key))
        if hold is not None:
            why = (f"held since {hold.get('at')} by {hold.get('by')}: {hold.get('reason')} "
                   f"(`stackctl release {stack} {key.name}` lets promotions change it again)")
            (refusals if workloads else notes).append(f"{key}: held: {why}")
            continue
        try:
            change = _pick(target, policy, source, key, known[key], digest, clients, now, order,
                           explicit=bool(workloads))
        except NotReady as exc:
            (refusals if workloads else notes).append(f"{key}: {'' if workloads else 'waiting: '}{exc}")
            continue
        except CredentialsError as exc:
            raise InputError(str(exc)) from None
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
                dry_run=dry_run, branch=branch, render_to=render_to, scope=workloads)


class _Order:
    """Refuse a build older than what the workload runs: by push time, and by the source revisions' commit
    order in the application repository when one is given (`--app-repo`); `--allow-older` lets it through."""

    def __init__(self, allow_older: bool, app_repo: Optional[Path]) -> None:
        self.allow_older, self.app_repo = allow_older, app_repo

    def check(self, current: str, candidate: Artifact, clients: _Registries) -> Optional[str]:
        """A gate note, or `Refused` naming both builds."""
        ref = parse_image(current)
        running_digest = ref.digest
        try:
            if running_digest is None and ref.tag:
                running_digest = next((a.digest for a in clients(ref).artifacts(ref) if ref.tag in a.tags), None)
            running = clients(ref).artifact(ref, running_digest) if running_digest else None
        except CredentialsError:
            raise
        except RegistryError:
            running = None
        if running is None or running.digest == candidate.digest:
            return None
        older = []
        if candidate.pushed_at and running.pushed_at and candidate.pushed_at < running.pushed_at:
            older.append("pushed earlier")
        if self.app_repo is not None and candidate.revision and running.revision \
                and candidate.revision != running.revision:
            if gitrepo.is_ancestor(self.app_repo, candidate.revision, running.revision):
                older.append(f"its revision is an ancestor of the running one in {self.app_repo}")
        if not older:
            return "order"
        if self.allow_older:
            return "order (older build allowed by --allow-older)"
        raise Refused(f"{_describe(candidate)} is older than what runs now, {_describe(running)} "
                      f"({'; '.join(older)}); pass --allow-older to promote it anyway (a rollback is "
                      "`stackctl rollback`)")


def _describe(artifact: Artifact) -> str:
    parts = [f"{_short(artifact.digest)}"]
    if artifact.tags:
        parts.append("tags " + ",".join(artifact.tags))
    if artifact.pushed_at:
        parts.append(f"pushed {artifact.pushed_at:%Y-%m-%d %H:%M:%S %Z}".rstrip())
    if artifact.revision:
        parts.append(f"revision {artifact.revision[:12]}")
    return f"build {parts[0]} ({', '.join(parts[1:])})" if len(parts) > 1 else f"build {parts[0]}"


class _Source:
    """The environment promotion takes digests from: its stack file and image timeline on `origin`'s default
    branch (first parent, as fetched), never the local checkout; for a GitOps source, with when each render
    reached the deployment repository's default branch."""

    def __init__(self, stack: str, label: str, images: dict[WorkloadKey, str],
                 entries: dict[WorkloadKey, list[Entry]], clock: str, gitops: bool = False) -> None:
        self.stack, self.label, self.images, self.entries = stack, label, images, entries
        self.clock, self.gitops = clock, gitops
        self.deployments: Optional[Path] = None
        self.argocd: Optional[tuple[dict, object]] = None   # (Application, settings): verify: argocd

    @staticmethod
    def load(project: Project, target: Target, policy: PromotionSpec, deployments: Optional[Path]) -> _Source:
        stack = policy.from_environment
        file = project.stack_file(stack)
        label = project.stack_label(stack)
        path = gitrepo.relative(target.repo, file)
        ref = gitrepo.default_branch(target.repo)
        if ref is None:
            raise InputError(f"{target.repo}: has no `origin` remote; promotion from {stack} reads {label} on "
                             "origin's default branch (what was merged), not the local checkout")
        branch = ref.removeprefix("refs/remotes/")
        text = gitrepo.show(target.repo, ref, path)
        if text is None:
            raise InputError(f"{label}: not on {branch} (promotion.from_environment of {target.label} is "
                             f"{stack!r}); merge it first")
        config = stackfile.load_config(text, label, project.name)
        entries = timeline(target.repo, path, project.name, rev=ref)
        gitops = config.get("delivery") == "gitops"
        clock = f"{branch} first-parent"
        if gitops and policy.soak_for(target.spec.tier):
            if deployments is None:
                raise InputError(f"{label}: {stack} is delivered by GitOps; soak counts from when its render "
                                 "reached the deployment repository: pass --deployments DIR (a checkout of it)")
            repo = gitrepo.toplevel(deployments)
            deploy_ref = gitrepo.default_branch(repo) or gitrepo.resolve(repo, "refs/heads/main") and "refs/heads/main"
            if not deploy_ref:
                raise InputError(f"{repo}: no default branch (origin's, or main)")
            attach_deployments(entries, repo, rev=deploy_ref, infra=target.repo, infra_rev=ref)
            clock = f"render reached {deploy_ref.removeprefix('refs/remotes/').removeprefix('refs/heads/')} " \
                    "of the deployment repository"
        source = _Source(stack, label, stackfile.images(config), entries, clock, gitops and bool(deployments))
        if policy.verify == "argocd":
            if not source.gitops:
                raise InputError(f"{target.label}: promotion.verify: argocd needs a GitOps source environment and "
                                 f"its deployment repository (--deployments DIR); {stack} is "
                                 f"{config.get('delivery', 'push')}")
            from .verify import fetch_application

            source.deployments = gitrepo.toplevel(deployments)
            source.argocd = (fetch_application(policy.argocd), policy.argocd)
            source.clock += f", Argo CD application {policy.argocd.application} Synced and Healthy"
        return source


def _pick(target: Target, policy: PromotionSpec, source: Optional[_Source], key: WorkloadKey, current: str,
          digest: Optional[str], clients: _Registries, now: datetime, order: _Order,
          explicit: bool) -> Change | str:
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
            wanted, origin = digest, ("registry (digest given by CI)" if _in_ci() else
                                      "registry (digest chosen by hand)")
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
    if source is None:
        gate = order.check(current, artifact, clients)
        if gate:
            gates.append(gate)
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
    raise NotReady(f"{image} is unknown to the registry (no image tagged {image.tag!r}: deleted or moved?); "
                   "pin a digest in the source environment")


def _soak(target: Target, policy: PromotionSpec, source: _Source, key: WorkloadKey, digest: str,
          now: datetime) -> list[str]:
    need = timedelta(minutes=policy.soak_for(target.spec.tier))
    if not need:
        return []
    ran = [e for e in source.entries.get(key, []) if e.digest == digest]
    if not ran:
        raise NotReady(f"{_short(digest)} never ran pinned in {source.stack} ({source.label} has no commit that "
                       f"names this digest on {source.clock.split()[0]}; soak time {duration(need)} applies: "
                       f"promote {source.stack} first)")
    entry = ran[-1]
    since = entry.since
    if source.gitops:
        if entry.deployed_at is None:
            raise NotReady(f"{_short(digest)} has not started soaking in {source.stack}: no render of it reached "
                           "the deployment repository's default branch")
        since = entry.deployed_at
    if source.argocd is not None:
        from .verify import Unverified, verify

        application, settings = source.argocd
        try:
            since = max(since, verify(application, settings, source.deployments, entry.deployed_commit).since)
        except Unverified as exc:
            raise NotReady(f"{_short(digest)}: {exc}") from None
    soaked = max((entry.until or now) - since, timedelta(0))
    if soaked < need:
        raise NotReady(f"{_short(digest)} has run in {source.stack} for {duration(soaked)} (since "
                      f"{since:%Y-%m-%d %H:%M} UTC, commit {entry.commit[:10]}, clock: {source.clock}); "
                      f"{target.stack} needs {duration(need)} of soak time")
    return [f"soak {duration(soaked)} >= {duration(need)} in {source.stack} (clock: {source.clock})"]


def _in_ci() -> bool:
    import os

    return os.environ.get("CI") == "true" or os.environ.get("GITHUB_ACTIONS") == "true"
