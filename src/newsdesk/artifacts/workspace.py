"""The deployment's artifact store, from ``settings.artifacts``, and the small verbs the rest of newsdesk
uses: open it, copy a written file into it, and tell MLflow where its artifacts go.

Keys are grouped by area: ``reports/``, ``exports/``, ``cards/``, ``index/<name>/`` and
``mlflow/<experiment>/``. With no ``artifacts.url`` every function here does nothing and everything stays in
the local workspace.

>>> from newsdesk.settings import Settings
>>> open_artifacts(Settings(home="/tmp/newsroom")) is None
True
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from newsdesk.artifacts.base import ArtifactStore, artifact_stores
from newsdesk.errors import InvalidInput

if TYPE_CHECKING:
    from newsdesk.settings import ArtifactSettings, Settings

__all__ = ["artifact_store", "artifact_uri", "mlflow_artifact_root", "open_artifacts", "publish"]


def artifact_store(url: str, options: ArtifactSettings) -> ArtifactStore:
    """The backend registered for ``url``'s scheme (a plain path is a local folder)."""
    scheme = urlsplit(url).scheme.lower() or "file"
    if len(scheme) == 1:  # a Windows drive letter, C:\\..., is a path
        scheme = "file"
    known = artifact_stores.names()
    if scheme not in known:
        allowed = ", ".join(f"{name}://..." for name in known)
        raise InvalidInput("artifacts.url", url, f"a URL whose scheme is one of {allowed} (or a local path)")
    return artifact_stores.get(scheme)(url, options)


def open_artifacts(settings: Settings) -> ArtifactStore | None:
    """The store named by ``artifacts.url``, or None when none is set (the local workspace only)."""
    url = settings.artifacts.url
    if url is None or not url.strip():
        return None
    return artifact_store(url.strip(), settings.artifacts)


def _key(area: str, local: Path) -> str:
    return f"{area}/{local.name}"


def publish(settings: Settings, local: Path, area: str) -> str | None:
    """Copy the written file ``local`` to ``<area>/<its name>`` in the artifact store; its URI, or None
    when no store is set."""
    store = open_artifacts(settings)
    return None if store is None else store.put(local, _key(area, local))


def artifact_uri(settings: Settings, area: str, local: Path) -> str | None:
    """Where :func:`publish` puts ``local`` (None when no store is set)."""
    store = open_artifacts(settings)
    return None if store is None else store.uri(_key(area, local))


def mlflow_artifact_root(settings: Settings) -> str | None:
    """The root under which new MLflow experiments keep their artifacts (``<artifacts url>/mlflow``), or
    None when no store is set.

    MLflow reaches S3 with boto3 on its own; a non-AWS endpoint is passed to it as
    ``MLFLOW_S3_ENDPOINT_URL`` (and the region, when the environment names none, as ``AWS_DEFAULT_REGION``).
    """
    store = open_artifacts(settings)
    if store is None:
        return None
    options = settings.artifacts
    if options.endpoint_url:
        os.environ["MLFLOW_S3_ENDPOINT_URL"] = options.endpoint_url
    if options.region:
        os.environ.setdefault("AWS_DEFAULT_REGION", options.region)
    return store.uri("mlflow")
