"""RSS 0.9x/2.0, RSS 1.0 (RDF) and Atom feeds, parsed by feedparser; one article per entry.

The body is the entry's full content when the feed carries it, else its summary, as plain text.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from newsdesk.articles.text import html_to_text
from newsdesk.errors import MissingDependency
from newsdesk.ingest.readers.base import RawRecord, ReaderOptions, readers, slug

__all__ = ["FeedReader"]


@readers.register("rss")
class FeedReader:
    name: ClassVar[str] = "rss"
    suffixes: ClassVar[tuple[str, ...]] = (".rss", ".atom", ".rdf")

    def sniff(self, path: Path, head: bytes) -> bool:
        low = head[:2048].lower()
        return b"<rss" in low or b"<feed" in low or b"<rdf:rdf" in low

    def read(self, path: Path, options: ReaderOptions) -> Iterator[RawRecord]:
        try:
            import feedparser
        except ImportError as exc:
            raise MissingDependency("feedparser", "feeds", "Reading RSS/Atom feeds") from exc
        raw = path.read_bytes()
        try:
            parsed = feedparser.parse(raw)
        except Exception as exc:  # its lenient parser can fail, e.g. on '&#xD800;' (a surrogate)
            yield RawRecord("feed", problem=f"unreadable feed: {type(exc).__name__}: {exc}"[:300])
            return
        if not parsed.entries:
            if parsed.bozo:
                reason = str(parsed.get("bozo_exception", "malformed feed"))[:200]
                yield RawRecord("feed", problem=f"unreadable feed: {reason}")
            return
        feed = parsed.feed
        link = feed.get("link") or ""
        source = options.source or slug(_host(link) or feed.get("title", "") or path.stem, "feed")
        for index, entry in enumerate(parsed.entries):
            yield RawRecord(f"entry {index}", fields=_entry_fields(entry, source, feed))


def _utc(parsed: Any) -> datetime:
    """feedparser gives a UTC ``time.struct_time``."""
    year, month, day, hour, minute, second = parsed[:6]
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def _host(url: str) -> str:
    try:
        return urlsplit(url).netloc
    except ValueError:  # e.g. "http://[bad" (an unclosed IPv6 host)
        return ""


def _entry_fields(entry: Any, source: str, feed: Any) -> dict[str, Any]:
    content = entry.get("content") or []
    body_html = content[0].get("value", "") if content else entry.get("summary", "")
    published = entry.get("published_parsed") or entry.get("updated_parsed")
    tags = [t.get("term") for t in entry.get("tags", []) if t.get("term")]
    fields: dict[str, Any] = {
        "source": source,
        "source_id": entry.get("id") or entry.get("link"),
        "headline": html_to_text(entry.get("title", "")) if entry.get("title") else None,
        "body": html_to_text(body_html) if body_html else "",
        "url": entry.get("link"),
        "byline": entry.get("author"),
        "published_at": _utc(published) if published else None,
        "keywords": tags,
        "language": entry.get("language") or feed.get("language"),
    }
    if entry.get("summary") and content:
        fields["extra"] = {"summary": html_to_text(entry["summary"])}
    return fields
