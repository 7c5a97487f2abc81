"""A folder given to a format that reads files (Reuters SGML, ninjs, JSON Lines...) stands for its files."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from newsdesk.errors import UnreadableSource
from newsdesk.ingest.readers import folder_files

# The workspace fixtures (ws: one per test; pws: one per parallel mode) and run_cli are in conftest.py.
Workspace = Any
DATA = Path(__file__).resolve().parents[1] / "data"
REUTERS = DATA / "reuters" / "reut2-sample.sgm"


def reuters_folder(root: Path) -> Path:
    """The sample as a Reuters-21578 folder: .sgm files among the distribution's other files."""
    folder = root / "reuters21578"
    (folder / "more").mkdir(parents=True)
    shutil.copy(REUTERS, folder / "reut2-000.sgm")
    shutil.copy(REUTERS, folder / "more" / "reut2-001.sgm")  # the same stories again, one folder down
    (folder / "lewis.dtd").write_text("<!ELEMENT REUTERS - - (DATE, TOPICS)>\n<!ATTLIST REUTERS NEWID>\n")
    (folder / ".hidden.sgm").write_bytes(REUTERS.read_bytes())  # hidden: left out
    return folder


def test_a_folder_of_sgm_files_with_format_reuters(pws: Workspace) -> None:
    folder = reuters_folder(pws.root)
    (folder / "README.txt").write_text("Reuters-21578, Distribution 1.0\n")
    report = pws.ingest(folder, format="reuters")
    # As the file twice: 35 records each; the second copy finds its stories stored already.
    assert (report.read, report.inserted, report.unchanged, report.rejected) == (70, 32, 32, 6)
    assert {Path(e.source).relative_to(folder).as_posix() for e in report.errors} == {
        "reut2-000.sgm", "more/reut2-001.sgm"
    }
    assert pws.store.get("reuters:1").headline.startswith("BAHIA COCOA REVIEW")


def test_a_folder_of_sgm_files_is_detected(ws: Workspace) -> None:
    folder = reuters_folder(ws.root)
    report = ws.ingest(folder)  # no .txt files: each file in its detected format
    assert (report.read, report.inserted, report.rejected) == (70, 32, 6)


def test_folder_files_by_format(tmp_path: Path) -> None:
    folder = reuters_folder(tmp_path)
    shutil.copy(DATA / "valley-herald.jsonl", folder / "herald.jsonl")
    names = {p.relative_to(folder).as_posix(): fmt for p, fmt in folder_files(folder)}
    assert names == {"reut2-000.sgm": "reuters", "more/reut2-001.sgm": "reuters", "herald.jsonl": "jsonl"}
    assert [p.name for p, _ in folder_files(folder, "jsonl")] == ["herald.jsonl"]


def test_a_folder_without_files_of_the_format_fails_before_writing(ws: Workspace) -> None:
    folder = reuters_folder(ws.root)
    with pytest.raises(UnreadableSource, match="no csv files in this folder"):
        ws.ingest(folder, format="csv")
    assert ws.store.count() == 0


def test_cli_reads_a_reuters_folder(tmp_path: Path, run_cli: Any) -> None:
    folder = reuters_folder(tmp_path)
    result = run_cli(tmp_path / "home", "ingest", str(folder), "--format", "reuters", "--json")
    assert "Is a directory" not in result.stderr
    assert result.code == 3  # three stories of the sample are rejected (no title, a broken date)
    assert (result.report["read"], result.report["inserted"]) == (70, 32)
