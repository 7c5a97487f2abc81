"""``POST /enrich``: components run on a posted article, nothing stored, skipped ones reported."""

from __future__ import annotations

import pytest
from apihelpers import Keys, assert_error
from fastapi.testclient import TestClient

from newsdesk.api import create_app
from newsdesk.settings import Settings

ARTICLE = {
    "headline": "Council approves new cycle lanes on the river road",
    "body": (
        "The city council voted on Tuesday to build protected cycle lanes along the river road. "
        "Work will start in the spring and take about six months. "
        "Shop owners on the road had asked for more parking instead. "
        "The council said the lanes would make the road safer for children cycling to school."
    ),
    "section": "Politics",
}
FAST = ["language", "reading_time", "summary"]


@pytest.fixture
def editor(keys: Keys) -> dict[str, str]:
    return keys.header("editor")


def test_fast_components(client: TestClient, editor: dict[str, str]) -> None:
    before = client.get("/articles", headers=editor).json()["total"]
    response = client.post("/enrich", json=ARTICLE | {"only": FAST}, headers=editor)
    assert response.status_code == 200, response.text
    data = response.json()
    assert [o["component"] for o in data["outputs"]] == FAST and data["skipped"] == []
    for output in data["outputs"]:
        assert output["version"] and output["ref"] == f"{output['component']}@{output['version']}"
        assert "confidence" in output
    by_name = {o["component"]: o for o in data["outputs"]}
    assert by_name["language"]["value"]["code"] == "en" and by_name["language"]["confidence"] > 0.5
    assert by_name["reading_time"]["value"]["words"] > 40
    assert 1 <= len(by_name["summary"]["value"]["sentences"]) <= 3
    assert data["article_id"].startswith("api:#")
    assert client.get("/articles", headers=editor).json()["total"] == before  # nothing stored


def test_archive_components_fit_once_or_are_skipped(client: TestClient, editor: dict[str, str]) -> None:
    only = ["keyphrases", "sections", "near_duplicates"]
    data = client.post("/enrich", json=ARTICLE | {"only": only}, headers=editor).json()
    assert [o["component"] for o in data["outputs"]] == ["keyphrases", "near_duplicates"]
    # five articles in five sections: nothing to learn sections from, which is a skip, not a failure
    assert [s["component"] for s in data["skipped"]] == ["sections"]
    assert "at least 2 sections" in data["skipped"][0]["reason"]
    phrases = [p["phrase"].lower() for p in data["outputs"][0]["value"]]
    assert any("cycle" in p for p in phrases)
    # prepared components are kept: the second call does not fit again
    state = client.app.state.newsdesk  # type: ignore[attr-defined]
    kept = state.enricher()._slots["keyphrases"].component
    again = client.post("/enrich", json=ARTICLE | {"only": only}, headers=editor).json()
    assert state.enricher()._slots["keyphrases"].component is kept
    assert again["outputs"][0]["value"] == data["outputs"][0]["value"]


def test_near_duplicate_of_a_stored_article(client: TestClient, editor: dict[str, str]) -> None:
    stored = client.get("/articles/valley-herald:vh-2024-0502-001", headers=editor).json()
    posted = {"headline": stored["headline"], "body": stored["body"], "only": ["near_duplicates"]}
    data = client.post("/enrich", json=posted, headers=editor).json()
    assert [m["id"] for m in data["outputs"][0]["value"]] == ["valley-herald:vh-2024-0502-001"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": "no headline"}, "headline"),
        ({"headline": "  "}, "headline"),
        ({"headline": "x", "only": ["no_such_component"]}, "only"),
        ({"headline": "x", "only": []}, "only"),
        ({"headline": "x", "url": "not a url"}, "url"),
        ({"headline": "x", "published_at": "soon"}, "published_at"),
        ({"headline": "x", "colour": "red"}, "colour"),
    ],
)
def test_invalid_requests(client: TestClient, editor: dict[str, str], body: object, field: str) -> None:
    assert_error(client.post("/enrich", json=body, headers=editor), 422, "invalid_input", field)


def test_components_can_be_restricted(api_settings: Settings, keys: Keys) -> None:
    api_settings.api.enrich_components = ["reading_time"]
    with TestClient(create_app(api_settings)) as client:
        data = client.post("/enrich", json=ARTICLE, headers=keys.header("editor")).json()
        assert [o["component"] for o in data["outputs"]] == ["reading_time"]
        error = assert_error(
            client.post("/enrich", json=ARTICLE | {"only": ["language"]}, headers=keys.header("editor")), 422
        )
        assert error["field"] == "only" and "reading_time" in error["message"]


def test_embedding_model(client: TestClient, editor: dict[str, str]) -> None:
    data = client.post("/enrich", json=ARTICLE | {"only": ["embedding"]}, headers=editor).json()
    (output,) = data["outputs"]
    assert output["component"] == "embedding" and output["value"]["dim"] == 384
    assert "all-MiniLM-L6-v2" in output["version"]
