"""Reuters-21578 SGML (``reut2-*.sgm``): one article per ``<REUTERS>`` element.

The files are pseudo-SGML, not XML, so elements are matched by pattern; entities are unescaped and the
``&#3;`` end-of-text marker dropped. Topics become subjects (``reuters-topic:<code>``), places keywords.
Files are read as Latin-1 (one file of the set is not ASCII).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any, ClassVar

from newsdesk.ingest.readers.base import RawRecord, ReaderOptions, readers

__all__ = ["ReutersSgmlReader"]

_ATTR = re.compile(r'(\w+)="([^"]*)"')
_TAGS = ("DATE", "TOPICS", "PLACES", "TITLE", "DATELINE", "BODY", "AUTHOR")
_HEADERS = re.compile(r"<(TITLE|DATELINE|AUTHOR)>.*?</\1>", re.S)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_REUTERS_DATE = re.compile(r"\d{1,2}-[A-Za-z]{3}-\d{4} \d{1,2}:\d{2}:\d{2}(?:\.\d+)?")
_D = re.compile(r"<D>(.*?)</D>", re.S)
_TAG_MARKS = tuple((tag, f"<{tag}>", f"</{tag}>") for tag in _TAGS)
_TEXT = re.compile(r"<TEXT[^>]*>(.*?)</TEXT>", re.S)
_TAG = re.compile(r"<[^>]+>")


@readers.register("reuters")
class ReutersSgmlReader:
    name: ClassVar[str] = "reuters"
    suffixes: ClassVar[tuple[str, ...]] = (".sgm", ".sgml")

    def sniff(self, path: Path, head: bytes) -> bool:
        return b"<REUTERS" in head[:4096]

    def read(self, path: Path, options: ReaderOptions) -> Iterator[RawRecord]:
        text = path.read_bytes().decode("latin-1")
        source = options.source or "reuters"
        # str.find instead of one lazy regex over the whole file: the files are megabytes of SGML.
        start = text.find("<REUTERS")
        while start != -1:
            head_end = text.find(">", start)
            end = text.find("</REUTERS>", head_end) if head_end != -1 else -1
            if end == -1:
                return
            head = text[start + 8 : head_end]
            if head[:1].isalnum() or head[:1] == "_":  # <REUTERSX...>: another tag, not this element
                start = text.find("<REUTERS", start + 8)
                continue
            attrs = dict(_ATTR.findall(head))
            newid = attrs.get("NEWID")
            location = f"NEWID {newid}" if newid else f"offset {start}"
            yield RawRecord(location, fields=_fields(text[head_end + 1 : end], attrs, source))
            start = text.find("<REUTERS", end + 10)


def _date(value: str | None) -> str | None:
    """The date part of a DATE element; routing codes that follow it in some files are dropped."""
    if value is None:
        return None
    match = _REUTERS_DATE.match(value)
    return match.group(0) if match else value


def _fields(inner: str, attrs: dict[str, str], source: str) -> dict[str, Any]:
    # Each tag's first <TAG>, up to the first </TAG> after it.
    found: dict[str, str] = {}
    for tag, opening_tag, closing_tag in _TAG_MARKS:
        opening = inner.find(opening_tag)
        if opening != -1:
            closing = inner.find(closing_tag, opening)
            if closing != -1:
                found[tag] = inner[opening + len(opening_tag) : closing]

    body = _clean(found.get("BODY"))
    if body is None:
        # Briefs and unprocessed stories keep their text in <TEXT> without a <BODY>.
        text = _TEXT.search(inner)
        inner_text = _HEADERS.sub(" ", text.group(1)) if text else ""
        body = _clean(_TAG.sub(" ", inner_text)) or ""
    topics = found.get("TOPICS")
    places = found.get("PLACES")
    return {
        "source": source,
        "source_id": attrs.get("NEWID"),
        "headline": _clean(found.get("TITLE")),
        "body": body,
        "byline": _clean(found.get("AUTHOR")),
        "published_at": _date(_clean(found.get("DATE"))),
        "subjects": [f"reuters-topic:{t}" for t in _D.findall(topics)] if topics else [],
        "keywords": _D.findall(places) if places else [],
        "language": "en",
        "extra": {
            "lewissplit": attrs.get("LEWISSPLIT"),
            "topics_flag": attrs.get("TOPICS"),
            "dateline": _clean(found.get("DATELINE")),
        },
    }


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    if "&" in value:
        value = _unescape(value)
    return _CONTROL.sub("", value).strip()


def _unescape(value: str) -> str:
    """``html.unescape(value)``, without its per-entity callbacks for what these files hold.

    Nearly every story ends with ``&#3;`` (end of text: unescape drops it, an invalid code point) and many
    hold ``&lt;``. When every ``&`` starts ``&#3;``, ``&lt;``, ``&gt;`` or ``&amp;``, replacing them one kind
    after the other gives what unescape gives (``&amp;`` last, so that ``&amp;lt;`` stays ``&lt;``);
    anything else goes to unescape.
    """
    etx, lt, gt, amp = value.count("&#3;"), value.count("&lt;"), value.count("&gt;"), value.count("&amp;")
    if value.count("&") != etx + lt + gt + amp:
        return unescape(value)
    if etx:
        value = value.replace("&#3;", "")
    if lt:
        value = value.replace("&lt;", "<")
    if gt:
        value = value.replace("&gt;", ">")
    if amp:
        value = value.replace("&amp;", "&")
    return value
