"""``/taxonomy``: browse the bundled IPTC Media Topics."""

from __future__ import annotations

import pytest
from apihelpers import Keys, assert_error
from fastapi.testclient import TestClient

from newsdesk.nlp.taxonomy import Taxonomy


@pytest.fixture
def reader(keys: Keys) -> dict[str, str]:
    return keys.header("reader")


def test_top_level(client: TestClient, reader: dict[str, str]) -> None:
    data = client.get("/taxonomy/topics", headers=reader).json()
    assert len(data["topics"]) == 17 and data["release"].startswith("2025")
    assert all(t["level"] == 1 and not t["retired"] for t in data["topics"])
    assert data["topics"][0] == {
        "qcode": "medtop:01000000",
        "label": "arts, culture, entertainment and media",
        "uri": "http://cv.iptc.org/newscodes/mediatopic/01000000",
        "level": 1,
        "retired": False,
        "retired_at": None,
    }


def test_one_topic_with_ancestors_and_children(client: TestClient, reader: dict[str, str]) -> None:
    data = client.get("/taxonomy/topics/20000756", headers=reader).json()
    assert data["topic"]["qcode"] == "medtop:20000756" and data["topic"]["definition"]
    assert [a["label"] for a in data["ancestors"]] == ["science and technology"]
    assert "medtop:20000716" in {c["qcode"] for c in data["children"]}
    assert all(c["level"] == 3 for c in data["children"])


def test_retired_topics_are_flagged(client: TestClient, reader: dict[str, str]) -> None:
    retired = next(c for c in Taxonomy.bundled() if not c.active)
    data = client.get(f"/taxonomy/topics/{retired.qcode}", headers=reader).json()
    assert data["topic"]["retired"] is True and data["topic"]["retired_at"] == retired.retired
    parent = next(
        c
        for c in Taxonomy.bundled()
        if any(not k.active for k in Taxonomy.bundled().children(c.qcode, include_retired=True))
    )
    active = client.get(f"/taxonomy/topics/{parent.qcode}", headers=reader).json()["children"]
    everything = client.get(
        f"/taxonomy/topics/{parent.qcode}", params={"include_retired": True}, headers=reader
    ).json()["children"]
    assert len(everything) > len(active) and any(c["retired"] for c in everything)


def test_label_search(client: TestClient, reader: dict[str, str]) -> None:
    data = client.get("/taxonomy/topics", params={"q": "FOOTBALL"}, headers=reader).json()
    labels = [t["label"] for t in data["topics"]]
    assert labels[0] == "football" and "American football" in labels
    assert client.get("/taxonomy/topics", params={"q": "zzzz-none"}, headers=reader).json()["topics"] == []


def test_errors(client: TestClient, reader: dict[str, str]) -> None:
    assert_error(client.get("/taxonomy/topics/99999999", headers=reader), 404, "not_found")
    assert_error(client.get("/taxonomy/topics/football", headers=reader), 422, "invalid_input", "qcode")
    assert_error(client.get("/taxonomy/topics", params={"q": ""}, headers=reader), 422, field="q")
