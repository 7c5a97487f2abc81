"""Prediction log, editors' feedback (API and CLI), the feedback loop into training, drift checks with
alerts to a webhook, Prometheus gauges and the HTML report -- on real BBC articles and real vectors."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from newsdesk.api import create_app
from newsdesk.articles.model import Article
from newsdesk.auth import create_key
from newsdesk.cli.app import app as cli
from newsdesk.errors import InvalidInput, NotFound
from newsdesk.ingest.records import ingest_records
from newsdesk.lifecycle.evaluation import evaluate_version
from newsdesk.lifecycle.promote import promote
from newsdesk.lifecycle.sections import LabelledArticle, load_labelled, write_labelled
from newsdesk.lifecycle.train import train_model
from newsdesk.monitor.checks import parse_window, run_checks
from newsdesk.monitor.feedback import effective_sections, live_precision, record_feedback
from newsdesk.monitor.predictions import PredictionLog, open_prediction_store
from newsdesk.monitor.report import write_report
from newsdesk.settings import GateConfig, Settings
from newsdesk.store import open_store

DATA = Path(__file__).parents[1] / "data"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


def test_prediction_log_samples_queries_and_prunes(tmp_path: Path) -> None:
    log = PredictionLog(open_prediction_store(Settings(home=tmp_path / "a")), max_rows=1_000)
    items = [(f"a{i}", f"text number {i} " * (i + 1), {"section": "sport"}, 0.5 + i / 100) for i in range(30)]
    assert log.log(source="pipeline", model="sections", version="1+x", items=items, latency_ms=3.0) == 30
    log.log(source="api", model="newsdesk-sections", version="2", items=items[:5], latency_ms=9.0)
    rows = log.query(model="sections")
    assert len(rows) == 30 and rows[0].article_id == "a29"  # newest first
    assert rows[0].input_words == 90 and rows[0].output == {"section": "sport"}
    assert rows[0].ref == "sections@1+x" and rows[0].confidence == pytest.approx(0.79)
    assert datetime.fromisoformat(rows[0].at) <= datetime.now(UTC) and rows[0].at.endswith("+00:00")
    assert len(log.query(source="api")) == 5
    assert len(log.query(model="sections", since=datetime.now(UTC) - timedelta(minutes=5))) == 30
    assert log.query(until=datetime.now(UTC) - timedelta(minutes=5)) == []
    summary = {(s["model"], s["source"]): s for s in log.summary()}
    assert summary[("newsdesk-sections", "api")]["predictions"] == 5
    assert summary[("sections", "pipeline")]["mean_latency_ms"] == pytest.approx(3.0)
    assert summary[("sections", "pipeline")]["first"] <= summary[("sections", "pipeline")]["last"]
    assert [s["model"] for s in log.summary()] == ["newsdesk-sections", "sections"]
    # a long output is capped, and reads back as JSON
    log.log(source="api", model="long", version="1", items=[(None, "x", "w" * 5_000, None)])
    (long,) = log.query(model="long")
    assert long.output == {"truncated": json.dumps("w" * 5_000)[:4_000]} and long.article_id is None
    # sampling by input hash is stable: the same inputs are kept at every rate
    half = PredictionLog(open_prediction_store(Settings(home=tmp_path / "b")), sample_rate=0.5)
    kept = half.log(source="api", model="m", version="1", items=items)
    assert 5 < kept < 25
    assert half.log(source="api", model="m", version="1", items=items) == kept
    half.close()
    # max_rows keeps the newest rows
    log.log(source="api", model="m", version="1", items=items * 40)
    log.prune()
    assert len(log.query(limit=100_000)) == 1_000
    assert log.query(limit=1)[0].model == "m"
    with pytest.raises(InvalidInput, match="limit"):
        log.query(limit=0)
    # rows past retention go
    old = replace(rows[0], at=(datetime.now(UTC) - timedelta(days=91)).isoformat(timespec="milliseconds"))
    log.store.append([replace(old, output=json.dumps(old.output))])
    assert len(log.query(limit=100_000)) == 1_001
    assert log.prune() == 1 and len(log.query(limit=100_000)) == 1_000
    log.close()


def test_the_prediction_store_follows_the_store_url(tmp_path: Path, backend: str) -> None:
    from newsdesk.monitor.predictions import prediction_log, prediction_stores

    settings = Settings(home=tmp_path)
    log = prediction_log(settings)
    assert log is not None and prediction_log(settings) is log  # one per process and workspace
    assert (
        type(log.store).__module__
        == {
            "sqlite": "newsdesk.store.sqlite_predictions",
            "postgresql": "newsdesk.store.pg_predictions",
        }[backend]
    )
    assert (settings.monitor_dir / "predictions.sqlite3").exists() == (backend == "sqlite")
    assert {"sqlite", "postgresql", "postgres"} <= set(prediction_stores.names())
    elsewhere = Settings(home=tmp_path, store={"url": "oracle://db/news"})
    with pytest.raises(InvalidInput, match=r"store\.url"):
        open_prediction_store(elsewhere)
    settings.monitor.log_predictions = False
    assert prediction_log(settings) is None


def test_pipeline_and_api_outputs_are_logged(archive_copy: Path) -> None:
    from newsdesk.monitor.predictions import prediction_log
    from newsdesk.pipeline import enrich

    settings = Settings(home=archive_copy)
    store = open_store(settings)
    try:
        enrich(store, settings, only=["language", "reading_time"])
    finally:
        store.close()
    log = prediction_log(settings)
    assert log is not None
    rows = log.query(model="language", limit=1_000)
    assert len(rows) == 100 and {r.source for r in rows} == {"pipeline"}
    assert all(r.article_id and r.input_chars > 0 and r.version for r in rows)


@pytest.fixture
def newsroom(archive_copy: Path) -> Iterator[tuple[Settings, TestClient, dict[str, str]]]:
    settings = Settings(home=archive_copy)
    store = open_store(settings)
    keys = {role: create_key(store, role, name=f"{role}-test")[1] for role in ("reader", "editor", "admin")}
    store.close()
    with TestClient(create_app(settings)) as client:
        yield settings, client, keys


def test_feedback_api_validates_and_measures_live_precision(
    newsroom: tuple[Settings, TestClient, dict[str, str]],
) -> None:
    settings, client, keys = newsroom
    store = open_store(settings)
    ids = [a.id for a in store.iter_articles()][:5]
    store.close()
    editor, reader = {"X-API-Key": keys["editor"]}, {"X-API-Key": keys["reader"]}
    body = {"kind": "section", "action": "accept", "value": "sport", "model": "sections@1+abc"}
    r = client.post(f"/articles/{ids[0]}/feedback", json=body, headers=editor)
    assert r.status_code == 201, r.text
    assert r.json()["actor"] == "key:editor-test" and r.json()["id"] >= 1
    assert client.post(f"/articles/{ids[0]}/feedback", json=body, headers=reader).status_code == 403
    bad = client.post(f"/articles/{ids[0]}/feedback", json={**body, "kind": "mood"}, headers=editor)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "kind"
    no_fix = client.post(f"/articles/{ids[1]}/feedback", json={**body, "action": "correct"}, headers=editor)
    assert no_fix.status_code == 422 and no_fix.json()["error"]["field"] == "correction"
    missing = client.post("/articles/no-such-article/feedback", json=body, headers=editor)
    assert missing.status_code == 404
    for article_id in ids[1:4]:
        fix = {**body, "action": "correct", "value": "business", "correction": "tech"}
        assert client.post(f"/articles/{article_id}/feedback", json=fix, headers=editor).status_code == 201
    listed = client.get(f"/articles/{ids[1]}/feedback", headers=reader).json()
    assert [(f["action"], f["correction"]) for f in listed] == [("correct", "tech")]
    quality = client.get("/monitor/quality", headers=reader).json()
    assert quality == [
        {
            "model": "sections@1+abc",
            "kind": "section",
            "period": "all",
            "judged": 4,
            "accepted": 1,
            "rejected": 0,
            "corrected": 3,
            "precision": 0.25,
        }
    ]
    store = open_store(settings)
    try:
        assert effective_sections(store) == {ids[0]: "sport", ids[1]: "tech", ids[2]: "tech", ids[3]: "tech"}
        with pytest.raises(NotFound):
            record_feedback(store, "nope", kind="tag", action="reject", value="medtop:1", actor="ed")
    finally:
        store.close()


def _redate(settings: Settings, dates: list[tuple[Article, datetime]]) -> None:
    """Re-ingest articles with a publication date (same ids, so their stored vectors stay theirs)."""
    store = open_store(settings)
    try:
        records = [
            {
                "id": a.source_id,
                "source": a.source,
                "headline": a.headline,
                "body": a.body,
                "section": a.section,
                "published_at": when.isoformat(),
            }
            for a, when in dates
        ]
        report = ingest_records(records, store, settings=settings, source="bbc")
        assert report.rejected == 0
    finally:
        store.close()


def _articles(settings: Settings) -> list[Article]:
    store = open_store(settings)
    try:
        return list(store.iter_articles())
    finally:
        store.close()


def _dated(settings: Settings, pick: dict[str, datetime]) -> None:
    """The articles of the sections in ``pick`` re-dated to that section's date (an hour apart)."""
    chosen = [a for a in _articles(settings) if a.section in pick]
    _redate(settings, [(a, pick[str(a.section)] + timedelta(hours=i)) for i, a in enumerate(chosen)])


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        _Receiver.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/alerts"
    finally:
        server.shutdown()


def test_check_alerts_on_a_real_shift_and_exports_gauges(
    newsroom: tuple[Settings, TestClient, dict[str, str]], webhook: str, tmp_path: Path
) -> None:
    settings, client, _ = newsroom
    jan, feb = datetime(2026, 1, 3, tzinfo=UTC), datetime(2026, 2, 3, tzinfo=UTC)
    _dated(settings, {"business": jan, "politics": jan, "sport": feb, "tech": feb})
    settings.monitor.webhook_url = webhook
    store = open_store(settings)
    try:
        report = run_checks(
            settings,
            store,
            window="28d",
            until=datetime(2026, 3, 1, tzinfo=UTC),
            reference_since=datetime(2026, 1, 1, tzinfo=UTC),
            reference_until=datetime(2026, 2, 1, tzinfo=UTC),
        )
        assert report.current["articles"] == 40 and report.reference["articles"] == 40
        assert report.alerting
        alerted = {c.name for c in report.checks if c.status == "alert"}
        assert "drift:embedding_mmd" in alerted, report.to_dict()
        assert all(c.action for c in report.checks if c.status == "alert")
        assert _Receiver.received and _Receiver.received[-1]["alerts"]
        out = write_report(settings, store, tmp_path / "report.html", check=report)
    finally:
        store.close()
    html = out.read_text()
    assert "<svg" in html and "embedding_mmd" in html and "ALERT" in html
    metrics = client.get("/metrics").text
    assert 'newsdesk_drift_alarm{test="embedding_mmd"} 1.0' in metrics
    # the CLI exits 1 on the same check
    result = CliRunner().invoke(
        cli,
        [
            "--home",
            str(settings.home),
            "monitor",
            "check",
            "--window",
            "28d",
            "--until",
            "2026-03-01T00:00:00+00:00",
            "--reference-since",
            "2026-01-01T00:00:00+00:00",
            "--reference-until",
            "2026-02-01T00:00:00+00:00",
            "--json",
        ],
    )
    assert result.exit_code == 1, result.output
    assert json.loads(result.output)["alerting"] is True


def test_check_does_not_alarm_on_a_random_split(
    newsroom: tuple[Settings, TestClient, dict[str, str]],
) -> None:
    settings, _, _ = newsroom
    articles = _articles(settings)
    rng = random.Random(7)
    rng.shuffle(articles)
    jan, feb = datetime(2026, 1, 3, tzinfo=UTC), datetime(2026, 2, 3, tzinfo=UTC)
    _redate(settings, [(a, (jan if i % 2 else feb) + timedelta(hours=i)) for i, a in enumerate(articles)])
    store = open_store(settings)
    try:
        report = run_checks(
            settings,
            store,
            window="28d",
            until=datetime(2026, 3, 1, tzinfo=UTC),
            reference_since=datetime(2026, 1, 1, tzinfo=UTC),
            reference_until=datetime(2026, 2, 1, tzinfo=UTC),
            notify=False,
        )
    finally:
        store.close()
    assert report.current["articles"] == 50 and not report.alerting, report.to_dict()
    with pytest.raises(InvalidInput, match="window"):
        parse_window("7 days")


def _jsonl(items: list[LabelledArticle], path: Path, relabel: dict[str, str]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(
                json.dumps(
                    {
                        "id": item.id,
                        "headline": item.headline,
                        "body": item.body,
                        "section": relabel.get(item.id, item.section),
                    }
                )
                + "\n"
            )
    return path


def test_editor_corrections_flow_into_training_and_show_in_the_gate_report(tmp_path: Path) -> None:
    """Tech stories filed under business; editors correct them through the API; the retrained version
    recovers tech, and its gate report against the first version shows it."""
    settings = Settings(home=tmp_path / "home")
    settings.lifecycle.gates["sections"] = GateConfig(
        minimum={"accuracy": 0.5},
        compare=["accuracy"],
        slice_min_support=5,
        slice_max_regression=0.17,  # 6 evaluation articles per section: one article is 0.167 of a slice
        latency_p95_ms=5000,
        behaviour_min_pass_rate=0.5,
    )
    items = load_labelled(DATA / "sections" / "bbc", settings)
    by_section: dict[str, list[LabelledArticle]] = {}
    for item in items:
        by_section.setdefault(item.section, []).append(item)
    dev = [i for g in by_section.values() for i in g[:6]]
    train = [i for g in by_section.values() for i in g[6:]]
    misfiled = [i.id for i in by_section["tech"][6:18]]  # 12 of the 14 training tech stories
    dev_path = write_labelled(dev, tmp_path / "dev" / "dev.jsonl")
    source = _jsonl(train, tmp_path / "archive.jsonl", {i: "business" for i in misfiled})
    store = open_store(settings)
    keys = {"editor": create_key(store, "editor", name="desk")[1]}
    from newsdesk.ingest import ingest

    ingest([source], store, settings=settings, source="archive")
    store.close()

    first = train_model(settings, "sections", actor="ds", dev=dev_path, store=open_store(settings))
    assert first.train_fingerprint["labels"]["tech"] == 2
    promote(settings, "sections", first.version, actor="ds")
    with TestClient(create_app(settings)) as client:
        for article_id in misfiled:
            r = client.post(
                f"/articles/{_stored_id(settings, article_id)}/feedback",
                json={"kind": "section", "action": "correct", "value": "business", "correction": "tech"},
                headers={"X-API-Key": keys["editor"]},
            )
            assert r.status_code == 201, r.text
    second = train_model(settings, "sections", actor="ds", dev=dev_path, store=open_store(settings))
    assert second.train_fingerprint["labels"]["tech"] == 14
    report = evaluate_version(settings, "sections", second.version, actor="ds")
    assert report.champion == first.version
    before = report.champion_evaluation["slices"]["section=tech"]["value"]  # type: ignore[index]
    after = report.candidate["slices"]["section=tech"]["value"]
    assert after > before, (before, after)
    assert report.candidate["metrics"]["accuracy"] > report.champion_evaluation["metrics"]["accuracy"]  # type: ignore[index]
    assert report.passed, report.summary()
    assert "section=tech" in report.to_markdown()


def _stored_id(settings: Settings, source_id: str) -> str:
    store = open_store(settings)
    try:
        match = [a.id for a in store.iter_articles() if a.source_id == source_id]
    finally:
        store.close()
    assert len(match) == 1, source_id
    return match[0]


def test_live_precision_periods(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    store = open_store(settings)
    try:
        ingest_records([{"id": "1", "headline": "H", "body": "B"}], store, settings=settings, source="t")
        article_id = next(iter(store.iter_articles())).id
        record_feedback(
            store, article_id, kind="tag", action="accept", value="medtop:01", actor="ed", model="iptc@1"
        )
        record_feedback(
            store, article_id, kind="tag", action="reject", value="medtop:02", actor="ed", model="iptc@1"
        )
        rows = live_precision(store, period="week")
        assert len(rows) == 1 and rows[0]["precision"] == 0.5 and rows[0]["period"].count("-W") == 1
        with pytest.raises(InvalidInput, match="period"):
            live_precision(store, period="year")
        with pytest.raises(InvalidInput, match="correction"):
            record_feedback(
                store, article_id, kind="tag", action="reject", value="x", correction="y", actor="e"
            )
    finally:
        store.close()
