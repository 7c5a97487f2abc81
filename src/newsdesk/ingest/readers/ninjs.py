"""IPTC ninjs 1.x, 2.x and 3.x: a single object, an array of objects, or JSON Lines.

Each document is validated against the official schema of its version before it is mapped; a document that
fails is reported with the JSON path of the first problems. Only ``type: text`` items are articles.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from newsdesk.articles.ninjs import from_ninjs, validate_ninjs
from newsdesk.ingest.readers.base import RawRecord, ReaderOptions, readers
from newsdesk.ingest.readers.jsonl import parse_json_line

__all__ = ["NinjsReader", "looks_like_ninjs"]

_NINJS_KEYS = {
    "uri",
    "headline",
    "headlines",
    "body_text",
    "bodies",
    "versioncreated",
    "versionCreated",
}


def looks_like_ninjs(obj: Any) -> bool:
    return isinstance(obj, Mapping) and "uri" in obj and len(_NINJS_KEYS & set(obj)) >= 2


@readers.register("ninjs")
class NinjsReader:
    name: ClassVar[str] = "ninjs"
    suffixes: ClassVar[tuple[str, ...]] = (".ninjs", ".ninjs.json")

    def sniff(self, path: Path, head: bytes) -> bool:
        markers = (b'"headline', b'"bodies"', b'"body_', b'"versioncreated"', b'"versionCreated"',
                   b'"standard"', b'"$standard"', b'"eventDetails"')
        return b'"uri"' in head and any(m in head for m in markers)

    def read(self, path: Path, options: ReaderOptions) -> Iterator[RawRecord]:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            yield RawRecord(f"byte {exc.start}", problem="not valid UTF-8; file skipped")
            return
        stripped = text.lstrip()
        try:
            whole: Any = json.loads(text)
        except (ValueError, RecursionError) as exc:  # ValueError: also an integer of over 4300 digits
            if stripped.startswith("{") and "\n{" in stripped:
                # JSON Lines of ninjs documents.
                for number, line in enumerate(data.splitlines(), start=1):
                    for rec in parse_json_line(line, f"line {number}"):
                        yield (rec if rec.fields is None else self._map(rec.fields, rec.location, options))
                return
            msg = (
                exc.msg if isinstance(exc, json.JSONDecodeError)
                else "nested too deep" if isinstance(exc, RecursionError)
                else str(exc).split(";")[0]
            )
            where = f"line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else "document"
            yield RawRecord(where, problem=f"invalid JSON: {msg}")
            return
        if isinstance(whole, list):
            for index, item in enumerate(whole):
                yield self._map(item, f"item {index}", options)
        else:
            yield self._map(whole, "document", options)

    def _map(self, doc: Any, location: str, options: ReaderOptions) -> RawRecord:
        version, problems = validate_ninjs(doc)
        if version is None:
            path, message = problems[0] if problems else ("", "invalid")
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            return RawRecord(
                location,
                problem=f"not valid ninjs: {message}{more}",
                problem_field=f"ninjs:{path}" if path else "ninjs",
            )
        assert isinstance(doc, Mapping)
        kind = doc.get("type") or ("event" if "eventDetails" in doc else "text")
        if kind != "text":
            return RawRecord(
                location,
                problem=f"ninjs type {kind!r} is not an article; only 'text' items are archived",
                problem_field="type",
            )
        return RawRecord(location, fields=from_ninjs(doc, source=options.source))
