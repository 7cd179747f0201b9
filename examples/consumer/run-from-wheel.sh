#!/usr/bin/env bash
# CI (.ci/run): build this repository's wheel, install it with one extra into a fresh virtualenv, and run the
# consumer project from a copy outside the repository, as another team would: preview, policy check with the pack
# installed with the package, and its tests (which include the check that refuses the planted violation).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
PYTHON="${PYTHON:-python3}"

# From a copy of the files git knows (tracked or not ignored): no stale build/ or .venv of the checkout in the wheel.
mkdir "$work/src"
git -C "$repo" ls-files -z --cached --others --exclude-standard | (cd "$repo" && tar --null --ignore-failed-read -T - -cf - 2>/dev/null) \
  | tar -xf - -C "$work/src"
"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$work/src"
wheel="$(ls "$work"/dist/platform_components-*.whl)"
"$PYTHON" -m venv "$work/venv"
# One extra: the AWS and Kubernetes SDKs, not GCP's, not the test tools (pytest is the consumer's own choice).
"$work/venv/bin/python" -m pip install --quiet "${wheel}[aws]" "pytest>=8,<9.2"
"$work/venv/bin/python" - <<'PY'
from importlib.metadata import PackageNotFoundError, version

def installed(distribution):
    try:
        return bool(version(distribution))
    except PackageNotFoundError:
        return False

for distribution, wanted in {"pulumi-aws": True, "pulumi-kubernetes": True, "boto3": True, "pulumi-gcp": False,
                             "google-cloud-artifact-registry": False, "kubernetes-validate": False}.items():
    assert installed(distribution) == wanted, f"[aws] install: {distribution} installed is {not wanted}"
PY

cp -R "$repo/examples/consumer" "$work/consumer"
cd "$work/consumer"
export PATH="$work/venv/bin:$PATH"
for installed in "$(stackctl policy path)" "$(python -c 'import components; print(components.__file__)')" \
                 "$(python -c 'import platform_ci_identity; print(platform_ci_identity.FILES)')"; do
  case "$installed" in
    "$work"/venv/*) ;;
    *) echo "$installed: not from the wheel installed in $work/venv" >&2; exit 1 ;;
  esac
done
# The deployer policy travels with the package: the operator's workspace role takes it from there.
python -c 'import json; from components.addons.pulumi_operator import workspace_policy
assert json.loads(workspace_policy("state", "arn:aws:kms:us-west-2:123456789012:key/k"))["Statement"]'
stackctl preview dev > /dev/null
stackctl check dev
python -m pytest -q -p no:cacheprovider tests
echo "consumer project from the wheel: ok"
