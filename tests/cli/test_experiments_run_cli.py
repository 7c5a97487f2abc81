"""``newsdesk experiments create|list|start|record|show|stop|winner|report`` through the Typer runner, on
every backend: a subject-line test from creation to an audited winner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from newsdesk.cli.app import app
from newsdesk.lifecycle.audit import AuditLog
from newsdesk.settings import Settings

runner = CliRunner()


def _run(home: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--home", str(home), *args], env={"NEWSDESK_ACTOR": "ana"})
    return result.exit_code, result.stdout if result.exit_code == 0 else result.stdout + result.stderr


def test_a_subject_line_test_from_creation_to_winner(tmp_path: Path) -> None:
    home = tmp_path / "home"
    code, out = _run(
        home,
        "experiments",
        "create",
        "--kind",
        "subject_line",
        "--name",
        "Friday newsletter",
        "-v",
        "This week in the valley",
        "-v",
        "The harbour deal, explained",
        "--guardrail",
        "unsubscribes:0.5",
        "--planned-size",
        "30000",
        "--tau",
        "0.02",
        "--id",
        "fri-nl",
        "--json",
    )
    assert code == 0, out
    created = json.loads(out)
    assert created["metric"] == "opens/sends" and created["status"] == "draft" and created["owner"] == "ana"
    assert _run(home, "experiments", "start", "fri-nl")[0] == 0
    counts = tmp_path / "counts.csv"
    counts.write_text(
        "variant,sends,opens,unsubscribes,at\n"
        "A,30000,6000,30,2026-12-01T07:00:00Z\n"
        "B,30000,7800,31,2026-12-01T07:00:00Z\n",
        encoding="utf-8",
    )
    code, out = _run(home, "experiments", "record", "fri-nl", str(counts), "--json")
    assert code == 0, out
    bad = tmp_path / "bad.csv"
    bad.write_text("variant,sends,opens\nA,10,11\n", encoding="utf-8")
    code, out = _run(home, "experiments", "record", "fri-nl", str(bad))
    assert code == 2 and "opens" in out
    code, out = _run(home, "experiments", "show", "fri-nl", "--json")
    assert code == 0, out
    shown = json.loads(out)
    assert {v["key"]: v["trials"] for v in shown["readout"]["variants"]} == {"A": 30000, "B": 30000}
    assert shown["readout"]["recommendation"]["summary"] == "stop: B wins"
    code, out = _run(home, "experiments", "list", "--status", "running")
    assert code == 0 and "fri-nl" in out
    report = tmp_path / "report.html"
    code, out = _run(home, "experiments", "report", "fri-nl", "--out", str(report))
    assert code == 0, out
    assert "<svg" in report.read_text(encoding="utf-8")
    code, out = _run(home, "experiments", "stop", "fri-nl", "--winner", "B")
    assert code == 0 and "winner B" in out, out
    code, out = _run(home, "experiments", "record", "fri-nl", str(counts))
    assert code == 5 and "stopped" in out
    code, out = _run(
        home, "experiments", "design", "--from-history", "subject_line", "--effect", "0.1", "--json"
    )
    assert code == 0, out
    plan = json.loads(out)
    assert plan["baseline"] == 0.2 and plan["daily_traffic"] == 60000 and plan["history"]["experiments"] == 1
    assert plan["days"] == 1 and plan["per_variant"] > 1000
    code, out = _run(home, "experiments", "design", "--from-history", "headline", "--effect", "0.1")
    assert code == 2 and "past experiments" in out
    code, out = _run(home, "experiments", "show", "nope")
    assert code == 4
    settings = Settings(home=home)
    actions = [e.action for e in AuditLog(settings.audit_path).entries(model="experiment/fri-nl")]
    assert actions == ["experiment_create", "experiment_start", "experiment_stop", "experiment_winner"]
