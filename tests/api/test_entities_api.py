"""``/entities`` on real BBC articles: readers list and read entity pages and their articles; editors
merge, split and rename (as feedback, respected by the next read); roles and errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apihelpers import Keys, assert_error, make_keys
from fastapi.testclient import TestClient

from entityseed import seed_entities
from newsdesk.api import create_app
from newsdesk.settings import Settings
from newsdesk.store import open_store


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, Keys, dict[str, str]]]:
    settings = Settings(home=tmp_path / "home")
    keys = make_keys(settings)
    store = open_store(settings)
    try:
        ids = seed_entities(store)
    finally:
        store.close()
    with TestClient(create_app(settings)) as client:
        yield client, keys, ids


def test_readers_read_pages_and_articles(api: tuple[TestClient, Keys, dict[str, str]]) -> None:
    client, keys, ids = api
    reader = keys.header("reader")
    listed = client.get("/entities", params={"type": "person", "limit": 5}, headers=reader)
    assert listed.status_code == 200, listed.text
    assert "person:gordon-brown" in [e["id"] for e in listed.json()]
    page = client.get("/entities/person:brown", headers=reader).json()
    assert (page["id"], page["articles"], page["timeline"]) == ("person:gordon-brown", 2, {"2005-03": 2})
    weekly = client.get("/entities/person:gordon-brown", params={"period": "week"}, headers=reader).json()
    assert weekly["timeline"] == {"2005-W10": 1, "2005-W12": 1}
    articles = client.get("/entities/person:gordon-brown/articles", headers=reader).json()
    assert articles["total"] == 2
    assert [a["id"] for a in articles["items"]] == [ids["politics/274"], ids["politics/263"]]
    assert articles["items"][0]["published_at"].startswith("2005-03-23")
    found = client.get("/entities", params={"q": "brown"}, headers=reader).json()
    assert [e["id"] for e in found] == ["person:gordon-brown"]


def test_editors_correct_and_roles_hold(api: tuple[TestClient, Keys, dict[str, str]]) -> None:
    client, keys, _ = api
    body = {"into": "person:tony-blair"}
    assert_error(client.get("/entities"), 401)
    assert_error(client.post("/entities/person:blair/merge", json=body, headers=keys.header("reader")), 403)
    merged = client.post("/entities/person:blair/merge", json=body, headers=keys.header("editor"))
    assert merged.status_code == 200, merged.text
    assert merged.json()["id"] == "person:tony-blair" and "person:blair" in merged.json()["members"]
    renamed = client.post(
        "/entities/person:tony-blair/rename", json={"name": "Tony Blair (PM)"}, headers=keys.header("editor")
    ).json()
    assert renamed["name"] == "Tony Blair (PM)"
    split = client.post(
        "/entities/person:tony-blair/split", json={"member": "person:blair"}, headers=keys.header("editor")
    ).json()
    assert split["id"] == "person:blair"
    page = client.get("/entities/person:tony-blair", headers=keys.header("reader")).json()
    assert (page["name"], page["members"]) == ("Tony Blair (PM)", ["person:tony-blair"])
    assert_error(client.get("/entities/person:nobody", headers=keys.header("reader")), 404)
    assert_error(
        client.post(
            "/entities/person:gordon-brown/split",
            json={"member": "person:blair"},
            headers=keys.header("admin"),
        ),
        422,
    )
