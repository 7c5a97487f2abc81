"""Helpers of the artifact tests: the S3 server's coordinates, and one empty store per registered scheme."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from newsdesk.artifacts import ArtifactStore, artifact_store
from newsdesk.settings import ArtifactSettings

BUCKET = "newsdesk-test"


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    bucket: str

    def url(self, prefix: str | None = None) -> str:
        """A fresh prefix in the bucket, so tests never see each other's objects."""
        return f"s3://{self.bucket}/{prefix or uuid.uuid4().hex[:12]}"

    def settings(self, url: str) -> ArtifactSettings:
        return ArtifactSettings(url=url, endpoint_url=self.endpoint_url, region="us-east-1")


# one way to make an empty store per registered scheme: a new backend must add itself here
STORE_MAKERS: dict[str, Callable[[pytest.FixtureRequest, Path], ArtifactStore]] = {
    "file": lambda request, tmp: artifact_store(tmp.joinpath("store").as_uri(), ArtifactSettings()),
    "s3": lambda request, tmp: _s3_store(request.getfixturevalue("s3_server")),
}


def _s3_store(server: S3Server) -> ArtifactStore:
    url = server.url()
    return artifact_store(url, server.settings(url))
