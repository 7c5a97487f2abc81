"""``POST /write/brief``, ``POST /write/headlines`` and ``GET /ask``: roles, errors and the one JSON shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apihelpers import Keys, assert_error, herald_records, make_keys, seed
from fastapi.testclient import TestClient

from newsdesk.api import create_app
from newsdesk.settings import Settings

HARBOUR = "valley-herald:vh-2024-0502-001"


@pytest.fixture
def llm_client(tmp_path: Path) -> Iterator[tuple[TestClient, Keys]]:
    settings = Settings(home=tmp_path / "home", llm={"provider": "extractive"})
    keys = make_keys(settings)
    seed(settings)
    with TestClient(create_app(settings)) as client:
        yield client, keys


def _shape(body: dict) -> None:
    assert {"product", "items", "model", "prompt", "provider", "usage", "verifier", "sources"} <= set(body)
    for item in body["items"]:
        assert item["verdict"] in ("ok", "flagged", "withheld")
        for claim in item["claims"]:
            assert {"text", "supported", "score", "evidence"} <= set(claim)
            assert claim["supported"] or item["verdict"] != "ok"


def test_editors_write_briefs_and_readers_may_not(llm_client: tuple[TestClient, Keys]) -> None:
    client, keys = llm_client
    assert herald_records()[0]["source_id"] == HARBOUR.split(":")[1]
    ok = client.post("/write/brief", json={"ids": [HARBOUR]}, headers=keys.header("editor"))
    assert ok.status_code == 200, ok.text
    body = ok.json()
    _shape(body)
    assert (
        body["product"] == "brief"
        and body["provider"] == "extractive"
        and body["prompt"].startswith("brief@")
    )
    assert body["items"][0]["role"] == "lede" and "6.8 million euros" in body["items"][0]["text"]
    evidence = body["items"][0]["claims"][0]["evidence"][0]
    assert evidence["article_id"] == HARBOUR
    assert_error(client.post("/write/brief", json={"ids": [HARBOUR]}, headers=keys.header("reader")), 403)
    assert_error(client.post("/write/brief", json={"ids": [HARBOUR]}), 401)


def test_headline_ideas_route(llm_client: tuple[TestClient, Keys]) -> None:
    client, keys = llm_client
    r = client.post(
        "/write/headlines", json={"id": HARBOUR, "n": 3, "kind": "subject"}, headers=keys.header("editor")
    )
    assert r.status_code == 200, r.text
    body = r.json()
    _shape(body)
    assert body["kind"] == "subject" and all(len(i["text"]) <= 50 for i in body["items"]) and body["items"]
    assert_error(
        client.post("/write/headlines", json={"id": HARBOUR, "n": 99}, headers=keys.header("editor")),
        422,
        "invalid_input",
    )
    assert_error(client.post("/write/headlines", json={"id": "nope:1"}, headers=keys.header("editor")), 404)


def test_readers_ask_the_archive(llm_client: tuple[TestClient, Keys]) -> None:
    client, keys = llm_client
    r = client.get(
        "/ask", params={"q": "How deep will the harbour channel be dredged?"}, headers=keys.header("reader")
    )
    assert r.status_code == 200, r.text
    body = r.json()
    _shape(body)
    assert body["answered"] and "11 metres" in body["answer"]
    assert body["passages"][0]["article_id"] == HARBOUR
    unknown = client.get(
        "/ask", params={"q": "Who won the 1966 football World Cup final?"}, headers=keys.header("reader")
    ).json()
    assert not unknown["answered"] and unknown["items"][0]["role"] == "no_answer"
    assert_error(client.get("/ask", params={"q": ""}, headers=keys.header("reader")), 422)


def test_an_unreachable_model_server_is_a_504(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path / "home",
        llm={"provider": "openai", "base_url": "http://127.0.0.1:9/v1", "max_retries": 0, "timeout": 2},
    )
    keys = make_keys(settings)
    seed(settings)
    with TestClient(create_app(settings)) as client:
        r = client.post("/write/brief", json={"ids": [HARBOUR]}, headers=keys.header("editor"))
    error = assert_error(r, 504, "llm_unavailable")
    assert "127.0.0.1:9" in error["message"]
