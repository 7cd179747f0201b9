"""Cloud name limits, applied without losing uniqueness."""

import hashlib


def bounded(name: str, limit: int) -> str:
    """`name` if it fits, else a prefix plus a short hash of the whole name (stable, still unique)."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[: limit - 7].rstrip('-')}-{digest}"
