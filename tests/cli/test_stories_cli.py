"""``newsdesk stories build|list|show`` through the Typer runner on real UCI headlines (the sentence
embedder replaced by hashed character 3-grams, so no model loads)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsdesk.cli.app import app
from newsdesk.settings import Settings
from newsdesk.store import open_store
from storyhelpers import CharEmbedder, sample_articles

runner = CliRunner()


def _run(home: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--home", str(home), *args])
    return result.exit_code, result.stdout if result.exit_code == 0 else result.stdout + result.stderr


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import newsdesk.nlp.embed as embed

    monkeypatch.setattr(embed, "embedder_for", lambda config: CharEmbedder())
    home = tmp_path / "home"
    store = open_store(Settings(home=home))
    try:
        store.upsert(sample_articles())
    finally:
        store.close()
    return home


def test_build_list_and_show(home: Path) -> None:
    code, out = _run(home, "stories", "build", "--json")
    assert code == 0, out
    built = json.loads(out)
    assert built["added"] == 255 and built["stories"] >= 8 and not built["rebuilt"]
    code, out = _run(home, "stories", "build", "--json")
    assert code == 0 and json.loads(out)["added"] == 0

    code, out = _run(home, "stories", "list", "--json", "--limit", "500")
    assert code == 0, out
    listed = json.loads(out)
    assert len(listed) == built["stories"]
    assert [s["last_seen"] for s in listed] == sorted((s["last_seen"] for s in listed), reverse=True)
    biggest = max(listed, key=lambda s: s["size"])

    code, out = _run(home, "stories", "list", "--section", biggest["section"], "--json")
    assert code == 0 and {s["section"] for s in json.loads(out)} == {biggest["section"]}
    code, out = _run(home, "stories", "list", "--since", "2014-03-12T00:00:00", "--json")
    assert code == 0 and all(s["last_seen"] >= "2014-03-12" for s in json.loads(out))

    code, out = _run(home, "stories", "show", biggest["id"], "--json")
    assert code == 0, out
    shown = json.loads(out)
    assert len(shown["articles"]) == biggest["size"]
    assert shown["label"] in {a["headline"] for a in shown["articles"]}
    code, out = _run(home, "stories", "show", biggest["id"])
    assert code == 0 and biggest["label"][:40] in out

    code, out = _run(home, "stories", "list")
    assert code == 0 and "label" in out


def test_errors_map_to_exit_codes(home: Path) -> None:
    code, out = _run(home, "stories", "show", "st-missing")
    assert code != 0 and "st-missing" in out
    code, out = _run(home, "stories", "list", "--since", "yesterday")
    assert code != 0 and "since" in out
