"""A folder of plain-text files: ``<root>/<section>/<name>.txt``, first line the headline, the rest the body.

This is the layout of the BBC News corpus. The source id is ``<section>/<name>``; files that are not UTF-8
are read as Windows-1252 (the BBC set has one such file) and say so in ``extra.encoding``.
"""

from __future__ import annotations

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
        for file in sorted(path.rglob("*.txt")):
            rel = file.relative_to(path)
            section = rel.parts[0] if len(rel.parts) > 1 else None
            location = rel.as_posix()
            try:
                raw = file.read_bytes()
            except OSError as exc:
                yield RawRecord(location, problem=f"unreadable file: {exc.strerror}")
                continue
            fields = read_text_article(raw)
            if fields is None:
                yield RawRecord(location, problem="binary file (NUL bytes), not text", problem_field="body")
                continue
            fields.update(source=source, source_id=rel.with_suffix("").as_posix(), section=section)
            yield RawRecord(location, fields=fields)


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
