"""The local-filesystem artifact store: keys are files under one folder (``file:///srv/artifacts``).

A shared mount (NFS, SMB) makes it a team store without any server. Every write goes to a temporary name
and is renamed into place, so readers see the old file or the new one, never a half-written one.

>>> import tempfile
>>> store = LocalArtifacts(Path(tempfile.mkdtemp()))
>>> with store.open("notes/a.txt", "wb") as fh:
...     _ = fh.write(b"hello")
>>> store.list(), store.open("notes/a.txt").read()
(['notes/a.txt'], b'hello')
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urlsplit

from newsdesk.artifacts.base import Mode, StagedWriter, artifact_stores, check_key
from newsdesk.errors import InvalidInput, NotFound
from newsdesk.settings import ArtifactSettings

__all__ = ["LocalArtifacts", "open_file_store"]


class LocalArtifacts:
    """Artifacts as files under ``root`` (created on the first write)."""

    def __init__(self, root: Path) -> None:
        self.root = root.expanduser().resolve()
        self.url = self.root.as_uri()

    def _path(self, key: str, *, empty: bool = False) -> Path:
        check_key(key, empty=empty)
        return self.root / key if key else self.root

    def uri(self, key: str) -> str:
        return self._path(key).as_uri()

    def put(self, local: Path, key: str) -> str:
        target = self._path(key)
        if local.is_dir():
            for path in sorted(p for p in local.rglob("*") if p.is_file()):
                self._copy(path, target / path.relative_to(local))
        elif local.is_file():
            self._copy(local, target)
        else:
            raise NotFound(f"{local}: no such file or folder to store")
        return target.as_uri()

    def _copy(self, source: Path, target: Path) -> None:
        with source.open("rb") as src, _writer(target) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)

    def get(self, key: str, local: Path) -> Path:
        source = self._path(key)
        if source.is_dir():
            for path in sorted(p for p in source.rglob("*") if p.is_file()):
                _download(path, local / path.relative_to(source))
        elif source.is_file():
            _download(source, local)
        else:
            raise NotFound(f"no artifact '{key}' in {self.url}")
        return local

    def open(self, key: str, mode: Mode = "rb") -> IO[bytes]:
        path = self._path(key)
        if mode == "wb":
            return _writer(path)
        if mode != "rb":
            raise InvalidInput("mode", mode, "'rb' or 'wb'")
        if not path.is_file():
            raise NotFound(f"no artifact '{key}' in {self.url}")
        return path.open("rb")

    def exists(self, key: str) -> bool:
        path = self._path(key)
        return path.is_file() or (
            path.is_dir() and any(p.is_file() and not _is_temporary(p) for p in path.rglob("*"))
        )

    def list(self, prefix: str = "") -> Sequence[str]:
        base = self._path(prefix, empty=True)
        if base.is_file():
            return [prefix]
        if not base.is_dir():
            return []
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in base.rglob("*")
            if p.is_file() and not _is_temporary(p)
        )

    def delete(self, key: str) -> None:
        path = self._path(key)
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def _writer(target: Path) -> StagedWriter:
    """Stages next to ``target`` (same filesystem) and renames into place."""
    staging = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    return StagedWriter(staging, lambda path: os.replace(path, target))


def _is_temporary(path: Path) -> bool:
    return path.name.startswith(".") and path.name.endswith(".tmp")


def _download(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)


@artifact_stores.register("file")
def open_file_store(url: str, options: ArtifactSettings) -> LocalArtifacts:
    """``file:///abs/path`` (or a plain path) as a :class:`LocalArtifacts`."""
    parts = urlsplit(url)
    if parts.scheme == "file" and parts.netloc not in ("", "localhost"):
        raise InvalidInput("artifacts.url", url, "a local folder as file:///absolute/path")
    path = unquote(parts.path) if parts.scheme == "file" else url
    if not path:
        raise InvalidInput("artifacts.url", url, "a local folder as file:///absolute/path")
    return LocalArtifacts(Path(path))
