"""The in-memory full-text mirror ranks exactly as the store's FTS5 index, and follows the store."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from newsdesk.articles.model import Article
from newsdesk.ingest import ingest
from newsdesk.search import Searcher, SearchQuery, TextIndex
from newsdesk.search.lexical import fts_words
from newsdesk.search.text import query_terms
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore, open_store
from newsdesk.store.sqlite_fts import SqliteTerms

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[ArticleStore, Settings, list[str]]:
    """Real articles (BBC sections sample, AG News sample) plus verbatim copies under other ids, so that
    many articles tie on BBC25 and the tie order is tested too. Returns the store, settings and queries."""
    settings = Settings(home=tmp_path / "home")
    store = open_store(settings)
    ingest([DATA / "sections" / "bbc"], store, settings=settings, format="textdir", source="bbc")
    with (DATA / "ag-news-sample.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    ag = [Article.create(source="ag", source_id=str(i), headline=r[1], body=r[2]) for i, r in enumerate(rows)]
    store.upsert(ag)
    real = list(store.iter_articles())
    rng = random.Random(3)
    copies = [
        Article.create(source="copy", source_id=str(i), headline=a.headline, body=a.body)
        for i, a in enumerate(rng.choices(real, k=150))
    ]
    store.upsert(copies, dedupe=False)
    queries = [a.headline for a in rng.sample(real, 40)] + [
        "Zürich café résumé",  # diacritics folded by SQLite's tokenizer
        "running rates RATE rated",  # several words, one stem: one phrase each in FTS5
        "prime minister's election campaign",
        "nothingmatchesthisword",
    ]
    return store, settings, queries


def _same_as_store(index: TextIndex, store: ArticleStore, query: str, k: int = 50) -> bool:
    """True when the mirror answered (and agreed); False when it sent the query to the store."""
    terms = query_terms(query)
    mine = index.search(fts_words(" ".join(terms)), k)
    if mine is None:  # a word SQLite splits into several terms (a phrase): the caller asks the store
        return False
    theirs = store.search_text(" ".join(terms), limit=k)
    assert [a for a, _ in mine] == [a for a, _ in theirs], query
    for (_, x), (_, y) in zip(mine, theirs, strict=True):
        assert x == pytest.approx(y, rel=1e-9, abs=1e-12), query
    return True


def test_ranks_exactly_as_fts5(
    corpus: tuple[ArticleStore, Settings, list[str]], tmp_path: Path, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip(
            "the mirror reproduces SQLite FTS5's BM25; PostgreSQL's own ranking (ts_rank) differs by design"
        )
    store, _, queries = corpus
    index = TextIndex(tmp_path / "text")
    stats = index.rebuild(store)
    assert stats.live == store.count() and stats.terms > 1000
    ties = answered = 0
    for query in queries:
        answered += _same_as_store(index, store, query)
        hits = index.search(fts_words(" ".join(query_terms(query))), 10) or []
        ties += len(hits) - len({s for _, s in hits})
    assert answered == len(queries)
    assert ties > 0  # the copies really tie, so the order key was exercised


def test_follows_inserts_updates_and_deletes(
    corpus: tuple[ArticleStore, Settings, list[str]], tmp_path: Path, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip(
            "the mirror reproduces SQLite FTS5's BM25; PostgreSQL's own ranking (ts_rank) differs by design"
        )
    store, _, queries = corpus
    index = TextIndex(tmp_path / "text", merge_ratio=0.2)
    index.rebuild(store)
    ids = store.ids()
    victim = store.get(ids[5])
    store.delete(ids[7])
    changed = Article.create(
        source=victim.source,
        source_id=victim.source_id,
        headline=victim.headline,
        body=victim.body + " Quokkas invaded the ferry terminal.",
        section=victim.section,
    )
    assert changed.id == victim.id
    assert store.upsert([changed])[0].status == "updated"
    store.upsert(
        [Article.create(source="new", source_id="1", headline="Quokka census", body="Quokkas counted.")]
    )
    added, removed = index.sync(store)
    assert (added, removed) == (2, 1)
    assert index.stats().delta == 2 and index.stats().tombstones == 2
    assert ids[7] not in [a for a, _ in index.search(["quokkas"], 10) or []]
    for query in [*queries[:10], "quokkas ferry terminal census"]:
        _same_as_store(index, store, query)
    assert {a for a, _ in index.search(["quokka"], 10) or []} == {victim.id, "new:1"}
    assert index.sync(store) == (0, 0)  # nothing moved: no work

    # past merge_ratio the delta is merged into the main segment and the file rewritten
    many = [
        Article.create(source="bulk", source_id=str(i), headline=f"Quokka {i}", body="x") for i in range(300)
    ]
    store.upsert(many)
    index.sync(store)
    assert index.stats().delta == 0 and index.stats().tombstones == 0
    for query in [*queries[10:20], "quokka"]:
        _same_as_store(index, store, query)

    reopened = TextIndex(tmp_path / "text")
    assert reopened.load() and len(reopened) == store.count()
    for query in queries[20:30]:
        _same_as_store(reopened, store, query)


def test_filters_and_fallback(corpus: tuple[ArticleStore, Settings, list[str]], tmp_path: Path) -> None:
    store, _, _ = corpus
    index = TextIndex(tmp_path / "text")
    index.rebuild(store)
    among = set(store.ids()[::3])
    hits = index.search(["shares", "profits"], 20, among=among) or []
    assert hits and {a for a, _ in hits} <= among
    full = [a for a, _ in index.search(["shares", "profits"], 1000) or []]
    assert [a for a, _ in hits] == [a for a in full if a in among][:20]
    # function words are indexed too (Porter folds "one" onto "on"); an empty word matches nothing
    assert index.search(["the", "one"], 10)
    assert index.search(["nothingmatchesthisword"], 10) == []
    # a word the tokenizer turns into several terms is a phrase in FTS5: the caller must ask the store
    trigrams = TextIndex(tmp_path / "trigram", terms=SqliteTerms("trigram"))
    assert trigrams.search(["shares"], 10) is None


def test_searcher_uses_the_mirror_and_agrees_with_fts(
    corpus: tuple[ArticleStore, Settings, list[str]], backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip(
            "the mirror reproduces SQLite FTS5's BM25; PostgreSQL's own ranking (ts_rank) differs by design"
        )
    store, settings, queries = corpus
    searcher = Searcher(store, settings, embedder=None)
    assert searcher.text_index is not None
    plain_settings = settings.model_copy(deep=True)
    plain_settings.search.text_index = False
    plain = Searcher(store, plain_settings)
    assert plain.text_index is None
    for query in queries[:15]:
        a = searcher.search(SearchQuery(query, mode="text", limit=20, collapse=False))
        b = plain.search(SearchQuery(query, mode="text", limit=20, collapse=False))
        assert [h.id for h in a.results] == [h.id for h in b.results], query
    # the only-function-words query goes to the store and still answers
    assert searcher.search(SearchQuery("the and of", mode="text")).results


def test_sqlite_terms_are_sqlites_own() -> None:
    terms = SqliteTerms()
    assert terms.terms(["Elections", "élection", "RUNNING"]) == {
        "Elections": ("elect",),
        "élection": ("elect",),
        "RUNNING": ("run",),
    }
