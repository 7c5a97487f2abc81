"""``GET /readers/{id}/recommendations`` and ``GET /articles/{id}/also-read`` on the BBC sample with
simulated readers: the demo's reader session (clicks posted through ``POST /events`` change the next slate),
traceability, roles, and bad input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apihelpers import Keys, assert_error, make_keys
from fastapi.testclient import TestClient

from newsdesk.api import create_app
from newsdesk.recommend.demo import reader_session, simulate_readers
from newsdesk.settings import Settings
from newsdesk.store import open_store


@pytest.fixture
def served(archive_copy: Path) -> Iterator[tuple[TestClient, Keys]]:
    settings = Settings(home=archive_copy)
    store = open_store(settings)
    try:
        assert simulate_readers(settings, store, readers=60)["accepted"] > 300
    finally:
        store.close()
    keys = make_keys(settings)
    with TestClient(create_app(settings)) as client:
        yield client, keys


def test_a_reader_session_through_the_api_changes_what_is_recommended(
    served: tuple[TestClient, Keys],
) -> None:
    client, keys = served
    headers = keys.header("reader")

    def get(path: str) -> Any:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    def post(path: str, body: Any) -> Any:
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    session = reader_session(get, post, reader="visitor-1", section="tech", clicks=3)
    assert session["accepted"] == 3
    assert session["before"]["cold"] is True and session["after"]["cold"] is False
    assert session["share_after"] > session["share_before"]
    assert session["clicked_shown_again"] == []
    for slate in (session["before"], session["after"]):
        assert slate["model"].startswith("fitted-on-events@")  # which model chose it
        assert all(i["headline"] and i["reason"] in ("pinned", "recommended") for i in slate["items"])


def test_also_read_roles_and_bad_input(served: tuple[TestClient, Keys]) -> None:
    client, keys = served
    headers = keys.header("reader")
    article = client.get("/articles?limit=1", headers=headers).json()["articles"][0]["id"]
    out = client.get(f"/articles/{article}/also-read?n=4", headers=headers)
    assert out.status_code == 200, out.text
    assert out.json()["product"] == "also-read" and len(out.json()["items"]) <= 4
    assert client.get("/readers/visitor-1/recommendations").status_code == 401
    assert_error(client.get("/articles/no-such/also-read", headers=headers), 404)
    assert_error(client.get("/readers/bad%20id/recommendations", headers=headers), 422, field="reader")
    assert client.get("/readers/visitor-1/recommendations?n=0", headers=headers).status_code == 422


def test_live_quality_is_for_editors(served: tuple[TestClient, Keys]) -> None:
    client, keys = served
    slate = client.get("/readers/visitor-2/recommendations?n=4", headers=keys.header("reader")).json()
    click = {
        "reader": "visitor-2",
        "article_id": slate["items"][0]["article_id"],
        "kind": "click",
        "at": slate["at"],
        "impression": slate["impression"],
    }
    assert client.post("/events", json={"events": [click]}, headers=keys.header("reader")).status_code == 200
    assert client.get("/recommendations/quality", headers=keys.header("reader")).status_code == 403
    report = client.get("/recommendations/quality?since=1h", headers=keys.header("editor"))
    assert report.status_code == 200, report.text
    (row,) = report.json()["models"]
    assert (row["slates"], row["shown"], row["reads"], row["product"]) == (1, 4, 1, "recommendations")
