"""Rules for the work path: who may put work on a queue (`sends_to`, `queues.<key>.producers`), what a workload
may reach (`egress`, `calls`), shared by the spec loader, the components and the policy pack.

Formats as the clouds define them:
- IAM principals: `arn:<partition>:iam::<12-digit account>:role/<path/name>` or `...:user/<name>` (IAM identifiers,
  "IAM ARNs"); an account's root `arn:<partition>:iam::<account>:root`.
- Event sources SQS accepts through a queue policy with `aws:SourceArn`: SNS topics
  (`arn:<p>:sns:<region>:<account>:<topic>`), EventBridge rules (`arn:<p>:events:<region>:<account>:rule/<name>`,
  optionally `rule/<bus>/<name>`), S3 buckets (`arn:<p>:s3:::<bucket>`).
- GCP IAM members: `serviceAccount:<email>`, `group:<email>`, `user:<email>`; `allUsers` and
  `allAuthenticatedUsers` are public and refused.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Optional

from ..errors import Problem
from .credentials import shown
from .iam import PUBLIC_GCP_MEMBERS, document, statements
from .secrets import existing_secret_problems

if TYPE_CHECKING:  # the spec models import these rules
    from ..spec.environment import EnvironmentSpec
    from ..spec.queue import QueueSpec
    from ..spec.workload import EgressRule, WorkloadSpec

_PARTITION = r"arn:aws(?:-[a-z]+)*"
_AWS_PRINCIPAL = re.compile(rf"^{_PARTITION}:iam::\d{{12}}:(root|(role|user)/[\w+=,.@/-]{{1,512}})$")
S3_SERVICE = "s3.amazonaws.com"
# The service principal that delivers from each kind of source, and the source ARN's shape.
SOURCE_SERVICES = {
    "sns": ("sns.amazonaws.com",
            re.compile(rf"^{_PARTITION}:sns:[a-z0-9-]+:\d{{12}}:[A-Za-z0-9_-]{{1,256}}(\.fifo)?$")),
    "events": ("events.amazonaws.com",
               re.compile(rf"^{_PARTITION}:events:[a-z0-9-]+:\d{{12}}:rule/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?$")),
    "s3": (S3_SERVICE, re.compile(rf"^{_PARTITION}:s3:::[a-z0-9][a-z0-9.-]{{1,61}}[a-z0-9]$")),
}
_GCP_MEMBER = re.compile(r"^(serviceAccount|group|user):[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,}$")
# Ranges that are not on the internet (RFC 1918, RFC 6598 shared address space, IPv6 unique local).
PRIVATE_RANGES = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                    "100.64.0.0/10", "fc00::/7")]
SEND_ACTIONS = ["sqs:SendMessage", "sqs:GetQueueUrl"]
# Condition keys that tie an Allow for everyone or for a service to one source (confused-deputy protection).
SOURCE_CONDITION_KEYS = frozenset({"aws:sourcearn", "aws:sourceaccount", "aws:sourceowner", "aws:principalorgid",
                                   "aws:principalaccount", "aws:principalarn", "aws:sourcevpce", "aws:sourcevpc"})


def source_service(arn: str) -> Optional[str]:
    """The service principal that delivers from source `arn` (`sns.amazonaws.com`, ...), or None."""
    parts = arn.split(":")
    if len(parts) < 6:
        return None
    found = SOURCE_SERVICES.get(parts[2])
    return found[0] if found and found[1].match(arn) else None


def member_suffix(value: str) -> str:
    """A short stable resource-name suffix for a principal or key (8 hex digits of its SHA-256)."""
    return hashlib.sha256(value.encode()).hexdigest()[:8]


def send_variable(queue_key: str) -> str:
    """The environment variable that holds where a producer sends to queue `queue_key`."""
    return "SEND_QUEUE_" + queue_key.upper().replace("-", "_")


def producer_problems(cloud: str, path: str, queue: QueueSpec) -> list[Problem]:
    """Problems with one queue's `producers` (`path` is `queues.<key>`)."""
    problems: list[Problem] = []
    producers = queue.producers
    for index, principal in enumerate(producers.principals):
        where = f"{path}.producers.principals[{index}]"
        if principal in ("*", *PUBLIC_GCP_MEMBERS):
            problems.append(Problem(where, f"{principal!r} admits everyone; name the senders"))
        elif cloud == "aws" and not _AWS_PRINCIPAL.match(principal):
            problems.append(Problem(where, f"{shown(principal)} is not an IAM role or user ARN such as "
                                           "arn:aws:iam::123456789012:role/checkout"))
        elif cloud == "gcp" and not _GCP_MEMBER.match(principal):
            problems.append(Problem(where, f"{shown(principal)} is not an IAM member such as "
                                           "serviceAccount:checkout@my-project.iam.gserviceaccount.com"))
        elif producers.principals.index(principal) != index:
            problems.append(Problem(where, f"{principal!r} is listed twice"))
    for index, source in enumerate(producers.sources):
        where = f"{path}.producers.sources[{index}]"
        if cloud != "aws":
            problems.append(Problem(where, "only applies on aws (SNS, EventBridge, S3 by ARN); on gcp grant the "
                                           "sender's service account in producers.principals"))
        elif source_service(source) is None:
            problems.append(Problem(where, f"{shown(source)} is not an SNS topic, EventBridge rule or S3 bucket ARN "
                                           "(arn:aws:sns:<region>:<account>:<topic>, "
                                           "arn:aws:events:<region>:<account>:rule/<name>, arn:aws:s3:::<bucket>)"))
        elif producers.sources.index(source) != index:
            problems.append(Problem(where, f"{source!r} is listed twice"))
        elif source_service(source) == S3_SERVICE and queue.fifo:
            # "FIFO queues are not allowed when enabling an SQS queue as the event notification destination"
            # (CloudFormation reference, AWS::S3::Bucket QueueConfiguration).
            problems.append(Problem(where, "S3 cannot notify a FIFO queue (fifo: true); use a standard queue, or "
                                           "EventBridge in between"))
    if producers.bucket_owner is not None:
        if cloud != "aws":
            problems.append(Problem(f"{path}.producers.bucket_owner", "only applies on aws (S3 bucket sources)"))
        elif not any(source_service(s) == S3_SERVICE for s in producers.sources):
            problems.append(Problem(f"{path}.producers.bucket_owner", "names the owner of S3 buckets, but sources "
                                                                      "lists none (arn:aws:s3:::<bucket>)"))
    return problems


def _private(network: Any) -> bool:
    return any(network.version == block.version and network.subnet_of(block) for block in PRIVATE_RANGES)


def own_networks(spec: EnvironmentSpec) -> list[Any]:
    """The environment's own address ranges (nodes; pods and services on GKE; pods share the VPC on EKS)."""
    network = spec.network
    if spec.cloud == "aws":
        cidrs = [] if network.existing_vpc is not None else [network.cidr]
    else:
        cidrs = [] if network.existing_network is not None else [network.cidr, network.pods_cidr,
                                                                 network.services_cidr]
    found = []
    for cidr in cidrs:
        try:
            found.append(ipaddress.ip_network(cidr))
        except ValueError:
            continue  # reported by the network rules
    return found


def egress_problems(path: str, rules: list[EgressRule], spec: EnvironmentSpec) -> list[Problem]:
    """Problems with a workload's `egress` (`path` is the workload's field path)."""
    problems: list[Problem] = []
    own = own_networks(spec)
    for index, rule in enumerate(rules):
        where = f"{path}.egress[{index}]"
        if not rule.ports:
            problems.append(Problem(f"{where}.ports", "list at least one port (a rule never opens every port)"))
        for number, port in enumerate(rule.ports):
            if not 1 <= port <= 65535:
                problems.append(Problem(f"{where}.ports[{number}]", f"must be between 1 and 65535 (got {port})"))
        try:
            network = ipaddress.ip_network(rule.cidr)
        except ValueError:
            problems.append(Problem(f"{where}.cidr", f"{shown(rule.cidr)} is not an address range such as "
                                                     "10.20.0.0/16 (network address, no host bits)"))
            continue
        if spec.tier != "prod" or rule.allow_broad:
            continue
        if not _private(network):
            problems.append(Problem(f"{where}.cidr", f"{rule.cidr} is public (not a private range); prod needs "
                                                     "allow_broad: true to let pods reach it"))
        overlapping = [str(n) for n in own if n.version == network.version and n.overlaps(network)]
        if overlapping:
            problems.append(Problem(f"{where}.cidr", f"{rule.cidr} overlaps the environment's own network "
                                                     f"({', '.join(overlapping)}: its nodes and pods); name the "
                                                     "destination's own range, or set allow_broad: true"))
    return problems


def _effective_workloads(spec: EnvironmentSpec) -> Iterator[tuple[str, WorkloadSpec, Optional[frozenset[str]]]]:
    """(path, effective workload, fields the author wrote there or None for all) of every service and job."""
    from ..spec.resolve import job_workload

    for name, service in spec.services.items():
        yield f"services.{name}", service, None
    for name, job in spec.jobs.items():
        if job.service is not None and job.service not in spec.services:
            continue  # reported by the workload rules
        own = frozenset(job.model_fields_set) if job.service is not None else None
        yield f"jobs.{name}", job_workload(job, spec.services), own


def work_path_problems(spec: EnvironmentSpec) -> list[Problem]:
    """Every `sends_to`, `calls`, `egress`, `expose_to` and `existing_secrets` entry of an environment (queue
    producers are queue rules)."""
    problems: list[Problem] = []
    queues = ", ".join(sorted(spec.queues)) or "none"
    exposed = sorted(name for name, service in spec.services.items() if service.expose and service.ports)
    for path, workload, own in _effective_workloads(spec):
        if own is None or "sends_to" in own:
            for index, queue in enumerate(workload.sends_to):
                if queue not in spec.queues:
                    problems.append(Problem(f"{path}.sends_to[{index}]",
                                            f"no queue named {queue!r} in queues (queues: {queues})"))
        if own is None or "egress" in own:
            problems.extend(egress_problems(path, workload.egress, spec))
        if own is None or "calls" in own:
            for index, target in enumerate(workload.calls):
                where = f"{path}.calls[{index}]"
                if target not in spec.services:
                    known = ", ".join(sorted(spec.services)) or "none"
                    problems.append(Problem(where, f"no service named {target!r} (services: {known})"))
                elif target not in exposed:
                    problems.append(Problem(where, f"service {target!r} is not exposed (expose: true with ports), "
                                                   f"so nothing can call it (exposed services: "
                                                   f"{', '.join(exposed) or 'none'})"))
                elif path == f"services.{target}":
                    problems.append(Problem(where, "a service reaches its own pods without calls"))
    # A producer on a queue nothing here consumes is a queue that only fills: most often a mistyped key, which
    # would otherwise declare a new queue.
    consumed = {workload.queue for _, workload, _ in _effective_workloads(spec)}
    if spec.cluster is not None:
        for key, queue in sorted(spec.queues.items()):
            if (queue.producers.principals or queue.producers.sources) and key not in consumed:
                problems.append(Problem(f"queues.{key}.producers", f"no service or job consumes queue {key!r} "
                                                                   f"(queue: {key}), so its messages would only "
                                                                   "pile up; is the queue key mistyped?"))
    # One bucket, one owner: queues on the environment's key share one key policy, where a bucket is admitted
    # with its owner's account.
    owners: dict[str, tuple[str, str]] = {}
    for key, queue in sorted(spec.queues.items()):
        for index, source in enumerate(queue.producers.sources):
            if source_service(source) != S3_SERVICE:
                continue
            owner = queue.producers.bucket_owner or "the queue's account"
            first = owners.setdefault(source, (key, owner))
            if first[1] != owner:
                problems.append(Problem(f"queues.{key}.producers.sources[{index}]",
                                        f"{source} is owned by {owner} here but by {first[1]} in queues.{first[0]} "
                                        "(bucket_owner): a bucket has one owner"))
    problems.extend(existing_secret_problems(spec))
    for name, service in spec.services.items():
        if service.expose_to and not service.expose:
            problems.append(Problem(f"services.{name}.expose_to",
                                    "only applies to an exposed service (expose: true): nothing admits callers"))
    return problems


# --- over rendered resources (the policy pack) --------------------------------------------------------------

def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value] if value is not None else []


def unscoped_allow_statements(doc: Any) -> list[dict]:
    """Allow statements of a resource policy for everyone (`*`) or for an AWS service that no source condition
    (`aws:SourceArn`, `aws:SourceAccount`, ...) narrows: anyone, or any customer of the service, could send."""
    found = []
    for statement in statements(document(doc)):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        everyone = principal == "*" or (isinstance(principal, dict) and "*" in _as_list(principal.get("AWS")))
        service = isinstance(principal, dict) and bool(principal.get("Service"))
        if not (everyone or service):
            continue
        keys = {key.lower() for operator in (statement.get("Condition") or {}).values()
                if isinstance(operator, dict) for key in operator}
        if not keys & SOURCE_CONDITION_KEYS:
            found.append(statement)
    return found


def send_grant_targets(doc: Any) -> list[str]:
    """The resources an identity policy allows `sqs:SendMessage` on."""
    targets: list[str] = []
    for statement in statements(document(doc)):
        if statement.get("Effect") == "Allow" and "sqs:SendMessage" in _as_list(statement.get("Action")):
            targets += [str(r) for r in _as_list(statement.get("Resource"))]
    return targets
