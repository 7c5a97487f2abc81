"""``newsdesk entities list|show|merge|split|rename`` through the Typer runner on real BBC articles, on
every backend: corrections persist into the next command's build."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from entityseed import seed_entities
from newsdesk.cli.app import app
from newsdesk.settings import Settings
from newsdesk.store import open_store

runner = CliRunner()


def _run(home: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--home", str(home), *args], env={"NEWSDESK_ACTOR": "ana"})
    return result.exit_code, result.stdout if result.exit_code == 0 else result.stdout + result.stderr


def test_list_show_and_corrections(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = open_store(Settings(home=home))
    try:
        seed_entities(store)
    finally:
        store.close()
    code, out = _run(home, "entities", "list", "--type", "person", "--json")
    assert code == 0, out
    assert "person:gordon-brown" in [e["id"] for e in json.loads(out)]
    code, out = _run(home, "entities", "show", "person:brown")
    assert code == 0 and "Gordon Brown" in out and "person:brown" in out, out
    code, out = _run(home, "entities", "merge", "person:howard", "person:michael-howard", "--json")
    assert code == 0, out
    assert "person:howard" in json.loads(out)["members"]
    code, out = _run(home, "entities", "rename", "person:michael-howard", "Michael Howard QC", "--json")
    assert code == 0 and json.loads(out)["name"] == "Michael Howard QC", out
    code, out = _run(home, "entities", "split", "person:michael-howard", "person:howard", "--json")
    assert code == 0 and json.loads(out)["id"] == "person:howard", out
    code, out = _run(home, "entities", "show", "person:michael-howard", "--json")
    page = json.loads(out)
    assert (page["name"], page["members"], len(page["article_ids"])) == (
        "Michael Howard QC",
        ["person:michael-howard"],
        3,
    )
    code, out = _run(home, "entities", "show", "person:nobody")
    assert code == 4, out
