"""The artifact store contract, its registry of backends (keyed by URL scheme) and key rules.

An artifact is a file (an index, a report, an export, a model card, an MLflow artifact) kept under a
*key*: a relative, ``/``-separated path such as ``reports/daily.html``. A backend maps keys onto one root
(a local folder, an S3 bucket and prefix). Backends register a factory under their URL scheme in
:data:`artifact_stores`; third-party packages add schemes through the ``newsdesk.artifact_stores``
entry-point group.

>>> check_key("reports/daily.html")
'reports/daily.html'
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Literal, Protocol, runtime_checkable

from newsdesk.errors import InvalidInput
from newsdesk.registry import Registry
from newsdesk.settings import ArtifactSettings

__all__ = ["ArtifactFactory", "ArtifactStore", "Mode", "StagedWriter", "artifact_stores", "check_key"]

Mode = Literal["rb", "wb"]


@runtime_checkable
class ArtifactStore(Protocol):
    """Files under keys, in one root. Writes replace whole files; a reader never sees half a file."""

    url: str  # the root, as configured (``s3://bucket/prefix``, ``file:///srv/artifacts``)

    def uri(self, key: str) -> str:
        """The full URI of ``key`` (what other tools, MLflow included, are given)."""
        ...

    def put(self, local: Path, key: str) -> str:
        """Copy a local file, or a folder and everything in it, to ``key``; returns its URI."""
        ...

    def get(self, key: str, local: Path) -> Path:
        """Copy ``key`` (a file, or every file under it) to ``local``; ``NotFound`` when there is none."""
        ...

    def open(self, key: str, mode: Mode = "rb") -> IO[bytes]:
        """A binary file object; reading a missing key raises ``NotFound``."""
        ...

    def exists(self, key: str) -> bool:
        """Whether ``key`` is a file or has files under it."""
        ...

    def list(self, prefix: str = "") -> Sequence[str]:
        """The keys of every file under ``prefix`` (all of them when empty), sorted."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key`` and anything under it; a missing key is not an error."""
        ...


ArtifactFactory = Callable[[str, ArtifactSettings], ArtifactStore]
"""Builds a backend from its URL and the ``artifacts`` settings."""

artifact_stores: Registry[ArtifactFactory] = Registry("artifact_stores")


def check_key(key: str, *, empty: bool = False) -> str:
    """``key`` when it is a relative path of plain parts (``empty`` allows ``""``, the whole root)."""
    if key == "" and empty:
        return key
    parts = key.split("/")
    if not key or key.startswith("/") or "\\" in key or any(p in ("", ".", "..") for p in parts):
        raise InvalidInput(
            "key", key, "a relative path such as 'reports/daily.html' (no empty, '.' or '..' parts)"
        )
    return key


class StagedWriter(io.BufferedWriter):
    """A binary file that collects bytes in a local ``staging`` file and hands it to ``publish`` on a clean
    close; an error inside its ``with`` block drops it instead, so a failed write publishes nothing."""

    def __init__(self, staging: Path, publish: Callable[[Path], None]) -> None:
        staging.parent.mkdir(parents=True, exist_ok=True)
        self._staging = staging
        self._publish = publish
        super().__init__(io.FileIO(staging, "wb"))

    def close(self) -> None:
        if self.closed:
            return
        super().close()
        try:
            self._publish(self._staging)
        finally:
            self._staging.unlink(missing_ok=True)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
            return
        super().close()
        self._staging.unlink(missing_ok=True)
