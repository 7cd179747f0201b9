"""Which policy pack `check` runs: the one a project carries, else the one installed with the package.

The wheel installs the repository's `policy/` as the package `platform_policy`, so a project that installed the
package has the same guardrails without copying them (`stackctl policy path` prints where).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError

if TYPE_CHECKING:
    from ..engine.project import Project


def installed_pack() -> Path:
    """The policy pack installed with the package (`platform_policy`)."""
    try:
        import platform_policy
    except ImportError:
        raise InputError("the policy pack installed with the package (platform_policy) is missing: reinstall "
                         "platform-components, or name a pack with --policy-pack") from None
    return platform_policy.PACK_DIR


def default_pack(project: Project) -> Path:
    """The project's own `policy/` if it is a pack (this repository), else the pack installed with the package."""
    local = project.root / "policy"
    return local if (local / "PulumiPolicy.yaml").is_file() else installed_pack()
