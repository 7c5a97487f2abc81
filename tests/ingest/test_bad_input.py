"""Bad input of every kind: each bad record is reported with its location, field and a useful reason, every
good record beside it is still stored, and whole-file problems fail cleanly before anything is written."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from newsdesk.errors import UnknownFormat, UnreadableSource
from newsdesk.ingest import FieldError, IngestReport

# The workspace fixtures (ws: one per test; pws: one per parallel mode) are in conftest.py.
Workspace = Any


def error_at(report: IngestReport, location: str) -> FieldError:
    """The one error reported at ``location``."""
    found = [e for e in report.errors if e.location == location]
    assert len(found) == 1, (location, report.errors)
    return found[0]


def bad_one(ws: Workspace, make_article: Any, **fields: Any) -> FieldError:
    """Ingest good, bad (article 2 with ``fields``), good; return the bad line's only error."""
    path = ws.jsonl("batch.jsonl", [make_article(1), make_article(2, **fields), make_article(3)])
    report = ws.ingest(path)
    assert (report.read, report.inserted, report.rejected) == (3, 2, 1), report.to_dict()
    assert {a.source_id for a in ws.store.iter_articles()} == {"a1", "a3"}
    assert len(report.errors) == 1
    err = report.errors[0]
    assert err.location == "line 2" and err.source == str(path)
    return err


# -- lines that are not article objects -------------------------------------------------------------------


def test_unparseable_lines_are_reported_by_line_and_the_rest_stored(
    pws: Workspace, make_article: Any
) -> None:
    lines = [
        json.dumps(make_article(1)).encode(),
        b'{"id": "t1", "headline": "Truncated mid-wri',  # line 2
        b"",  # line 3: blank lines are skipped but still numbered
        b"[1, 2, 3]",  # 4
        b'"just a string"',  # 5
        b"null",  # 6
        json.dumps(make_article(2)).encode(),  # 7
        b'{"id": "big", "headline": "x", "n": ' + b"1" * 5000 + b"}",  # 8: int over 4300 digits
        b'{"id": "latin", "headline": "caf\xe9"}',  # 9: Latin-1, not UTF-8
        b'{"id": "deep", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",  # 10
        json.dumps(make_article(3)).encode(),  # 11
    ]
    path = pws.file("mixed.jsonl", b"\n".join(lines) + b"\n")
    report = pws.ingest(path)
    assert (report.read, report.inserted, report.rejected) == (10, 3, 7)
    expected = {
        "line 2": "invalid JSON: Unterminated string starting at column 26",
        "line 4": "expected a JSON object, got list",
        "line 5": "expected a JSON object, got str",
        "line 6": "expected a JSON object, got NoneType",
        "line 8": "invalid JSON: Exceeds the limit (4300 digits)",
        "line 9": "not valid UTF-8",
        "line 10": "invalid JSON: nested too deep",
    }
    assert {e.location for e in report.errors} == set(expected)
    for location, message in expected.items():
        err = error_at(report, location)
        assert err.message.startswith(message), err
        assert "sys.set_int_max_str_digits" not in err.message
    assert sorted(a.id for a in pws.store.iter_articles()) == ["mixed:a1", "mixed:a2", "mixed:a3"]


# -- field values -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "field", "message"),
    [
        ("headline", 42, "headline", "expected a string, not int"),
        ("headline", ["a", "b"], "headline", "expected a string, not list"),
        ("body", {"text": "x"}, "body", "expected a string, not dict"),
        ("keywords", {"a": 1}, "keywords", "expected a list of strings or a ';'/','-separated string"),
        ("keywords", ["ok", 7], "keywords[1]", "expected a string of at most 200 characters"),
        ("published_at", True, "published_at", "expected an ISO 8601 or RFC 2822 date-time"),
        ("id", 1.5, "source_id", "expected a string or integer id"),
        ("id", "two\nlines", "source_id", "expected a one-line id of 1 to 512 characters"),
        ("url", 12, "url", "expected an http(s) URL string"),
        ("subjects", [3], "subjects[0]", "expected a subject name, code or {name, code} object"),
        ("source", "Not A Slug!", "source", "expected a source slug"),
        ("extra", [1], "extra", "must be an object"),
    ],
)
def test_wrong_types_name_the_field_and_the_value(
    ws: Workspace, make_article: Any, key: str, value: Any, field: str, message: str
) -> None:
    err = bad_one(ws, make_article, **{key: value})
    assert err.field == field
    assert err.message.startswith(message), err
    if field.endswith("]"):  # a list item: the item is shown
        value = value[int(field[field.index("[") + 1 : -1])]
    assert err.value == (value if isinstance(value, str) else repr(value))


@pytest.mark.parametrize("headline", [None, "", "   \n\t", "absent"])
def test_missing_headline(ws: Workspace, make_article: Any, headline: str | None) -> None:
    rec = make_article(2, headline=headline)
    if headline == "absent":
        del rec["headline"]
    path = ws.jsonl("h.jsonl", [make_article(1), rec])
    report = ws.ingest(path)
    assert (report.inserted, report.rejected) == (1, 1)
    err = error_at(report, "line 2")
    assert (err.field, err.message) == ("headline", "expected a non-empty string")


def test_all_problems_of_a_record_are_reported_together(ws: Workspace, make_article: Any) -> None:
    path = ws.jsonl("h.jsonl", [make_article(1, headline="", url="nope", language="english")])
    report = ws.ingest(path)
    assert report.rejected == 1
    assert [e.field for e in report.errors] == ["headline", "url", "language"]
    assert {e.location for e in report.errors} == {"line 1"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2024-13-45", "expected an ISO 8601 or RFC 2822 date-time"),
        ("yesterday", "expected an ISO 8601 or RFC 2822 date-time"),
        ("31/12/2024", "expected an ISO 8601 or RFC 2822 date-time"),
        ("", None),  # empty means missing: stored without a date
        ("1500-06-01T00:00:00Z", "expected a date between 1800-01-01 and one year from now"),
        ("Thu, 01 Jan 1500 00:00:00 +0000", "expected a date between 1800-01-01 and one year from now"),
        ("2999-01-01", "expected a date between 1800-01-01 and one year from now"),
        (-6_000_000_000, "expected a date between 1800-01-01 and one year from now"),  # 1779
        (10**15, "expected an ISO 8601 or RFC 2822 date-time"),  # no such year
        (1e308, "expected an ISO 8601 or RFC 2822 date-time"),
        ("x" * 100, "expected an ISO 8601 or RFC 2822 date-time"),
    ],
)
def test_bad_dates(ws: Workspace, make_article: Any, value: Any, message: str | None) -> None:
    path = ws.jsonl("d.jsonl", [make_article(1, published_at=value)])
    report = ws.ingest(path)
    if message is None:
        assert report.inserted == 1 and ws.store.get("d:a1").published_at is None
        return
    assert report.rejected == 1
    err = error_at(report, "line 1")
    assert (err.field, err.message) == ("published_at", message)
    assert err.value == (value if isinstance(value, str) else repr(value))


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("2024-10-01T10:00:00Z", "2024-10-01T10:00:00+00:00"),
        ("2024-10-01T12:00:00+02:00", "2024-10-01T10:00:00+00:00"),
        ("2024-10-01", "2024-10-01T00:00:00+00:00"),
        ("Tue, 01 Oct 2024 10:00:00 +0000", "2024-10-01T10:00:00+00:00"),
        ("26-FEB-1987 15:01:01.79", "1987-02-26T15:01:01.790000+00:00"),
        (1727776800, "2024-10-01T10:00:00+00:00"),
    ],
)
def test_accepted_date_forms(ws: Workspace, make_article: Any, value: Any, iso: str) -> None:
    report = ws.ingest(ws.jsonl("d.jsonl", [make_article(1, published_at=value)]))
    assert report.inserted == 1, report.errors
    published = ws.store.get("d:a1").published_at
    assert published is not None and published.isoformat() == iso


@pytest.mark.parametrize(
    "value",
    [
        "not a url",
        "www.example.com/news/1",
        "ftp://example.com/file",
        "javascript:alert(1)",
        "http://",
        "http://[::1/unclosed-ipv6",  # urlsplit raises ValueError on this one
        "https://exa mple.com/x",
        "https://example.com/a\x00b",
        "https://example.com/" + "x" * 2048,
    ],
)
def test_bad_url(ws: Workspace, make_article: Any, value: str) -> None:
    err = bad_one(ws, make_article, url=value)
    assert err.field == "url"
    assert err.message == "expected an absolute http(s) URL of at most 2048 characters"


@pytest.mark.parametrize("value", ["english", "e", "en_GB", "12", "en-", "en GB", "en-toolongsubtag"])
def test_bad_language(ws: Workspace, make_article: Any, value: str) -> None:
    err = bad_one(ws, make_article, language=value)
    assert err.field == "language"
    assert err.message == "expected a BCP 47 language tag such as 'en' or 'en-GB'"
    assert err.value == value


def test_language_tags_are_normalised(ws: Workspace, make_article: Any) -> None:
    path = ws.jsonl("l.jsonl", [make_article(1, language="EN-GB"), make_article(2, language=" pt-BR ")])
    assert ws.ingest(path).inserted == 2
    assert [ws.store.get(f"l:a{n}").language for n in (1, 2)] == ["en-GB", "pt-BR"]


@pytest.mark.parametrize(
    ("key", "value", "field", "found"),
    [
        ("body", "Line one\x00line two", "body", "'\\x00' at 8"),
        ("body", "Ring \x07 the bell", "body", "'\\x07' at 5"),
        ("headline", "Escape \x1b[31mred", "headline", "'\\x1b' at 7"),
        ("byline", "A. Writer\x0c", "byline", "'\\x0c' at 9"),
        ("keywords", ["ok", "bad\x01"], "keywords[1]", None),
        # An unpaired UTF-16 surrogate, as JSON can escape it: no UTF-8 form, so never storable.
        ("body", "broken \ud800 surrogate", "body", "'\\ud800' at 7"),
        ("headline", "\udfff", "headline", "'\\udfff' at 0"),
        ("section", "news\udc80", "section", "'\\udc80' at 4"),
        ("subjects", ["politics\ud800"], "subjects[0]", None),
        ("notes", "free text \ud800", "extra.notes", None),
    ],
)
def test_control_characters_and_unpaired_surrogates(
    ws: Workspace, make_article: Any, key: str, value: Any, field: str, found: str | None
) -> None:
    err = bad_one(ws, make_article, **{key: value})
    assert err.field == field
    if found:
        assert "control characters" in err.message and f"found {found}" in err.message, err
    assert err.value is None or err.value.encode("utf-8")  # printable as it is


def test_tabs_newlines_and_crlf_are_fine(ws: Workspace, make_article: Any) -> None:
    body = "Para one,\tindented.\r\nPara two.\rPara three.\n\nÉtude naïve — 東京"
    report = ws.ingest(ws.jsonl("t.jsonl", [make_article(1, body=body)]))
    assert report.inserted == 1
    assert ws.store.get("t:a1").body == "Para one,\tindented.\nPara two.\nPara three.\n\nÉtude naïve — 東京"


def test_control_characters_print_in_the_cli_report(
    tmp_path: Path, make_article: Any, run_cli: Any
) -> None:
    path = tmp_path / "c.jsonl"
    lines = [make_article(1), make_article(2, body="nul\x00"), make_article(3, headline="\ud800")]
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    result = run_cli(tmp_path / "home", "ingest", str(path))  # the table, not --json
    assert result.code == 3, result.stderr
    assert "1 inserted" in result.stdout and "2 rejected" in result.stdout
    assert "Traceback" not in result.stderr


# -- whole files that are not what they claim ------------------------------------------------------------


def _garbage(size: int = 65_536) -> bytes:
    data = bytearray(random.Random(1234).randbytes(size))
    data[0:1] = b"\xff"  # never valid UTF-8
    return bytes(data)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_binary_garbage_is_reported_not_a_crash(
    tmp_path: Path, suffix: str, run_cli: Any, db_count: Any
) -> None:
    path = tmp_path / f"garbage{suffix}"
    path.write_bytes(_garbage())
    home = tmp_path / "home"
    result = run_cli(home, "ingest", str(path), "--json")
    assert result.code == 3, result.stderr
    assert "Traceback" not in result.stderr
    report = result.report
    assert report["inserted"] == 0 and report["rejected"] >= 1
    assert report["read"] == report["rejected"] + report["duplicates"]
    assert db_count(home) == 0
    first = report["errors"][0]
    assert first["location"] == "line 1" and "not valid UTF-8" in first["message"]
    if suffix == ".csv":  # one verdict for the whole file
        assert report["read"] == 1 and "file skipped" in first["message"]
    else:  # one per line
        assert all(e["location"].startswith("line ") for e in report["errors"])


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_binary_garbage_in_process_and_in_a_reader_process(pws: Workspace, suffix: str) -> None:
    report = pws.ingest(pws.file(f"garbage{suffix}", _garbage()))
    assert report.inserted == 0 and report.rejected == report.read >= 1


def test_csv_with_nul_bytes_is_skipped_as_binary(ws: Workspace) -> None:
    path = ws.file("n.csv", "id,headline\nx1,Fine\nx2,Not\x00fine\n")
    report = ws.ingest(path)
    assert (report.read, report.rejected, report.inserted) == (1, 1, 0)
    assert error_at(report, "line 3").message == "contains NUL bytes: not a text CSV; file skipped"


# -- sizes ----------------------------------------------------------------------------------------------


def test_body_over_the_limit(tmp_path: Path, make_article: Any, new_workspace: Any) -> None:
    ws = new_workspace(tmp_path, max_body_chars=1000)
    try:
        path = ws.jsonl("b.jsonl", [make_article(1, body="x" * 1000), make_article(2, body="y" * 1001)])
        report = ws.ingest(path)
    finally:
        ws.close()
    assert (report.inserted, report.rejected) == (1, 1)
    err = error_at(report, "line 2")
    assert (err.field, err.message, err.value) == (
        "body", "expected at most 1000 characters", "<1001 characters>",
    )


@pytest.mark.parametrize(
    ("key", "value", "field", "message", "shown"),
    [
        ("headline", "h" * 1001, "headline", "expected at most 1000 characters", "<1001 characters>"),
        ("byline", "b" * 10_001, "byline", "expected at most 10000 characters", "<10001 characters>"),
        ("keywords", [f"k{i}" for i in range(501)], "keywords", "expected at most 500 items",
         "<501 items>"),
        ("keywords", ["k" * 201], "keywords[0]", "expected a string of at most 200 characters", None),
        ("id", "i" * 513, "source_id", "expected a one-line id of 1 to 512 characters", None),
    ],
)
def test_other_limits(
    ws: Workspace, make_article: Any, key: str, value: Any, field: str, message: str,
    shown: str | None,
) -> None:
    err = bad_one(ws, make_article, **{key: value})
    assert (err.field, err.message) == (field, message)
    if shown:
        assert err.value == shown
    assert err.value is None or len(err.value) <= 120  # huge values are never echoed whole


def test_five_megabyte_csv_cell(pws: Workspace) -> None:
    huge = "word " * 1_000_000  # 5 MB, over the default max_body_chars of 1,000,000
    text = (
        "id,headline,body\n"
        "c1,First,Body one\n"
        f'c2,Huge,"{huge}"\n'
        "c3,Third,Body three\n"
    )
    report = pws.ingest(pws.file("huge.csv", text))
    assert (report.read, report.inserted, report.rejected) == (3, 2, 1)
    err = error_at(report, "line 3")
    assert (err.field, err.message, err.value) == (
        "body", "expected at most 1000000 characters", "<5000000 characters>",
    )
    assert sorted(a.source_id or "" for a in pws.store.iter_articles()) == ["c1", "c3"]


# -- duplicates within one file ------------------------------------------------------------------------


def test_duplicate_ids_within_one_file(pws: Workspace, make_article: Any) -> None:
    path = pws.jsonl("dup.jsonl", [
        make_article(1),
        make_article(2),
        make_article(1),  # line 3: the same record again
        make_article(2, body="A different body under the same id."),  # line 4
        make_article(3),
    ])
    report = pws.ingest(path)
    assert (report.read, report.inserted, report.rejected, len(report.duplicates)) == (5, 3, 1, 1)
    dup = report.duplicates[0]
    assert (dup.location, dup.id, dup.duplicate_of) == ("line 3", "dup:a1", "dup:a1")
    err = error_at(report, "line 4")
    assert err.field == "source_id" and err.value == "a2"
    assert err.message == (
        "duplicate id 'dup:a2' in this source (first at line 2) with different content"
    )
    assert pws.store.get("dup:a2").body == make_article(2)["body"]


def test_same_text_under_another_id_is_a_duplicate(pws: Workspace, make_article: Any) -> None:
    twin = make_article(9, headline=make_article(1)["headline"], body=make_article(1)["body"])
    report = pws.ingest(pws.jsonl("twin.jsonl", [make_article(1), twin]))
    assert (report.inserted, len(report.duplicates)) == (1, 1)
    dup = report.duplicates[0]
    assert (dup.location, dup.id, dup.duplicate_of) == ("line 2", "twin:a9", "twin:a1")


# -- CSV shape -----------------------------------------------------------------------------------------------


def test_csv_rows_with_the_wrong_number_of_cells(pws: Workspace) -> None:
    text = (
        "id,headline,body\n"  # 1
        "c1,Good one,Body one\n"  # 2
        "c2,Too few\n"  # 3
        "c3,Too,many,cells\n"  # 4
        'c4,"A headline\nover two lines",Body four\n'  # 5-6: a row's location is its first line
        ",,\n"  # 7: empty row, skipped
        'c5,Says "hi" unquoted,Body five\n'  # 8: a stray quote in an unquoted cell is kept
        "c6,x\n"  # 9
        'c7,"Unclosed quote,Body seven\n'  # 10: swallows the rest of the file
        "c8,Lost,Body eight\n"
    )
    report = pws.ingest(pws.file("shape.csv", text))
    assert (report.read, report.inserted, report.rejected) == (7, 3, 4)
    assert error_at(report, "line 3").message == "has 2 cells, the header has 3 columns"
    assert error_at(report, "line 4").message == "has 4 cells, the header has 3 columns"
    assert error_at(report, "line 9").message == "has 2 cells, the header has 3 columns"
    assert error_at(report, "line 10").message.startswith("malformed CSV")
    assert pws.store.get("shape:c4").headline == "A headline\nover two lines"
    assert pws.store.get("shape:c5").headline == 'Says "hi" unquoted'


def test_csv_repeated_column_names(ws: Workspace) -> None:
    report = ws.ingest(ws.file("rep.csv", "id,headline,headline\nr1,a,b\n"))
    assert (report.read, report.rejected) == (1, 1)
    err = error_at(report, "line 1")
    assert err.field == "headline" and "repeated column names ['headline']" in err.message


def test_ninjs_array_items_are_located_by_index(ws: Workspace) -> None:
    good = {
        "uri": "urn:test:1", "type": "text", "headlines": [{"role": "main", "value": "Good"}],
        "bodies": [{"role": "main", "contenttype": "text/plain", "value": "Body"}],
        "versioncreated": "2024-01-01T00:00:00Z",
    }
    bad = {**good, "uri": "urn:test:2", "headlines": "not a list"}
    picture = {**good, "uri": "urn:test:3", "type": "picture"}
    report = ws.ingest(ws.file("items.json", json.dumps([good, bad, picture])), format="ninjs")
    assert (report.read, report.inserted, report.rejected, report.skipped) == (3, 1, 1, 1)
    err = error_at(report, "item 1")
    assert err.field is not None and err.field.startswith("ninjs") and "not valid ninjs" in err.message
    [skip] = report.skipped_records  # valid ninjs, but a picture
    assert skip.location == "item 2" and skip.reason.startswith("ninjs type 'picture'")


# -- whole-run failures: nothing written ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{missing}"], "no such file or folder"),
        (["{good}", "{missing}"], "no such file or folder"),
        (["{good}", "--format", "nope"], "--format: 'nope' is not allowed"),
        (["{notes}"], "a single .txt file has no known layout"),
        (["{garbage}"], "cannot detect the format"),
    ],
)
def test_unusable_input_exits_2_and_writes_nothing(
    tmp_path: Path, make_article: Any, run_cli: Any, db_count: Any, args: list[str], message: str
) -> None:
    files = {
        "good": tmp_path / "good.jsonl",
        "missing": tmp_path / "missing.jsonl",
        "notes": tmp_path / "notes.txt",
        "garbage": tmp_path / "garbage.bin",
    }
    files["good"].write_text(json.dumps(make_article(1)) + "\n")
    files["notes"].write_text("A headline\nA body\n")
    files["garbage"].write_bytes(_garbage(4096))
    home = tmp_path / "home"
    result = run_cli(home, "ingest", *[a.format(**files) for a in args], "--json")
    assert result.code == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ") or "Error" in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert db_count(home) == 0


def test_library_fails_before_any_write(ws: Workspace, make_article: Any) -> None:
    good = ws.jsonl("good.jsonl", [make_article(1)])
    with pytest.raises(UnreadableSource, match=r"missing\.jsonl: no such file or folder"):
        ws.ingest(good, ws.root / "missing.jsonl")
    with pytest.raises(UnknownFormat, match="unknown format 'nope'"):
        ws.ingest(good, format="nope")
    assert ws.store.count() == 0


# -- --strict ------------------------------------------------------------------------------------------------


def test_strict_cli_stores_nothing_when_anything_is_rejected(
    tmp_path: Path, make_article: Any, run_cli: Any, db_count: Any
) -> None:
    home = tmp_path / "home"
    base = tmp_path / "base.jsonl"
    base.write_text("".join(json.dumps(make_article(n)) + "\n" for n in (1, 2)))
    assert run_cli(home, "ingest", str(base)).code == 0
    assert db_count(home) == 2

    mixed = tmp_path / "mixed.jsonl"
    changed = make_article(1, body="Changed body")
    bad = make_article(5, published_at="yesterday")
    mixed.write_text("".join(json.dumps(r) + "\n" for r in (make_article(3), changed, bad)))
    result = run_cli(home, "ingest", str(mixed), "--strict", "--json")
    assert result.code == 3, result.stderr
    report = result.report
    assert report["stored"] is False
    assert (report["inserted"], report["updated"], report["rejected"]) == (0, 0, 1)
    assert report["errors"][0]["location"] == "line 3"
    assert report["errors"][0]["field"] == "published_at"
    assert db_count(home) == 2

    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps(make_article(n)) + "\n" for n in (3, 4)))
    result = run_cli(home, "ingest", str(good), "--strict", "--json")
    assert result.code == 0, result.stderr
    assert result.report["stored"] is True and result.report["inserted"] == 2
    assert db_count(home) == 4


def test_strict_rolls_back_inserts_and_updates(pws: Workspace, make_article: Any) -> None:
    assert pws.ingest(pws.jsonl("s.jsonl", [make_article(1)])).inserted == 1
    lines = [make_article(1, body="Changed"), *(make_article(n) for n in range(2, 600)), "{broken"]
    report = pws.ingest(pws.jsonl("s.jsonl", lines), strict=True)
    assert report.stored is False and report.rejected == 1
    assert (report.inserted, report.updated) == (0, 0)
    assert pws.store.count() == 1
    kept = pws.store.get("s:a1")
    assert kept.revision == 1 and kept.body == make_article(1)["body"]
    assert pws.store.revisions("s:a1") == []

    report = pws.ingest(pws.jsonl("s.jsonl", lines[:-1]), strict=True)
    assert report.stored is True and (report.inserted, report.updated) == (598, 1)
    assert pws.store.count() == 599


# -- revisions ----------------------------------------------------------------------------------------------


def test_changed_article_becomes_revision_2_and_unchanged_adds_none(
    pws: Workspace, make_article: Any
) -> None:
    v1 = [make_article(1), make_article(2), make_article(3)]
    path = pws.jsonl("news.jsonl", v1)
    assert pws.ingest(path).inserted == 3

    v2 = [v1[0], make_article(2, body="Corrected: the council met on Tuesday."), v1[2]]
    pws.jsonl("news.jsonl", v2)
    report = pws.ingest(path)
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 2)
    current = pws.store.get("news:a2")
    assert current.revision == 2 and current.body == "Corrected: the council met on Tuesday."
    revisions = pws.store.revisions("news:a2")
    assert [r.revision for r in revisions] == [1]
    assert revisions[0].article.body == v1[1]["body"]
    assert revisions[0].content_hash != current.content_hash
    assert pws.store.revisions("news:a1") == []

    report = pws.ingest(path)  # the same file again
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 3)
    assert pws.store.get("news:a2").revision == 2
    assert len(pws.store.revisions("news:a2")) == 1
