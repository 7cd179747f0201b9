"""Names after prefixing: what the clouds and Kubernetes accept, and no two resources sharing one name.

The stack name (the environment) and the project name become parts of physical names, labels and Kubernetes
object names, so they are checked here together with the map keys they are combined with.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING

from ..errors import Problem
from ..naming import bounded, cluster_name, dead_letter_name, gcp_account_id, irsa_role_name, queue_name

if TYPE_CHECKING:  # the spec models import these rules
    from ..spec.environment import EnvironmentSpec

ENVIRONMENT_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_SQS_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_PUBSUB_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9._~+%-]{2,254}$")
_EKS_CLUSTER = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
_GKE_CLUSTER = re.compile(r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$")
_GCE_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_GCP_ACCOUNT_ID = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
# GCP label values: lowercase letters (international ones too), digits, '_' and '-', at most 63.
_GCP_LABEL_VALUE_MAX = 63
# Argo CD writes the Application name into a label value on every object it manages (at most 63).
_ARGO_APP_NAME_MAX = 63


def gcp_label_value_problem(value: str) -> str | None:
    if len(value) > _GCP_LABEL_VALUE_MAX or not all(c.isdigit() or c in "_-" or c.islower() for c in value):
        return f"GCP label values are at most {_GCP_LABEL_VALUE_MAX} lowercase letters, digits, '_' or '-'"
    return None


_AWS_TAG_VALUE = re.compile(r"^[\w\s.:/=+\-@]{0,256}$")


def aws_tag_value_problem(value: str) -> str | None:
    if not _AWS_TAG_VALUE.match(value):
        return "AWS tag values are at most 256 letters, digits, spaces or _ . : / = + - @"
    return None


def environment_name_problems(environment: str, project: str, spec: EnvironmentSpec) -> list[Problem]:
    """The stack name and project name as they end up in names (reported without a field path)."""
    problems: list[Problem] = []
    if not ENVIRONMENT_NAME.match(environment) or len(environment) > 63:
        problems.append(Problem("", f"stack name {environment!r} must be at most 63 lowercase letters, digits or "
                                    "'-', starting with a letter: it names cloud resources and Kubernetes objects"))
        return problems
    cluster = cluster_name(project, environment)
    if spec.cluster is not None:
        if spec.cloud == "aws" and not _EKS_CLUSTER.match(cluster):
            problems.append(Problem("", f"the EKS cluster name {cluster!r} (<project>-<stack>) must be at most 100 "
                                        "letters, digits, '-' or '_'"))
        if spec.cloud == "gcp" and not _GKE_CLUSTER.match(cluster):
            problems.append(Problem("", f"the GKE cluster name {cluster!r} (<project>-<stack>) is {len(cluster)} "
                                        "characters; GKE allows at most 40 lowercase letters, digits or '-': "
                                        "use a shorter stack or project name"))
    if spec.cloud == "gcp":
        for label, value in (("environment", environment), ("pulumi-project", project)):
            problem = gcp_label_value_problem(value)
            if problem:
                problems.append(Problem("", f"the built-in label {label}={value!r}: {problem}"))
    return problems


def queue_name_problems(environment: str, spec: EnvironmentSpec) -> list[Problem]:
    """Physical queue names: valid on the cloud, and no two queues (or dead-letter queues) sharing one."""
    problems: list[Problem] = []
    owners: dict[str, list[str]] = defaultdict(list)
    for key, queue in sorted(spec.queues.items()):
        main = queue_name(environment, key)
        suffix = ".fifo" if spec.cloud == "aws" and queue.fifo else ""
        for physical, role in ((main + suffix, f"queues.{key}"),
                               (dead_letter_name(main) + suffix, f"the dead-letter queue of queues.{key}")):
            owners[physical].append(role)
            valid = _SQS_NAME.match(physical.removesuffix(".fifo")) and len(physical) <= 80 if spec.cloud == "aws" \
                else _PUBSUB_NAME.match(physical) and not physical.startswith("goog")
            if not valid:
                limit = "at most 80 letters, digits, '-' or '_' (SQS)" if spec.cloud == "aws" else \
                    "3-255 characters starting with a letter, not 'goog' (Pub/Sub)"
                problems.append(Problem(f"queues.{key}", f"its name {physical!r} is not a valid queue name: {limit}"))
    for physical, roles in owners.items():
        if len(roles) > 1:
            first, *others = roles
            for other in others:
                key = other.removeprefix("the dead-letter queue of ")
                problems.append(Problem(key, f"its queue name {physical!r} collides with {first}; rename one"))
    return problems


def workload_identity_problems(environment: str, project: str, spec: EnvironmentSpec) -> list[Problem]:
    """Cloud identities of workloads (and KEDA) must have distinct, valid names."""
    if spec.cluster is None:
        return []
    from ..spec.resolve import job_namespace, service_namespace

    placements = [(f"services.{key}", service_namespace(key, s), key) for key, s in sorted(spec.services.items())]
    placements += [(f"jobs.{key}", job_namespace(key, j, spec.services), key) for key, j in sorted(spec.jobs.items())]
    owners: dict[str, list[str]] = defaultdict(list)
    problems: list[Problem] = []
    cluster = cluster_name(project, environment)
    if spec.cloud == "aws":
        owners[irsa_role_name(cluster, "keda", "keda-operator")].append("KEDA's operator")
        for path, namespace, key in placements:
            owners[irsa_role_name(cluster, namespace, key)].append(path)
        what = "IAM role"
    else:
        owners[gcp_account_id(f"{environment}-keda-operator")].append("KEDA's operator")
        owners[bounded(f"{cluster}-nodes", 30)].append("the cluster's node service account")
        for path, _, key in placements:
            account = gcp_account_id(f"{environment}-{key}")
            owners[account].append(path)
            if not _GCP_ACCOUNT_ID.match(account):
                problems.append(Problem(path, f"its Google service account id {account!r} (<stack>-<name>) must be "
                                              "6-30 lowercase letters, digits or '-': use a longer name"))
        what = "Google service account"
    for physical, roles in sorted(owners.items()):
        for other in roles[1:]:
            problems.append(Problem(other, f"its {what} {physical!r} collides with the one of {roles[0]}; "
                                           "rename one or move it to another namespace"))
    return problems


def gitops_name_problems(environment: str, spec: EnvironmentSpec) -> list[Problem]:
    if spec.delivery != "gitops":
        return []
    problems = []
    for section, keys in (("services", spec.services), ("jobs", spec.jobs)):
        for key in sorted(keys):
            app = f"{environment}-{key}"
            if len(app) > _ARGO_APP_NAME_MAX:
                problems.append(Problem(f"{section}.{key}", f"its Argo CD Application {app!r} is longer than "
                                                            f"{_ARGO_APP_NAME_MAX} characters"))
    return problems


def naming_problems(environment: str, project: str, spec: EnvironmentSpec) -> list[Problem]:
    problems = environment_name_problems(environment, project, spec)
    if problems:
        return problems
    return (queue_name_problems(environment, spec) + workload_identity_problems(environment, project, spec)
            + gitops_name_problems(environment, spec))
