"""``/search`` and ``/articles/{id}/related`` over a real archive with real vectors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apihelpers import Keys, assert_error, make_keys
from fastapi.testclient import TestClient

from newsdesk.api import create_app
from newsdesk.settings import Settings


@pytest.fixture
def search_client(archive_copy: Path) -> Iterator[tuple[TestClient, Keys]]:
    settings = Settings(home=archive_copy)
    keys = make_keys(settings)
    with TestClient(create_app(settings)) as client:
        yield client, keys


def test_search_finds_and_explains(search_client: tuple[TestClient, Keys]) -> None:
    client, keys = search_client
    r = client.get(
        "/search", params={"q": "invisible ink elections", "limit": 3}, headers=keys.header("reader")
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["query"] == "invisible ink elections" and body["total"] >= 3
    top = body["results"][0]
    assert top["id"] == "bbc:tech/001"
    assert "ink" in top["why"]["matched_terms"] and "<mark>" in top["snippet"]
    assert body["retrievers"] == ["text", "vector"]


def test_search_filters_and_pages(search_client: tuple[TestClient, Keys]) -> None:
    client, keys = search_client
    h = keys.header("reader")
    r = client.get("/search", params={"q": "film award", "section": "entertainment", "limit": 5}, headers=h)
    assert r.status_code == 200 and all(x["section"] == "entertainment" for x in r.json()["results"])
    p1 = client.get("/search", params={"q": "film award", "limit": 2}, headers=h).json()["results"]
    p2 = client.get("/search", params={"q": "film award", "limit": 2, "offset": 2}, headers=h).json()[
        "results"
    ]
    both = client.get("/search", params={"q": "film award", "limit": 4}, headers=h).json()["results"]
    assert [x["id"] for x in p1 + p2] == [x["id"] for x in both]


def test_search_bad_input_is_a_clear_4xx(search_client: tuple[TestClient, Keys]) -> None:
    client, keys = search_client
    h = keys.header("reader")
    assert_error(client.get("/search", headers=h), 422, field="q")
    assert_error(client.get("/search", params={"q": "x", "limit": 0}, headers=h), 422, field="limit")
    assert_error(client.get("/search", params={"q": "x", "mode": "fuzzy"}, headers=h), 422, field="mode")
    assert_error(
        client.get("/search", params={"q": "x", "since": "2024-01-01T00:00"}, headers=h), 422, field="since"
    )
    assert_error(client.get("/search", params={"q": "x", "topic": "sport"}, headers=h), 422, field="qcode")
    assert_error(client.get("/search", params={"q": "x"}), 401)


def test_related(search_client: tuple[TestClient, Keys]) -> None:
    client, keys = search_client
    h = keys.header("reader")
    r = client.get("/articles/bbc:sport/001/related", params={"limit": 3}, headers=h)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert len(results) == 3 and all(x["id"] != "bbc:sport/001" for x in results)
    assert {"similarity", "shared_entities", "shared_topics"} <= results[0].keys()
    assert_error(client.get("/articles/bbc:none/000/related", headers=h), 404)
    assert_error(client.get("/articles/bbc:sport/001/related", params={"diversity": 3}, headers=h), 422)
    # the article route itself still answers
    assert client.get("/articles/bbc:sport/001", headers=h).json()["id"] == "bbc:sport/001"


def test_deleted_articles_leave_search(search_client: tuple[TestClient, Keys]) -> None:
    client, keys = search_client
    q = {"q": "invisible ink Kyrgyz elections", "limit": 5}
    assert (
        client.get("/search", params=q, headers=keys.header("reader")).json()["results"][0]["id"]
        == "bbc:tech/001"
    )
    state = client.app.state.newsdesk  # type: ignore[attr-defined]
    assert state.ready_searcher() is not None  # in step: the next search runs on the event loop
    assert client.delete("/articles/bbc:tech/001", headers=keys.header("editor")).status_code == 204
    assert state.ready_searcher() is None  # the store moved: the next search syncs, in the thread pool
    ids = [x["id"] for x in client.get("/search", params=q, headers=keys.header("reader")).json()["results"]]
    assert "bbc:tech/001" not in ids
    assert state.ready_searcher() is not None
