"""The ArticleStore contract, run against every backend in ``conftest.BACKENDS``."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdesk.articles.model import Article, Enrichment, Subject
from newsdesk.errors import NotFound, StoreError
from newsdesk.settings import Settings
from newsdesk.store import ArticleFilter, ArticleStore, open_store


def make(n: int, **over: object) -> Article:
    fields: dict[str, object] = {
        "source": "test",
        "source_id": f"a{n}",
        "headline": f"Headline number {n}",
        "body": f"Body text of article {n} about elections and football.",
        "section": "politics" if n % 2 else "sport",
        "published_at": datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=n),
        "keywords": ["k1", "k2"],
        "subjects": [Subject(code="medtop:11000000", name="politics")],
    }
    fields.update(over)
    return Article.create(**fields)


def test_is_a_store(store: ArticleStore) -> None:
    assert isinstance(store, ArticleStore)


def test_insert_get_roundtrip(store: ArticleStore) -> None:
    art = make(1, url="https://example.com/1", byline="A. Writer", language="en")
    assert [o.status for o in store.upsert([art])] == ["inserted"]
    got = store.get(art.id)
    assert got.id == "test:a1"
    assert got.content_fields() == art.content_fields()
    assert got.published_at == art.published_at and got.published_at.tzinfo is not None
    assert got.revision == 1 and got.ingested_at is not None
    assert got.subjects == [Subject(code="medtop:11000000", name="politics")]


def test_briefs_match_the_full_articles(store: ArticleStore) -> None:
    store.upsert([make(1), make(2, published_at=None, section=None), make(3)])
    wanted = ["test:a3", "test:missing", "test:a2", "test:a1"]
    briefs = store.briefs(wanted)
    assert [b.id for b in briefs] == ["test:a3", "test:a2", "test:a1"]  # order kept, unknown ids skipped
    for brief, full in zip(briefs, store.get_many(wanted), strict=True):
        assert (brief.headline, brief.body, brief.section, brief.source, brief.published_at) == (
            full.headline,
            full.body,
            full.section,
            full.source,
            full.published_at,
        )
    assert briefs[1].published_at is None and briefs[1].section is None
    assert briefs[0].published_at is not None and briefs[0].published_at.tzinfo is not None


def test_unchanged_and_updated_keep_revisions(store: ArticleStore) -> None:
    art = make(1)
    store.upsert([art])
    assert store.upsert([make(1)])[0].status == "unchanged"
    assert store.revisions(art.id) == []
    changed = make(1, body="A corrected body.")
    assert store.upsert([changed])[0].status == "updated"
    got = store.get(art.id)
    assert got.revision == 2 and got.body == "A corrected body."
    revs = store.revisions(art.id)
    assert [r.revision for r in revs] == [1]
    assert revs[0].article.body == art.body and revs[0].content_hash == art.content_hash


def test_same_id_twice_in_one_batch(store: ArticleStore) -> None:
    outcomes = store.upsert([make(1), make(1, body="second version")])
    assert [o.status for o in outcomes] == ["inserted", "updated"]
    assert store.get("test:a1").body == "second version"
    assert len(store.revisions("test:a1")) == 1


def test_dedupe_by_fingerprint(store: ArticleStore) -> None:
    first = make(1)
    copy = make(2, headline=first.headline.upper(), body="  " + first.body.replace(" ", "\n "))
    outcomes = store.upsert([first, copy])
    assert outcomes[1].status == "duplicate" and outcomes[1].duplicate_of == first.id
    assert store.count() == 1
    assert store.upsert([copy], dedupe=False)[0].status == "inserted"


def test_content_hash_id_when_no_source_id(store: ArticleStore) -> None:
    art = Article.create(source="wire", headline="H", body="B")
    assert art.id.startswith("wire:#") and len(art.id) == len("wire:#") + 20
    store.upsert([art])
    assert store.get(art.id).headline == "H"


def test_list_count_filters_and_iteration(store: ArticleStore) -> None:
    store.upsert([make(i) for i in range(10)])
    assert store.count() == 10
    assert store.count(ArticleFilter(section="sport")) == 5
    since = datetime(2024, 1, 5, tzinfo=UTC)
    assert store.count(ArticleFilter(since=since)) == 6
    newest = store.list_articles(limit=3)
    assert [a.source_id for a in newest] == ["a9", "a8", "a7"]
    assert [a.source_id for a in store.list_articles(limit=2, offset=8)] == ["a1", "a0"]
    ids = [a.id for a in store.iter_articles(batch_size=3)]
    assert ids == sorted(ids) and len(ids) == 10
    assert store.sections() == {"politics": 5, "sport": 5}


def test_full_text_search(store: ArticleStore) -> None:
    store.upsert([make(1), make(2, headline="Chancellor unveils budget", body="Taxes rise.")])
    hits = store.search_text("budget taxes")
    assert hits[0][0] == "test:a2"
    assert store.search_text("!!!") == []
    store.upsert([make(2, headline="Minister resigns", body="No money talk.")])
    assert store.search_text("budget") == []  # the index follows updates


def test_delete(store: ArticleStore) -> None:
    store.upsert([make(1)])
    store.delete("test:a1")
    with pytest.raises(NotFound):
        store.get("test:a1")
    with pytest.raises(NotFound):
        store.delete("test:a1")
    assert store.search_text("elections") == []


def test_enrichments_carry_component_and_version(store: ArticleStore) -> None:
    store.upsert([make(1)])
    now = datetime.now(UTC)
    store.put_enrichments(
        "test:a1",
        [
            Enrichment(
                component="tags",
                version="iptc-zeroshot@1",
                value=["medtop:11000000"],
                confidence=0.9,
                created_at=now,
            )
        ],
    )
    got = store.get("test:a1").enrichments["tags"]
    assert got.ref == "tags@iptc-zeroshot@1" and got.value == ["medtop:11000000"]
    with pytest.raises(NotFound):
        store.put_enrichments("nope", [])


def test_transaction_rolls_back_everything(store: ArticleStore) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.upsert([make(1)])
        store.upsert([make(2)])
        raise RuntimeError("boom")
    assert store.count() == 0


def test_get_missing_raises_not_found(store: ArticleStore) -> None:
    with pytest.raises(NotFound, match="no article with id 'missing'"):
        store.get("missing")


def test_concurrent_writers_from_threads(store: ArticleStore) -> None:
    def write(start: int) -> None:
        for i in range(start, start + 50):
            store.upsert([make(i)])

    threads = [threading.Thread(target=write, args=(k * 50,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.count() == 200


def test_reopen_keeps_data_and_schema_version(settings: Settings) -> None:
    st = open_store(settings)
    st.upsert([make(1)])
    st.close()
    st2 = open_store(settings)
    assert st2.count() == 1
    st2.close()


def test_newer_schema_is_refused(settings: Settings, store_url: str | None) -> None:
    open_store(settings).close()
    if store_url is None:
        conn = sqlite3.connect(settings.database_path)
        conn.execute("PRAGMA user_version = 99")
        conn.close()
    else:
        import psycopg

        with psycopg.connect(store_url, autocommit=True) as pg:
            pg.execute("INSERT INTO newsdesk_schema (version) VALUES (99)")
    with pytest.raises(StoreError, match="newer than this newsdesk"):
        open_store(settings)


def test_change_token_moves_with_articles_and_vectors_only(
    store: ArticleStore, settings: Settings, store_url: str | None
) -> None:
    """The search indexes re-check the store when the token moves: it must move for every article or
    vector change, by this handle or another, and stay put for writes that cannot matter to them."""
    import numpy as np

    from newsdesk.auth import create_key, record_use, verify_key
    from newsdesk.store.base import EnrichmentWrite

    start = store.change_token()
    store.upsert([make(1), make(2)])
    after_insert = store.change_token()
    assert after_insert != start
    store.upsert([make(1)])  # unchanged: nothing written
    assert store.change_token() == after_insert
    _, secret = create_key(store, "reader")
    found = verify_key(store, secret)
    assert found is not None
    record_use(store, found)  # API key bookkeeping
    enrichment = Enrichment(component="language", version="1", value="en", created_at=datetime.now(UTC))
    store.put_enrichments(make(1).id, [enrichment])
    assert store.change_token() == after_insert
    store.write_enrichments([EnrichmentWrite(make(1).id, [], {"m": np.ones(4, np.float32) / 2})])
    after_vector = store.change_token()
    assert after_vector != after_insert
    # another writer: seen at once on SQLite, within the cache TTL on PostgreSQL
    other = open_store(settings)
    settle = settings.store.cache_ttl_ms / 1000 if store_url else 0.0
    try:
        other.upsert([make(1, body="Changed body of article 1.")])
        time.sleep(settle)
        assert store.change_token() != after_vector
        moved = store.change_token()
        other.delete(make(2).id)
        time.sleep(settle)
        assert store.change_token() != moved
    finally:
        other.close()


def test_event_loop_reads_never_wait_on_a_network_store(
    store: ArticleStore, settings: Settings, store_url: str | None
) -> None:
    """Routes on the event loop ask a PostgreSQL store only for what it holds in memory (the change token
    and API keys, kept for ``cache_ttl_ms``); SQLite is read in place and offers no such shortcut."""
    from newsdesk.auth import create_key, hash_secret, verify_key

    peek = getattr(store, "peek_change_token", None)
    if store_url is None:
        assert peek is None and not hasattr(store, "has_cached_key")
        return
    assert peek is not None
    time.sleep(settings.store.cache_ttl_ms / 1000)
    assert peek() is None  # nothing fresh in memory: the caller moves to the thread pool
    token = store.change_token()
    assert peek() == token
    store.upsert([make(1)])  # a write through this handle clears the memory at once
    assert peek() is None and store.change_token() != token
    _, secret = create_key(store, "reader")
    assert not store.has_cached_key(hash_secret(secret))  # type: ignore[attr-defined]
    assert verify_key(store, secret) is not None
    assert store.has_cached_key(hash_secret(secret))  # type: ignore[attr-defined]


def test_store_urls_are_checked_and_passwords_never_shown(tmp_path: Path) -> None:
    from newsdesk.errors import InvalidInput
    from newsdesk.store import stores

    with pytest.raises(InvalidInput, match=r"store\.url.*one of: .*postgresql.*sqlite") as refused:
        open_store(Settings(home=tmp_path, store={"url": "mysql://news:hunter2@db/archive"}))
    assert "hunter2" not in str(refused.value)
    with pytest.raises(InvalidInput, match=r"store\.url"):
        open_store(Settings(home=tmp_path, store={"url": "not a url"}))
    assert {"sqlite", "postgresql"} <= set(stores.names())
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql://news:hunter2@127.0.0.1:{port}/archive"
    with pytest.raises(StoreError) as caught:
        open_store(Settings(home=tmp_path, store={"url": url, "busy_timeout_ms": 1000}))
    assert "hunter2" not in str(caught.value) and "news:***@127.0.0.1" in str(caught.value)
