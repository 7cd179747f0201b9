"""GKE Binary Authorization for prod: deny every image except the platform's own registries.

The project's singleton policy (`gcp.binaryauthorization.Policy`, one per project: the API's
`projects/<p>/policy`) denies by default (`ALWAYS_DENY`, enforced with an audit log) and exempts:
- Google-maintained system images through the global policy (`global_policy_evaluation_mode: ENABLE`), so
  GKE's own kube-system workloads keep running;
- the repositories of the environment's workload images (`<repository>@*`: prod pins every image by digest,
  rule `k8s-image-pinned`);
- the images of the pinned add-on charts (`CHART_IMAGE_REPOSITORIES`).
A pattern's trailing `*` does not cross a `/` ("gcr.io/nginx* matches gcr.io/nginx@latest, but it does not
match gcr.io/nginx/image"; google.cloud.binaryauthorization.v1beta1 AdmissionWhitelistPattern reference).
The cluster enforces it with `binary_authorization.evaluation_mode: PROJECT_SINGLETON_POLICY_ENFORCE`.
Deleting the resource puts the API's default policy back (allow all; terraform-provider-google
resource_binary_authorization_policy.go DefaultBinaryAuthorizationPolicy), so a destroy never leaves a
project that rejects everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Optional

import pulumi

from ..cloud_sdks import gcp
from ..versions import ARGOCD_IMAGE_REPOSITORIES

EVALUATION_MODE = "PROJECT_SINGLETON_POLICY_ENFORCE"

# Image repositories of the charts pinned in components/versions.py:
# - argo-cd: set in its values (versions.ARGOCD_IMAGE_REPOSITORIES), so no chart default decides them. Which
#   pods run which of them was read in argoproj/argo-helm charts/argo-cd @ af0a9310 (chart 10.1.1, 2 July 2026);
#   no snapshot of the pinned 10.3.3 could be read: re-check with `helm template` when the pin moves. With this
#   project's values (components/addons/argocd.py: dex disabled; redis exporter, extension installer and redis-ha
#   exporter off by default) the pods run `global.image.repository` (server, repo server, controllers,
#   notifications, the redis secret-init Job), `redis.image` (dev) or, with `redis-ha.enabled` (prod),
#   `redis-ha.image` and `redis-ha.haproxy.image` (DandyDeveloper/charts charts/redis-ha @ 2e2539a8, chart 4.38.0,
#   the version argo-cd 10.1.1 locks: its shellcheck image runs only under `helm test`; the sysctl busybox init
#   container, the exporter and the s3cmd/openssh restore containers are off unless configured).
# - keda (kedacore/charts keda/values.yaml @ chart 2.20.2): registry `ghcr.io`, repositories kedacore/keda,
#   keda-metrics-apiserver, keda-admission-webhooks.
# - external-secrets (external-secrets/external-secrets deploy/charts/external-secrets/values.yaml): the
#   controller, webhook and cert controller all run ghcr.io/external-secrets/external-secrets.
CHART_IMAGE_REPOSITORIES = (
    *ARGOCD_IMAGE_REPOSITORIES.values(),
    "ghcr.io/kedacore/keda",
    "ghcr.io/kedacore/keda-metrics-apiserver",
    "ghcr.io/kedacore/keda-admission-webhooks",
    "ghcr.io/external-secrets/external-secrets",
)


def image_repository(image: str) -> str:
    """`host/path[:tag][@digest]` -> `host/path`; Docker Hub short names get their full `docker.io` form."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    first = name.split("/", 1)[0]
    if "/" not in name:
        return f"docker.io/library/{name}"
    if "." not in first and ":" not in first and first != "localhost":
        return f"docker.io/{name}"
    return name


def whitelist_patterns(workload_images: Iterable[str]) -> list[str]:
    """Admission allowlist patterns: each workload repository by digest, each chart repository by tag or digest."""
    patterns = {f"{image_repository(image)}@*" for image in workload_images}
    for repository in CHART_IMAGE_REPOSITORIES:
        patterns |= {f"{repository}:*", f"{repository}@*"}
    return sorted(patterns)


def project_policy(name: str, project: str, workload_images: Iterable[str],
                   opts: Optional[pulumi.ResourceOptions] = None) -> gcp.binaryauthorization.Policy:
    return gcp.binaryauthorization.Policy(
        name,
        project=project,
        description="Managed by the platform: deny all images except the environment's registries (prod).",
        global_policy_evaluation_mode="ENABLE",
        default_admission_rule=gcp.binaryauthorization.PolicyDefaultAdmissionRuleArgs(
            evaluation_mode="ALWAYS_DENY", enforcement_mode="ENFORCED_BLOCK_AND_AUDIT_LOG"),
        admission_whitelist_patterns=[
            gcp.binaryauthorization.PolicyAdmissionWhitelistPatternArgs(name_pattern=pattern)
            for pattern in whitelist_patterns(workload_images)],
        opts=opts,
    )
