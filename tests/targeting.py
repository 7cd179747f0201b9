"""`pulumi up --target` as the engine applies it, over an offline preview graph.

What the engine does (pulumi/pulumi `pkg/resource/deploy/step_generator.go` and `target.go`, read with the
search tool): a target containing `*` is a glob (`**` matches anything, `*` anything but `:`), otherwise a
literal URN; providers and the root stack are always targeted; a resource that is not targeted and does not
exist yet is a "skipped create", and a targeted create whose parent or any dependency is a skipped create fails
the run ("untargeted create"; the engine's test `TestTargetUntargetedParent` covers the parent case).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from stackctl.engine.graph import Graph
from stackctl.engine.urns import ROOT_STACK_TYPE

PROVIDER_TYPE_PREFIX = "pulumi:providers:"


def target_matcher(target: str):
    if "*" not in target:
        return lambda urn: urn == target
    pattern = ".*".join("[^:]*".join(re.escape(part) for part in segment.split("*"))
                        for segment in target.split("**"))
    compiled = re.compile(f"^{pattern}$")
    return lambda urn: compiled.match(urn) is not None


def provider_urn(reference: str) -> str:
    """A provider reference is `<urn>::<id>`; the URN is everything before the last `::`."""
    return reference.rsplit("::", 1)[0] if reference else ""


@dataclass
class UpCommand:
    stack: str
    targets: list[str] = field(default_factory=list)
    text: str = ""


def up_commands(markdown: str) -> list[UpCommand]:
    """Every `pulumi up` in the document's fenced shell blocks, in order (continuation lines joined)."""
    commands = []
    for block in re.findall(r"```(?:sh|bash|shell)\n(.*?)```", markdown, flags=re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split(" #", 1)[0].strip()
            if not line.startswith("pulumi up"):
                continue
            words = shlex.split(line)
            command = UpCommand(stack="", text=line)
            for index, word in enumerate(words):
                if word in ("--stack", "-s"):
                    command.stack = words[index + 1]
                elif word in ("--target", "-t"):
                    command.targets.append(words[index + 1])
                elif word.startswith("--target="):
                    command.targets.append(word.split("=", 1)[1])
            commands.append(command)
    return commands


def targeted(graph: Graph, targets: list[str]) -> set[str]:
    matchers = [target_matcher(t) for t in targets]
    return {r.urn for r in graph.resources
            if not targets or r.type == ROOT_STACK_TYPE or r.type.startswith(PROVIDER_TYPE_PREFIX)
            or any(match(r.urn) for match in matchers)}


def untargeted_creates(graph: Graph, targets: list[str], existing: set[str]) -> list[str]:
    """The engine's refusals for `pulumi up --target ...` over `existing` state: one line per targeted create
    whose parent, dependency or provider would be created but is not targeted."""
    chosen = targeted(graph, targets)
    problems = []
    for record in graph.resources:
        if record.urn not in chosen or record.urn in existing:
            continue
        needs = [("parent", record.parent)]
        needs += [("dependency", urn) for urn in record.dependencies]
        needs += [("provider", provider_urn(record.provider))]
        for kind, urn in needs:
            if urn and urn not in existing and urn not in chosen and urn in graph.by_urn:
                problems.append(f"{record.urn}: its {kind} {urn} would be created but is not targeted")
    return problems
