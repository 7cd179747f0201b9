"""The management stack of operator delivery: `PulumiOperator` with a workspace identity for each environment
the operator deploys, derived from that environment's stack file (docs/bootstrap.md, section 6).

`stackctl preview mgmt` runs it offline; with the Pulumi CLI, the management cluster's kubeconfig and
credentials of the environments' account, `pulumi up --stack mgmt` deploys it. Then `stackctl render <env>`
in the platform repository writes each environment's `Stack` for the management cluster to apply.
"""

from pathlib import Path

import pulumi
from pydantic import ValidationError

from components.addons.pulumi_operator import OperatorWorkspace, PulumiOperator, PulumiOperatorArgs
from components.errors import Problem, SpecError, raise_problems
from stackctl.delivery.stackfile import environment, load_config
from stackctl.errors import InputError

config = pulumi.Config()
this_stack_file = f"Pulumi.{pulumi.get_stack()}.yaml"


def setting(key: str, kind: type, default):
    """A structured setting of this stack, or one line naming it when it has the wrong shape."""
    value = config.get_object(key)
    if value is None:
        return default
    if not isinstance(value, kind) or (kind is list and not all(isinstance(item, str) for item in value)):
        shape = "a list of environment names" if kind is list else "a map of environment name to key ARN"
        raise_problems(this_stack_file, [Problem(key, f"must be {shape}")])
    return value


stacks_dir = Path(config.get("stacks_dir") or "../../stacks")
environments = setting("environments", list, None)
if not environments:
    raise_problems(this_stack_file, [Problem("environments", "list the environments the operator deploys")])
existing_roles = set(setting("existing_roles", list, []))
key_arns = setting("aws_secrets_key_arns", dict, {})

workspaces = {}
for index, name in enumerate(environments):
    label = str(stacks_dir / f"Pulumi.{name}.yaml")
    if not Path(label).is_file():
        known = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in stacks_dir.glob("Pulumi.*.yaml"))
        raise_problems(this_stack_file, [Problem(f"environments[{index}]", f"no stack file {label} (stacks_dir "
                                                                           f"{stacks_dir} has: {', '.join(known)})")])
    try:
        spec = environment(load_config(Path(label).read_text(encoding="utf-8"), label, "platform"), label)
    except InputError as exc:        # the environment's stack file is broken: its own one-line problems, as given
        raise SpecError("", [Problem("", str(exc))]) from None
    if spec.infra_delivery != "operator":
        raise_problems(label, [Problem("infra_delivery", f"is {spec.infra_delivery!r}; the operator deploys only "
                                                         "environments that say `infra_delivery: operator` (listed "
                                                         "in this stack's `environments`)")])
    try:
        workspaces[name] = OperatorWorkspace.of(name, spec, aws_secrets_key_arn=key_arns.get(name),
                                                manage_role=name not in existing_roles)
    except ValidationError as exc:   # the key ARN this stack gave for the environment
        raise_problems(this_stack_file, [Problem(f"aws_secrets_key_arns.{name}",
                                                 exc.errors()[0]["msg"].removeprefix("Value error, "))])
    except ValueError as exc:        # what the environment's stack file lacks for the operator
        raise_problems(this_stack_file, [Problem(f"environments[{index}]", str(exc))])

# Each cloud's federation with the management cluster, needed once a workspace is on that cloud.
clouds = {workspace.cloud for workspace in workspaces.values()}
operator = PulumiOperator("pko", PulumiOperatorArgs(
    workspaces=workspaces,
    aws_oidc_provider_arn=config.require("aws_oidc_provider_arn") if "aws" in clouds else None,
    aws_oidc_issuer=config.require("aws_oidc_issuer") if "aws" in clouds else None,
    gcp_workload_pool=config.require("gcp_workload_pool") if "gcp" in clouds else None,
))

pulumi.export("release_status", operator.release.status)
# For each environment whose role exists already: the statement to add to its trust policy.
pulumi.export("trust_statements", {name: operator.aws_trust_policies[name] for name in sorted(existing_roles)
                                   if name in operator.aws_trust_policies})
