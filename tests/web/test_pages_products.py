"""The console's product pages (stories, trends, entities, experiments, briefs and headline ideas) on a real
archive: the 100-article BBC sample enriched by the real pipeline and clustered into stories (with a cheap
character embedder), Reuters background counts with a planted burst for the trends, and two experiments
(one decided on its traffic). What the pages show, their empty states, 404s, 422s, roles and CSRF."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from newsdesk.api import create_app
from newsdesk.auth import create_key
from newsdesk.settings import Settings
from newsdesk.store import open_store
from newsdesk.web import session as sessions

DATA = Path(__file__).parents[1] / "data"
ROLES = ("reader", "editor", "admin")
ARTICLE = "bbc:business/001"


def _keys(store: Any) -> dict[str, tuple[str, str]]:
    """role -> (key id, secret)."""
    out = {}
    for role in ROLES:
        key, secret = create_key(store, role, name=f"{role} desk")
        out[role] = (key.id, secret)
    return out


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from newsdesk.experiments.service import ExperimentService
    from newsdesk.ingest import ingest
    from newsdesk.pipeline import enrich
    from newsdesk.stories.build import build_stories
    from storyhelpers import CharEmbedder
    from trendseed import seed

    settings = Settings(home=Path(tmp_path_factory.mktemp("products")) / "home")
    settings.llm.provider = "extractive"
    store = open_store(settings)
    try:
        ingest([DATA / "sections" / "bbc"], store, settings=settings, format="textdir", source="bbc")
        enrich(store, settings)
        build_stories(settings, store, embedder=CharEmbedder())
        seed(store, days=8)
        keys = _keys(store)
        service = ExperimentService.open(settings, store)
        decided = service.create(
            actor="key:editor desk",
            kind="headline",
            name="Harbour money",
            variants=["Harbour gets 6.8 million euros", "Who pays for the harbour?"],
            planned_size=2000,
        )
        service.start(decided.id, actor="key:editor desk")
        service.record(
            decided.id,
            counts=[
                {"variant": "A", "impressions": 2000, "clicks": 60},
                {"variant": "B", "impressions": 2000, "clicks": 140},
            ],
        )
        service.stop(decided.id, actor="key:editor desk", winner="B", reason="the question drew more clicks")
        running = service.create(
            actor="key:editor desk",
            kind="subject_line",
            name="Morning letter",
            variants=["Good morning", "Hi"],
        )
        service.start(running.id, actor="key:editor desk")
    finally:
        store.close()
    with TestClient(create_app(settings)) as client:
        yield {
            "client": client,
            "settings": settings,
            "keys": keys,
            "decided": decided.id,
            "running": running.id,
        }


@pytest.fixture(scope="module")
def empty(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, dict[str, tuple[str, str]]]]:
    settings = Settings(home=Path(tmp_path_factory.mktemp("products-empty")) / "home")
    store = open_store(settings)
    try:
        keys = _keys(store)
    finally:
        store.close()
    with TestClient(create_app(settings)) as client:
        yield client, keys


def _as(keys: dict[str, tuple[str, str]], role: str) -> dict[str, str]:
    return {"X-API-Key": keys[role][1]}


def _get(room: dict[str, Any], path: str, role: str = "reader", **params: Any) -> Any:
    return room["client"].get(path, params=params, headers=_as(room["keys"], role), follow_redirects=False)


def _text(page: str) -> str:
    """The page's text, tags dropped and entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_stories_list_and_story_page(newsroom: dict[str, Any]) -> None:
    from newsdesk.stories.service import list_stories, show_story

    store = open_store(newsroom["settings"])
    try:
        biggest = max(list_stories(newsroom["settings"], store, limit=100), key=lambda s: s["size"])
        story = show_story(newsroom["settings"], store, biggest["id"])
    finally:
        store.close()
    r = _get(newsroom, "/console/stories")
    assert r.status_code == 200, r.text
    assert f'href="/console/stories/{biggest["id"]}"' in r.text and "<caption>" in r.text
    assert html.escape(biggest["label"]) in r.text and biggest["entities"][0] in _text(r.text)
    r = _get(newsroom, f"/console/stories/{biggest['id']}")
    assert r.status_code == 200, r.text
    text = _text(r.text)
    for article in story["articles"][:5]:
        assert article["headline"] in text
    first, last = story["articles"][0], story["articles"][-1]
    assert r.text.index(html.escape(first["headline"])) < r.text.index(html.escape(last["headline"]))
    assert "/console/articles/bbc%3A" in r.text
    section = _get(newsroom, "/console/stories", section=biggest["section"])
    assert section.status_code == 200 and biggest["id"] in section.text


def test_trends_show_the_planted_burst(newsroom: dict[str, Any]) -> None:
    from trendseed import BURST_DAY, BURST_ENTITY

    as_of = BURST_DAY.replace(hour=23, minute=59).isoformat()
    r = _get(newsroom, "/console/trends", as_of=as_of, baseline="7d")
    assert r.status_code == 200, r.text
    assert f'href="/console/entities/{BURST_ENTITY.replace(":", "%3A")}"' in r.text
    assert 'role="img"' in r.text and "articles over 24 hours; peak" in r.text
    only = _get(newsroom, "/console/trends", kind="keyphrase", limit=1, as_of=as_of, baseline="7d")
    assert only.status_code == 200 and "harbour strike" in only.text
    latest = _get(newsroom, "/console/trends")
    assert latest.status_code == 200 and "harbour strike" in latest.text


def test_entities_search_and_entity_page(newsroom: dict[str, Any]) -> None:
    from newsdesk.entities import build_entity_pages

    store = open_store(newsroom["settings"])
    try:
        pages = build_entity_pages(newsroom["settings"], store)
        top = pages.list(limit=1)[0]
        newest = store.get(pages.article_ids(top.id)[0])
    finally:
        store.close()
    r = _get(newsroom, "/console/entities", q=top.name[:4])
    assert r.status_code == 200, r.text
    assert f'href="/console/entities/{top.id.replace(":", "%3A")}"' in r.text
    r = _get(newsroom, f"/console/entities/{top.id}")
    assert r.status_code == 200, r.text
    text = _text(r.text)
    assert top.name in text and top.id in text and newest.headline in text
    assert all(a in text for a in top.aliases[:2])
    assert "Related entities" in text and "<caption>Named in the same articles</caption>" in r.text
    nothing = _get(newsroom, "/console/entities", q="zzzz-nobody")
    assert nothing.status_code == 200 and 'id="entities-empty"' in nothing.text


def test_experiments_list_and_page(newsroom: dict[str, Any]) -> None:
    r = _get(newsroom, "/console/experiments", role="editor")
    assert r.status_code == 200, r.text
    text = _text(r.text)
    assert "Harbour money" in text and "Morning letter" in text and "winner B" in text
    r = _get(newsroom, f"/console/experiments/{newsroom['decided']}", role="editor")
    assert r.status_code == 200, r.text
    text = _text(r.text)
    assert "Harbour gets 6.8 million euros" in text and "Who pays for the harbour?" in text
    assert "Winner: B" in text and "the question drew more clicks" in text
    assert "3.00%" in text and "7.00%" in text and "Fixed-horizon" in text
    running = _get(newsroom, f"/console/experiments/{newsroom['running']}", role="editor")
    assert running.status_code == 200 and "No fixed-horizon test yet" in running.text
    assert _get(newsroom, "/console/experiments", role="reader").status_code == 403


def test_write_page_shows_marks_evidence_and_provenance(newsroom: dict[str, Any]) -> None:
    store = open_store(newsroom["settings"])
    try:
        article = store.get(ARTICLE)
    finally:
        store.close()
    link = _get(newsroom, f"/console/articles/{ARTICLE}", role="editor")
    assert f'href="/console/write/{ARTICLE.replace(":", "%3A")}"' in link.text
    assert "/console/write/" not in _get(newsroom, f"/console/articles/{ARTICLE}").text
    form = _get(newsroom, f"/console/write/{ARTICLE}", role="editor")
    assert form.status_code == 200 and 'name="csrf_token"' in form.text
    r = newsroom["client"].post(
        f"/console/write/{ARTICLE}", data={"what": "both", "n": "3"}, headers=_as(newsroom["keys"], "editor")
    )
    assert r.status_code == 200, r.text
    assert 'data-mark="supported"' in r.text
    quoted = [html.unescape(q).strip() for q in re.findall(r"<blockquote>(.*?)</blockquote>", r.text, re.S)]
    assert quoted and all(q in f"{article.headline}\n\n{article.body}" for q in quoted)
    text = _text(r.text)
    assert "Brief" in text and "Headline ideas" in text and "extractive" in text
    assert "brief@" in text and "headlines@" in text and "Verifier" in text


def test_write_roles_and_csrf(newsroom: dict[str, Any]) -> None:
    client, keys = newsroom["client"], newsroom["keys"]
    reader = client.post(f"/console/write/{ARTICLE}", data={"what": "brief"}, headers=_as(keys, "reader"))
    assert reader.status_code == 403 and "editor" in reader.text
    assert _get(newsroom, f"/console/write/{ARTICLE}", role="reader").status_code == 403
    anonymous = client.get(f"/console/write/{ARTICLE}", follow_redirects=False)
    assert anonymous.status_code == 303 and "/console/login" in anonymous.headers["location"]
    client.cookies.set(sessions.COOKIE, sessions.issue(newsroom["settings"], keys["editor"][0]))
    try:
        page = client.get(f"/console/write/{ARTICLE}")
        assert page.status_code == 200, page.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        refused = client.post(f"/console/write/{ARTICLE}", data={"what": "brief"})
        assert refused.status_code == 403 and "CSRF" in refused.text
        forged = client.post(f"/console/write/{ARTICLE}", data={"what": "brief", "csrf_token": "x" * 20})
        assert forged.status_code == 403
        ok = client.post(f"/console/write/{ARTICLE}", data={"what": "brief", "csrf_token": token.group(1)})
        assert ok.status_code == 200 and "verdict-" in ok.text
    finally:
        client.cookies.clear()


@pytest.mark.parametrize(
    "path",
    [
        "/console/stories/st-missing",
        "/console/entities/person:nobody-at-all",
        "/console/experiments/nope",
        "/console/write/bbc:nowhere/999",
    ],
)
def test_unknown_ids_are_404_pages(newsroom: dict[str, Any], path: str) -> None:
    r = _get(newsroom, path, role="editor")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/console/stories", {"page": 0}),
        ("/console/stories", {"since": "soon"}),
        ("/console/trends", {"limit": 0}),
        ("/console/trends", {"limit": 101}),
        ("/console/trends", {"window": "soon"}),
        ("/console/trends", {"kind": "weather"}),
        ("/console/entities", {"q": "x" * 201}),
        ("/console/entities", {"type": "animal"}),
        ("/console/entities", {"page": 10_000}),
        ("/console/experiments", {"status": "paused"}),
    ],
)
def test_bad_parameters_are_422(newsroom: dict[str, Any], path: str, params: dict[str, Any]) -> None:
    assert _get(newsroom, path, role="editor", **params).status_code == 422


def test_bad_form_values_are_422(newsroom: dict[str, Any]) -> None:
    headers = _as(newsroom["keys"], "editor")
    for data in ({"n": "0"}, {"n": "21"}, {"kind": "poem"}):
        r = newsroom["client"].post(f"/console/write/{ARTICLE}", data=data, headers=headers)
        assert r.status_code == 422, (data, r.text)


@pytest.mark.parametrize(
    ("path", "role", "marker"),
    [
        ("/console/stories", "reader", 'id="stories-empty"'),
        ("/console/trends", "reader", 'id="trends-empty"'),
        ("/console/entities", "reader", 'id="entities-empty"'),
        ("/console/experiments", "editor", 'id="experiments-empty"'),
    ],
)
def test_empty_states(
    empty: tuple[TestClient, dict[str, tuple[str, str]]], path: str, role: str, marker: str
) -> None:
    client, keys = empty
    r = client.get(path, headers=_as(keys, role))
    assert r.status_code == 200, r.text
    assert marker in r.text
