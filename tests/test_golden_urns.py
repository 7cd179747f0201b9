"""Identity is a contract: every shipped stack's URNs are pinned.

A changed URN means `pulumi up` would delete and recreate the resource (a queue losing its messages, a
cluster being replaced). If the change is intended, ship an alias and regenerate the golden file:
    UPDATE_GOLDEN=1 make test
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import SHIPPED_STACKS, shipped_run

GOLDEN = Path(__file__).parent / "golden"


def test_every_stack_has_a_golden_file():
    assert SHIPPED_STACKS, "no stacks shipped"
    missing = [s for s in SHIPPED_STACKS if not (GOLDEN / f"{s}.urns").exists()]
    assert not missing or os.environ.get("UPDATE_GOLDEN"), f"no golden URN file for {missing}"


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_urns_match_golden(stack: str):
    actual = sorted(shipped_run(stack).graph.urns())
    path = GOLDEN / f"{stack}.urns"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text("\n".join(actual) + "\n")
    expected = path.read_text().split()
    removed = sorted(set(expected) - set(actual))
    added = sorted(set(actual) - set(expected))
    assert not removed and not added, (
        f"URNs of stack {stack} changed.\nWould be deleted (or replaced):\n  " + "\n  ".join(removed)
        + "\nWould be created:\n  " + "\n  ".join(added)
        + "\nIf intended, add aliases for renames and run UPDATE_GOLDEN=1 make test."
    )
