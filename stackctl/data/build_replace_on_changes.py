"""Maintainer tool: rebuild the GCP part of replace_on_changes.json from terraform-provider-google.

    python stackctl/data/build_replace_on_changes.py GOOGLE_CHECKOUT GOOGLE_REF

GOOGLE_CHECKOUT: a clone of hashicorp/terraform-provider-google; every schema key marked `ForceNew: true`
in the listed files becomes a replace-on-change path (snake_case -> the bridge's camelCase). The AWS part
and pulumi-kubernetes's rules (provider/pkg/provider/diff.go, provider.go) are curated by hand from the
files named in each entry, since their rules are code, not schema markers. Not used at runtime.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).with_name("replace_on_changes.json")

GCP_FILES: dict[str, list[tuple[str, str]]] = {
    # type: [(file, path prefix)]
    "gcp:compute/firewall:Firewall": [("google/services/compute/resource_compute_firewall.go", "")],
    "gcp:compute/network:Network": [("google/services/compute/resource_compute_network.go", "")],
    "gcp:compute/router:Router": [("google/services/compute/resource_compute_router.go", "")],
    "gcp:compute/routerNat:RouterNat": [("google/services/compute/resource_compute_router_nat.go", "")],
    "gcp:compute/subnetwork:Subnetwork": [("google/services/compute/resource_compute_subnetwork.go", "")],
    "gcp:container/cluster:Cluster": [("google/services/container/resource_container_cluster.go", ""),
                                      ("google/services/container/node_config.go", "node_config")],
    "gcp:container/nodePool:NodePool": [("google/services/container/resource_container_node_pool.go", ""),
                                        ("google/services/container/node_config.go", "node_config")],
    "gcp:kms/cryptoKey:CryptoKey": [("google/services/kms/resource_kms_crypto_key.go", "")],
    "gcp:kms/keyRing:KeyRing": [("google/services/kms/resource_kms_key_ring.go", "")],
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": [("google/tpgiamresource/resource_iam_member.go", ""),
                                                      ("google/services/kms/iam_kms_crypto_key.go", "")],
    "gcp:projects/iAMMember:IAMMember": [("google/tpgiamresource/resource_iam_member.go", ""),
                                         ("google/services/resourcemanager/iam_project.go", "")],
    "gcp:pubsub/subscription:Subscription": [("google/services/pubsub/resource_pubsub_subscription.go", "")],
    "gcp:pubsub/topic:Topic": [("google/services/pubsub/resource_pubsub_topic.go", "")],
    "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": [
        ("google/tpgiamresource/resource_iam_member.go", ""),
        ("google/services/pubsub/iam_pubsub_subscription.go", "")],
    "gcp:pubsub/topicIAMMember:TopicIAMMember": [("google/tpgiamresource/resource_iam_member.go", ""),
                                                 ("google/services/pubsub/iam_pubsub_topic.go", "")],
    "gcp:serviceaccount/account:Account": [("google/services/resourcemanager/resource_google_service_account.go", "")],
    "gcp:serviceaccount/iAMMember:IAMMember": [("google/tpgiamresource/resource_iam_member.go", ""),
                                               ("google/services/resourcemanager/iam_service_account.go", "")],
}

_KEY = re.compile(r"\s*\"(\w+)\":\s*(&?schema\.Schema)?\{\s*$")


def force_new_keys(go_source: str) -> set[str]:
    """Dotted schema keys whose block sets `ForceNew: true` (nesting followed by brace depth)."""
    stack: list[tuple[str, int]] = []
    depth = 0
    found: set[str] = set()
    for line in go_source.split("\n"):
        match = _KEY.match(line)
        if match:
            stack.append((match.group(1), depth))
        if re.search(r"ForceNew:\s*true", line) and stack:
            found.add(".".join(key for key, _ in stack))
        depth += line.count("{") - line.count("}")
        while stack and depth <= stack[-1][1]:
            stack.pop()
    return found


def camel(path: str) -> str:
    return ".".join(re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), part) for part in path.split("."))


def main(google: str, ref: str) -> None:
    data = json.loads(DATA.read_text())
    commit = subprocess.run(["git", "-C", google, "rev-parse", ref], capture_output=True, text=True,
                            check=True).stdout.strip()
    data["providers"]["gcp"]["revision"] = f"{ref} ({commit})"
    for type_, files in GCP_FILES.items():
        paths: set[str] = set()
        for file, prefix in files:
            source = subprocess.run(["git", "-C", google, "show", f"{commit}:{file}"], capture_output=True,
                                    text=True, check=True).stdout
            paths |= {camel(f"{prefix}.{key}" if prefix else key) for key in force_new_keys(source)}
        data["types"][type_] = {"source": " + ".join(f for f, _ in files), "replaceOnChanges": sorted(paths)}
    DATA.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
