"""Kubernetes naming rules (apimachinery validation) for values that end up in objects or node pools."""

from __future__ import annotations

import re

# k8s.io/apimachinery/pkg/util/validation: IsQualifiedName, IsValidLabelValue, IsConfigMapKey, IsDNS1123Subdomain.
_QUALIFIED_NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
NAME_MAX = 63
SUBDOMAIN_MAX = 253


def dns_subdomain_problem(value: str) -> str | None:
    if len(value) > SUBDOMAIN_MAX or not _DNS1123_SUBDOMAIN.match(value):
        return (f"must be a DNS subdomain: at most {SUBDOMAIN_MAX} lowercase letters, digits, '-' or '.', "
                "starting and ending with a letter or digit")
    return None


def qualified_name_problem(key: str) -> str | None:
    """Problem with a label or taint key (`[prefix/]name`), or None."""
    prefix, _, name = key.rpartition("/")
    if "/" in key and not prefix:
        return "the prefix before '/' is empty"
    if prefix:
        problem = dns_subdomain_problem(prefix)
        if problem:
            return f"the prefix {prefix!r} {problem}"
    if not name:
        return "the name part is empty"
    if len(name) > NAME_MAX or not _QUALIFIED_NAME_PART.match(name):
        return (f"the name part must be at most {NAME_MAX} letters, digits, '-', '_' or '.', starting and "
                "ending with a letter or digit")
    return None


def label_value_problem(value: str) -> str | None:
    """Problem with a label (or taint) value, or None; empty values are allowed."""
    if value and (len(value) > NAME_MAX or not _QUALIFIED_NAME_PART.match(value)):
        return (f"must be at most {NAME_MAX} letters, digits, '-', '_' or '.', starting and ending with a "
                "letter or digit (or empty)")
    return None


def secret_key_problem(key: str) -> str | None:
    """Problem with a key inside a Secret or ConfigMap, or None."""
    if len(key) > SUBDOMAIN_MAX or not _CONFIG_KEY.match(key):
        return f"must be at most {SUBDOMAIN_MAX} letters, digits, '-', '_' or '.'"
    if key in (".", ".."):
        return "must not be '.' or '..'"
    return None
