"""Dated, enriched articles for the trends tests: real Reuters-21578 hourly topic counts (March 1987) as
background, one article per document, with synthetic bursts planted on top.

Each hour's documents are rebuilt from its counts (the fixture keeps counts, not documents): topic ``k``
with ``c`` documents that hour goes to ``c`` of them, round robin. Topics are stored as ``keyphrases``
values (and the first as an ``iptc`` tag), so the store path reads real counts through real enrichments.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsdesk.articles.model import Article, Enrichment
from newsdesk.store.base import ArticleStore

REUTERS = Path(__file__).resolve().parent / "data" / "trends" / "reuters-hourly.csv"
BURST_DAY = datetime(1987, 3, 25, tzinfo=UTC)  # a Wednesday
BURST = "harbour strike"
BURST_ENTITY = "organisation:dock-workers-union"


def reuters_hours(since: datetime, until: datetime) -> dict[datetime, tuple[int, dict[str, int]]]:
    """Hour -> (documents, topic -> documents) for the hours in [since, until)."""
    out: dict[datetime, tuple[int, dict[str, int]]] = {}
    topics: dict[datetime, dict[str, int]] = defaultdict(dict)
    totals: dict[datetime, int] = {}
    with REUTERS.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            hour = datetime.strptime(row["hour"], "%Y-%m-%dT%H").replace(tzinfo=UTC)
            if not since <= hour < until:
                continue
            if row["key"] == "*":
                totals[hour] = int(row["count"])
            else:
                topics[hour][row["key"]] = int(row["count"])
    for hour, n in totals.items():
        out[hour] = (n, topics[hour])
    return out


def _enrichments(
    topics: list[str], entities: list[str], at: datetime, story: dict[str, str] | None = None
) -> list[Enrichment]:
    def make(component: str, value: object) -> Enrichment:
        return Enrichment(component=component, version="1", value=value, created_at=at)

    return [make("story", story)] * (story is not None) + [
        make("keyphrases", [{"phrase": t, "score": 1.0} for t in topics]),
        make("iptc", [{"qcode": f"test:{t}", "label": t, "confidence": 0.9} for t in topics[:1]]),
        make("entities", [{"id": e, "name": e.split(":")[1], "type": "organisation"} for e in entities]),
    ]


def seed(store: ArticleStore, *, days: int = 14, burst: int = 12, stories: bool = False) -> int:
    """Store the Reuters articles of the ``days`` before the end of ``BURST_DAY``, with ``burst`` articles
    about a harbour strike on ``BURST_DAY`` (hours 9-16). With ``stories``, each article also has a ``story``
    value (``{"id", "label"}``: its first topic's story, the strike's own). Returns the number stored."""
    since, until = BURST_DAY - timedelta(days=days - 1), BURST_DAY + timedelta(days=1)
    articles: list[Article] = []
    enrich: list[list[Enrichment]] = []
    for hour, (n, counts) in sorted(reuters_hours(since, until).items()):
        docs: list[list[str]] = [[] for _ in range(n)]
        i = 0
        for topic, c in sorted(counts.items()):
            for _ in range(min(c, n)):
                docs[i % n].append(topic)
                i += 1
        for j, topics in enumerate(docs):
            at = hour + timedelta(minutes=j * 59 // max(n, 1))
            articles.append(
                Article.create(source="reuters", headline=f"Reuters {hour:%d %b %H}h #{j}", published_at=at)
            )
            story = {"id": f"st-{topics[0]}", "label": topics[0]} if stories and topics else None
            enrich.append(_enrichments(topics, [], at, story))
    for k in range(burst):
        at = BURST_DAY + timedelta(hours=9 + k % 8, minutes=k)
        articles.append(Article.create(source="wire", headline=f"Harbour strike update {k}", published_at=at))
        story = {"id": "st-harbour", "label": "Harbour strike"} if stories else None
        enrich.append(_enrichments([BURST, "ship"], [BURST_ENTITY], at, story))
    store.upsert(articles, dedupe=False)
    with store.transaction():
        for article, values in zip(articles, enrich, strict=True):
            store.put_enrichments(article.id, values)
    return len(articles)
