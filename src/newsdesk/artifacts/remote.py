"""An artifact store over any fsspec filesystem (S3 through s3fs; others by registering a factory).

Keys live under ``root``, the filesystem's own path of the store's URL (``bucket/prefix`` for
``s3://bucket/prefix``). Writes are staged in a local temporary file and uploaded whole on a clean close,
so an object is either the old one or the new one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, cast

from newsdesk.artifacts.base import Mode, StagedWriter, check_key
from newsdesk.errors import InvalidInput, NotFound

__all__ = ["FsspecArtifacts"]


class FsspecArtifacts:
    """Artifacts as objects of the fsspec filesystem ``fs`` under ``root`` (``url`` is its URI)."""

    def __init__(self, url: str, fs: Any, root: str) -> None:
        self.url = url.rstrip("/")
        self.fs = fs
        self.root = root.strip("/")

    def _path(self, key: str, *, empty: bool = False) -> str:
        check_key(key, empty=empty)
        return f"{self.root}/{key}" if key else self.root

    def uri(self, key: str) -> str:
        return f"{self.url}/{check_key(key)}"

    def put(self, local: Path, key: str) -> str:
        target = self._path(key)
        if local.is_dir():
            for path in sorted(p for p in local.rglob("*") if p.is_file()):
                self.fs.put_file(str(path), f"{target}/{path.relative_to(local).as_posix()}")
        elif local.is_file():
            self.fs.put_file(str(local), target)
        else:
            raise NotFound(f"{local}: no such file or folder to store")
        return self.uri(key)

    def get(self, key: str, local: Path) -> Path:
        source = self._path(key)
        if self.fs.isfile(source):
            self._download(source, local)
            return local
        found = self._find(source)
        if not found:
            raise NotFound(f"no artifact '{key}' in {self.url}")
        for path in found:
            self._download(path, local / path[len(source) + 1 :])
        return local

    def _download(self, source: str, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            self.fs.get_file(source, str(tmp))
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def open(self, key: str, mode: Mode = "rb") -> IO[bytes]:
        path = self._path(key)
        if mode == "wb":
            fd, staging = tempfile.mkstemp(prefix="newsdesk-artifact-", suffix=".tmp")
            os.close(fd)
            return StagedWriter(Path(staging), lambda p: self.fs.put_file(str(p), path))
        if mode != "rb":
            raise InvalidInput("mode", mode, "'rb' or 'wb'")
        try:
            return cast(IO[bytes], self.fs.open(path, "rb"))
        except FileNotFoundError:
            raise NotFound(f"no artifact '{key}' in {self.url}") from None

    def exists(self, key: str) -> bool:
        path = self._path(key)
        return bool(self.fs.isfile(path) or self._find(path))

    def _find(self, folder: str) -> list[str]:
        """Every file strictly under ``folder`` (a sibling that merely starts with its name is not)."""
        prefix = folder.rstrip("/") + "/" if folder else ""
        return sorted(p for p in self.fs.find(folder) if str(p).startswith(prefix))

    def list(self, prefix: str = "") -> Sequence[str]:
        path = self._path(prefix, empty=True)
        if prefix and self.fs.isfile(path):
            return [prefix]
        return [p[len(self.root) + 1 :] for p in self._find(path)]

    def delete(self, key: str) -> None:
        path = self._path(key)
        if self.fs.isfile(path):
            self.fs.rm_file(path)
        found = self._find(path)
        if found:
            self.fs.rm(found)
