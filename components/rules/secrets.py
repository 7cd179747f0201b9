"""Rules for `secret_env` entries: a Kubernetes Secret or a secret in the cloud's secret manager.

Names as the clouds define them:
- AWS Secrets Manager (CreateSecret `Name`): 1-512 ASCII letters, digits and `/_+=.@-`; a name should not end
  with `-` and six characters, since Secrets Manager appends `-` and six random characters to the ARN and a
  partial-ARN match would be ambiguous (which also keeps the IAM grant `<name>-??????` exact).
- GCP Secret Manager (CreateSecret `secret_id`): 1-255 letters, digits, `-` and `_`; versions are `latest`
  or a positive version number.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .credentials import shown
from .kubernetes import dns_subdomain_problem, secret_key_problem

if TYPE_CHECKING:  # the spec models import these rules
    from ..spec.workload import SecretRef

_AWS_SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
_AWS_RANDOM_SUFFIX_LOOKALIKE = re.compile(r"-[A-Za-z0-9]{6}$")
_GCP_SECRET_ID = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_GCP_VERSION = re.compile(r"^(latest|[1-9][0-9]*)$")
# A JSON property ESO extracts (`remoteRef.property`, gjson path): keep it to plain keys and dots.
_PROPERTY = re.compile(r"^[A-Za-z0-9_.-]{1,253}$")
# ESO reads an AWS `version` as a version stage (`AWSCURRENT`, `AWSPREVIOUS`, custom labels) unless it is
# `uuid/<VersionId>` (external-secrets v2.9.0 docs/provider/aws-secrets-manager.md, "Secret Versions").
_AWS_VERSION = re.compile(r"^(uuid/[0-9A-Fa-f-]{32,64}|[A-Za-z0-9_.-]{1,256})$")


def secret_ref_problems(ref: SecretRef, cloud: str) -> list[tuple[str, str]]:
    """(field, message) for each problem of one `secret_env` entry in an environment on `cloud`."""
    sources = [field for field in ("secret", "aws_secret", "gcp_secret") if getattr(ref, field) is not None]
    if len(sources) != 1:
        found = f"got {', '.join(sources)}" if sources else "got none"
        return [("", f"set exactly one of secret (a Kubernetes Secret), aws_secret or gcp_secret ({found})")]
    problems: list[tuple[str, str]] = []
    if ref.secret is not None:
        problem = dns_subdomain_problem(ref.secret)
        if problem:
            problems.append(("secret", f"Secret name {shown(ref.secret)} {problem}"))
        if ref.key is None:
            problems.append(("key", "required with secret: the key inside the Kubernetes Secret"))
        else:
            problem = secret_key_problem(ref.key)
            if problem:
                problems.append(("key", f"Secret key {shown(ref.key)} {problem}"))
        if ref.version is not None:
            problems.append(("version", "only applies to aws_secret or gcp_secret"))
        return problems
    field = sources[0]
    wanted = field.split("_")[0]
    if wanted != cloud:
        problems.append((field, f"this environment's cloud is {cloud!r}: use "
                                f"{'aws_secret' if cloud == 'aws' else 'gcp_secret'}"))
    name = ref.cloud_secret or ""
    if field == "aws_secret":
        if not _AWS_SECRET_NAME.match(name):
            problems.append((field, f"AWS secret name {shown(name)} must be 1-512 letters, digits or /_+=.@-"))
        elif _AWS_RANDOM_SUFFIX_LOOKALIKE.search(name):
            problems.append((field, f"AWS secret name {shown(name)} must not end with '-' and six characters "
                                    "(Secrets Manager appends such a suffix to every secret's ARN)"))
        if ref.version is not None and not _AWS_VERSION.match(ref.version):
            problems.append(("version", f"must be a version stage such as AWSCURRENT or uuid/<version id> "
                                        f"(got {shown(ref.version)})"))
    else:
        if not _GCP_SECRET_ID.match(name):
            problems.append((field, f"GCP secret id {shown(name)} must be 1-255 letters, digits, '-' or '_'"))
        if ref.version is not None and not _GCP_VERSION.match(ref.version):
            problems.append(("version", f"must be 'latest' or a version number (got {shown(ref.version)})"))
    if ref.key is not None and not _PROPERTY.match(ref.key):
        problems.append(("key", f"JSON property {shown(ref.key)} must be letters, digits, '_', '-' or '.'"))
    return problems


def uses_cloud_secrets(spec) -> bool:  # noqa: ANN001 (EnvironmentSpec; the spec models import these rules)
    """Whether any service or job reads a secret from the cloud's secret manager (ESO is then installed)."""
    workloads = [*spec.services.values(), *spec.jobs.values()]
    return any(ref.cloud_secret is not None for workload in workloads
               for ref in [*workload.secret_env.values(), *workload.secret_files.values()])


def existing_secret_problems(spec) -> list:  # noqa: ANN001 (EnvironmentSpec; the spec models import these rules)
    """`existing_secrets`: names the cloud accepts, each read by some workload (else the entry says nothing)."""
    from ..errors import Problem
    from ..spec.resolve import job_workload

    workloads = [*spec.services.values(), *(job_workload(job, spec.services) for job in spec.jobs.values())]
    read = {ref.cloud_secret for workload in workloads
            for ref in [*workload.secret_env.values(), *workload.secret_files.values()]}
    problems = []
    for index, name in enumerate(spec.existing_secrets):
        path = f"existing_secrets[{index}]"
        valid = _AWS_SECRET_NAME.match(name) if spec.cloud == "aws" else _GCP_SECRET_ID.match(name)
        if not valid:
            problems.append(Problem(path, f"{shown(name)} is not a secret name on {spec.cloud}"))
        elif name not in read:
            problems.append(Problem(path, f"no service or job reads {name!r} (aws_secret / gcp_secret); remove it"))
    return problems
