"""``POST /events``, ``GET /readers/{id}/history`` and ``DELETE /readers/{id}``: good events are stored and
each bad one reported (field, value, reason) without costing its neighbours; roles; forgetting a reader
leaves no trace of either form of their id in any table of the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from apihelpers import Keys, assert_error
from fastapi.testclient import TestClient

from newsdesk.recommend.model import hash_reader
from newsdesk.recommend.store import SlateRecord, open_events
from newsdesk.settings import Settings
from newsdesk.store import Backend, open_store
from newsdesk.store.sql_dialect import SqlDialect, pg_dialect, sqlite_dialect

ANA, BEN = "ana-42@site.example", "ben.7"
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def articles(api_settings: Settings, client: TestClient) -> list[str]:
    store = open_store(api_settings)
    try:
        return store.ids()
    finally:
        store.close()


def _event(reader: str, article: str, kind: str = "click", minutes: int = 60, **kw: Any) -> dict[str, Any]:
    at = (NOW - timedelta(minutes=minutes)).replace(tzinfo=None).isoformat()  # naive: UTC
    return {"reader": reader, "article_id": article, "kind": kind, "at": at, **kw}


def _post(client: TestClient, keys: Keys, events: list[Any], role: str = "reader") -> Any:
    return client.post("/events", json={"events": events}, headers=keys.header(role))


def test_good_events_are_stored_and_each_bad_one_reported(
    client: TestClient, keys: Keys, articles: list[str]
) -> None:
    a1, a2 = articles[:2]
    future = (NOW + timedelta(hours=1)).isoformat()
    batch: list[Any] = [
        _event(ANA, a1, "impression", impression="slate-1"),  # 0 ok
        _event(ANA, a1, "click", 50, impression="slate-1"),  # 1 ok
        _event(ANA, a1, "dwell", 49, dwell_s=95.5),  # 2 ok
        _event(BEN, "no-such-article"),  # 3
        {**_event(BEN, a2), "at": future},  # 4
        _event("ben with spaces", a2),  # 5
        _event(BEN, a2, "like"),  # 6
        _event(BEN, a2, "dwell"),  # 7: no dwell_s
        _event(BEN, a2, "dwell", dwell_s=-1),  # 8
        _event(BEN, a2, "dwell", dwell_s=90_000),  # 9: over a day
        {"reader": BEN, "article_id": a2, "kind": "click"},  # 10: no time
        "not an object",  # 11
        _event(BEN, a2, "open", 10, source="newsletter"),  # 12 ok
        {**_event(BEN, a2), "at": "last tuesday"},  # 13
    ]
    r = _post(client, keys, batch)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == 4
    got = {(x["index"], x["field"]): x for x in body["rejected"]}
    assert sorted(got) == [
        (3, "article_id"),
        (4, "at"),
        (5, "reader"),
        (6, "kind"),
        (7, "dwell_s"),
        (8, "dwell_s"),
        (9, "dwell_s"),
        (10, "at"),
        (11, "event"),
        (13, "at"),
    ]
    assert (
        got[(3, "article_id")]["value"] == "no-such-article" and "archive" in got[(3, "article_id")]["reason"]
    )
    assert got[(4, "at")]["value"] == future and "no later than" in got[(4, "at")]["reason"]
    assert got[(5, "reader")]["value"] == "a string of 15 characters"
    assert "letters, digits and _ . : @ -" in got[(5, "reader")]["reason"]
    assert (
        got[(6, "kind")]["value"] == "like" and "impression, click, dwell, open" in got[(6, "kind")]["reason"]
    )
    assert got[(7, "dwell_s")]["value"] is None and "required for kind dwell" in got[(7, "dwell_s")]["reason"]
    assert got[(8, "dwell_s")]["value"] == -1 and got[(9, "dwell_s")]["value"] == 90_000
    assert "86400" in got[(9, "dwell_s")]["reason"]
    assert got[(10, "at")]["value"] is None and "required" in got[(10, "at")]["reason"]
    assert "ISO 8601" in got[(13, "at")]["reason"]
    assert ANA not in r.text and BEN not in r.text and "ben with spaces" not in r.text  # no reader id echoed

    r = client.get(f"/readers/{ANA}/history", headers=keys.header("editor"))
    assert r.status_code == 200, r.text
    history = r.json()
    assert [(e["kind"], e["article_id"]) for e in history] == [("dwell", a1), ("click", a1)]
    assert history[0]["dwell_s"] == 95.5 and history[0]["headline"] and "reader" not in history[0]
    r = client.get(f"/readers/{ANA}/history", params={"kind": ["impression"]}, headers=keys.header("admin"))
    assert [e["impression"] for e in r.json()] == ["slate-1"]


def test_all_refused_is_a_422_with_the_report_and_an_empty_batch_is_fine(
    client: TestClient, keys: Keys, api_settings: Settings, articles: list[str]
) -> None:
    r = _post(client, keys, [_event(ANA, "nope"), _event(ANA, articles[0], "like")])
    error = assert_error(r, 422, "invalid_input", "events[0].article_id")
    assert "all 2 events were refused" in error["message"]
    assert r.json()["accepted"] == 0 and [x["index"] for x in r.json()["rejected"]] == [0, 1]
    r = _post(client, keys, [])
    assert r.status_code == 200 and r.json() == {"accepted": 0, "rejected": []}
    api_settings.recommend.max_batch_events = 2
    assert_error(_post(client, keys, [_event(ANA, articles[0])] * 3), 422, "invalid_input", "events")
    assert_error(client.post("/events", json={"nope": []}, headers=keys.header("reader")), 422)


def test_roles(client: TestClient, keys: Keys, articles: list[str]) -> None:
    assert_error(client.post("/events", json={"events": []}), 401)
    assert_error(client.get(f"/readers/{ANA}/history"), 401)
    assert_error(client.delete(f"/readers/{ANA}"), 401)
    assert_error(_post(client, keys, [], role="revoked"), 401)
    assert _post(client, keys, [_event(ANA, articles[0])]).json()["accepted"] == 1
    assert_error(client.get(f"/readers/{ANA}/history", headers=keys.header("reader")), 403)
    assert_error(client.delete(f"/readers/{ANA}", headers=keys.header("reader")), 403)
    assert_error(client.delete(f"/readers/{ANA}", headers=keys.header("editor")), 403)
    r = client.delete(f"/readers/{ANA}", headers=keys.header("admin"))
    assert r.status_code == 200 and r.json()["reader_events"] == 1
    assert_error(client.delete("/readers/not%20an%20id", headers=keys.header("admin")), 422, field="reader")


def _dialect(store: Backend, settings: Settings) -> SqlDialect:
    return sqlite_dialect(store) if settings.store_url.startswith("sqlite") else pg_dialect(store)


def _columns(conn: Any, sqlite: bool) -> Iterator[tuple[str, str]]:
    """(table, column) of every column of every table of the database (each is scanned as text)."""
    if sqlite:
        tables = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        ]
        for table in tables:
            for col in conn.execute(f"SELECT name FROM pragma_table_info('{table}')").fetchall():
                yield f'"{table}"', f'"{col[0]}"'
        return
    rows = conn.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
    ).fetchall()
    for schema, table, column in rows:
        yield f'"{schema}"."{table}"', f'"{column}"'


def _traces(settings: Settings, needles: list[str]) -> list[str]:
    """Where any of ``needles`` appears, as table.column, in the whole database."""
    store = open_store(settings)
    try:
        d = _dialect(store, settings)
        sqlite = d.text_times
        found = []
        with d.connection() as conn:
            for table, column in list(_columns(conn, sqlite)):
                text = f"CAST({column} AS TEXT)" if sqlite else f"{column}::text"
                for needle in needles:
                    n = conn.execute(
                        d.sql(f"SELECT COUNT(*) FROM {table} WHERE {text} LIKE ?"), (f"%{needle}%",)
                    ).fetchone()[0]
                    if n:
                        found.append(f"{table}.{column}")
        return found
    finally:
        store.close()


def test_forgetting_through_the_api_leaves_no_trace(
    client: TestClient, keys: Keys, api_settings: Settings, articles: list[str]
) -> None:
    salt = api_settings.recommend.salt.get_secret_value()
    ana, ben = hash_reader(ANA, salt), hash_reader(BEN, salt)
    events = [_event(ANA, a, kind) for a in articles[:3] for kind in ("impression", "click")]
    assert _post(client, keys, [*events, _event(BEN, articles[0])]).json()["accepted"] == 7
    store = open_store(api_settings)
    try:  # a served slate, and an experiment that keeps raw events keyed by the reader's id
        open_events(store, api_settings.store_url).log_slate(
            SlateRecord(ana, NOW, "recommendations", "hybrid", "1", {"history": 3}, articles[:2])
        )
        d = _dialect(store, api_settings)
        with d.writing() as conn:
            conn.execute(
                d.sql(
                    "INSERT INTO experiments (id, kind, status, owner, created_at, data) "
                    "VALUES (?, ?, ?, ?, ?, ?)"
                ),
                ("exp1", "headline", "running", "test", d.time(NOW), "{}"),
            )
            for unit in (ANA, BEN):
                conn.execute(
                    d.sql(
                        "INSERT INTO experiment_events (experiment_id, variant, unit, event, at) "
                        "VALUES (?, ?, ?, ?, ?)"
                    ),
                    ("exp1", "A", unit, "click", d.time(NOW)),
                )
    finally:
        store.close()
    assert _traces(api_settings, [ANA, ana])  # the scan finds what is there

    r = client.delete(f"/readers/{ANA}", headers=keys.header("admin"))
    assert r.status_code == 200, r.text
    assert r.json() == {"reader_events": 6, "reader_slates": 1, "experiment_events": 1}
    assert _traces(api_settings, [ANA, ana]) == []
    assert _traces(api_settings, [BEN]) and _traces(api_settings, [ben])  # nobody else was forgotten
    r = client.get(f"/readers/{ANA}/history", headers=keys.header("editor"))
    assert r.status_code == 200 and r.json() == []
