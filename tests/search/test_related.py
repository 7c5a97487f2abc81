"""Related articles: neighbours, shared entities, duplicates excluded, diversified."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsdesk.articles.model import Article, Enrichment
from newsdesk.errors import InvalidInput, NotFound
from newsdesk.pipeline import enrich
from newsdesk.search import Searcher, related
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore

Archive = tuple[ArticleStore, Settings]
NOW = datetime.now(UTC)


def test_related_are_on_topic_and_exclude_the_article(archive: Archive) -> None:
    store, settings = archive
    hits = related(Searcher(store, settings), "bbc:sport/001", limit=5)
    assert len(hits) == 5
    assert "bbc:sport/001" not in [h.id for h in hits]
    assert sum(h.section == "sport" for h in hits) >= 4
    assert all(0 < h.similarity < 0.95 for h in hits)


def test_copies_are_not_related_stories(archive: Archive) -> None:
    store, settings = archive
    original = store.get("bbc:tech/001")
    copy = Article.create(
        source="wire", source_id="copy", headline=original.headline, body=original.body + " (Wire)"
    )
    store.upsert([copy], dedupe=False)
    enrich(store, settings, only=["embedding"])
    searcher = Searcher(store, settings)
    assert "wire:copy" not in [h.id for h in related(searcher, "bbc:tech/001", limit=10)]
    # flagged near-duplicates are excluded too, whatever their cosine
    neighbour = related(searcher, "bbc:tech/002", limit=1)[0].id
    store.put_enrichments(
        "bbc:tech/002",
        [Enrichment(created_at=NOW, component="near_duplicates", version="t", value=[{"id": neighbour}])],
    )
    assert neighbour not in [h.id for h in related(searcher, "bbc:tech/002", limit=10)]


def test_shared_entities_are_reported_and_count(archive: Archive) -> None:
    store, settings = archive
    searcher = Searcher(store, settings)
    base = related(searcher, "bbc:business/001", limit=10, diversity=0.0)
    target = base[-1].id
    ent = [{"id": "organisation:time-warner", "name": "Time Warner", "type": "organisation"}]
    for article_id in ("bbc:business/001", target):
        store.put_enrichments(
            article_id, [Enrichment(created_at=NOW, component="entities", version="t", value=ent)]
        )
    boosted = related(searcher, "bbc:business/001", limit=10, diversity=0.0)
    hit = next(h for h in boosted if h.id == target)
    assert hit.shared_entities == ["Time Warner"]
    assert [h.id for h in boosted].index(target) < len(base) - 1


def test_diversity_changes_the_mix(archive: Archive) -> None:
    store, settings = archive
    searcher = Searcher(store, settings)
    plain = related(searcher, "bbc:politics/001", limit=5, diversity=0.0)
    diverse = related(searcher, "bbc:politics/001", limit=5, diversity=0.9)
    assert plain[0].id == diverse[0].id  # the best match stays first
    assert [h.score for h in plain] == sorted((h.score for h in plain), reverse=True)
    assert [h.id for h in plain] != [h.id for h in diverse]


def test_unknown_article_and_bad_options(archive: Archive) -> None:
    store, settings = archive
    searcher = Searcher(store, settings)
    with pytest.raises(NotFound):
        related(searcher, "bbc:nope/999")
    with pytest.raises(InvalidInput, match="limit"):
        related(searcher, "bbc:tech/001", limit=0)
    with pytest.raises(InvalidInput, match="diversity"):
        related(searcher, "bbc:tech/001", diversity=2)
