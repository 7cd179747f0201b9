"""One policy pack process for several stacks (`stackctl check --all`), started before the program runs.

A reused pack must see, for each stack, what a fresh pack started by the Pulumi CLI for that stack would see:
its stack name, its stack config (and none of the previous stack's keys), its policy config. Each stack's
findings must equal a check of that stack alone.
"""

from __future__ import annotations

import json
import textwrap
from functools import cache
from pathlib import Path

import pytest
from google.protobuf import struct_pb2
from pulumi.runtime import rpc

from stackctl.analysis import analyzer, report
from stackctl.cli import _tier_config

from .conftest import PROJECT, REPO, SHIPPED_STACKS, check_all_shipped, shipped_run

# The checks by a pack of their own (`_alone`) and `check --all` (shared with tests/test_policy.py) are made once
# per session, so this module runs on one worker, with tests/test_policy.py.
pytestmark = pytest.mark.xdist_group("policy")

PACK = REPO / "policy"
# A tier whose policy config differs from the one before it comes right after it (prod -> dev).
ORDER = sorted(SHIPPED_STACKS, key=lambda s: (s != "prod", s != "dev", s))

PROBE_PACK = '''
import json
from collections.abc import Mapping

import pulumi
import pulumi.runtime
import pulumi.runtime.config
from pulumi_policy import (EnforcementLevel, PolicyConfigSchema, PolicyPack, ResourceValidationPolicy,
                           StackValidationPolicy)
from pulumi_policy.proxy import UnknownValueError


def known_maps(props):
    for key in list(props):
        try:
            value = props[key]
        except UnknownValueError:
            continue
        if isinstance(value, Mapping):
            yield value


def write(props):
    """A policy may write into the proxies it is given: no other policy may see it."""
    for value in list(known_maps(props)):
        value["written"] = True
    props["written"] = True


def written(props):
    return "written" in props or any("written" in value for value in known_maps(props))


def stack_writer(args, report_violation):
    for resource in args.resources:
        write(resource.props)


def resource_writer(args, report_violation):
    write(args.props)


def seen(args):
    """What a policy can read about the stack it checks."""
    resources = args.resources if hasattr(args, "resources") else []
    return json.dumps({
        "written": any(written(r.props) for r in resources) or written(getattr(args, "props", {})),
        "stack": pulumi.get_stack(),
        "project": pulumi.get_project(),
        "config_env": pulumi.runtime.get_config_env(),
        "runtime_config": sorted(pulumi.runtime.config.CONFIG.get()),
        "policy_config": args.get_config(),
    }, sort_keys=True)


def stack_probe(args, report_violation):
    report_violation(seen(args))


def resource_probe(args, report_violation):
    if args.resource_type == "pulumi:pulumi:Stack":
        report_violation(seen(args))


SCHEMA = PolicyConfigSchema(properties={"marker": {"type": "string"}})
PolicyPack(
    name="probe",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[
        StackValidationPolicy(name="stack-writer", description="writes", validate=stack_writer),
        ResourceValidationPolicy(name="resource-writer", description="writes", validate=resource_writer),
        StackValidationPolicy(name="stack-probe", description="reports what it sees", validate=stack_probe,
                              config_schema=SCHEMA),
        ResourceValidationPolicy(name="resource-probe", description="reports what it sees",
                                 validate=resource_probe, config_schema=SCHEMA),
    ],
)
'''


def _key(result: analyzer.CheckResult):
    return (result.project, result.stack, result.pack_name, result.pack_version, result.violations,
            [vars(p) for p in result.policies])


def _tier_check(session_or_none, stack: str) -> analyzer.CheckResult:
    if session_or_none is None:
        return _alone(stack)
    run = shipped_run(stack)
    config_path = _tier_config(PROJECT, PACK, run.config)
    return session_or_none.check(run, analyzer.load_policy_config(config_path), str(config_path))


@cache
def _alone(stack: str) -> analyzer.CheckResult:
    """A shipped stack checked by a pack of its own, as the CLI checks one stack; once per session (the tests
    only read it, and this module runs on one worker: `xdist_group`)."""
    run = shipped_run(stack)
    config_path = _tier_config(PROJECT, PACK, run.config)
    return analyzer.check(run, PACK, analyzer.load_policy_config(config_path), str(config_path))


def test_one_pack_for_every_stack_finds_what_a_pack_per_stack_finds():
    with analyzer.PackSession(PACK, PROJECT.name, ORDER[0]) as session:
        shared = [_tier_check(session, stack) for stack in ORDER]
    alone = [_tier_check(None, stack) for stack in ORDER]
    assert [_key(r) for r in shared] == [_key(r) for r in alone]
    # The tiers' policy configs differ, and so do the findings: a leaked config would show.
    assert len({tuple(r.violations) for r in alone}) == len(ORDER)
    assert {_tier_config(PROJECT, PACK, shipped_run(s).config).name for s in ORDER} >= {"prod.json", "dev.json"}


@pytest.fixture
def probe_pack(tmp_path: Path) -> Path:
    pack = tmp_path / "probe-pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (pack / "__main__.py").write_text(textwrap.dedent(PROBE_PACK))
    return pack


def _seen(result: analyzer.CheckResult) -> dict[str, dict]:
    # pulumi-policy puts the policy's description on the line before the reported message.
    return {v.policy: json.loads(v.message.splitlines()[-1]) for v in result.violations}


def test_a_reused_pack_sees_each_stacks_own_name_config_and_policy_config(probe_pack):
    first, second = shipped_run("dev"), shipped_run("gcp-dev")
    only_first = set(first.config.values) - set(second.config.values)
    assert only_first, "the two stacks' configs must differ in their keys for this test to mean anything"
    configs = {"dev": {"all": {"marker": "first"}}, "gcp-dev": {"all": {"marker": "second"}}}

    with analyzer.PackSession(probe_pack, PROJECT.name, "dev") as session:
        shared = [session.check(run, configs[run.graph.stack], "test") for run in (first, second, first)]
    alone = [analyzer.check(run, probe_pack, configs[run.graph.stack], "test") for run in (first, second)]

    assert [_key(r) for r in shared] == [_key(r) for r in alone + alone[:1]]
    for result, run in zip(shared, (first, second, first), strict=True):
        seen = _seen(result)
        assert set(seen) == {"stack-probe", "resource-probe"}
        for view in seen.values():
            assert view["stack"] == run.graph.stack
            assert view["project"] == PROJECT.name
            assert view["config_env"] == run.config.values
            assert view["runtime_config"] == sorted(run.config.values)
            assert view["policy_config"] == configs[run.graph.stack]["all"]
            assert view["written"] is False
    assert not only_first & set(_seen(shared[1])["stack-probe"]["runtime_config"])


def test_check_all_starts_one_pack_and_reports_what_single_checks_report():
    result, packs_started = check_all_shipped()  # `stackctl check --all --format json`, counting pack processes
    assert result.returncode == 0, result.stderr
    assert packs_started == 1
    by_stack = {entry["stack"]: entry for entry in json.loads(result.stdout)}
    assert set(by_stack) == set(SHIPPED_STACKS)
    for stack in SHIPPED_STACKS:
        assert by_stack[stack] == json.loads(report.json_report([_tier_check(None, stack)]))


def test_a_pack_that_dies_at_start_is_reported_with_its_stderr(tmp_path):
    pack = tmp_path / "broken-pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (pack / "__main__.py").write_text("raise SystemExit('this pack cannot start')\n")
    with pytest.raises(analyzer.PackError, match="this pack cannot start"):
        analyzer.check(shipped_run("dev"), pack, {}, "test")


def _round_trip(struct: struct_pb2.Struct) -> struct_pb2.Struct:
    """What the engine-side conversion does to every Struct without the fast path."""
    from google.protobuf import json_format

    result = struct_pb2.Struct()
    result.update(analyzer._engine_value(json_format.MessageToDict(struct), shipped_run("dev").graph))
    return result


def test_structs_sent_as_they_are_equal_the_converted_ones():
    graph = shipped_run("dev").graph
    for record in graph.resources:
        for serialized in (record.wire_inputs_bytes, record.wire_outputs_bytes):
            if serialized is not None:
                struct = struct_pb2.Struct.FromString(serialized)
                assert analyzer._properties(serialized, graph) == _round_trip(struct), record.urn
    # Resource references, output values and internal keys still take the conversion.
    some = next(r for r in graph.resources if r.custom)
    special = struct_pb2.Struct()
    special.update({
        "ref": {rpc._special_sig_key: rpc._special_resource_sig, "urn": some.urn, "id": "the-id"},
        "out": {rpc._special_sig_key: rpc._special_output_value_sig, "value": "v", "secret": True},
        "__internal": "dropped",
        "secret": {rpc._special_sig_key: rpc._special_secret_sig, "value": "kept"},
    })
    converted = analyzer._properties(special.SerializeToString(), graph)
    assert converted == _round_trip(special)
    assert converted["ref"] == "the-id" and "__internal" not in converted
    assert converted["out"][rpc._special_sig_key] == rpc._special_secret_sig


def test_the_pack_stops_when_started_with_sigint_ignored():
    # A shell without job control (CI steps, `cmd &` in a script, nohup) starts background commands with SIGINT
    # ignored, and children inherit that: a pack stopped with SIGINT sat out the whole grace period and was
    # killed. Stopped with SIGTERM, it ends at once, by that signal.
    import os
    import signal

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        pack = analyzer.PolicyPackProcess(PACK, "127.0.0.1:1", dict(os.environ))
    finally:
        signal.signal(signal.SIGINT, previous)
    pack.close()
    assert pack.process.returncode == -signal.SIGTERM


def test_analyzing_while_the_program_runs_finds_what_a_check_of_the_finished_run_finds():
    # `stackctl check` hands each resource to the pack as it registers (StackAnalysis.observe is the run's
    # observer); the findings must be those of analyzing the finished run in the graph's order.
    from stackctl.engine.runner import run_stack

    config = shipped_run("prod").config
    config_path = _tier_config(PROJECT, PACK, config)
    file_config = analyzer.load_policy_config(config_path)
    observed = []
    with analyzer.PackSession(PACK, PROJECT.name, "prod") as session:
        analysis = session.start(PROJECT.name, "prod", config, file_config, str(config_path))

        def observe(record):
            observed.append(record.urn)
            analysis.observe(record)

        run = run_stack(PROJECT, "prod", config, observer=observe)
        streamed = analysis.finish(run)
    finished = _tier_check(None, "prod")  # analyzer.check of the finished run, with the same policy config

    assert sorted(observed) == sorted(r.urn for r in run.graph.resources)  # every resource, once
    assert streamed.violations and streamed.violations == finished.violations
    assert [p.name for p in streamed.policies] == [p.name for p in finished.policies]
