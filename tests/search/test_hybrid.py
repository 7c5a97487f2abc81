"""Hybrid search over a real (small) archive with real MiniLM vectors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsdesk.articles.model import Article, Enrichment
from newsdesk.errors import InvalidInput
from newsdesk.pipeline import enrich
from newsdesk.search import Searcher, SearchQuery
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore

Archive = tuple[ArticleStore, Settings]
NOW = datetime.now(UTC)


def test_headline_words_find_the_article(archive: Archive) -> None:
    store, settings = archive
    page = Searcher(store, settings).search(SearchQuery("invisible ink Kyrgyz elections"))
    assert page.results[0].id == "bbc:tech/001"
    assert page.retrievers == ["text", "vector"]
    top = page.results[0]
    assert {"ink", "kyrgyz", "elections"} <= set(top.why.matched_terms)
    assert top.why.text_rank == 1 and top.why.semantic_score is not None
    assert "<mark>" in top.snippet


def test_meaning_without_shared_words(archive: Archive) -> None:
    """A paraphrase sharing no content word with the article: the vector retriever finds it, BM25 cannot."""
    store, settings = archive
    searcher = Searcher(store, settings)
    query = "stopping people casting more than one ballot in a central Asian country"
    assert "bbc:tech/001" in [
        h.id for h in searcher.search(SearchQuery(query, mode="vector", limit=3)).results
    ]
    assert "bbc:tech/001" in [h.id for h in searcher.search(SearchQuery(query, limit=5)).results]


def test_modes_and_fusion(archive: Archive) -> None:
    store, settings = archive
    searcher = Searcher(store, settings)
    q = "hurdler indoor championships medal"
    text = searcher.search(SearchQuery(q, mode="text"))
    vector = searcher.search(SearchQuery(q, mode="vector"))
    hybrid = searcher.search(SearchQuery(q))
    assert text.retrievers == ["text"] and vector.retrievers == ["vector"]
    assert all(h.why.semantic_rank is None for h in text.results)
    # an article first in both retrievers is first in the fusion, with the largest possible RRF score
    if text.results[0].id == vector.results[0].id:
        assert hybrid.results[0].id == text.results[0].id
        assert hybrid.results[0].score == pytest.approx(2 / (settings.search.rrf_k + 1), rel=1e-4)
    scores = [h.score for h in hybrid.results]
    assert scores == sorted(scores, reverse=True)


def test_pages_continue_without_overlap(archive: Archive) -> None:
    store, settings = archive
    searcher = Searcher(store, settings)
    first = searcher.search(SearchQuery("government minister election", limit=5))
    second = searcher.search(SearchQuery("government minister election", limit=5, offset=5))
    both = searcher.search(SearchQuery("government minister election", limit=10))
    assert [h.id for h in first.results + second.results] == [h.id for h in both.results]
    assert first.total == both.total >= 10


def test_filters(archive: Archive) -> None:
    store, settings = archive
    searcher = Searcher(store, settings)
    page = searcher.search(SearchQuery("profits shares market", section="sport", limit=20))
    assert page.results and all(h.section == "sport" for h in page.results)
    assert page.filters == {"section": "sport"}
    # topic and entity filters read the stored enrichments
    store.put_enrichments(
        "bbc:business/001",
        [
            Enrichment(
                created_at=NOW,
                component="iptc",
                version="t",
                value=[{"qcode": "medtop:20000350", "ancestors": [{"qcode": "medtop:04000000"}]}],
            ),
            Enrichment(
                created_at=NOW, component="entities", version="t", value=[{"id": "organisation:time-warner"}]
            ),
        ],
    )
    by_topic = searcher.search(SearchQuery("profits", topic="04000000"))
    assert [h.id for h in by_topic.results] == ["bbc:business/001"]
    by_entity = searcher.search(SearchQuery("quarterly results", entity="organisation:time-warner"))
    assert [h.id for h in by_entity.results] == ["bbc:business/001"]
    assert searcher.search(SearchQuery("profits", entity="person:nobody")).results == []


def test_date_filters(archive: Archive) -> None:
    store, settings = archive
    dated = Article.create(
        source="wire",
        source_id="x1",
        headline="Harbour crane toppled by storm winds",
        body="A harbour crane toppled in storm winds overnight.",
        published_at=datetime(2024, 5, 2, tzinfo=UTC),
    )
    store.upsert([dated])
    searcher = Searcher(store, settings)
    q = "harbour crane storm"
    assert searcher.search(SearchQuery(q, since=datetime(2024, 5, 1, tzinfo=UTC))).results[0].id == dated.id
    later = searcher.search(SearchQuery(q, since=datetime(2024, 6, 1, tzinfo=UTC)))
    assert dated.id not in [h.id for h in later.results]


def test_index_follows_the_store(archive: Archive) -> None:
    """Insert, update and delete reach search without a manual rebuild."""
    store, settings = archive
    searcher = Searcher(store, settings)
    q = "volcanic ash closes regional airports"
    assert searcher.search(SearchQuery(q, mode="vector", limit=1)).results[0].id != "wire:ash"
    new = Article.create(
        source="wire",
        source_id="ash",
        headline="Volcanic ash cloud grounds flights",
        body="Airports across the region closed as a plume of volcanic ash drifted south.",
    )
    store.upsert([new])
    enrich(store, settings, only=["embedding"])
    assert searcher.search(SearchQuery(q, mode="vector", limit=1)).results[0].id == "wire:ash"
    store.delete("wire:ash")
    assert "wire:ash" not in [h.id for h in searcher.search(SearchQuery(q, limit=20)).results]


def test_current_and_needs_model_tell_the_cheap_searches(archive: Archive) -> None:
    """What the service uses to run a search on its event loop: indexes current, query vector cached."""
    store, settings = archive
    searcher = Searcher(store, settings)
    searcher.sync()
    assert searcher.current()
    query = SearchQuery("volcanic ash over the airports")
    assert searcher.needs_model(query) and not searcher.needs_model(SearchQuery(query.text, mode="text"))
    searcher.search(query)
    assert not searcher.needs_model(query)
    assert not searcher.needs_model(SearchQuery(query.text, mode="vector"))
    store.upsert([Article.create(source="wire", source_id="c1", headline="Council votes", body="Budget.")])
    assert not searcher.current()  # the store moved: the next search syncs first
    searcher.search(query)
    assert searcher.current()


def test_without_vectors_hybrid_is_text_search(store: ArticleStore, settings: Settings) -> None:
    store.upsert(
        [Article.create(source="s", source_id="1", headline="Council budget approved", body="Text.")]
    )
    page = Searcher(store, settings).search(SearchQuery("budget"))
    assert page.retrievers == ["text"] and page.results[0].id == "s:1"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"text": " "}, "query"),
        ({"text": "x" * 30_000}, "query"),
        ({"text": "a", "limit": 0}, "limit"),
        ({"text": "a", "limit": 101}, "limit"),
        ({"text": "a", "offset": -1}, "offset"),
        ({"text": "a", "mode": "fuzzy"}, "mode"),
        ({"text": "a", "since": datetime(2024, 1, 1)}, "since"),
        (
            {
                "text": "a",
                "since": datetime(2024, 2, 1, tzinfo=UTC),
                "until": datetime(2024, 1, 1, tzinfo=UTC),
            },
            "until",
        ),
        ({"text": "a", "topic": "sport"}, "qcode"),
    ],
)
def test_bad_queries_name_the_field(archive: Archive, kwargs: dict[str, object], field: str) -> None:
    store, settings = archive
    with pytest.raises(InvalidInput) as caught:
        Searcher(store, settings).search(SearchQuery(**kwargs))  # type: ignore[arg-type]
    assert caught.value.field == field


def test_page_json_shape(archive: Archive) -> None:
    store, settings = archive
    out = Searcher(store, settings).search(SearchQuery("theatre prize", limit=3)).to_dict()
    assert {"query", "total", "results"} <= out.keys()
    assert {"id", "headline", "score", "snippet", "why"} <= out["results"][0].keys()


def test_near_duplicates_fold_under_the_best_copy(archive: Archive) -> None:
    store, settings = archive
    original = store.get("bbc:tech/001")
    copy = Article.create(
        source="wire", source_id="ink", headline=original.headline, body=original.body + " (Wire copy)"
    )
    store.upsert([copy], dedupe=False)
    enrich(store, settings, only=["embedding"])
    searcher = Searcher(store, settings)
    q = "invisible ink Kyrgyz elections"
    both = [h.id for h in searcher.search(SearchQuery(q, collapse=False)).results[:2]]
    assert set(both) == {"bbc:tech/001", "wire:ink"}  # unlinked: both copies on top
    store.put_enrichments(
        "wire:ink",
        [
            Enrichment(
                created_at=NOW, component="near_duplicates", version="t", value=[{"id": "bbc:tech/001"}]
            )
        ],
    )
    page = searcher.search(SearchQuery(q))
    top, ids = page.results[0], [h.id for h in page.results]
    assert top.id == both[0] and top.duplicates == [both[1]]
    assert both[1] not in ids
    assert [h.id for h in searcher.search(SearchQuery(q, collapse=False)).results[:2]] == both
    # pages stay consistent after folding
    first = searcher.search(SearchQuery(q, limit=3))
    second = searcher.search(SearchQuery(q, limit=3, offset=3))
    assert not {h.id for h in first.results} & {h.id for h in second.results}


def test_hit_to_dict_carries_every_field(archive: Archive) -> None:
    """to_dict is written out by hand (asdict was slow): it must equal asdict on every field."""
    from dataclasses import asdict

    store, settings = archive
    hit = Searcher(store, settings).search(SearchQuery("invisible ink Kyrgyz elections")).results[0]
    expected = asdict(hit)
    expected["published_at"] = hit.published_at.isoformat() if hit.published_at else None
    assert hit.to_dict() == expected
