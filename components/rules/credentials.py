"""Recognise values that look like credentials, so they are never echoed back and never sit in plain config.

Deliberately narrow (few false positives): URLs carrying a password, private keys, and token formats whose
prefix identifies them (AWS access keys, GitHub, GitLab, Slack, Google API keys, JWTs).
"""

from __future__ import annotations

import re
from typing import Any

_PATTERNS = (
    re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@", re.IGNORECASE),  # scheme://user:password@host
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{40,}\b"),
    re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
    re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
)
HIDDEN = "(value hidden: it looks like a credential)"


def looks_like_credential(value: Any) -> bool:
    """True when `value` (or any string inside it) matches a credential format."""
    if isinstance(value, str):
        return any(pattern.search(value) for pattern in _PATTERNS)
    if isinstance(value, dict):
        return any(looks_like_credential(k) or looks_like_credential(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(looks_like_credential(v) for v in value)
    return False


def shown(value: Any) -> str:
    """`repr(value)` for messages, unless it looks like a credential."""
    return HIDDEN if looks_like_credential(value) else repr(value)
