"""Test your own Pulumi program or component offline, with the same mocks `stackctl` uses (public API).

    from stackctl.testing import run_program, run_project

    def test_orders_queue_has_a_dead_letter_queue():
        run = run_program(lambda: SqsWorkQueue("orders", WorkQueueArgs()))
        names = {r.inputs["name"] for r in run.graph.of_type("aws:sqs/queue:Queue")}
        assert names == {"orders", "orders-dlq"}

Both return a `StackRun`: `run.graph` holds every registration as the engine would receive it (`resources`,
`by_urn`, `of_type(type)`, `stack_outputs`; each `ResourceRecord` has `urn`, `type`, `name`, `parent`, `inputs`
in wire camelCase with secrets as "[secret]", `dependencies`, `provider`, `protect`, `aliases`, ...) and
`run.diagnostics` what the program logged. No cloud credentials, no Pulumi CLI, no network: ids, ARNs and URLs
are deterministic placeholders (docs/stackctl.md lists what cannot be known offline). An invalid stack file
raises `components.SpecError`; its `partial_run` attribute shows that nothing was registered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .engine.mocks import OfflineMocks
from .engine.project import Project, StackConfig, read_stack_config
from .engine.runner import StackRun, run_stack

__all__ = ["PlatformMocks", "StackRun", "run_program", "run_project"]


class PlatformMocks(OfflineMocks):
    """`pulumi.runtime.Mocks` for plain `pulumi.runtime.set_mocks` tests of programs that use the components.

    It answers every invoke the components make (`aws:iam/getSessionContext`, `getCallerIdentity`,
    `getPartition`, `getRegion`; `gcp:organizations/getProject`, `getClientConfig`,
    `gcp:container/getEngineVersions`) and gives the resources they read back ARNs, URLs, ids and endpoints
    shaped like the real ones (deterministic placeholders: account 123456789012, region us-east-1 unless the
    resource's provider names another). Any other invoke raises `UnsupportedInvoke` naming its token.

        pulumi.runtime.set_mocks(PlatformMocks(), project="reports", stack="dev", preview=False)
    """


def run_program(program: Callable[[], object], *, project: str = "test", stack: str = "test",
                config: Mapping[str, Any] | None = None, secret_keys: tuple[str, ...] = ()) -> StackRun:
    """Run `program` (a function that declares resources, as a Pulumi program's body does) offline.

    `config`: stack config as a stack file's `config:` holds it (`{"aws:region": "us-west-2", "tier": "dev"}`;
    keys without a namespace belong to `project`); keys in `secret_keys` are secret.
    """
    root = Path.cwd()
    definition = Project(root=root, name=project, main=root, stack_config_dir=root)
    settings = StackConfig.from_mapping(project, dict(config or {}), secret_keys)
    return run_stack(definition, stack, settings, program=program)


def run_project(directory: str | Path, stack: str, *, config: Mapping[str, Any] | None = None) -> StackRun:
    """Run the Pulumi project in `directory` for `stack`, the way `stackctl -C DIR preview STACK` does.

    The stack's file (`Pulumi.<stack>.yaml` in the project's stack config directory) supplies the config;
    `config` adds or overrides settings.
    """
    definition = Project.load(Path(directory).resolve())
    settings = read_stack_config(definition, stack)
    if config:
        extra = StackConfig.from_mapping(definition.name, dict(config))
        settings.values.update(extra.values)
    return run_stack(definition, stack, settings)
