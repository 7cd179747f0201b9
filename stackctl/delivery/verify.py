"""Health-verified soak (`promotion.verify: argocd`): read the source environment's Argo CD Application.

Argo CD's API (`GET /api/v1/applications/{name}`, bearer token; swagger `v1alpha1Application`): `status.sync`
(`status`, `revision`), `status.health.status`, and `status.history[]` (`revision`, `deployedAt`, one entry per
sync). The soak of a digest counts from the first sync to a deployment-repository revision that contains its
render, and only while the Application is `Synced` and `Healthy` at such a revision now. Argo CD keeps no
history of health: a Degraded spell that recovered before this reads is not seen; a Degraded or OutOfSync
Application stops the promotion.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Optional
from urllib.parse import quote, urlparse

from components.spec.promotion import ArgoCdVerifySpec
from stackctl.errors import InputError

from . import gitrepo
from .registry.base import ATTEMPTS, READ_TIMEOUT_SECONDS

TOKEN_VARIABLE = "ARGOCD_AUTH_TOKEN"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class Unverified(Exception):
    """The Application does not (yet) show the digest Synced and Healthy; the message says what it shows."""


@dataclass(frozen=True)
class Verified:
    since: datetime        # the first sync to a revision carrying the render
    revision: str


def fetch_application(settings: ArgoCdVerifySpec) -> dict:
    url = urlparse(settings.server)
    if url.scheme != "https" and url.hostname not in _LOOPBACK:
        raise InputError(f"promotion.argocd.server {settings.server!r}: use https (plain http only for 127.0.0.1)")
    token = os.environ.get(TOKEN_VARIABLE)
    if not token:
        raise InputError(f"promotion.verify: argocd needs an Argo CD token in {TOKEN_VARIABLE} (e.g. a project "
                         "role token with applications get); none is set")
    request = urllib.request.Request(
        f"{settings.server.rstrip('/')}/api/v1/applications/{quote(settings.application)}",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    last = ""
    for _ in range(ATTEMPTS):
        try:
            with urllib.request.urlopen(request, timeout=READ_TIMEOUT_SECONDS) as response:  # noqa: S310 - checked
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403):
                raise InputError(f"Argo CD at {settings.server} refused the token in {TOKEN_VARIABLE} "
                                 f"(HTTP {exc.code})") from None
            if exc.code == 404:
                raise InputError(f"Argo CD at {settings.server}: no application {settings.application!r} "
                                 "(promotion.argocd.application)") from None
            last = f"HTTP {exc.code}"
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            last = str(getattr(exc, "reason", exc))
        except json.JSONDecodeError:
            last = "not JSON"
    raise InputError(f"Argo CD at {settings.server} did not answer ({last}; {ATTEMPTS} attempts, "
                     f"{READ_TIMEOUT_SECONDS}s each)")


def verify(application: dict, settings: ArgoCdVerifySpec, deployments: Path, render_commit: str) -> Verified:
    """When the Application first ran a revision containing `render_commit`, if it is Synced and Healthy at
    one now; `Unverified` otherwise."""
    status = application.get("status") or {}
    sync = (status.get("sync") or {}).get("status", "Unknown")
    health = (status.get("health") or {}).get("status", "Unknown")
    revision = (status.get("sync") or {}).get("revision") or ""
    name = settings.application
    if sync != "Synced" or health != "Healthy":
        raise Unverified(f"Argo CD application {name} is {sync} and {health}; soak counts only while it is "
                         "Synced and Healthy")
    if not revision or not gitrepo.is_ancestor(deployments, render_commit, revision):
        raise Unverified(f"Argo CD application {name} runs revision {revision[:10] or 'unknown'}, which does not "
                         f"contain the render {render_commit[:10]} (or is not in {deployments}: fetch it)")
    deployed: Optional[datetime] = None
    for entry in status.get("history") or []:
        at, rev = entry.get("deployedAt"), entry.get("revision") or ""
        if not at or not rev or not gitrepo.is_ancestor(deployments, render_commit, rev):
            continue
        when = datetime.fromisoformat(at.replace("Z", "+00:00"))
        deployed = when if deployed is None or when < deployed else deployed
    if deployed is None:
        raise Unverified(f"Argo CD application {name} has no sync of a revision containing the render "
                         f"{render_commit[:10]} in its history")
    return Verified(deployed, revision)
