"""Only the package list (everything else is in pyproject.toml): what `find` sees, plus the policy pack.

`policy/` (the pack the Pulumi CLI and `stackctl check` run from this repository) is installed as the package
`platform_policy`, so a project that installs the wheel has the same pack (`stackctl policy path`); likewise
`deploy/ci-identity/` (the deployer's policies and roles) as `platform_ci_identity`.
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["components*", "stackctl*"]), "platform_policy", "platform_policy.guardrails",
                "platform_ci_identity"])
