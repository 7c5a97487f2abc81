"""A folder of plain-text files: ``<root>/<section>/<name>.txt``, first line the headline, the rest the body.

This is the layout of the BBC News corpus. The source id is ``<section>/<name>``; files that are not UTF-8
are read as Windows-1252 (the BBC set has one such file) and say so in ``extra.encoding``.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from newsdesk.ingest.readers.base import RawRecord, ReaderOptions, readers, slug

__all__ = ["TextDirReader", "read_text_article"]


@readers.register("textdir")
class TextDirReader:
    name: ClassVar[str] = "textdir"
    suffixes: ClassVar[tuple[str, ...]] = ()

    def sniff(self, path: Path, head: bytes) -> bool:
        return path.is_dir()

    def read(self, path: Path, options: ReaderOptions) -> Iterator[RawRecord]:
        source = options.source or slug(path.name, "textdir")
        root = str(path)
        for parts in _text_files(path):
            section = parts[0] if len(parts) > 1 else None
            location = "/".join(parts)
            try:
                with open(os.path.join(root, *parts), "rb") as fh:
                    raw = fh.read()
            except OSError as exc:
                yield RawRecord(location, problem=f"unreadable file: {exc.strerror}")
                continue
            fields = read_text_article(raw)
            if fields is None:
                yield RawRecord(location, problem="binary file (NUL bytes), not text", problem_field="body")
                continue
            name = parts[-1]
            stem = name[:-4] if len(name) > 4 else name  # Path.with_suffix(""): ".txt" has no suffix
            fields.update(source=source, source_id="/".join((*parts[:-1], stem)), section=section)
            yield RawRecord(location, fields=fields)


def _text_files(root: Path) -> list[tuple[str, ...]]:
    """What ``sorted(root.rglob("*.txt"))`` finds, as path parts relative to ``root``, in the same order.

    rglob makes a Path, and runs pattern matching, per entry: for a folder of thousands of articles that
    takes tens of milliseconds before the first one can be read. This walks the same folders (not through
    symbolic links; a folder that cannot be listed for lack of permission gives nothing; the same errors are
    ignored or raised) with os.scandir. Paths sort by their parts, as Path objects do (on POSIX: names
    match, and sort, case-sensitively; elsewhere this is rglob itself).
    """
    if os.name != "posix":
        return [p.relative_to(root).parts for p in sorted(root.rglob("*.txt"))]
    if not root.is_dir():
        return []
    found: list[tuple[str, ...]] = []
    _walk(str(root), (), found)
    found.sort()
    return found


def _walk(folder: str, parts: tuple[str, ...], found: list[tuple[str, ...]]) -> None:
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except PermissionError:
        return
    found.extend((*parts, e.name) for e in entries if e.name.endswith(".txt"))
    try:
        for entry in entries:
            is_dir = False
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError as exc:
                if getattr(exc, "errno", None) not in _IGNORED_ERRNOS:
                    raise
            if is_dir:
                _walk(os.path.join(folder, entry.name), (*parts, entry.name), found)
    except PermissionError:
        return


_IGNORED_ERRNOS = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)  # as pathlib's glob


def read_text_article(raw: bytes) -> dict[str, Any] | None:
    """Headline and body of one text file, or ``None`` for binary content."""
    if b"\x00" in raw:
        return None
    extra: dict[str, Any] = {}
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
        extra["encoding"] = "cp1252"
    headline, _, body = text.strip().partition("\n")
    fields: dict[str, Any] = {"headline": headline.strip(), "body": body.strip()}
    if extra:
        fields["extra"] = extra
    return fields
