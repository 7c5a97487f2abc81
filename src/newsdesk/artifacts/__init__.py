"""Artifact stores: where indexes, MLflow artifacts, reports, exports and model cards are kept.

Set ``NEWSDESK_ARTIFACTS__URL`` (``s3://bucket/prefix``, ``file:///srv/artifacts``) and they are copied
there as they are written; leave it unset and everything stays in the local workspace. Backends are found
by URL scheme in :data:`artifact_stores`: ``file`` (a local or mounted folder) and ``s3`` (any
S3-compatible store, through s3fs, imported only when used).
"""

from __future__ import annotations

from newsdesk.artifacts import local, s3
from newsdesk.artifacts.base import ArtifactFactory, ArtifactStore, artifact_stores, check_key
from newsdesk.artifacts.folders import pull_folder, push_folder
from newsdesk.artifacts.local import LocalArtifacts
from newsdesk.artifacts.remote import FsspecArtifacts
from newsdesk.artifacts.workspace import (
    artifact_store,
    artifact_uri,
    mlflow_artifact_root,
    open_artifacts,
    publish,
)

__all__ = [
    "ArtifactFactory",
    "ArtifactStore",
    "FsspecArtifacts",
    "LocalArtifacts",
    "artifact_store",
    "artifact_stores",
    "artifact_uri",
    "check_key",
    "mlflow_artifact_root",
    "open_artifacts",
    "publish",
    "pull_folder",
    "push_folder",
]

_ = (local, s3)  # imported to register their schemes
