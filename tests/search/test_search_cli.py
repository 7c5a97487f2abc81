"""``newsdesk search``, ``related`` and ``index`` through the CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from newsdesk.cli.app import app

runner = CliRunner()


def run(home: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--home", str(home), *args])
    return result.exit_code, result.stdout, result.stderr


def test_search_json_shape(archive_copy: Path) -> None:
    home = archive_copy
    code, out, _ = run(home, "search", "invisible ink elections", "--json", "--limit", "3")
    assert code == 0
    data = json.loads(out)
    assert data["query"] == "invisible ink elections" and data["total"] >= 3
    assert len(data["results"]) == 3
    assert {"id", "headline", "score", "snippet"} <= data["results"][0].keys()
    assert data["results"][0]["id"] == "bbc:tech/001"
    code, out, _ = run(home, "search", "profits", "--section", "business", "--since", "2000-01-01", "--json")
    assert code == 0
    code, out, _ = run(home, "search", "ink", "--limit", "3")  # the table form
    assert code == 0 and "bbc:tech/001" in out


def test_related_and_index_commands(archive_copy: Path) -> None:
    home = archive_copy
    code, out, _ = run(home, "index", "rebuild")
    assert code == 0 and "indexed 100 vectors" in out
    code, out, _ = run(home, "index", "status", "--json")
    assert code == 0 and json.loads(out)["vectors"] == 100
    code, out, _ = run(home, "related", "bbc:sport/001", "--json", "--limit", "3")
    assert code == 0
    data = json.loads(out)
    assert len(data["results"]) == 3 and all(r["id"] != "bbc:sport/001" for r in data["results"])


def test_errors_are_clear(archive_copy: Path) -> None:
    home = archive_copy
    code, _, err = run(home, "related", "bbc:none/000")
    assert code == 4 and "no article" in err
    code, _, err = run(home, "search", "x", "--mode", "fuzzy")
    assert code == 2 and "mode" in err
    code, _, err = run(home, "search", "x", "--since", "yesterday")
    assert code == 2 and "--since" in err
