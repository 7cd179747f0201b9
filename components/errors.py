"""Spec problems and the error that carries them.

A stack file can be wrong in several places at once; users fix them faster when they see every
problem in one run, so validation collects `Problem`s and raises one `SpecError` with all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a spec: where (dotted field path) and what."""

    path: str
    message: str

    def render(self, source: str) -> str:
        where = f"{source}: " if source else ""
        field = f"{self.path}: " if self.path else ""
        return f"{where}{field}{self.message}"


class SpecError(pulumi.RunError):
    """The stack's desired state is invalid; nothing was registered.

    Subclassing `pulumi.RunError` makes the Pulumi CLI print the message without a traceback;
    `stackctl` prints the same lines and exits with status 2.
    """

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = sorted(set(problems))
        super().__init__("\n".join(p.render(source) for p in self.problems))


def raise_problems(source: str, problems: list[Problem]) -> None:
    """Raise one `SpecError` for `problems` (nothing when there are none)."""
    if problems:
        raise SpecError(source, problems)
