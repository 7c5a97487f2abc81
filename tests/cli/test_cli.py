"""The CLI shell end to end, through Typer's runner and as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from jsonschema.validators import validator_for
from typer.testing import CliRunner

from newsdesk.articles.ninjs import schema
from newsdesk.cli.app import app
from pinned import pinned_url

runner = CliRunner()


def run(home: Path, *args: str) -> tuple[int, str]:
    # a workspace built on PostgreSQL names its own database (see demo_home)
    url = pinned_url(home)
    env = {"NEWSDESK_STORE__URL": url} if url is not None else None
    result = runner.invoke(app, ["--home", str(home), *args], env=env)
    return result.exit_code, result.stdout


@pytest.fixture(scope="module")
def demo_home(pinned_home: Callable[[str], Path]) -> Path:
    home = pinned_home("demo")
    code, out = run(home, "demo", "--no-enrich")
    assert code == 0, out
    return home


def test_demo_builds_the_bbc_newsroom(demo_home: Path) -> None:
    code, out = run(demo_home, "articles", "list", "--source", "bbc", "--json", "--limit", "5")
    data = json.loads(out)
    assert code == 0
    # 2,225 files, 98 byte-identical copies and 3 that differ only in whitespace.
    assert data["total"] == 2124
    assert len(data["articles"]) == 5
    # and the wire: 2,989 dated headlines, 19 of them repeats of another (the same headline and link)
    code, out = run(demo_home, "articles", "list", "--source", "uci", "--json", "--limit", "1")
    wire = json.loads(out)
    assert wire["total"] == 2970 and wire["articles"][0]["published_at"].startswith("2014-03-")


def test_demo_is_idempotent(demo_home: Path) -> None:
    code, out = run(demo_home, "demo", "--no-enrich")
    assert code == 0 and "0 inserted, 2124 unchanged" in out and "2989 dated headlines (0 new)" in out
    assert "simulated events" not in out  # the readers were simulated once


def test_demo_readers_and_a_reader_session(demo_home: Path) -> None:
    import re

    code, out = run(demo_home, "demo", "--no-enrich")
    found = re.search(
        r"slate was (\d+)% tech; after clicking 3 tech stories .* the next one is (\d+)% tech", out
    )
    assert code == 0 and found, out
    assert int(found.group(2)) > int(found.group(1))
    code, out = run(demo_home, "recommend", "demo-reader-0001", "--n", "5", "--json")
    slate = json.loads(out)
    assert code == 0 and len(slate["items"]) == 5 and slate["cold"] is False
    assert slate["model"].startswith("fitted-on-events@")
    out_file = demo_home / "send.jsonl"
    code, out = run(demo_home, "recommend", "newsletter", "--out", str(out_file), "--n", "3", "--json")
    assert code == 0 and json.loads(out)["written"] >= 300, out
    code, out = run(demo_home, "recommend", "quality", "--since", "1d", "--json")
    rows = {r["product"]: r for r in json.loads(out)["models"]}
    assert code == 0 and rows["newsletter"]["slates"] >= 300 and rows["recommendations"]["slates"] >= 1


def test_list_filters_by_section(demo_home: Path) -> None:
    code, out = run(
        demo_home, "articles", "list", "--section", "tech", "--source", "bbc", "--json", "--limit", "500"
    )
    data = json.loads(out)
    assert code == 0 and data["total"] == 347
    assert {a["section"] for a in data["articles"]} == {"tech"}


def test_show_article(demo_home: Path) -> None:
    code, out = run(demo_home, "articles", "show", "bbc:tech/001", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["headline"] == "Ink helps drive democracy in Asia"
    assert data["section"] == "tech" and data["revisions"] == []
    code, out = run(demo_home, "articles", "show", "bbc:tech/001")
    assert "Kyrgyz Republic" in out


def test_show_missing_article_exits_4(demo_home: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "newsdesk.cli.app", "--home", str(demo_home), "articles", "show", "nope"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 4
    assert "no article with id 'nope'" in result.stderr


@pytest.mark.parametrize("version,schema_version", [("2", "2.2"), ("3", "3.1")])
def test_export_ninjs_validates_against_official_schema(
    demo_home: Path, tmp_path: Path, version: str, schema_version: str
) -> None:
    out = tmp_path / "export.jsonl"
    code, _ = run(
        demo_home,
        "articles",
        "export",
        "--format",
        "ninjs",
        "--ninjs-version",
        version,
        "--section",
        "business",
        "--source",
        "bbc",
        "--out",
        str(out),
    )
    assert code == 0
    docs = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(docs) == 503
    sch = schema(schema_version)
    validator = validator_for(sch)(sch)
    for doc in docs[:100]:
        errors = list(validator.iter_errors(doc))
        assert errors == [], errors[0].message
    # and the export comes back in unchanged
    code, report = run(demo_home, "ingest", str(out), "--format", "ninjs", "--json")
    data = json.loads(report)
    assert code == 0 and data["unchanged"] == 503 and data["inserted"] == 0


def test_export_jsonl_roundtrips_unchanged(demo_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "export.jsonl"
    code, _ = run(demo_home, "articles", "export", "--section", "sport", "--out", str(out))
    assert code == 0
    code, report = run(demo_home, "ingest", str(out), "--json")
    data = json.loads(report)
    assert (data["read"], data["unchanged"], data["rejected"]) == (502, 502, 0)


def test_ingest_json_report_shape_and_exit_3(tmp_path: Path) -> None:
    src = tmp_path / "feed.jsonl"
    src.write_text(
        '{"id": "1", "headline": "Good", "body": "text", "published_at": "2024-05-01T10:00:00+02:00"}\n'
        '{"id": "2", "headline": "Bad date", "published_at": "yesterday"}\n'
    )
    code, out = run(tmp_path / "h", "ingest", str(src), "--json")
    data = json.loads(out)
    assert code == 3
    assert {"read", "inserted", "updated", "unchanged", "rejected", "errors"} <= set(data)
    assert (data["read"], data["inserted"], data["rejected"]) == (2, 1, 1)
    err = data["errors"][0]
    assert err["location"] == "line 2" and err["field"] == "published_at"
    assert err["source"] == str(src) and "ISO 8601" in err["message"]


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    src = tmp_path / "x.jsonl"
    src.write_text("{}\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsdesk.cli.app",
            "--home",
            str(tmp_path / "h"),
            "ingest",
            str(src),
            "--format",
            "docx",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "--format: 'docx' is not allowed" in result.stderr


def test_column_mapping_option(tmp_path: Path) -> None:
    src = tmp_path / "x.csv"
    src.write_text("title,text,kind\nA headline,Some body,news\n")
    code, out = run(
        tmp_path / "h",
        "ingest",
        str(src),
        "--map",
        "headline=title",
        "--map",
        "body=text",
        "--source",
        "Local Paper",
        "--json",
    )
    data = json.loads(out)
    assert code == 0 and data["inserted"] == 1
    code, out = run(tmp_path / "h", "articles", "list", "--json")
    art = json.loads(out)["articles"][0]
    assert art["headline"] == "A headline" and art["source"] == "local-paper"
    code, _ = run(tmp_path / "h", "ingest", str(src), "--map", "nonsense")
    assert code == 2


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("newsdesk ")
