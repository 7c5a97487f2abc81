"""JSON Lines: one article object per line, canonical field names (``id`` and ``title`` accepted)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import ClassVar

from newsdesk.ingest.readers.base import RawRecord, ReaderOptions, readers

__all__ = ["JsonLinesReader"]


@readers.register("jsonl")
class JsonLinesReader:
    name: ClassVar[str] = "jsonl"
    suffixes: ClassVar[tuple[str, ...]] = (".jsonl", ".ndjson", ".jsonlines")

    def sniff(self, path: Path, head: bytes) -> bool:
        return head.lstrip().startswith(b"{") and b"\n{" in head

    def read(self, path: Path, options: ReaderOptions) -> Iterator[RawRecord]:
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                yield from parse_json_line(raw, f"line {number}", options.column_map)


def parse_json_line(
    raw: bytes, location: str, column_map: Mapping[str, str] | None = None
) -> Iterator[RawRecord]:
    """One JSON object from one line; blank lines are skipped, anything else is a record."""
    if not raw.strip():
        return
    try:
        text = raw.decode("utf-8-sig" if location == "line 1" else "utf-8")
    except UnicodeDecodeError as exc:
        yield RawRecord(location, problem=f"not valid UTF-8 (byte {exc.start})")
        return
    try:
        obj = json.loads(text.rstrip("\r\n"))  # a line cut short ends in its newline, not a string
    except (ValueError, RecursionError) as exc:  # ValueError: also an integer of over 4300 digits
        reason = (
            f"{exc.msg.removesuffix(' at')} at column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else "nested too deep" if isinstance(exc, RecursionError)
            else str(exc).split(";")[0]
        )
        yield RawRecord(location, problem=f"invalid JSON: {reason}")
        return
    if not isinstance(obj, dict):
        yield RawRecord(location, problem=f"expected a JSON object, got {type(obj).__name__}")
        return
    if column_map:
        obj = {column_map.get(k, k): v for k, v in obj.items()}
    yield RawRecord(location, fields=obj)
