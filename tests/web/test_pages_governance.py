"""The console's governance pages (``newsdesk.web.pages.governance``): a version's model card, the audit
trail and its verification (and a tampered one), the monitoring figures with and without data, and the
prediction log -- on a workspace with one trained and promoted section model, through the app's own routes
with API keys in ``X-API-Key``."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from newsdesk.api import create_app
from newsdesk.auth import create_key
from newsdesk.settings import GateConfig, Settings
from newsdesk.store import open_store

DATA = Path(__file__).parents[1] / "data"
MODEL = "newsdesk-sections"
PAGES = ("/console/models/newsdesk-sections/1", "/console/audit", "/console/monitor", "/console/predictions")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


@dataclass
class Desk:
    settings: Settings
    client: TestClient
    keys: dict[str, str]

    def get(self, path: str, role: str = "admin", **params: Any) -> Any:
        return self.client.get(path, params=params, headers={"X-API-Key": self.keys[role]})

    def post(self, path: str, role: str = "admin", **form: Any) -> Any:
        return self.client.post(path, data=form, headers={"X-API-Key": self.keys[role]})


def _keys(settings: Settings) -> dict[str, str]:
    store = open_store(settings)
    try:
        return {role: create_key(store, role, name=f"{role} desk")[1] for role in ("reader", "admin")}
    finally:
        store.close()


def _training_sets(root: Path) -> dict[str, Path]:
    """Four articles per section to evaluate on and six to train on: small, so training is quick."""
    from newsdesk.lifecycle.sections import LabelledArticle, load_labelled, write_labelled

    items = load_labelled(DATA / "sections" / "bbc", Settings(home=root / "unused"))
    by_section: dict[str, list[LabelledArticle]] = defaultdict(list)
    for item in items:
        by_section[item.section].append(item)
    return {
        "dev": write_labelled([i for g in by_section.values() for i in g[:4]], root / "dev.jsonl"),
        "train": write_labelled([i for g in by_section.values() for i in g[4:10]], root / "train.jsonl"),
    }


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """A workspace with section model v1 trained and promoted (so audited), keys per role, and its app."""
    from newsdesk.lifecycle.promote import promote
    from newsdesk.lifecycle.train import train_model

    root = tmp_path_factory.mktemp("governance")
    settings = Settings(home=root / "home")
    settings.lifecycle.reload_seconds = 0.0
    settings.lifecycle.gates["sections"] = GateConfig(
        minimum={"accuracy": 0.3},
        compare=["accuracy"],
        max_regression=0.5,
        behaviour_min_pass_rate=0.0,
        latency_p95_ms=60_000,
    )
    keys = _keys(settings)
    sets = _training_sets(root)
    train_model(settings, "sections", actor="trainer", data=sets["train"], dev=sets["dev"])
    promote(settings, "sections", 1, actor="trainer", reason="first champion")
    with TestClient(create_app(settings)) as client:
        yield Desk(settings, client, keys)


@pytest.fixture(scope="module")
def predicted(desk: Desk) -> dict[str, object]:
    """One prediction made through the API (the prediction log keeps it)."""
    response = desk.client.post(
        "/models/sections/predict",
        json={"texts": ["The striker scored twice as the champions won the cup final at Wembley."]},
        headers={"X-API-Key": desk.keys["reader"]},
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


@pytest.fixture
def bare(tmp_path: Path) -> Iterator[Desk]:
    """A fresh workspace: no models, no audit trail, no monitoring data."""
    settings = Settings(home=tmp_path / "bare")
    keys = _keys(settings)
    with TestClient(create_app(settings)) as client:
        yield Desk(settings, client, keys)


def _text(html: str) -> str:
    """The page's text, tags dropped and spaces squeezed (for assertions on what a person reads)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _assert_accessible(html: str) -> None:
    """Every table is named and every visible form control has a label."""
    for table in re.findall(r"<table[^>]*>", html):
        assert "aria-label=" in table, table
    labels = set(re.findall(r'<label for="([^"]+)"', html))
    for control in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
        if 'type="hidden"' in control:
            continue
        found = re.search(r'id="([^"]+)"', control)
        assert found and found.group(1) in labels, control


# -- the model card -------------------------------------------------------------------------------------


def test_card_page_shows_the_versions_card(desk: Desk) -> None:
    from newsdesk.lifecycle.cards import model_card

    card = model_card(desk.settings, MODEL, "1")
    response = desk.get(f"/console/models/{MODEL}/1")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    text = _text(html)
    assert f"Model card: {MODEL} version 1" in text
    assert "Aliases: champion" in text
    assert card.metrics and "accuracy" in card.metrics
    for metric, value in card.metrics.items():
        assert f'<th scope="row">{metric}</th><td>{value:.4f}</td>' in html, metric
    assert '<h2 id="card-metrics">Metrics</h2>' in html and "PASSED against champion" in text
    assert html.count("<h1") == 1 and html.count("<h2") == 12  # the card's sections, under the page's h1
    _assert_accessible(html)
    # the model's page links each version to its card
    model_page = desk.get(f"/console/models/{MODEL}").text
    assert f'href="/console/models/{MODEL}/1"' in model_page


def test_card_page_of_an_unknown_model_or_version_is_404(desk: Desk) -> None:
    for path in (f"/console/models/{MODEL}/99", "/console/models/newsdesk-nothing/1", "/console/models/x/1"):
        response = desk.get(path)
        assert response.status_code == 404, path
        assert "Not found" in response.text and response.headers["content-type"].startswith("text/html")
    bad = desk.get(f"/console/models/{MODEL}/one")
    assert bad.status_code == 422 and "Check the form" in bad.text


# -- the audit trail ------------------------------------------------------------------------------------


def test_audit_page_lists_the_trail_newest_first_and_verified(desk: Desk) -> None:
    from newsdesk.lifecycle.audit import audit_log

    entries = audit_log(desk.settings).entries()
    assert [e.action for e in entries][-1] == "promote"
    response = desk.get("/console/audit")
    assert response.status_code == 200
    html, text = response.text, _text(response.text)
    assert "Verified: the chain holds" in text and f"{len(entries)} entries" in text
    assert 'role="status"' in html and "Broken" not in text
    rows = re.findall(r'<th scope="row" class="num">(\d+)</th>', html)
    assert [int(r) for r in rows] == [e.seq for e in reversed(entries)]  # newest first
    promotion = entries[-1]
    assert "first champion" in text and "trainer" in text
    assert f'href="/console/models/{MODEL}/{promotion.version}"' in html
    _assert_accessible(html)
    # filtered by action and by model
    promotes = desk.get("/console/audit", action="promote").text
    assert re.findall(r'<th scope="row" class="num">(\d+)</th>', promotes) == [str(promotion.seq)]
    assert "No entries match" in desk.get("/console/audit", model="newsdesk-ner").text
    # a page at a time
    first = desk.get("/console/audit", limit=1).text
    assert re.findall(r'<th scope="row" class="num">(\d+)</th>', first) == [str(promotion.seq)]
    assert f"Page 1 of {len(entries)}" in first and "page=2" in first and "limit=1" in first
    second = desk.get("/console/audit", limit=1, page=2).text
    assert re.findall(r'<th scope="row" class="num">(\d+)</th>', second) == [str(entries[-2].seq)]


def test_audit_page_bounds_its_query(desk: Desk) -> None:
    for params in ({"page": 0}, {"page": 1001}, {"limit": 0}, {"limit": 201}, {"action": "delete"}):
        response = desk.get("/console/audit", **params)
        assert response.status_code == 422, params
        assert "Check the form" in response.text


def test_audit_page_shows_where_a_tampered_trail_breaks(bare: Desk) -> None:
    from newsdesk.lifecycle.audit import audit_log

    log = audit_log(bare.settings)
    assert "Verified" in _text(bare.get("/console/audit").text)  # no trail yet: nothing to break
    for reason in ("first", "second", "third"):
        log.append("promote", actor="ana", model=MODEL, version="1", reason=reason)
    lines = log.path.read_text(encoding="utf-8").splitlines(keepends=True)
    entry = json.loads(lines[1])
    entry["reason"] = "rewritten"
    lines[1] = json.dumps(entry) + "\n"
    log.path.write_text("".join(lines), encoding="utf-8")
    html = bare.get("/console/audit").text
    text = _text(html)
    assert "Broken: the audit trail does not verify" in text and 'role="alert"' in html
    assert "The chain breaks at line 2 (seq 1)" in text
    assert "hash does not match its content" in text and "rewritten" in text
    assert text.count("✗ changed") == 1 and "Verified" not in text
    # a line that is no entry at all: the verification says which, the list cannot be shown
    log.path.write_text("".join(lines) + "{not json\n", encoding="utf-8")
    text = _text(bare.get("/console/audit").text)
    assert "line 4: not valid JSON" in text and "The entries cannot be listed" in text


# -- monitoring -----------------------------------------------------------------------------------------


def test_monitor_page_without_data_says_how_it_fills_in(bare: Desk) -> None:
    response = bare.get("/console/monitor")
    assert response.status_code == 200
    html, text = response.text, _text(response.text)
    assert "No monitoring data yet" in text and "Run a drift check now" in text
    for heading in ("Drift", "Predictions", "Live quality (editors' feedback)", "Trends", "Recent alerts"):
        assert f"<h2>{heading}</h2>" in html or f">{heading}</h2>" in html, heading
    assert "last 30 days" in text
    _assert_accessible(html)
    for days in (0, 366, "soon"):
        assert bare.get("/console/monitor", days=days).status_code == 422
    # a drift check on demand: too few articles, so skipped, and said so
    checked = bare.post("/console/monitor/check", days=7)
    assert checked.status_code == 200
    checked_text = _text(checked.text)
    assert "too few articles to test drift" in checked_text and "last 7 days" in checked_text
    assert 'aria-label="Drift checks"' in checked.text
    _assert_accessible(checked.text)


def test_monitor_page_charts_logged_predictions(desk: Desk, predicted: dict[str, object]) -> None:
    response = desk.get("/console/monitor", days=3)
    assert response.status_code == 200
    html, text = response.text, _text(response.text)
    assert "No monitoring data yet" not in text
    assert 'aria-label="Predictions logged per day, by model version"' in html  # the chart, named
    assert 'aria-label="Predictions per model, version and source"' in html
    assert str(predicted["model"]) in text
    _assert_accessible(html)


# -- the prediction log ---------------------------------------------------------------------------------


def test_predictions_page_lists_logged_predictions(desk: Desk, predicted: dict[str, object]) -> None:
    model, version = str(predicted["model"]).rsplit("@", 1)
    predictions = predicted["predictions"]
    assert isinstance(predictions, list)
    section = predictions[0]["section"]
    response = desk.get("/console/predictions")
    assert response.status_code == 200
    html, text = response.text, _text(response.text)
    assert f"<code>{model}@{version}</code>" in html and "api" in text
    assert section in text and "13 words" in text
    assert f'<option value="{model}">' in html
    _assert_accessible(html)
    filtered = desk.get("/console/predictions", model=model, source="api").text
    assert f"<code>{model}@{version}</code>" in filtered
    assert "No predictions match" in desk.get("/console/predictions", model="nothing").text
    assert "No predictions match" in desk.get("/console/predictions", source="pipeline").text


def test_predictions_page_bounds_its_query(desk: Desk) -> None:
    for params in (
        {"limit": 0},
        {"limit": 201},
        {"page": 0},
        {"page": 1000, "limit": 200},  # deeper than the log pages
        {"source": "cli"},
        {"model": "x" * 201},
    ):
        response = desk.get("/console/predictions", **params)
        assert response.status_code == 422, params
        assert "Check the form" in response.text


def test_predictions_page_without_a_log(bare: Desk) -> None:
    assert "No predictions logged yet" in _text(bare.get("/console/predictions").text)
    bare.settings.monitor.log_predictions = False
    assert "monitor.log_predictions is off" in _text(bare.get("/console/predictions").text)


# -- who may look ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_governance_pages_are_for_admins(desk: Desk, path: str) -> None:
    response = desk.get(path, role="reader")
    assert response.status_code == 403
    assert "needs the admin role" in response.text
    anonymous = desk.client.get(path, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/console/login?next=")
