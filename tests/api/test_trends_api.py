"""``GET /trends``: readers see what is rising (a planted story over real Reuters background counts);
no key, a revoked key and bad parameters are refused in the one error shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apihelpers import Keys, assert_error, make_keys
from fastapi.testclient import TestClient

from newsdesk.api import create_app
from newsdesk.settings import Settings
from newsdesk.store import open_store
from trendseed import BURST_DAY, BURST_ENTITY, seed

AS_OF = (BURST_DAY.replace(hour=23, minute=59)).isoformat()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Keys]]:
    settings = Settings(home=Path(tmp_path_factory.mktemp("trends")) / "home")
    keys = make_keys(settings)
    store = open_store(settings)
    try:
        seed(store, days=8)
    finally:
        store.close()
    with TestClient(create_app(settings)) as client:
        yield client, keys


def test_readers_see_trends(api: tuple[TestClient, Keys]) -> None:
    client, keys = api
    r = client.get("/trends", params={"as_of": AS_OF, "baseline": "7d"}, headers=keys.header("reader"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["window_hours"] == 24 and body["baseline_hours"] == 168
    assert body["trends"][0]["key"] == BURST_ENTITY
    assert body["empty_kinds"] == ["story"]
    first = body["trends"][0]
    assert first["count"] == 12 and first["surprise"] > 5 and len(first["hourly"]) == 24


def test_kind_and_limit(api: tuple[TestClient, Keys]) -> None:
    client, keys = api
    params = {"as_of": AS_OF, "baseline": "7d", "kind": "keyphrase", "limit": 1}
    body = client.get("/trends", params=params, headers=keys.header("editor")).json()
    assert body["kinds"] == ["keyphrase"]
    assert [t["label"] for t in body["trends"]] == ["harbour strike"]


def test_roles_and_errors(api: tuple[TestClient, Keys]) -> None:
    client, keys = api
    assert_error(client.get("/trends"), 401)
    assert_error(client.get("/trends", headers=keys.header("revoked")), 401)
    assert_error(client.get("/trends", params={"kind": "weather"}, headers=keys.header("reader")), 422)
    assert_error(
        client.get("/trends", params={"window": "soon"}, headers=keys.header("reader")), 422, field="window"
    )
    assert_error(client.get("/trends", params={"as_of": "someday"}, headers=keys.header("reader")), 422)
