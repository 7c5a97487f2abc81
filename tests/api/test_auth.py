"""API keys: 401 without a valid key, 403 below the route's role, and nothing written when refused."""

from __future__ import annotations

import pytest
from apihelpers import Keys, assert_error
from fastapi.testclient import TestClient

from newsdesk.api import create_app
from newsdesk.settings import Settings
from newsdesk.store import open_store

NEW = {"articles": [{"source_id": "n1", "headline": "A new article", "body": "Fresh text."}]}
ENRICH = {"headline": "A headline", "body": "Some body text.", "only": ["reading_time"]}

# (method, path, json body, role needed)
ROUTES = [
    ("GET", "/articles", None, "reader"),
    ("GET", "/articles/valley-herald:vh-2024-0502-001", None, "reader"),
    ("GET", "/articles/valley-herald:vh-2024-0502-001/revisions", None, "reader"),
    ("GET", "/taxonomy/topics", None, "reader"),
    ("GET", "/taxonomy/topics/medtop:15000000", None, "reader"),
    ("POST", "/articles", NEW, "editor"),
    ("DELETE", "/articles/valley-herald:vh-2024-0502-001", None, "editor"),
    ("POST", "/enrich", ENRICH, "editor"),
]
RANK = {"reader": 1, "editor": 2, "admin": 3}


def _call(client: TestClient, method: str, path: str, body: object, headers: dict[str, str]) -> object:
    return client.request(method, path, json=body, headers=headers)


def _snapshot(settings: Settings) -> tuple[int, list[str]]:
    store = open_store(settings)
    try:
        return store.count(), sorted(a.id for a in store.iter_articles())
    finally:
        store.close()


@pytest.mark.parametrize(("method", "path", "body", "role"), ROUTES)
def test_no_key_is_401(client: TestClient, method: str, path: str, body: object, role: str) -> None:
    response = _call(client, method, path, body, {})
    assert_error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")  # type: ignore[attr-defined]


@pytest.mark.parametrize("secret", ["nd_not-a-real-key", "wrong", "", "Bearer"])
def test_unknown_key_is_401(client: TestClient, secret: str) -> None:
    assert_error(client.get("/articles", headers={"X-API-Key": secret}), 401, "unauthorized")
    assert_error(client.get("/articles", headers={"Authorization": f"Bearer {secret}"}), 401)


def test_revoked_key_is_401(client: TestClient, keys: Keys) -> None:
    error = assert_error(client.get("/articles", headers=keys.header("revoked")), 401, "unauthorized")
    assert "revoked" in error["message"]


@pytest.mark.parametrize(("method", "path", "body", "role"), ROUTES)
def test_roles(client: TestClient, keys: Keys, method: str, path: str, body: object, role: str) -> None:
    for caller in ("reader", "editor", "admin"):
        response = _call(client, method, path, body, keys.header(caller))
        if RANK[caller] < RANK[role]:
            error = assert_error(response, 403, "forbidden")
            assert role in error["message"]
        else:
            assert response.status_code in (200, 204, 404), response.text  # type: ignore[attr-defined]


def test_bearer_header_is_accepted(client: TestClient, keys: Keys) -> None:
    response = client.get("/articles", headers={"Authorization": f"Bearer {keys.reader}"})
    assert response.status_code == 200 and response.json()["total"] == 5


def test_refused_writes_write_nothing(client: TestClient, keys: Keys, api_settings: Settings) -> None:
    before = _snapshot(api_settings)
    for headers in ({}, keys.header("revoked"), keys.header("reader"), {"X-API-Key": "nd_unknown"}):
        assert client.post("/articles", json=NEW, headers=headers).status_code in (401, 403)
        deleted = client.delete("/articles/valley-herald:vh-2024-0502-001", headers=headers)
        assert deleted.status_code in (401, 403)
    assert _snapshot(api_settings) == before


def test_refused_even_with_an_invalid_body(client: TestClient, keys: Keys) -> None:
    # the key is checked before the body is validated, so a caller without a key learns nothing more
    assert_error(client.post("/articles", json={"nope": 1}), 401)
    assert_error(client.post("/articles", json={"nope": 1}, headers=keys.header("reader")), 403)


def test_last_used_is_recorded(client: TestClient, keys: Keys, api_settings: Settings) -> None:
    assert client.get("/articles", headers=keys.header("editor")).status_code == 200
    store = open_store(api_settings)
    try:
        used = {k.name: k.last_used_at for k in store.list_api_keys()}
    finally:
        store.close()
    assert used["test editor"] is not None and used["test reader"] is None


def test_auth_can_be_disabled_for_local_development(api_settings: Settings) -> None:
    api_settings.api.auth_enabled = False
    with TestClient(create_app(api_settings)) as client:
        assert client.get("/articles").status_code == 200
        assert client.post("/articles", json=NEW).json()["inserted"] == 1


def test_auth_is_on_by_default() -> None:
    assert Settings().api.auth_enabled is True
