"""An HTML article page: main text and metadata extracted by trafilatura (boilerplate removed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from newsdesk.errors import MissingDependency
from newsdesk.ingest.readers.base import RawRecord, ReaderOptions, readers, slug

__all__ = ["HtmlReader"]


@readers.register("html")
class HtmlReader:
    name: ClassVar[str] = "html"
    suffixes: ClassVar[tuple[str, ...]] = (".html", ".htm", ".xhtml")

    def sniff(self, path: Path, head: bytes) -> bool:
        low = head[:2048].lower().lstrip()
        return low.startswith(b"<!doctype html") or b"<html" in low

    def read(self, path: Path, options: ReaderOptions) -> Iterator[RawRecord]:
        try:
            import trafilatura
        except ImportError as exc:
            raise MissingDependency("trafilatura", "html", "Reading HTML pages") from exc
        raw = path.read_bytes()
        doc = trafilatura.bare_extraction(
            raw, with_metadata=True, include_comments=False, favor_precision=True
        )
        if doc is None:
            yield RawRecord("page", problem="no article text found in the page")
            return
        data: dict[str, Any] = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
        url = data.get("url")
        try:
            host = urlsplit(url).netloc if isinstance(url, str) else ""
        except ValueError:  # e.g. "http://[bad" (an unclosed IPv6 host)
            host = ""
        source = options.source or slug(data.get("sitename") or host or "web", "web")
        categories = data.get("categories") or []
        title, text = data.get("title"), data.get("text") or ""
        first, _, rest = text.partition("\n")
        if isinstance(title, str) and title.strip() and first.strip() == title.strip():
            text = rest.strip()  # the page's <h1>, kept by trafilatura: already the headline
        fields: dict[str, Any] = {
            "source": source,
            "source_id": url or None,
            "headline": title,
            "body": text,
            "url": url,
            "byline": data.get("author"),
            "published_at": data.get("date"),
            "section": categories[0] if categories else None,
            "keywords": data.get("tags") or [],
            "language": data.get("language"),
        }
        if data.get("description"):
            fields["extra"] = {"description": data["description"]}
        yield RawRecord("page", fields=fields)
