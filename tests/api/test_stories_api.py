"""``/stories``: readers list stories and read one (timeline, merges and splits); roles and errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apihelpers import Keys, assert_error, make_keys
from fastapi.testclient import TestClient

from newsdesk.api import create_app
from newsdesk.settings import Settings
from newsdesk.store import open_store
from newsdesk.stories.build import build_stories
from storyhelpers import CharEmbedder, sample_articles


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, Keys]]:
    settings = Settings(home=tmp_path / "home")
    store = open_store(settings)
    try:
        store.upsert(sample_articles())
        build_stories(settings, store, embedder=CharEmbedder())
    finally:
        store.close()
    keys = make_keys(settings)
    with TestClient(create_app(settings)) as client:
        yield client, keys


def test_readers_list_and_read_stories(api: tuple[TestClient, Keys]) -> None:
    client, keys = api
    assert_error(client.get("/stories"), 401)
    r = client.get("/stories", params={"limit": 500}, headers=keys.header("reader"))
    assert r.status_code == 200, r.text
    listed = r.json()
    assert listed and all("articles" not in s for s in listed)
    assert sum(s["size"] for s in listed) == 255
    story = max(listed, key=lambda s: s["size"])
    assert_error(client.get(f"/stories/{story['id']}"), 401)
    r = client.get(f"/stories/{story['id']}", headers=keys.header("reader"))
    assert r.status_code == 200, r.text
    shown = r.json()
    assert shown["label"] == story["label"] and len(shown["articles"]) == story["size"]
    assert all(a["headline"] for a in shown["articles"]) and isinstance(shown["events"], list)
    r = client.get("/stories", params={"section": story["section"]}, headers=keys.header("editor"))
    assert r.status_code == 200 and {s["section"] for s in r.json()} == {story["section"]}
    r = client.get("/stories", params={"since": "2014-03-12"}, headers=keys.header("reader"))
    assert r.status_code == 200 and all(s["last_seen"] >= "2014-03-12" for s in r.json())


def test_errors(api: tuple[TestClient, Keys]) -> None:
    client, keys = api
    assert_error(client.get("/stories/st-missing", headers=keys.header("reader")), 404)
    assert_error(client.get("/stories", params={"since": "soon"}, headers=keys.header("reader")), 422)
    assert_error(client.get("/stories", params={"limit": 0}, headers=keys.header("reader")), 422)
