"""`STACKCTL_STOCK_SDK`: the one switch that turns every SDK speed-up off (read without importing the SDK)."""

from __future__ import annotations

import os

STOCK_ENV = "STACKCTL_STOCK_SDK"


def stock_requested() -> bool:
    """Whether the stock SDK was asked for (`STACKCTL_STOCK_SDK` set to anything but "" or "0")."""
    return os.environ.get(STOCK_ENV, "") not in ("", "0")
