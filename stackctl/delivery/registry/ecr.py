"""Amazon ECR through boto3, with the caller's AWS credential chain (never credentials from a stack file).

API: `describe_images` (digest, tags, `imagePushedAt`) and `batch_get_image` (the manifest, whose
`annotations` carry the OCI source revision and repository), boto3 ECR client reference
(https://boto3.amazonaws.com/v1/documentation/api/latest/reference/services/ecr.html).
"""

from __future__ import annotations

import json
import re
from typing import Any, Optional

from .base import (
    ATTEMPTS,
    CONNECT_TIMEOUT_SECONDS,
    READ_TIMEOUT_SECONDS,
    REVISION_KEY,
    SOURCE_KEY,
    Artifact,
    CredentialsError,
    ImageRef,
    RegistryError,
)

# <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]: the private registry endpoints (ECR user guide,
# "Amazon ECR private registry").
HOST = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr(-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?$")

# Without an explicit list ECR may convert a multi-platform index to one platform's manifest (and its
# digest would no longer be the one pushed); these four are what docker and buildx push.
ACCEPTED_MEDIA_TYPES = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
]


def matches(image: ImageRef) -> bool:
    return HOST.match(image.host) is not None


class EcrRegistry:
    """One ECR registry (account and region), read with `client` or a boto3 client made for its region."""

    def __init__(self, image: ImageRef, client: Any = None) -> None:
        match = HOST.match(image.host)
        if match is None:
            raise RegistryError(f"{image.host} is not an Amazon ECR registry host")
        self.account = match["account"]
        self.region = match["region"]
        if client is None:
            import boto3  # lazily: `stackctl --help` must not pay for boto3
            from botocore.config import Config

            # Bounded: a registry that accepts connections but never answers costs at most
            # ATTEMPTS x (connect + read timeout), not minutes per workload.
            client = boto3.client("ecr", region_name=self.region, config=Config(
                connect_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS,
                retries={"max_attempts": ATTEMPTS, "mode": "standard"}))
        self.client = client

    def artifacts(self, image: ImageRef) -> list[Artifact]:
        found = []
        for page in self._call(image, lambda: self.client.get_paginator("describe_images").paginate(
                registryId=self.account, repositoryName=image.path, filter={"tagStatus": "TAGGED"})):
            for detail in page.get("imageDetails", []):
                found.append(Artifact(
                    repository=image.repository,
                    digest=detail["imageDigest"],
                    tags=tuple(sorted(detail.get("imageTags", []))),
                    pushed_at=detail.get("imagePushedAt"),
                ))
        return sorted(found, key=lambda a: (a.pushed_at is not None, a.pushed_at), reverse=True)

    def artifact(self, image: ImageRef, digest: str) -> Optional[Artifact]:
        described = self._call(image, lambda: self.client.describe_images(
            registryId=self.account, repositoryName=image.path, imageIds=[{"imageDigest": digest}]),
            missing_image=True)
        if not described or not described.get("imageDetails"):
            return None
        detail = described["imageDetails"][0]
        got = self._call(image, lambda: self.client.batch_get_image(
            registryId=self.account, repositoryName=image.path, imageIds=[{"imageDigest": digest}],
            acceptedMediaTypes=ACCEPTED_MEDIA_TYPES))
        annotations: dict[str, str] = {}
        for found in got.get("images", []):
            annotations = manifest_annotations(found.get("imageManifest", ""))
        return Artifact(
            repository=image.repository,
            digest=detail["imageDigest"],
            tags=tuple(sorted(detail.get("imageTags", []))),
            pushed_at=detail.get("imagePushedAt"),
            revision=annotations.get(REVISION_KEY),
            source=annotations.get(SOURCE_KEY),
            annotations=annotations,
        )

    def _call(self, image: ImageRef, call, missing_image: bool = False):
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            EndpointConnectionError,
            NoCredentialsError,
            ReadTimeoutError,
        )

        try:
            result = call()
            return list(result) if not isinstance(result, dict) else result
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if missing_image and code == "ImageNotFoundException":
                return None
            if code == "RepositoryNotFoundException":
                raise RegistryError(f"{image.repository}: no such ECR repository in account {self.account} "
                                    f"({self.region})") from None
            raise RegistryError(f"{image.repository}: ECR refused {exc.operation_name} ({code}); "
                                "check the AWS identity this runs as") from None
        except NoCredentialsError:
            raise CredentialsError(
                f"{image.host}: no AWS credentials found (the AWS credential chain: AWS_ACCESS_KEY_ID/"
                "AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws, SSO, web identity, container or instance role); "
                "sign in, e.g. `aws sso login` or aws-actions/configure-aws-credentials in CI") from None
        except (ConnectTimeoutError, ReadTimeoutError, EndpointConnectionError) as exc:
            raise RegistryError(f"{image.repository}: ECR did not answer ({type(exc).__name__} after {ATTEMPTS} "
                                f"attempts, timeouts {CONNECT_TIMEOUT_SECONDS}s connect / "
                                f"{READ_TIMEOUT_SECONDS}s read)") from None
        except BotoCoreError as exc:
            raise RegistryError(f"{image.repository}: cannot reach ECR ({exc})") from None


def manifest_annotations(manifest_text: str) -> dict[str, str]:
    """The `annotations` of an OCI manifest or index (docker v2 manifests have none)."""
    try:
        manifest = json.loads(manifest_text)
    except json.JSONDecodeError:
        return {}
    annotations = manifest.get("annotations") if isinstance(manifest, dict) else None
    return {str(k): str(v) for k, v in annotations.items()} if isinstance(annotations, dict) else {}
