"""``newsdesk readers load|history|forget|purge`` through the Typer runner: a JSON-lines file with bad lines
stores the good ones and names the bad lines (exit 3); history lists a reader's reads; forget needs
confirmation (or --yes) and deletes them; purge keeps what is within retention."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsdesk.cli.app import app
from newsdesk.recommend.model import hash_reader
from newsdesk.recommend.store import open_events
from newsdesk.settings import Settings
from newsdesk.store import open_store

runner = CliRunner()
HERALD = Path(__file__).resolve().parents[1] / "data" / "valley-herald.jsonl"
NOW = datetime.now(UTC).replace(microsecond=0)


def _run(home: Path, *args: str, input: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["--home", str(home), *args], input=input)
    return result.exit_code, result.stdout if result.exit_code == 0 else result.stdout + result.stderr


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    code, out = _run(home, "ingest", str(HERALD), "--format", "jsonl", "--source", "valley-herald")
    assert code == 0, out
    return home


def _articles(home: Path) -> list[str]:
    store = open_store(Settings(home=home))
    try:
        return store.ids()
    finally:
        store.close()


def _line(reader: str, article: str, kind: str = "click", hours: float = 1, **kw: object) -> str:
    return json.dumps({"reader": reader, "article_id": article, "kind": kind, "at": _ago(hours), **kw})


def _ago(hours: float) -> str:
    return (NOW - timedelta(hours=hours)).isoformat()


def test_load_history_forget_and_purge(home: Path, tmp_path: Path) -> None:
    a1, a2, a3 = _articles(home)[:3]
    lines = [
        _line("U1", a1, "impression", 2),
        _line("U1", a1, "click", 1.5),
        "{not json",
        _line("U1", a2, "dwell", 1, dwell_s=30),
        "",
        _line("U1", "no-such-article"),
        _line("U2", a3, "open", 24 * 400),  # past retention
        _line("U2", a3, "dwell"),  # no dwell_s
    ]
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")

    code, out = _run(home, "readers", "load", str(events), "--json")
    assert code == 3, out
    report = json.loads(out)
    assert report["accepted"] == 4
    assert [(r["line"], r["field"]) for r in report["rejected"]] == [
        (3, "line"),
        (6, "article_id"),
        (8, "dwell_s"),
    ]
    code, out = _run(home, "readers", "load", str(events))
    assert code == 3 and "line 6: article_id: 'no-such-article' refused" in out

    code, out = _run(home, "readers", "history", "U1", "--json")
    assert code == 0, out
    history = json.loads(out)
    assert [(e["kind"], e["article_id"]) for e in history] == [("dwell", a2)] * 2 + [
        ("click", a1)
    ] * 2  # twice
    assert all(e["source"] == "jsonl" and "reader" not in e for e in history)
    code, out = _run(home, "readers", "history", "U1")
    assert code == 0 and "dwell" in out
    code, out = _run(home, "readers", "history", "bad id")
    assert code == 2, out

    code, out = _run(home, "readers", "purge", "--json")
    assert code == 0, out
    assert json.loads(out)["deleted"] == {"reader_events": 2, "reader_slates": 0}

    code, out = _run(home, "readers", "forget", "U1", input="n\n")
    assert code == 1
    code, out = _run(home, "readers", "forget", "U1", "--yes", "--json")
    assert code == 0, out
    assert json.loads(out) == {"reader_events": 6, "reader_slates": 0, "experiment_events": 0}
    code, out = _run(home, "readers", "history", "U1", "--json")
    assert code == 0 and json.loads(out) == []

    settings = Settings(home=home)
    store = open_store(settings)
    try:
        assert open_events(store, settings.store_url).count_events() == 0
        salt = settings.recommend.salt.get_secret_value()
        assert open_events(store, settings.store_url).count_events(hash_reader("U1", salt)) == 0
    finally:
        store.close()


def test_an_unreadable_file_is_a_usage_error(home: Path, tmp_path: Path) -> None:
    code, out = _run(home, "readers", "load", str(tmp_path / "missing.jsonl"))
    assert code == 2, out


def test_load_mind_behaviors_keeps_events_of_archived_articles(home: Path, tmp_path: Path) -> None:
    a1, a2, a3 = _articles(home)[:3]
    behaviors = tmp_path / "behaviors.tsv"
    behaviors.write_text(f"1\tU7\t11/11/2019 9:05:58 AM\t{a1}\t{a2}-1 {a3}-0 N999-1\n", encoding="utf-8")
    code, out = _run(home, "readers", "load", str(behaviors), "--format", "mind", "--json")
    assert code == 3, out  # the events of N999 (not in the archive) were skipped
    assert json.loads(out) == {"accepted": 4, "rejected": [], "skipped": 2}
    code, out = _run(home, "readers", "history", "U7", "--json")
    assert code == 0, out
    assert sorted(e["article_id"] for e in json.loads(out)) == sorted([a1, a2])
    assert {e["source"] for e in json.loads(out)} == {"mind"}
