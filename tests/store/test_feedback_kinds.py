"""Feedback of any kind the library accepts: the stores no longer CHECK kinds (plug-in model kinds add
their own), the library validates them against ``feedback_kinds()``; and SQLite's migration 6 keeps the
feedback it rebuilds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from newsdesk.articles.model import Article
from newsdesk.errors import InvalidInput
from newsdesk.monitor.feedback import Feedback, feedback_kinds, record_feedback
from newsdesk.store import Backend
from newsdesk.store.migrations import MIGRATIONS
from newsdesk.store.sqlite import SQLiteStore


def test_the_store_keeps_feedback_of_a_kind_it_never_heard_of(store: Backend) -> None:
    article = Article.create(source="t", source_id="1", headline="Rates rise", body="The bank raised rates.")
    store.upsert([article])
    item = Feedback(article_id=article.id, kind="headline-score", action="accept", value="0.8", actor="ed")
    (stored,) = store.add_feedback([item])
    assert stored.id is not None
    listed = store.list_feedback(kind="headline-score")
    assert [(f.kind, f.value) for f in listed] == [("headline-score", "0.8")]


def test_the_library_names_the_kinds_it_accepts(store: Backend) -> None:
    article = Article.create(source="t", source_id="1", headline="Rates rise", body="The bank raised rates.")
    store.upsert([article])
    with pytest.raises(InvalidInput, match="kind") as caught:
        record_feedback(store, article.id, kind="mood", action="accept", value="glum", actor="ed")
    assert caught.value.field == "kind"
    assert all(kind in str(caught.value) for kind in feedback_kinds())
    assert {"section", "tag", "entity"} <= set(feedback_kinds())


def _version_5(path: Path) -> None:
    """A database as newsdesk left it at schema 5: one article, feedback ids 1-3 with the last deleted."""
    conn = sqlite3.connect(path)
    for script in MIGRATIONS[:5]:
        conn.executescript(script)
    conn.execute(
        "INSERT INTO articles (id, source, headline, body, content_hash, fingerprint, ingested_at, "
        "updated_at) VALUES ('t:1', 't', 'H', 'B', 'h', 'f', '2024-01-01T00:00:00+00:00', "
        "'2024-01-01T00:00:00+00:00')"
    )
    for n in (1, 2, 3):
        conn.execute(
            "INSERT INTO feedback (article_id, kind, action, value, actor, created_at) "
            "VALUES ('t:1', 'section', 'accept', ?, 'ed', '2024-01-02T00:00:00+00:00')",
            (f"v{n}",),
        )
    conn.execute("DELETE FROM feedback WHERE id = 3")
    conn.execute("PRAGMA user_version = 5")
    conn.commit()
    with pytest.raises(sqlite3.IntegrityError):  # schema 5 refuses other kinds
        conn.execute(
            "INSERT INTO feedback (article_id, kind, action, value, actor, created_at) "
            "VALUES ('t:1', 'lead', 'accept', 'x', 'ed', '2024-01-02T00:00:00+00:00')"
        )
    conn.close()


def test_sqlite_migration_6_rebuilds_feedback_without_the_kind_check(tmp_path: Path, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite's own migration")
    path = tmp_path / "old.sqlite3"
    _version_5(path)
    store = SQLiteStore(path)
    try:
        assert store.schema_version == len(MIGRATIONS) >= 6
        assert [(f.id, f.value) for f in store.list_feedback()] == [(1, "v1"), (2, "v2")]
        (new,) = store.add_feedback(
            [Feedback(article_id="t:1", kind="lead", action="reject", value="x", actor="e")]
        )
        assert new.id == 4  # the AUTOINCREMENT counter survived the rebuild: id 3 is not reused
        assert [f.kind for f in store.list_feedback(article_id="t:1")] == ["section", "section", "lead"]
        store.delete("t:1")  # the rebuilt table still follows its article
        assert store.list_feedback() == []
    finally:
        store.close()
    conn = sqlite3.connect(path)
    try:
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'feedback'")}
        assert {"feedback", "feedback_article", "feedback_created"} <= indexes
        with pytest.raises(sqlite3.IntegrityError):  # actions are still checked
            conn.execute(
                "INSERT INTO feedback (article_id, kind, action, value, actor, created_at) "
                "VALUES ('t:1', 'section', 'shrug', 'x', 'ed', '2024-01-02T00:00:00+00:00')"
            )
    finally:
        conn.close()
