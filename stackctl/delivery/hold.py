"""`stackctl hold` / `stackctl release`: keep promotions away from one workload, or let them back.

A hold is desired state like an image: `promotion.holds.<services|jobs>.<name>` in the stack file (who, when,
why), set and cleared by a reviewed commit with trailers. `stackctl rollback` sets one in its own commit;
`stackctl promote` reports a held workload as `held` and leaves it alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Optional

from stackctl.engine.project import Project
from stackctl.errors import InputError

from . import gitrepo, stackfile
from .desired import Outcome, Target, branch_for, promoter, write
from .history import TRAILER_ACTION, TRAILER_PROMOTED_BY, TRAILER_REASON, TRAILER_STACK, TRAILER_WORKLOAD
from .stackfile import WorkloadKey


def _key(target: Target, workload: str) -> WorkloadKey:
    known = {**stackfile.images(target.config)}
    for held in stackfile.holds(target.config):
        kind, _, name = held.partition(".")
        known.setdefault(WorkloadKey(kind, name), "")
    return stackfile.find(known, workload, target.label)


def hold(project: Project, stack: str, workload: str, *, reason: Optional[str], dry_run: bool = False,
         branch: Optional[str] = None) -> Outcome:
    if not reason or not reason.strip():
        raise InputError("--reason is required: say why promotions must leave the workload alone")
    target = Target.load(project, stack)
    key = _key(target, workload)
    record = {"by": gitrepo.identity(target.repo), "at": f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}",
              "reason": reason.strip()}
    return _land(target, "hold", key, record, dry_run, branch, f"hold {key}: {record['reason']}")


def release(project: Project, stack: str, workload: str, *, dry_run: bool = False,
            branch: Optional[str] = None) -> Outcome:
    target = Target.load(project, stack)
    key = _key(target, workload)
    current = stackfile.holds(target.config).get(str(key))
    if current is None:
        outcome = Outcome("release", stack, target.label, [], [f"{key}: not held; nothing to release"], dry_run)
        return outcome
    return _land(target, "release", key, None, dry_run, branch,
                 f"release {key} (held since {current.get('at')} by {current.get('by')}: {current.get('reason')})")


def _land(target: Target, action: str, key: WorkloadKey, record: Optional[dict], dry_run: bool,
          branch: Optional[str], edit: str) -> Outcome:
    text = stackfile.set_hold(target.text, key, record, target.label, target.project.name)
    stackfile.environment(stackfile.load_config(text, target.label, target.project.name), target.label)
    outcome = Outcome(action, target.stack, target.label, [], [], dry_run, edits=[edit])
    reason = record["reason"] if record else edit
    subject = f"{action} {target.stack}: {key}" + (f": {record['reason']}" if record else "")
    trailers = [(TRAILER_ACTION, action), (TRAILER_STACK, target.stack), (TRAILER_WORKLOAD, str(key)),
                (TRAILER_REASON, reason.replace("\n", " ")), (TRAILER_PROMOTED_BY, promoter(target.repo))]
    body = ("Promotions leave this workload alone until `stackctl release`." if record else
            "Promotions may change this workload again.")
    message = f"{subject[:200]}\n\n{body}\n\n{gitrepo.format_trailers(trailers)}\n"
    return write(target, outcome, [(text, message)], branch or branch_for(action, target.stack, [key.name]))
