"""Desired state of one environment: the root of a stack file."""

from __future__ import annotations

import re
from typing import ClassVar, Literal, Optional

from pydantic import Field, field_validator

from ..errors import Problem
from ..rules.argocd import argocd_problems
from ..rules.bootstrap import bootstrap_problems
from ..rules.capacity import capacity_problems
from ..rules.clusters import cluster_problems
from ..rules.names import aws_tag_value_problem, gcp_label_value_problem, naming_problems
from ..rules.network import network_problems
from ..rules.operator import operator_problems
from ..rules.placement import placement_problems
from ..rules.queues import queue_problems
from ..rules.stateful import adopt_problems
from ..rules.work_path import work_path_problems
from ..rules.workloads import workloads_problems
from .allow_destroy import AllowDestroyList
from .argocd import ArgoCdSpec
from .base import Name, StrictModel
from .cluster import ClusterSpec
from .network import NetworkSpec
from .operator import OperatorSpec
from .promotion import PromotionSpec
from .queue import QueueSpec
from .workload import JobSpec, ServiceSpec

Cloud = Literal["aws", "gcp"]
Tier = Literal["dev", "staging", "prod"]

_AWS_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_GCP_REGION = re.compile(r"^[a-z]+-[a-z]+\d+$")
_GCP_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


class EnvironmentSpec(StrictModel):
    """Everything one environment (one stack) declares.

    In a stack file these are the keys in the project's config namespace, for example
    `platform:cloud: aws`, or written without the prefix inside `config:` of `stacks/Pulumi.<env>.yaml`.
    """

    # Config keys whose values are secrets (`pulumi config set --secret`). They are read as secret
    # Outputs, never validated into this model, so their values cannot leak into error messages.
    SECRET_KEYS: ClassVar[frozenset[str]] = frozenset({"argocd_repo_password", "argocd_repo_ssh_key"})

    cloud: Cloud = Field(description="Which cloud the environment runs on: `aws` or `gcp`. Required.")
    region: str = Field(
        description="Cloud region for every regional resource, e.g. `us-east-1` or `europe-west1`. Required."
    )
    tier: Tier = Field(
        description=(
            "Environment tier. Drives safe defaults: `prod` turns on deletion protection, high "
            "availability and stricter policy. Required."
        )
    )
    gcp_project: Optional[str] = Field(
        None,
        description="GCP project id that owns the environment's resources. Required when cloud is gcp; default unset.",
    )
    aws_account_id: Optional[str] = Field(
        None,
        description=(
            "AWS: the account this environment lives in. Pulumi refuses to touch any other account (provider "
            "`allowed_account_ids`), and offline renders use it in ARNs. Default unset."
        ),
    )
    aws_role_permissions_boundary: Optional[str] = Field(
        None,
        pattern=r"^arn:aws[a-z-]*:iam::\d{12}:policy/.+$",
        description=(
            "AWS: the managed policy every IAM role this stack creates carries as its permissions boundary. The "
            "deploying identity may create roles only with it (deploy/ci-identity/), so it cannot grant a role, or "
            "itself, more. Default `arn:<partition>:iam::<account>:policy/platform-role-boundary` (the boundary "
            "deploy/ci-identity/aws-role-boundary.json, created once per account)."
        ),
    )
    aws_keep_role_paths: bool = Field(
        False,
        description=(
            "AWS, for a stack deployed before roles moved to `/platform/<environment>/`: keep its existing roles "
            "where they are (`ignore_changes` on their path) instead of replacing them, and with them the EKS "
            "cluster and node groups. New roles still go on the path. The deployer then also needs a statement "
            "naming those roles' ARNs exactly: `stackctl legacy-roles <stack> --state <pulumi stack export>` "
            "prints it (docs/bootstrap.md, Upgrading). Default false."
        ),
    )
    delivery: Literal["push", "gitops"] = Field(
        "push",
        description=(
            "How Kubernetes objects reach the cluster: `push` (Pulumi applies them) or `gitops` (they are "
            "rendered into the deployment repository and Argo CD pulls them; needs `argocd`). Default `push`."
        ),
    )
    argocd: Optional[ArgoCdSpec] = Field(
        None, description="Install Argo CD and bootstrap GitOps from the deployment repository. Default unset."
    )
    infra_delivery: Literal["push", "operator"] = Field(
        "push",
        description=(
            "Who runs `pulumi up` for this stack: `push` (CI, with its cloud identity) or `operator` (the Pulumi "
            "Kubernetes Operator in a management cluster pulls this repository and reconciles, with drift "
            "correction; needs `operator`; `stackctl render` writes its `Stack`). Default `push`."
        ),
    )
    operator: Optional[OperatorSpec] = Field(
        None,
        description="Operator delivery: repository, backend, secrets provider and identity. Default unset.",
    )
    labels: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Extra tags (AWS) or labels (GCP) on every taggable resource, next to the built-in "
            "`environment`, `tier` and `managed-by` ones. Default none."
        ),
    )
    queues: dict[Name, QueueSpec] = Field(
        default_factory=dict,
        description="Work queues keyed by name; each gets a dead-letter queue. Default none.",
    )
    network: NetworkSpec = Field(
        default_factory=NetworkSpec,
        description="The network the cluster runs in. Default: a new one with the defaults of each field.",
    )
    cluster: Optional[ClusterSpec] = Field(
        None,
        description="The managed Kubernetes cluster (EKS on aws, GKE on gcp). Default unset: no cluster.",
    )
    services: dict[Name, ServiceSpec] = Field(
        default_factory=dict,
        description="Long-running services keyed by name; queue-driven ones scale on queue length. Default none.",
    )
    jobs: dict[Name, JobSpec] = Field(
        default_factory=dict,
        description="Batch jobs keyed by name: scheduled, on demand, or one Job per queue message. Default none.",
    )
    existing_secrets: list[str] = Field(
        default_factory=list,
        description=(
            "Cloud secrets (`aws_secret` names, `gcp_secret` ids) that workloads read and that exist already, "
            "created outside this stack: the program grants on them by name and does not create them. Every "
            "other secret a workload reads gets its container created by the program (AWS Secrets Manager, with "
            "the environment's key in prod; GCP Secret Manager, replicated in the region), never a value: "
            "values are set out of band (docs/bootstrap.md). Default none."
        ),
    )
    allow_destroy: AllowDestroyList = Field(
        default_factory=list,
        description=(
            "Stateful or protected resources this change may delete or replace, each by its URN or its "
            "resource name as `stackctl diff` shows it: the acknowledgement `stackctl diff --deny-destroy` "
            "needs. Remove the entries once the change is applied. Default none."
        ),
    )

    adopt_retained: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Re-create after a destroy: resources the last destroy kept in the cloud (queues, topics, "
            "subscriptions and their keys, retained on delete in prod), keyed `<type>::<name>`, each with its "
            "cloud id. The next `pulumi up` adopts them (the `import` resource option) instead of creating them "
            "again (which fails: the names are taken). `stackctl import-retained <stack> --state <export>` "
            "prints this block. Remove it after that run. Default none."
        ),
    )

    gcp_enable_apis: bool = Field(
        True,
        description=(
            "GCP: enable the service APIs this environment uses (never disabled on destroy) and create the "
            "service agents its grants name, each before its first user. Set false where the organisation "
            "enables APIs centrally: then the APIs listed in docs/bootstrap.md and the GKE and Pub/Sub service "
            "agents must exist before `pulumi up`. Default true."
        ),
    )

    promotion: Optional[PromotionSpec] = Field(
        None,
        description=(
            "Where `stackctl promote` takes this environment's images from and the gates they pass "
            "(docs/deployment-loop.md). Default unset: images change only by hand."
        ),
    )

    @field_validator("gcp_enable_apis", "aws_keep_role_paths", mode="before")
    @classmethod
    def _config_bool(cls, value: object) -> object:
        # Pulumi hands top-level config values to the program as strings (`platform:gcp_enable_apis: "false"`).
        return {"true": True, "false": False}.get(value, value) if isinstance(value, str) else value

    @property
    def protect_cluster(self) -> bool:
        """Whether the cluster, node pools and keys are protected: the spec's choice, else prod only."""
        if self.cluster is not None and self.cluster.protect is not None:
            return self.cluster.protect
        return self.tier == "prod"

    def problems(self, environment: Optional[str] = None, project: Optional[str] = None) -> list[Problem]:
        """Cross-field and per-cloud rules that the field types alone cannot express.

        With the stack (`environment`) and project names, also the names they produce after prefixing.
        """
        problems: list[Problem] = []
        if self.cloud == "aws" and not _AWS_REGION.match(self.region):
            problems.append(Problem("region", f"must be an AWS region such as 'us-east-1' (got {self.region!r})"))
        if self.cloud == "gcp" and not _GCP_REGION.match(self.region):
            problems.append(Problem("region", f"must be a GCP region such as 'europe-west1' (got {self.region!r})"))
        if self.cloud == "gcp" and self.gcp_project is None:
            problems.append(Problem("gcp_project", "required when cloud is 'gcp'"))
        if self.gcp_project is not None:
            if self.cloud != "gcp":
                problems.append(Problem("gcp_project", "only applies when cloud is 'gcp'"))
            elif not _GCP_PROJECT.match(self.gcp_project):
                problems.append(Problem("gcp_project", f"must be a GCP project id (got {self.gcp_project!r})"))
        for key, value in self.labels.items():
            if not _LABEL_KEY.match(key):
                problems.append(Problem(
                    f"labels.{key}", "label keys must be lowercase letters, digits, '_' or '-', starting with a letter"
                ))
            value_problem = gcp_label_value_problem(value) if self.cloud == "gcp" else aws_tag_value_problem(value)
            if value_problem:
                problems.append(Problem(f"labels.{key}", f"{value_problem} (got {value!r})"))
        for name, queue in self.queues.items():
            problems.extend(queue_problems(self.cloud, f"queues.{name}", queue))
        if self.region and (self.cloud == "gcp" or _AWS_REGION.match(self.region)):
            problems.extend(network_problems(self.cloud, self.tier, self.region, "network", self.network))
        if self.cluster is not None:
            problems.extend(cluster_problems(self.cloud, self.tier, "cluster", self.cluster))
            if (self.cloud == "aws" and self.network.existing_vpc is not None and not self.cluster.public_endpoint
                    and self.cluster.private_access_cidrs is None
                    and not (self.cluster.deployer_access and self.cluster.deployer_access.via == "private_network")):
                problems.append(Problem("cluster.private_access_cidrs",
                                        "required with network.existing_vpc: list the networks that run Pulumi or "
                                        "kubectl (the private API admits nobody else), or [] when you manage "
                                        "access yourself; or declare the runner's subnet in deployer_access "
                                        "(docs/bootstrap.md)"))
        problems.extend(bootstrap_problems(self))
        problems.extend(workloads_problems(self))
        problems.extend(work_path_problems(self))
        problems.extend(argocd_problems(self))
        problems.extend(operator_problems(self, environment))
        placement = placement_problems(self)
        # Capacity is only meaningful once every workload has a valid pool.
        problems.extend(placement or capacity_problems(self))
        if environment is not None and project is not None:
            problems.extend(naming_problems(environment, project, self))
            problems.extend(adopt_problems(self, environment))
        return problems
