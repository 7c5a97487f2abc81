"""Storing a batch of already-parsed article records (JSON objects posted to the service).

The same validation as every ingest format (:func:`newsdesk.ingest.validate.to_article`), the same
de-duplication and the same store upsert; but records arrive as a list, so every outcome and rejection is
reported by the record's index. With ``strict``, nothing is stored if any record is rejected.

>>> import tempfile, pathlib
>>> from newsdesk.settings import Settings
>>> from newsdesk.store import open_store
>>> settings = Settings(home=pathlib.Path(tempfile.mkdtemp()))
>>> result = ingest_records([{"id": 1, "headline": "Hello", "body": "World"}, {"headline": ""}],
...                         open_store(settings), settings=settings, source="wire")
>>> [(r.index, r.id, r.status) for r in result.records], [(r.index, r.field) for r in result.rejections]
([(0, 'wire:1', 'inserted')], [(1, 'headline')])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from newsdesk.articles.model import Article
from newsdesk.ingest.readers import slug
from newsdesk.ingest.validate import RecordInvalid, to_article
from newsdesk.settings import Settings
from newsdesk.store.base import ArticleStore

__all__ = ["RecordsReport", "ingest_records"]


@dataclass(frozen=True, slots=True)
class Outcome:
    index: int
    id: str
    status: Literal["inserted", "updated", "unchanged", "duplicate"]
    duplicate_of: str | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    index: int
    field: str | None
    value: str | None
    reason: str


@dataclass
class RecordsReport:
    received: int = 0
    records: list[Outcome] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    stored: bool = True

    def count(self, status: str) -> int:
        """Accepted records with this status."""
        return sum(1 for r in self.records if r.status == status)

    @property
    def rejected(self) -> int:
        return len({r.index for r in self.rejections})


def ingest_records(
    records: Sequence[Any],
    store: ArticleStore,
    *,
    settings: Settings,
    source: str,
    strict: bool = False,
) -> RecordsReport:
    """Validate every record, store the valid ones in one transaction, and report each by index."""
    report = RecordsReport(received=len(records))
    default_source = slug(source, "api")
    accepted: list[tuple[int, Article]] = []
    seen: dict[str, tuple[str, int]] = {}  # id -> (content hash, index) within this batch
    same: list[Outcome] = []  # exact repeats of an earlier record of the batch
    for index, record in enumerate(records):
        if not isinstance(record, Mapping):
            report.rejections.append(
                Rejection(index, None, _show(record), f"expected a JSON object, got {_json_type(record)}")
            )
            continue
        try:
            article = to_article(record, settings=settings.ingest, default_source=default_source)
        except RecordInvalid as exc:
            report.rejections.extend(
                Rejection(index, name, _show(value), message) for name, value, message in exc.problems
            )
            continue
        first = seen.get(article.id)
        if first is None:
            seen[article.id] = (article.content_hash, index)
            accepted.append((index, article))
        elif first[0] == article.content_hash:
            same.append(Outcome(index, article.id, "duplicate", article.id))
        else:
            report.rejections.append(
                Rejection(
                    index,
                    "source_id",
                    article.source_id,
                    f"duplicate id '{article.id}' in this batch (first at index {first[1]}) with different "
                    "content",
                )
            )
    if strict and report.rejections:
        report.stored = False
        return report
    dedupe = settings.ingest.dedupe == "exact"
    with store.transaction():
        outcomes = store.upsert([a for _, a in accepted], dedupe=dedupe)
    report.records = sorted(
        [
            Outcome(index, o.id, o.status, o.duplicate_of)
            for (index, _), o in zip(accepted, outcomes, strict=True)
        ]
        + same,
        key=lambda r: r.index,
    )
    return report


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def _show(value: object, limit: int = 120) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else repr(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # unpaired surrogates stay printable
    return text if len(text) <= limit else text[: limit - 3] + "..."
