"""IPTC ninjs 1.x, 2.x and 3.x: a single object, an array of objects, or JSON Lines.

Each document is validated against the official schema of its version (``ReaderOptions.ninjs_version``, or
the declared version, else the detected generation) before it is mapped; a document that fails is rejected
with the JSON path of the first problems, and one that passes says which version it passed.

Only ``type: text`` items are articles: valid pictures, videos, events and other types are skipped, as are
text items with neither a headline nor a body. A text item with a body but no headline is kept, with the
first sentence of its body as headline and ``extra["headline_derived"] = True``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from newsdesk.articles.ninjs import candidate_versions, from_ninjs, validate_ninjs
from newsdesk.articles.text import first_sentence
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
_DERIVED = "no headline: the body's first sentence is the headline (extra.headline_derived)"
_NO_TEXT = "ninjs text item without text (no headline or body with a letter or digit)"


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
        version, problems = validate_ninjs(doc, options.ninjs_version)
        if version is None:
            path, message = problems[0] if problems else ("", "invalid")
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            judged = _judged_by(doc, options.ninjs_version)
            return RawRecord(
                location,
                problem=f"not valid ninjs{' ' + judged if judged else ''}: {message}{more}",
                problem_field=f"ninjs:{path}" if path else "ninjs",
            )
        assert isinstance(doc, Mapping)
        validated = f"ninjs {version}"
        kind = doc.get("type") or ("event" if "eventDetails" in doc else "text")
        if kind != "text":
            return RawRecord(
                location, skip=f"ninjs type {kind!r}: not an article (only 'text' items are archived)",
                validated_as=validated,
            )
        fields = from_ninjs(doc, source=options.source, version=version)
        headline, body = fields.get("headline"), fields.get("body")
        if _has_text(headline):
            return RawRecord(location, fields=fields, validated_as=validated)
        if not _has_text(body):
            return RawRecord(location, skip=_NO_TEXT, validated_as=validated)
        assert isinstance(body, str)
        fields["headline"] = first_sentence(body)
        fields["extra"] = {**fields.get("extra", {}), "headline_derived": True}
        return RawRecord(location, fields=fields, validated_as=validated, note=_DERIVED)


def _has_text(value: Any) -> bool:
    """A string with at least one letter or digit (a body of ``"..."`` is a placeholder, not text)."""
    return isinstance(value, str) and any(c.isalnum() for c in value)


def _judged_by(doc: Any, version: str) -> str:
    """The version a failed document was judged by, as the rejection names it: ``2.1``, or the range of
    its generation's versions (the problems are the newest's)."""
    tried = candidate_versions(doc, version) if isinstance(doc, Mapping) else []
    if len(tried) <= 1:
        return "".join(tried)
    return f"{tried[-1]} to {tried[0]} (as {tried[0]} sees it)"
