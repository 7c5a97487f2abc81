"""Row codecs shared by the store backends: an article to its stored columns and back, the filters as SQL.

Every backend stores the same columns in the same order, so one encoder serves all of them (its output is
plain text, numbers and JSON text, which SQLite keeps as is and PostgreSQL casts to its column types). The
decoders accept both what SQLite returns (ISO text, JSON text) and what PostgreSQL's driver returns
(``datetime`` objects, decoded JSON).

>>> from newsdesk.articles.model import Article
>>> art = Article(id="a", source="wire", headline="Rates rise", body="The bank raised rates.")
>>> encode(art).id
'a'
>>> where(ArticleFilter(section="business"), mark="%s")
(' WHERE section = %s', ['business'])
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsdesk.articles.model import Article, Enrichment, Subject, utc_iso
from newsdesk.store.base import ArticleBrief, ArticleFilter, EncodedArticle, UpsertOutcome

__all__ = [
    "ARTICLE_COLUMNS",
    "BRIEF_COLUMNS",
    "FEEDBACK_COLUMNS",
    "KEY_COLUMNS",
    "article",
    "brief",
    "conditions",
    "encode",
    "enrichment_row",
    "feedback_query",
    "feedback_row",
    "key_row",
    "plan_upsert",
    "runs_without_repeats",
    "timestamp",
    "vector_array",
    "vector_bytes",
    "where",
]

ARTICLE_COLUMNS = (
    "id",
    "source",
    "source_id",
    "headline",
    "body",
    "url",
    "byline",
    "published_at",
    "section",
    "language",
    "keywords",
    "subjects",
    "extra",
    "content_hash",
    "fingerprint",
    "revision",
    "ingested_at",
    "updated_at",
)
BRIEF_COLUMNS = ("id", "headline", "body", "section", "source", "published_at")
KEY_COLUMNS = ("id", "name", "role", "created_at", "revoked_at", "last_used_at", "key_hash")

_JSON = json.JSONEncoder(ensure_ascii=False)  # built once: json.dumps with options builds one per call


def encode(art: Article) -> EncodedArticle:
    """The article in the backends' write form: pure, so ingest can run it in a reader process."""
    return EncodedArticle(art.id, art.content_hash, art.fingerprint, _columns(art))


def _columns(art: Article) -> tuple[Any, ...]:
    """The stored columns of an article, up to (not including) revision and timestamps."""
    return (
        art.id,
        art.source,
        art.source_id,
        art.headline,
        art.body,
        art.url,
        art.byline,
        utc_iso(art.published_at),
        art.section,
        art.language,
        _json(art.keywords),
        _json([_subject(s) for s in art.subjects]),
        _json(art.extra),
        art.content_hash,
        art.fingerprint,
    )


def _subject(subject: Subject) -> dict[str, str]:
    # what model_dump(exclude_none=True) gives, at a tenth of the cost
    out = {}
    if subject.name is not None:
        out["name"] = subject.name
    if subject.code is not None:
        out["code"] = subject.code
    return out


def _json(value: Any) -> str:
    if not value:
        return "{}" if isinstance(value, dict) else "[]"
    return _JSON.encode(value)


def timestamp(value: Any) -> datetime | None:
    """A stored date-time (ISO text or a driver's ``datetime``) as a ``datetime``."""
    if value is None or value == "":
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def article(row: Sequence[Any]) -> Article:
    """An article (without enrichments) from a row of :data:`ARTICLE_COLUMNS`."""
    return Article.model_construct(
        id=row[0],
        source=row[1],
        source_id=row[2],
        headline=row[3],
        body=row[4],
        url=row[5],
        byline=row[6],
        published_at=timestamp(row[7]),
        section=row[8],
        language=row[9],
        keywords=_decoded(row[10]),
        subjects=[Subject(**s) for s in _decoded(row[11])],
        extra=_decoded(row[12]),
        content_hash=row[13],
        fingerprint=row[14],
        revision=row[15],
        ingested_at=timestamp(row[16]),
        updated_at=timestamp(row[17]),
        enrichments={},
    )


def brief(row: Sequence[Any]) -> ArticleBrief:
    """A search hit's view of an article from a row of :data:`BRIEF_COLUMNS`."""
    return ArticleBrief(row[0], row[1], row[2], row[3], row[4], timestamp(row[5]))


def enrichment(row: Sequence[Any]) -> Enrichment:
    """An enrichment from (component, version, value, confidence, created_at, input_hash)."""
    return Enrichment(
        component=row[0],
        version=row[1],
        value=_decoded(row[2]),
        confidence=row[3],
        created_at=row[4] if isinstance(row[4], datetime) else datetime.fromisoformat(row[4]),
        input_hash=row[5],
    )


def enrichment_row(article_id: str, e: Enrichment) -> tuple[Any, ...]:
    """The stored columns of one enrichment."""
    return (
        article_id,
        e.component,
        e.version,
        json.dumps(e.value, ensure_ascii=False),
        e.confidence,
        e.created_at.isoformat(),
        e.input_hash,
    )


def vector_array(vector: Any) -> Any:
    """A vector as a contiguous 1-d float32 array; ``ValueError`` for any other shape."""
    import numpy as np

    array = np.ascontiguousarray(vector, dtype=np.float32)
    if array.ndim != 1:
        raise ValueError(f"a vector must be 1-d, got shape {array.shape}")
    return array


def vector_bytes(vector: Any) -> bytes:
    """A 1-d vector as float32 bytes."""
    return bytes(vector_array(vector).tobytes())


@dataclass(frozen=True, slots=True)
class UpsertPlan:
    """What one upsert batch writes: an outcome per input, the rows to insert and update (with revision and
    timestamps), and the ids whose current version must be kept as a revision first."""

    outcomes: list[UpsertOutcome]
    inserts: list[tuple[Any, ...]]
    updates: list[tuple[Any, ...]]
    revised: list[str]


def plan_upsert(
    articles: Sequence[EncodedArticle],
    existing: dict[str, tuple[str, int]],
    owners: dict[str, str],
    *,
    dedupe: bool,
    now: str,
) -> UpsertPlan:
    """Classify a batch without repeated ids against the stored ``existing`` (id -> (content hash,
    revision)) and fingerprint ``owners``: new (inserted, or a duplicate of another id's article),
    unchanged, or updated (a new revision). Every backend writes the plan its own way."""
    plan = UpsertPlan([], [], [], [])
    owners = dict(owners)
    for art in articles:
        known = existing.get(art.id)
        if known is None:
            owner = owners.get(art.fingerprint) if dedupe else None
            if owner is not None:
                plan.outcomes.append(UpsertOutcome(art.id, "duplicate", owner))
                continue
            plan.inserts.append((*art.row, 1, now, now))
            if dedupe:
                owners[art.fingerprint] = art.id
            plan.outcomes.append(UpsertOutcome(art.id, "inserted"))
        elif known[0] == art.content_hash:
            plan.outcomes.append(UpsertOutcome(art.id, "unchanged"))
        else:
            plan.revised.append(art.id)
            plan.updates.append((*art.row[1:], known[1] + 1, now, art.id))
            plan.outcomes.append(UpsertOutcome(art.id, "updated"))
    return plan


def runs_without_repeats(articles: Sequence[EncodedArticle]) -> list[list[EncodedArticle]]:
    """Split a batch into consecutive runs in which no id repeats (the second write must see the first)."""
    runs: list[list[EncodedArticle]] = [[]]
    seen: set[str] = set()
    for art in articles:
        if art.id in seen:
            runs.append([])
            seen = set()
        runs[-1].append(art)
        seen.add(art.id)
    return runs


def conditions(
    equal: Sequence[tuple[str, Any]],
    *,
    mark: str,
    column: str = "",
    since: Any = None,
    until: Any = None,
) -> tuple[str, list[Any]]:
    """A ``WHERE`` clause (empty when nothing filters) with ``mark`` placeholders, and its parameters:
    ``column = value`` for each pair of ``equal`` whose value is not ``None``, then ``column >= since`` and
    ``column < until`` (values as given: the caller converts them to its stored form).

    >>> conditions([("kind", "tag"), ("model", None)], mark="%s", column="at", since="2024-01-01")
    (' WHERE kind = %s AND at >= %s', ['tag', '2024-01-01'])
    """
    clauses: list[str] = []
    params: list[Any] = []
    for name, value in equal:
        if value is not None:
            clauses.append(f"{name} = {mark}")
            params.append(value)
    for op, value in ((">=", since), ("<", until)):
        if value is not None:
            clauses.append(f"{column} {op} {mark}")
            params.append(value)
    return (" WHERE " + " AND ".join(clauses), params) if clauses else ("", [])


def where(filt: ArticleFilter | None, *, prefix: str = "", mark: str = "?") -> tuple[str, list[Any]]:
    """The filter as a ``WHERE`` clause with ``mark`` placeholders, and its parameters."""
    if filt is None:
        return "", []
    return conditions(
        [(f"{prefix}section", filt.section), (f"{prefix}source", filt.source)],
        mark=mark,
        column=f"{prefix}published_at",
        since=utc_iso(filt.since),
        until=utc_iso(filt.until),
    )


FEEDBACK_COLUMNS = ("article_id", "kind", "action", "value", "correction", "model", "actor", "created_at")


def feedback_row(item: Any) -> tuple[Any, ...]:
    """The stored columns (:data:`FEEDBACK_COLUMNS`) of one piece of editors' feedback."""
    return (
        item.article_id,
        item.kind,
        item.action,
        item.value,
        item.correction,
        item.model,
        item.actor,
        utc_iso(item.created_at),
    )


def key_row(key: Any, key_hash: str) -> tuple[Any, ...]:
    """The stored columns (id, name, role, key_hash, created_at, revoked_at, last_used_at) of an API key."""
    return (
        key.id,
        key.name,
        key.role.label,
        key_hash,
        utc_iso(key.created_at),
        utc_iso(key.revoked_at),
        utc_iso(key.last_used_at),
    )


def feedback_query(
    *,
    mark: str,
    article_id: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> tuple[str, list[Any]]:
    """The ``SELECT`` of stored feedback (oldest first, filtered) with ``mark`` placeholders, and its
    parameters."""
    clause, params = conditions(
        [("article_id", article_id), ("kind", kind)],
        mark=mark,
        column="created_at",
        since=utc_iso(since),
        until=utc_iso(until),
    )
    sql = f"SELECT id, {', '.join(FEEDBACK_COLUMNS)} FROM feedback{clause} ORDER BY id" + (
        f" LIMIT {int(limit)}" if limit else ""
    )
    return sql, params
