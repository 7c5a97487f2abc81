"""``newsdesk export --format parquet`` and ``newsdesk ingest`` of what it wrote, through the Typer app."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from newsdesk.articles.model import Enrichment
from newsdesk.cli.app import app
from newsdesk.store import open_store
from newsdesk.store.base import EnrichmentWrite
from pinned import pinned_settings, pinned_url

runner = CliRunner()
DATA = Path(__file__).resolve().parents[1] / "data"


def run(home: Path, *args: str) -> tuple[int, str]:
    url = pinned_url(home)
    result = runner.invoke(
        app, ["--home", str(home), *args], env={"NEWSDESK_STORE__URL": url} if url else None
    )
    return result.exit_code, result.stdout + result.stderr


def test_export_then_ingest_with_enrichments(pinned_home: Callable[[str], Path], tmp_path: Path) -> None:
    source, copy = pinned_home("parquet-source"), pinned_home("parquet-copy")
    code, out = run(source, "ingest", str(DATA / "bbc"), str(DATA / "valley-herald.jsonl"))
    assert code == 0, out
    store = open_store(pinned_settings(source))
    try:
        ids = store.ids()
        when = datetime.now(UTC)
        store.write_enrichments(
            [
                EnrichmentWrite(
                    a.id,
                    [
                        Enrichment(
                            component="tags",
                            version="1",
                            value=["x"],
                            created_at=when,
                            input_hash=a.content_hash,
                        )
                    ],
                    {"m": np.ones(4, dtype=np.float32)},
                )
                for a in store.get_many(ids)
            ]
        )
    finally:
        store.close()
    folder = tmp_path / "lake"
    code, out = run(
        source,
        "export",
        "--format",
        "parquet",
        "--out",
        str(folder),
        "--enrichments",
        "--vectors",
        "--batch-size",
        "5",
        "--json",
    )
    assert code == 0, out
    report = json.loads(out)
    assert (report["articles"], report["enrichments"], report["vectors"]) == (
        len(ids),
        len(ids),
        {"m": len(ids)},
    )
    assert (folder / "_newsdesk.json").is_file()

    code, out = run(copy, "ingest", str(folder), "--with-enrichments", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert (data["inserted"], data["rejected"]) == (len(ids), 0)
    assert data["enrichments"][0]["enrichments"] == len(ids)
    code, out = run(copy, "ingest", str(folder / "articles"), "--format", "parquet", "--json")
    assert code == 0 and json.loads(out)["unchanged"] == len(ids), out
    code, out = run(copy, "articles", "show", ids[0], "--json")
    assert json.loads(out)["enrichments"]["tags"]["value"] == ["x"]


def test_export_refuses_other_formats_and_a_used_folder(tmp_path: Path) -> None:
    code, out = run(tmp_path / "h", "export", "--format", "jsonl", "--out", str(tmp_path / "x"))
    assert code == 2 and "articles export" in out
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "file").write_text("x")
    code, out = run(tmp_path / "h", "export", "--out", str(tmp_path / "used"))
    assert code == 2 and "a new or empty folder" in out
    code, out = run(tmp_path / "h", "ingest", str(DATA / "valley-herald.jsonl"), "--with-enrichments")
    assert code == 2 and "--with-enrichments" in out
