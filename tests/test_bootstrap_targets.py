"""Issue 24, item 1: every documented `--target` set is one the engine accepts on a stack's first run."""

from __future__ import annotations

from .conftest import REPO, SHIPPED_STACKS, shipped_run
from .targeting import target_matcher, untargeted_creates, up_commands

BOOTSTRAP = (REPO / "docs" / "bootstrap.md").read_text()
NETWORK = "urn:pulumi:prod::platform::platform:index:Environment$platform:index:AwsNetwork**"


def test_the_engine_glob_rules():
    glob = target_matcher("urn:pulumi:prod::p::a:b:C$x:y:Z*")
    assert glob("urn:pulumi:prod::p::a:b:C$x:y:Zed")
    assert not glob("urn:pulumi:prod::p::a:b:C$x:y:Z::name")  # `*` stops at ':'
    assert target_matcher("urn:pulumi:prod::p::a:b:C$x:y:Z**")("urn:pulumi:prod::p::a:b:C$x:y:Z::name")
    literal = target_matcher("urn:pulumi:prod::p::a:b:C::n")
    assert literal("urn:pulumi:prod::p::a:b:C::n") and not literal("urn:pulumi:prod::p::a:b:C::n2")


def test_every_documented_target_set_is_closed_under_parents_dependencies_and_providers():
    commands = up_commands(BOOTSTRAP)
    targeted_commands = [c for c in commands if c.targets]
    assert targeted_commands, "docs/bootstrap.md documents a two-phase first run with --target"
    existing: dict[str, set[str]] = {}
    for command in commands:
        assert command.stack in SHIPPED_STACKS, command.text
        graph = shipped_run(command.stack).graph
        state = existing.setdefault(command.stack, set())
        for target in command.targets:
            match = target_matcher(target)
            assert any(match(urn) for urn in graph.by_urn), f"{command.text}: {target} matches nothing"
        assert untargeted_creates(graph, command.targets, state) == [], command.text
        state |= {urn for urn in graph.by_urn
                  if not command.targets or any(target_matcher(t)(urn) for t in command.targets)}
    # The documented prod sequence ends with the whole graph created.
    assert existing["prod"] >= set(shipped_run("prod").graph.by_urn) - {
        r.urn for r in shipped_run("prod").graph.resources if r.type.startswith("pulumi:providers:")}


def test_the_network_subtree_alone_is_an_untargeted_create():
    """The command docs/bootstrap.md shipped before: its parent, Environment::prod, does not exist yet."""
    problems = untargeted_creates(shipped_run("prod").graph, [NETWORK], set())
    assert problems
    assert all("its parent urn:pulumi:prod::platform::platform:index:Environment::prod would be created" in p
               for p in problems if p.startswith(
                   "urn:pulumi:prod::platform::platform:index:Environment$platform:index:AwsNetwork::"))


def test_a_target_missing_a_dependency_is_refused():
    graph = shipped_run("prod").graph
    [flow_log] = [r.urn for r in graph.of_type("aws:ec2/flowLog:FlowLog")]
    problems = untargeted_creates(graph, ["urn:pulumi:prod::platform::platform:index:Environment::prod",
                                          flow_log], set())
    assert any(p.startswith(flow_log) and "its dependency" in p for p in problems)
    # Once everything it needs exists, the same target is fine.
    assert untargeted_creates(graph, [flow_log], set(graph.by_urn) - {flow_log}) == []


def test_providers_are_always_created_so_their_ancestors_must_be_targeted():
    """Network only, even with its ancestors: the engine still creates the kubernetes provider (providers are
    implicitly targeted), whose parent and dependencies are the cluster's, so the run would stop."""
    environment = "urn:pulumi:prod::platform::platform:index:Environment"
    problems = untargeted_creates(shipped_run("prod").graph, [
        f"{environment}::prod", f"{environment}$pulumi:providers:aws::prod-aws", NETWORK], set())
    assert problems and all(p.startswith(f"{environment}$platform:index:EksCluster$pulumi:providers:kubernetes::")
                            for p in problems)
    assert any(f"its parent {environment}$platform:index:EksCluster::prod" in p for p in problems)


def test_the_flow_log_waits_for_its_role_policy():
    """Issue 24, item 5: created between the role and its policy, a flow log is stuck in "Access error"."""
    for stack in SHIPPED_STACKS:
        graph = shipped_run(stack).graph
        for flow_log in graph.of_type("aws:ec2/flowLog:FlowLog"):
            policies = {r.urn for r in graph.of_type("aws:iam/rolePolicy:RolePolicy") if r.parent == flow_log.parent
                        and r.name == flow_log.name}
            assert policies and policies <= set(flow_log.dependencies), stack
