"""The platform's policy pack, installed with the package as `platform_policy`.

This directory is a standard Pulumi policy pack (`PulumiPolicy.yaml`, `__main__.py`, per-tier `config/`); the
rules are in `guardrails/`. `stackctl policy path` prints where the pack is installed, for
`pulumi preview --policy-pack "$(stackctl policy path)"`; `stackctl check` uses it in a project without a
`policy/` directory of its own.
"""

from pathlib import Path

#: The pack's directory (what `--policy-pack` takes).
PACK_DIR = Path(__file__).resolve().parent

__all__ = ["PACK_DIR"]
