"""Seven real BBC politics articles (the bundled corpus) with their real ``entities`` outputs (stock spaCy,
``tests/data/entity-pages-bbc.json``) and assigned publication dates: the entity pages tests' archive.

Among them: "Tony Blair", "Cherie Blair" and a lone "Blair"; "Michael Howard", "John Howard" and a lone
"Howard" (both surnames stay ambiguous); "Gordon Brown" and a lone "Brown" (only one Brown: merged).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from newsdesk.articles.model import Article, Enrichment
from newsdesk.evaluate.entity_merges import read_bbc

FIXTURE = Path(__file__).resolve().parent / "data" / "entity-pages-bbc.json"


def seed_entities(store: object) -> dict[str, str]:
    """Store the articles with their ``entities`` outputs; returns BBC id -> stored article id."""
    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))["articles"]
    texts = read_bbc([r["id"] for r in rows])
    ids: dict[str, str] = {}
    articles = []
    for r in rows:
        article = Article.create(
            source="bbc",
            source_id=r["id"],
            headline=texts[r["id"]]["headline"],
            body=texts[r["id"]]["body"],
            published_at=datetime.fromisoformat(r["published_at"]),
            section="politics",
        )
        articles.append(article)
        ids[r["id"]] = article.id
    store.upsert(articles)  # type: ignore[attr-defined]
    for r, article in zip(rows, articles, strict=True):
        enrichment = Enrichment(
            component="entities",
            version="1",
            value=r["entities"],
            created_at=datetime.fromisoformat(r["published_at"]),
            input_hash=article.content_hash,
        )
        store.put_enrichments(article.id, [enrichment])  # type: ignore[attr-defined]
    return ids
