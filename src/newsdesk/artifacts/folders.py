"""Mirror a flat folder of built files (a search index) to an artifact store and back.

:func:`push_folder` uploads each file, then a ``MANIFEST.json`` naming every file with its size and
sha256; the manifest goes last, so a reader that sees it sees a complete build. The same manifest is kept
in the local folder (``.artifact-manifest.json``): it records which remote build the local copy is.

:func:`pull_folder` downloads when the local copy is missing a file or comes from another build than the
remote manifest names. A local copy that moved on from the build it was pulled from (an index synced with
the store since) is left alone until a newer build is pushed. Downloads are checked against the manifest
and renamed into place only when every file arrived whole; a build pushed meanwhile makes the pull give up
and keep the local copy.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from newsdesk.artifacts.base import ArtifactStore
from newsdesk.errors import NotFound

__all__ = ["LOCAL_MANIFEST", "MANIFEST", "pull_folder", "push_folder"]

MANIFEST = "MANIFEST.json"
LOCAL_MANIFEST = ".artifact-manifest.json"
_CHUNK = 1 << 20


def _copy_hashing(src: IO[bytes], dst: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := src.read(_CHUNK):
        digest.update(chunk)
        dst.write(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _built_files(folder: Path) -> list[Path]:
    """The folder's finished files: not hidden, not a temporary being written."""
    return sorted(
        p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and ".tmp" not in p.name
    )


def push_folder(store: ArtifactStore, folder: Path, key: str) -> str:
    """Upload the files of ``folder`` under ``key``, then its manifest; returns the key's URI."""
    files: dict[str, dict[str, Any]] = {}
    for path in _built_files(folder):
        with path.open("rb") as src, store.open(f"{key}/{path.name}", "wb") as dst:
            sha256, size = _copy_hashing(src, dst)
        files[path.name] = {"sha256": sha256, "bytes": size}
    manifest = {"files": files, "pushed_at": datetime.now(UTC).isoformat(timespec="seconds")}
    raw = json.dumps(manifest, sort_keys=True).encode("utf-8")
    with store.open(f"{key}/{MANIFEST}", "wb") as fh:
        fh.write(raw)
    (folder / LOCAL_MANIFEST).write_bytes(raw)
    return store.uri(key)


def pull_folder(store: ArtifactStore, key: str, folder: Path) -> bool:
    """Bring ``folder`` to the build pushed under ``key`` when it is missing or from another build; True
    when files were replaced."""
    try:
        with store.open(f"{key}/{MANIFEST}") as fh:
            raw = fh.read()
    except NotFound:
        return False
    try:
        files: dict[str, dict[str, Any]] = dict(json.loads(raw)["files"])
    except (ValueError, KeyError, TypeError):
        return False  # not a manifest this module wrote: keep the local copy
    if any(Path(name).name != name or name.startswith(".") for name in files):
        return False  # never write outside the folder
    local = folder / LOCAL_MANIFEST
    if local.exists() and local.read_bytes() == raw and all((folder / n).is_file() for n in files):
        return False
    folder.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, expected in files.items():
            tmp = folder / f"{name}.{os.getpid()}.tmp.pull"
            staged.append((tmp, folder / name))
            with store.open(f"{key}/{name}") as src, tmp.open("wb") as dst:
                sha256, size = _copy_hashing(src, dst)
            if (sha256, size) != (expected["sha256"], expected["bytes"]):
                return False  # replaced by a newer push while we read: keep the local copy
        for tmp, target in staged:
            os.replace(tmp, target)
        local.write_bytes(raw)
        return True
    except NotFound:
        return False
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)

