"""Ingesting ninjs: skipped items, derived headlines, one schema version on request, and the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from newsdesk.errors import InvalidInput

# The workspace fixtures (ws: one per test; pws: one per parallel mode) and run_cli are in conftest.py.
Workspace = Any
NINJS = Path(__file__).resolve().parents[1] / "data" / "ninjs"


def text_item(n: int, **over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "uri": f"urn:test:{n}", "type": "text", "versioncreated": "2024-01-01T00:00:00Z",
        "headlines": [{"role": "main", "value": f"Headline {n}"}],
        "bodies": [{"role": "main", "contenttype": "text/plain", "value": f"Body of item {n}."}],
    }
    doc.update(over)
    return doc


def test_skips_are_counted_listed_and_not_rejections(pws: Workspace) -> None:
    docs = [
        text_item(1),
        text_item(2, type="picture"),
        text_item(3, headlines="not a list"),  # not valid ninjs
        text_item(4, headlines=[], bodies=[]),  # a text item without text
        text_item(5, headlines=[{"value": "..."}], bodies=[{"value": "..."}]),  # placeholders, not text
    ]
    report = pws.ingest(pws.file("items.json", json.dumps(docs)), format="ninjs")
    assert (report.read, report.inserted, report.rejected, report.skipped) == (5, 1, 1, 3)
    data = report.to_dict()
    assert data["skipped"] == 3
    assert [s["location"] for s in data["skipped_records"]] == ["item 1", "item 3", "item 4"]
    assert set(data["skipped_records"][0]) == {"source", "location", "reason"}
    assert data["skipped_records"][0]["reason"].startswith("ninjs type 'picture'")
    assert "without text" in data["skipped_records"][1]["reason"]
    assert data["read"] == sum(data[k] for k in ("inserted", "updated", "unchanged", "rejected",
                                                 "duplicates", "skipped"))
    # Every valid document says which version it passed; the invalid one does not.
    assert [(v["location"], v["schema"]) for v in data["validated"]] == [
        ("item 0", "ninjs 2.2"), ("item 1", "ninjs 2.2"), ("item 3", "ninjs 2.2"), ("item 4", "ninjs 2.2")
    ]
    assert data["errors"][0]["message"].startswith("not valid ninjs 2.0 to 2.2 (as 2.2 sees it): ")


def test_skips_alone_keep_strict_runs_stored(ws: Workspace) -> None:
    path = ws.file("items.json", json.dumps([text_item(1), text_item(2, type="video")]))
    report = ws.ingest(path, format="ninjs", strict=True)
    assert report.stored and (report.inserted, report.skipped, report.rejected) == (1, 1, 0)


def test_a_body_without_headline_gets_its_first_sentence(ws: Workspace) -> None:
    body = "Dr. Ada Byron opened the U.S. archive on Monday. It holds 2,000 letters."
    doc = text_item(1, headlines=[{"role": "sub", "value": "  "}], bodies=[{"value": body}])
    report = ws.ingest(ws.file("one.json", json.dumps(doc)), format="ninjs")
    assert (report.inserted, report.skipped) == (1, 0)
    [art] = list(ws.store.iter_articles())
    assert art.headline == "Dr. Ada Byron opened the U.S. archive on Monday."
    assert art.body == body
    assert art.extra["headline_derived"] is True
    [note] = report.to_dict()["notes"]
    assert note["location"] == "document" and "first sentence" in note["note"]


def test_a_stated_headline_is_not_flagged(ws: Workspace) -> None:
    ws.ingest(ws.file("one.json", json.dumps(text_item(1))), format="ninjs")
    [art] = list(ws.store.iter_articles())
    assert "headline_derived" not in art.extra


def test_one_version_on_request(ws: Workspace) -> None:
    # "digitalsourcetype" came with 2.2. Undeclared: any 2.x schema may accept it; asked for 2.1: refused.
    newer = text_item(1, digitalsourcetype={"uri": "http://cv.iptc.org/newscodes/digitalsourcetype/x"})
    path = ws.file("newer.json", json.dumps(newer))
    report = ws.ingest(path, format="ninjs")
    assert report.inserted == 1 and report.schemas() == {"ninjs 2.2": 1}
    report = ws.ingest(path, format="ninjs", ninjs_version="2.1")
    assert (report.rejected, report.unchanged) == (1, 0)
    [err] = report.errors
    assert err.message.startswith("not valid ninjs 2.1: ") and "digitalsourcetype" in err.message
    # Declaring 2.1 has the same effect in auto.
    declared = {**newer, "standard": {"name": "ninjs", "version": "2.1"}}
    report = ws.ingest(ws.file("declared.json", json.dumps(declared)), format="ninjs")
    assert report.rejected == 1 and report.errors[0].message.startswith("not valid ninjs 2.1: ")


def test_reported_version_is_the_given_one(ws: Workspace) -> None:
    report = ws.ingest(NINJS / "2.1" / "ntb_text.json", format="ninjs", ninjs_version="2.0")
    assert report.inserted == 1 and report.schemas() == {"ninjs 2.0": 1}


@pytest.mark.parametrize("value", ["2", "4.0", "latest"])
def test_unknown_version_fails_before_anything_is_read(ws: Workspace, value: str) -> None:
    with pytest.raises(InvalidInput) as info:
        ws.ingest(NINJS / "2.1" / "ntb_text.json", ninjs_version=value)
    assert (info.value.field, info.value.value) == ("ninjs_version", value)
    assert "3.1" in info.value.allowed and "1.0" in info.value.allowed
    assert ws.store.count() == 0


# -- the CLI ---------------------------------------------------------------------------------------------


def test_cli_json_and_exit_code_with_skips(tmp_path: Path, run_cli: Any) -> None:
    home = tmp_path / "home"
    result = run_cli(home, "ingest", str(NINJS / "doc-2.2"), "--format", "ninjs", "--json")
    data = result.report
    assert result.code == 0, result.stderr  # skips alone: success
    assert (data["read"], data["skipped"], data["rejected"]) == (6, 3, 0)
    assert {Path(s["source"]).name for s in data["skipped_records"]} == {
        "002_renditions_example.json", "003_associations_example.json", "006_photo_only.json"
    }
    # A folder's files are read recursively: 2.1/ holds schema-extension/, not valid ninjs 2.1.
    result = run_cli(home, "ingest", str(NINJS / "2.1"), "--json")
    assert result.code == 3 and (result.report["rejected"], result.report["skipped"]) == (1, 3)
    assert Path(result.report["errors"][0]["source"]).name == "extension-example.json"


def test_cli_version_option_and_table(tmp_path: Path, run_cli: Any) -> None:
    home = tmp_path / "home"
    result = run_cli(home, "ingest", str(NINJS / "3.0"), "--ninjs-version", "3.0")
    assert result.code == 3  # the collection of events is not valid 3.0
    assert "skipped" in result.stdout and "Skipped records" in result.stdout
    assert "validated against: ninjs 3.0 (" in result.stdout
    bad = run_cli(home, "ingest", str(NINJS / "3.0"), "--ninjs-version", "3")
    assert bad.code == 2
    assert "--ninjs-version: '3' is not allowed; expected auto or one of 1.0" in bad.stderr


def test_a_folder_of_ninjs_reads_each_file(ws: Workspace) -> None:
    # Auto on a folder without .txt files: each file in its detected format (here, all ninjs).
    report = ws.ingest(NINJS / "doc-3.1")
    assert (report.read, report.rejected, report.skipped) == (6, 0, 3)
    stored = report.inserted + report.updated + report.unchanged
    assert stored + len(report.duplicates) == 3  # one story, three shapes of it
    assert {Path(s.source).name for s in report.skipped_records} == {
        "002_renditions_example.json", "006_photo_only.json", "008_event.json"
    }
