"""``/articles``: list with filters and bounds, one article with enrichments, revisions, ingest, delete."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from apihelpers import Keys, assert_error, herald_records
from fastapi.testclient import TestClient

from newsdesk.articles.model import Enrichment
from newsdesk.settings import Settings
from newsdesk.store import open_store

FIRST = "valley-herald:vh-2024-0502-001"


@pytest.fixture
def reader(keys: Keys) -> dict[str, str]:
    return keys.header("reader")


@pytest.fixture
def editor(keys: Keys) -> dict[str, str]:
    return keys.header("editor")


def test_list_newest_first_with_total(client: TestClient, reader: dict[str, str]) -> None:
    data = client.get("/articles", headers=reader).json()
    assert data["total"] == 5 and data["limit"] == 20 and data["offset"] == 0
    dated = [a["published_at"] for a in data["articles"] if a["published_at"]]
    assert dated == sorted(dated, reverse=True)
    assert {"id", "headline", "section", "source", "published_at", "url", "language", "revision"} <= set(
        data["articles"][0]
    )


def test_list_filters_and_pages(client: TestClient, reader: dict[str, str]) -> None:
    sport = client.get("/articles", params={"section": "Sport"}, headers=reader).json()
    assert sport["total"] == 1 and sport["articles"][0]["section"] == "Sport"
    since = client.get("/articles", params={"since": "2024-05-02T12:00:00Z"}, headers=reader).json()
    until = client.get("/articles", params={"until": "2024-05-02T12:00:00"}, headers=reader).json()
    assert since["total"] + until["total"] == 4  # one article has no date
    assert until["total"] == 1 and until["articles"][0]["id"] == FIRST
    assert client.get("/articles", params={"source": "nobody"}, headers=reader).json()["total"] == 0
    page = client.get("/articles", params={"limit": 2, "offset": 4}, headers=reader).json()
    assert page["total"] == 5 and len(page["articles"]) == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 10**7}, "offset"),
        ({"limit": "many"}, "limit"),
        ({"since": "yesterday"}, "since"),
        ({"until": "0001-01-01T00:00:00+05:00"}, "until"),
    ],
)
def test_list_bounds(
    client: TestClient, reader: dict[str, str], params: dict[str, object], field: str
) -> None:
    assert_error(client.get("/articles", params=params, headers=reader), 422, "invalid_input", field)


def test_get_with_enrichments(client: TestClient, reader: dict[str, str], api_settings: Settings) -> None:
    store = open_store(api_settings)
    try:
        article = store.get(FIRST)
        store.put_enrichments(
            FIRST,
            [
                Enrichment(
                    component="reading_time",
                    version="1+wpm230",
                    value={"minutes": 0.2, "words": 40},
                    confidence=None,
                    created_at=datetime.now(UTC),
                    input_hash=article.content_hash,
                ),
                Enrichment(
                    component="sections",
                    version="1+abc",
                    value={"section": "business"},
                    confidence=0.91,
                    created_at=datetime.now(UTC),
                    input_hash="an older content hash",
                ),
            ],
        )
    finally:
        store.close()
    data = client.get(f"/articles/{FIRST}", headers=reader).json()
    assert data["id"] == FIRST and data["headline"].startswith("Harbour dredging")
    assert data["published_at"].startswith("2024-05-02T08:15:00")
    by_name = {e["component"]: e for e in data["enrichments"]}
    assert by_name["reading_time"]["ref"] == "reading_time@1+wpm230"
    assert by_name["reading_time"]["version"] == "1+wpm230" and by_name["reading_time"]["current"] is True
    assert by_name["sections"]["confidence"] == 0.91 and by_name["sections"]["current"] is False


def test_unknown_article_is_404(client: TestClient, reader: dict[str, str], editor: dict[str, str]) -> None:
    assert_error(client.get("/articles/nobody:1", headers=reader), 404, "not_found")
    assert_error(client.get("/articles/nobody:1/revisions", headers=reader), 404, "not_found")
    assert_error(client.delete("/articles/nobody:1", headers=editor), 404, "not_found")


def test_revisions_after_an_update(client: TestClient, editor: dict[str, str]) -> None:
    record = herald_records()[0] | {"body": "A corrected body.", "source": "valley-herald"}
    result = client.post("/articles", json={"articles": [record]}, headers=editor).json()
    assert result["updated"] == 1 and result["records"][0] == {
        "index": 0,
        "id": FIRST,
        "status": "updated",
        "duplicate_of": None,
    }
    data = client.get(f"/articles/{FIRST}/revisions", headers=editor).json()
    assert data["article_id"] == FIRST and data["current_revision"] == 2
    assert [r["revision"] for r in data["revisions"]] == [1]
    assert data["revisions"][0]["article"]["body"].startswith("The port authority")


def test_batch_ingest_reports_rejected_records(client: TestClient, editor: dict[str, str]) -> None:
    batch = {
        "articles": [
            {"source_id": "b1", "headline": "Bridge reopens after repairs", "body": "Traffic flows again."},
            {"source_id": "b2", "headline": "", "body": "No headline here."},
            {"source_id": "b3", "headline": "Bad date", "published_at": "the day after tomorrow"},
            "not an object",
            {"source_id": "b1", "headline": "Bridge reopens after repairs", "body": "Traffic flows again."},
            herald_records()[1] | {"source": "valley-herald"},
        ],
        "source": "city-desk",
    }
    response = client.post("/articles", json=batch, headers=editor)
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["received"], data["inserted"], data["unchanged"], data["rejected"]) == (6, 1, 1, 3)
    assert data["stored"] is True and data["duplicates"] == 1
    assert [(r["index"], r["id"], r["status"]) for r in data["records"]] == [
        (0, "city-desk:b1", "inserted"),
        (4, "city-desk:b1", "duplicate"),
        (5, "valley-herald:vh-2024-0502-002", "unchanged"),
    ]
    rejected = {r["index"]: r for r in data["rejections"]}
    assert rejected[1]["field"] == "headline" and "non-empty" in rejected[1]["reason"]
    assert rejected[2]["field"] == "published_at" and rejected[2]["value"] == "the day after tomorrow"
    assert rejected[3]["field"] is None and "object" in rejected[3]["reason"]
    assert client.get("/articles/city-desk:b1", headers=editor).status_code == 200
    assert client.get("/articles", headers=editor).json()["total"] == 6


def test_strict_batch_stores_nothing(client: TestClient, editor: dict[str, str]) -> None:
    batch = {
        "articles": [
            {"source_id": "s1", "headline": "Fine", "body": "A good record."},
            {"source_id": "s2", "headline": "Bad language", "language": "not a language!"},
        ],
        "strict": True,
    }
    response = client.post("/articles", json=batch, headers=editor)
    error = assert_error(response, 422, "records_rejected", "language")
    assert "nothing stored" in error["message"]
    report = response.json()["report"]
    assert report["stored"] is False and report["rejected"] == 1 and report["rejections"][0]["index"] == 1
    assert client.get("/articles", headers=editor).json()["total"] == 5
    assert client.get("/articles/api:s1", headers=editor).status_code == 404


def test_default_source(client: TestClient, editor: dict[str, str]) -> None:
    batch = {"articles": [{"id": 7, "title": "Title alias", "body": "x"}]}
    assert client.post("/articles", json=batch, headers=editor).json()["records"][0]["id"] == "api:7"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "articles"),
        ({"articles": []}, "articles"),
        ({"articles": {"headline": "x"}}, "articles"),
        ({"articles": [{"headline": "x"}], "strict": "perhaps"}, "strict"),
        ({"articles": [{"headline": "x"}], "unknown": 1}, "unknown"),
    ],
)
def test_batch_request_validation(
    client: TestClient, editor: dict[str, str], body: object, field: str
) -> None:
    assert_error(client.post("/articles", json=body, headers=editor), 422, "invalid_input", field)


def test_batch_size_limit(api_settings: Settings, keys: Keys) -> None:
    from newsdesk.api import create_app

    api_settings.api.max_batch_articles = 2
    with TestClient(create_app(api_settings)) as client:
        batch = {"articles": [{"headline": f"h{i}"} for i in range(3)]}
        assert_error(
            client.post("/articles", json=batch, headers=keys.header("editor")), 422, field="articles"
        )


def test_delete(client: TestClient, editor: dict[str, str]) -> None:
    response = client.delete(f"/articles/{FIRST}", headers=editor)
    assert response.status_code == 204 and response.content == b""
    assert_error(client.get(f"/articles/{FIRST}", headers=editor), 404)
    assert client.get("/articles", headers=editor).json()["total"] == 4
