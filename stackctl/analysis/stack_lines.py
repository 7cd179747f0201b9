"""Where in a stack file a policy violation comes from: the line code scanning annotates.

A developer fixes a violation by editing the stack file, so a SARIF result points at the setting that caused it.
Resources are named `<environment>-<map key>-...` and nested under the component of their section (a
`platform:index:Service` holds a service's objects), so the URN's type chain names the section and the resource
name names the entry; a rule that is about one setting (`k8s-probes` -> `probes`) then narrows it to that
setting when the entry declares it. GitOps violations name the rendered file, `<path>/<workload>/<file>.yaml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

SECTION_BY_COMPONENT = {
    "platform:index:SqsWorkQueue": "queues",
    "platform:index:PubSubWorkQueue": "queues",
    "platform:index:Service": "services",
    "platform:index:BatchJob": "jobs",
    "platform:index:EksCluster": "cluster",
    "platform:index:GkeCluster": "cluster",
    "platform:index:Keda": "cluster",
    "platform:index:AwsNetwork": "network",
    "platform:index:GcpNetwork": "network",
    "platform:index:ArgoCdBootstrap": "argocd",
}
KEYED_SECTIONS = {"queues": ("queues",), "services": ("services",), "jobs": ("jobs",),
                  "cluster": ("cluster", "node_pools")}
# Rule -> the entry's settings that decide it, most specific first.
RULE_SETTINGS: dict[str, tuple[str, ...]] = {
    "cluster-private-endpoint": ("public_endpoint", "authorized_networks", "deployer_access"),
    "cluster-public-endpoint-review": ("public_endpoint", "authorized_networks", "deployer_access"),
    "cluster-control-plane-logging": ("control_plane_logs",),
    "cluster-supported-version": ("kubernetes_version", "extended_support", "release_channel"),
    "cluster-deletion-protection": ("protect",),
    "stateful-resources-protected": ("protect",),
    "queue-encryption": ("kms_key",),
    "k8s-image-pinned": ("image",),
    "k8s-probes": ("probes",),
    "k8s-resource-limits": ("resources",),
    "k8s-run-as-non-root": ("run_as_user",),
    "k8s-read-only-root-filesystem": ("writable_paths",),
    "prod-service-availability": ("scaling",),
    "services-pull-from-queues": ("queue", "expose"),
}
RENDERED_FILE = re.compile(r"(?:^|\s)[^\s:]+/([a-z0-9][a-z0-9-]*)/[^/\s:]+\.yaml:", re.MULTILINE)


def _line(mapping: CommentedMap, key: str) -> int:
    return mapping.lc.key(key)[0] + 1


@dataclass
class StackLines:
    """A stack file's `config:` mapping, loaded with line numbers (ruamel.yaml round trip)."""

    environment: str
    config: Optional[CommentedMap]
    config_line: int = 1

    @classmethod
    def load(cls, path: Path, environment: str) -> StackLines:
        try:
            document = YAML(typ="rt").load(path.read_text())
        except (OSError, YAMLError):  # the run reported an unreadable file already; locate nothing in it
            return cls(environment, None)
        if not isinstance(document, CommentedMap) or not isinstance(document.get("config"), CommentedMap):
            return cls(environment, None)
        return cls(environment, document["config"], _line(document, "config"))

    def _entry(self, section: str, name: str) -> tuple[Optional[CommentedMap], Optional[CommentedMap], str]:
        """(the keyed mapping, the entry's mapping, the entry key) whose key the resource name carries."""
        node: Any = self.config
        for part in KEYED_SECTIONS.get(section, ()):
            node = node.get(part) if isinstance(node, CommentedMap) else None
        if section not in KEYED_SECTIONS or not isinstance(node, CommentedMap):
            return None, None, ""
        best = ""
        for key in node:
            prefix = f"{self.environment}-{key}"
            if (name == prefix or name.startswith(prefix + "-")) and len(str(key)) > len(best):
                best = str(key)
        if not best:
            return None, None, ""
        entry = node[best]
        return node, entry if isinstance(entry, CommentedMap) else CommentedMap(), best

    def line(self, urn: str, name: str, policy: str, message: str) -> int:
        """The 1-based line of the setting behind a violation; the `config:` line when nothing narrower fits."""
        if self.config is None:
            return 1
        section, key_name = _section(urn), name
        rendered = RENDERED_FILE.search(message)
        if rendered and section is None:
            key_name = f"{self.environment}-{rendered.group(1)}"
            section = "services" if rendered.group(1) in (self.config.get("services") or {}) else "jobs"
        if section is None or section not in self.config:
            return self.config_line
        parent, entry, key = self._entry(section, key_name)
        if parent is None or entry is None or key == "":
            # Not a keyed entry (the cluster itself, the network): a setting of the section, else the section.
            node = self.config[section]
            for setting in RULE_SETTINGS.get(policy, ()):
                if isinstance(node, CommentedMap) and setting in node:
                    return _line(node, setting)
            return _line(self.config, section)
        for setting in RULE_SETTINGS.get(policy, ()):
            if setting in entry:
                return _line(entry, setting)
        return _line(parent, key)


def _section(urn: str) -> Optional[str]:
    parts = urn.split("::")
    if len(parts) < 4:
        return None
    for component in reversed(parts[2].split("$")):
        if component in SECTION_BY_COMPONENT:
            return SECTION_BY_COMPONENT[component]
    return None
