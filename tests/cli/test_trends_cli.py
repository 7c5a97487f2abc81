"""``newsdesk trends``: a table and JSON over a workspace with a planted story on real Reuters counts."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from newsdesk.cli.app import app
from newsdesk.settings import Settings
from newsdesk.store import open_store
from trendseed import BURST_DAY, BURST_ENTITY, seed

runner = CliRunner()
AS_OF = BURST_DAY.replace(hour=23, minute=59).isoformat()


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    store = open_store(Settings(home=home))
    try:
        seed(store, days=8)
    finally:
        store.close()
    return home


def test_trends_json_and_table(tmp_path: Path) -> None:
    home = _home(tmp_path)
    args = ["--home", str(home), "trends", "--as-of", AS_OF, "--baseline", "7d"]
    result = runner.invoke(app, [*args, "--json", "--limit", "3"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["trends"][0]["key"] == BURST_ENTITY and len(data["trends"]) == 3
    table = runner.invoke(app, [*args, "--kind", "keyphrase"], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "harbour strike" in table.stdout


def test_bad_options_exit_with_a_message(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--home", str(tmp_path / "h"), "trends", "--window", "soon"])
    assert result.exit_code != 0
    assert "window" in result.output
    result = runner.invoke(app, ["--home", str(tmp_path / "h"), "trends", "--kind", "weather"])
    assert result.exit_code != 0 and "kind" in result.output


def test_an_archive_without_dates_says_why_nothing_trends(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--home", str(tmp_path / "h"), "trends"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "published_at" in result.stdout
