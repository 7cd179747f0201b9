"""The deploying identities' permissions, installed with the package as `platform_ci_identity`.

The files beside this module are what an administrator creates once per account or project (docs/bootstrap.md):
the AWS deployer policy and the boundary every platform role carries, and the GCP deployer roles. Components
read them from here (the Pulumi Kubernetes Operator's workspace role takes the deployer policy as its own), so a
project that installed the wheel has the same files as this repository.
"""

from importlib import resources

FILES = resources.files(__name__)


def read(file_name: str) -> str:
    """The text of one shipped file (`aws-deployer-policy.json`, `aws-role-boundary.json`, ...)."""
    return (FILES / file_name).read_text(encoding="utf-8")
