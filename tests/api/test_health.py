"""``/healthz``, ``/readyz`` and ``/metrics``."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import pytest
from apihelpers import Keys, assert_error
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from newsdesk.api import create_app
from newsdesk.settings import Settings
from newsdesk.store import open_store
from newsdesk.store.migrations import MIGRATIONS


def test_healthz_needs_no_key(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "version": "0.1.0"}


def test_healthz_answers_while_every_request_thread_is_busy(api_settings: Settings) -> None:
    import anyio.to_thread

    settings = api_settings.model_copy(update={"api": api_settings.api.model_copy(update={"threads": 1})})
    with TestClient(create_app(settings)) as client:
        limiter = client.portal.call(anyio.to_thread.current_default_thread_limiter)
        assert limiter.total_tokens == 1
        holder = object()
        client.portal.call(limiter.acquire_on_behalf_of, holder)  # the one request thread is taken
        pool = ThreadPoolExecutor(2)
        try:
            assert pool.submit(client.get, "/healthz").result(timeout=20).status_code == 200
            readiness = pool.submit(client.get, "/readyz")  # a blocking route waits for the thread
            with pytest.raises(FutureTimeout):
                readiness.result(timeout=0.5)
        finally:
            client.portal.call(limiter.release_on_behalf_of, holder)
            pool.shutdown(wait=True)
        assert readiness.result(timeout=20).status_code == 200


def test_readyz(client: TestClient, store_url: str | None) -> None:
    from newsdesk.store.pg_schema import MIGRATIONS as PG_MIGRATIONS

    expected = len(MIGRATIONS if store_url is None else PG_MIGRATIONS)
    data = client.get("/readyz").json()
    assert data == {
        "status": "ready",
        "schema_version": expected,
        "expected_schema_version": expected,
        "articles": 5,
    }


def test_readyz_fails_when_the_store_cannot_open(api_settings: Settings, store_url: str | None) -> None:
    api_settings.home.mkdir(parents=True)
    if store_url is None:
        with sqlite3.connect(api_settings.database_path) as conn:
            conn.execute("PRAGMA user_version = 99")  # a newer newsdesk wrote this database
    else:
        import psycopg

        open_store(api_settings).close()
        with psycopg.connect(store_url, autocommit=True) as pg:
            pg.execute("INSERT INTO newsdesk_schema (version) VALUES (99)")
    with TestClient(create_app(api_settings)) as client:
        assert client.get("/healthz").status_code == 200  # alive, but not ready
        error = assert_error(client.get("/readyz"), 503, "not_ready")
        assert "schema version 99" in error["message"]
        # routes that need the store say so with 503, never a 500
        assert_error(client.get("/articles", headers={"X-API-Key": "nd_x"}), 503, "store_unavailable")


def test_readyz_fails_when_the_store_is_closed(client: TestClient) -> None:
    client.app.state.newsdesk.store().close()  # type: ignore[attr-defined]
    assert_error(client.get("/readyz"), 503, "not_ready")


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_metrics_count_requests_by_route_template_and_status(client: TestClient, keys: Keys) -> None:
    reader = keys.header("reader")
    client.get("/articles/valley-herald:vh-2024-0502-001", headers=reader)
    client.get("/articles/valley-herald:vh-2024-0502-002", headers=reader)
    client.get("/articles/nobody:1", headers=reader)
    client.get("/articles")
    client.get("/no/such/route")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)

    def count(route: str, status: str, method: str = "GET") -> float:
        labels = (("method", method), ("route", route), ("status", status))
        return samples.get(("newsdesk_http_requests_total", labels), 0.0)

    assert count("/articles/{article_id}", "200") == 2
    assert count("/articles/{article_id}", "404") == 1
    assert count("/articles", "401") == 1
    assert count("<unmatched>", "404") == 1
    histogram = (
        "newsdesk_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "/articles/{article_id}"), ("status", "200")),
    )
    assert samples[histogram] == 2
    assert not any("valley-herald" in name or "valley-herald" in str(labels) for name, labels in samples)


def test_each_app_has_its_own_registry(api_settings: Settings) -> None:
    first, second = create_app(api_settings), create_app(api_settings)
    with TestClient(first) as a, TestClient(second) as b:
        a.get("/healthz")
        a.get("/healthz")
        b.get("/healthz")
        labels = (("method", "GET"), ("route", "/healthz"), ("status", "200"))
        assert _samples(a.get("/metrics").text)[("newsdesk_http_requests_total", labels)] == 2
        assert _samples(b.get("/metrics").text)[("newsdesk_http_requests_total", labels)] == 1
