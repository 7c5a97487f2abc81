"""Fuzzing every reader: arbitrary bytes, and inputs shaped like the format but broken in random ways.

Whatever the input, an ingest either refuses the whole file with a :class:`NewsdeskError` or returns a
report that accounts for every record it read, and a fresh store then holds exactly the inserted articles.
Each example gets its own temporary folder (function-scoped fixtures are not reset between examples).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsdesk.errors import NewsdeskError
from newsdesk.ingest import IngestReport, ingest
from newsdesk.settings import Settings
from newsdesk.store import open_store

# FUZZ_EXAMPLES=2000 for a longer hunt; the default keeps this file well under a minute.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(FUZZ, max_examples=max(1, EXAMPLES * 2 // 5))

Files = dict[str, bytes]  # relative path -> content


def check(files: Files, fmt: str, target: str | None = None, parallel: str = "off") -> IngestReport | None:
    """Write ``files`` into a fresh folder, ingest ``target`` (default: the only file) into a fresh store, and
    check the bookkeeping. Returns the report, or None when the whole input was refused."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for rel, content in files.items():
            path = root / "in" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        (root / "in").mkdir(exist_ok=True)
        source = root / "in" / (target if target is not None else next(iter(files)))
        conf = Settings(home=root / "home")
        conf.ingest.parallel = parallel  # type: ignore[assignment]
        _empty_database(conf)
        store = open_store(conf)
        try:
            try:
                report = ingest([source], store, settings=conf, format=fmt)
            except NewsdeskError:
                return None
            assert report.stored
            assert report.read == report.accounted, report.to_dict()
            assert store.count() == report.inserted, report.to_dict()
            assert report.updated == report.unchanged == 0, report.to_dict()  # a fresh store
            for err in report.errors:
                assert err.location and err.message, err
            json.dumps(report.to_dict(), ensure_ascii=False).encode("utf-8")  # printable
            for article in store.iter_articles():  # everything stored reads back
                assert article.headline.strip()
            return report
        finally:
            store.close()


# -- building blocks -------------------------------------------------------------------------------------

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=30)  # surrogates and controls too
PLAIN_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)
TRICKY = st.sampled_from([
    "", " ", "\n", "\x00", "\x1b[0m", "\ud800", "é", "東京", "&amp;", "&#3;", "&#0;", "&#xD800;", "<b>",
    "]]>", '"', "'", ",", ";", "\t", "\r\n", "\ufeff", "2024-02-30", "2024-01-01T00:00:00Z",
    "Tue, 01 Oct 2024 10:00:00 +0000", "26-FEB-1987 15:01:01.79", "1500-01-01", "yesterday",
    "http://[::1", "https://example.com/a", "javascript:x", "en", "EN-gb", "english", "x" * 300,
    "1" * 5000,
])
TEXT = st.one_of(PLAIN_TEXT, ANY_TEXT, TRICKY)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), TEXT,
    st.integers(min_value=-(10**20), max_value=10**20),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=10,
)
ARTICLE_KEYS = [
    "id", "source_id", "title", "headline", "body", "url", "byline", "published_at", "section",
    "language", "source", "keywords", "subjects", "extra",
]


def _good(key: str) -> st.SearchStrategy[Any]:
    """Plausible values of one article field."""
    good: dict[str, st.SearchStrategy[Any]] = {
        "id": st.integers(0, 50) | st.text("abc/-_", min_size=1, max_size=5),
        "source_id": st.text("abc/:", min_size=1, max_size=5),
        "headline": st.text("Headline word", min_size=1, max_size=20),
        "title": st.text("Title word", min_size=1, max_size=20),
        "body": st.text("Body text \n", max_size=60),
        "url": st.sampled_from(["https://example.com/a", "http://example.org/x?y=1", "http://[::1"]),
        "published_at": st.sampled_from(["2024-01-01", "2024-01-01T10:00:00+01:00", "1987-02-26"]),
        "language": st.sampled_from(["en", "fr-CA", "EN"]),
        "source": st.sampled_from(["wire", "bbc", "the-times"]),
        "keywords": st.lists(st.text("kw", min_size=1, max_size=4), max_size=3) | st.just("a; b, c"),
        "subjects": st.lists(
            st.sampled_from(["medtop:01000000", "politics"])
            | st.fixed_dictionaries({"name": st.just("n"), "code": st.just("c:1")}),
            max_size=3,
        ),
        "extra": st.dictionaries(st.text("ab", max_size=3), SCALARS, max_size=3),
    }
    return good.get(key, TEXT)


def _value_for(key: str) -> st.SearchStrategy[Any]:
    """Plausible values of one article field, or anything at all."""
    return _good(key) | JSON_VALUES


ARTICLE = st.dictionaries(
    st.sampled_from(ARTICLE_KEYS) | TEXT,
    st.deferred(lambda: JSON_VALUES),
    max_size=8,
) | st.fixed_dictionaries(
    {"headline": _value_for("headline")},
    optional={k: _value_for(k) for k in ARTICLE_KEYS if k != "headline"},
)


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` cut short, with a character dropped or one inserted, or as it is."""
    if not text:
        return text
    how = draw(st.sampled_from(["keep", "keep", "cut", "drop", "insert"]))
    at = draw(st.integers(0, len(text) - 1))
    if how == "cut":
        return text[:at]
    if how == "drop":
        return text[:at] + text[at + 1 :]
    if how == "insert":
        extra = draw(TRICKY | st.sampled_from(['"', "{", "}", "[", ",", "\\", "<", ">"]))
        return text[:at] + extra + text[at:]
    return text


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # lone surrogates become invalid UTF-8 bytes


def _dump(value: Any, ascii_only: bool) -> str:
    return json.dumps(value, ensure_ascii=ascii_only)


# -- arbitrary bytes -------------------------------------------------------------------------------------

SUFFIX = {
    "jsonl": "in.jsonl", "csv": "in.csv", "ninjs": "in.json", "rss": "in.rss", "html": "in.html",
    "reuters": "in.sgm",
}


@FUZZ
@given(fmt=st.sampled_from(sorted(SUFFIX)), data=st.binary(max_size=3000))
def test_arbitrary_bytes_in_each_format(fmt: str, data: bytes) -> None:
    check({SUFFIX[fmt]: data}, fmt)


@FEW
@given(
    name=st.sampled_from(["x.jsonl", "x.csv", "x.json", "x.rss", "x.html", "x.sgm", "x.txt", "x.bin", "x"]),
    data=st.binary(max_size=2000)
    | st.sampled_from([b"{", b"<rss", b"<REUTERS", b'{"uri": "x", "headline"', b"<html>", b"a,b\n"]),
)
def test_arbitrary_bytes_detected_by_name_and_content(name: str, data: bytes) -> None:
    check({name: data}, "auto")


@FEW
@given(files=st.dictionaries(
    st.sampled_from(["a.txt", "s1/b.txt", "s1/c.txt", "s2/deep/d.txt", "e.TXT", "notes.md"]),
    st.binary(max_size=500),
    max_size=5,
))
def test_arbitrary_bytes_in_a_text_folder(files: Files) -> None:
    check(files or {"empty/.keep": b""}, "textdir", target="")


# -- shaped, then broken ---------------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_jsonl_of_article_like_values(data: st.DataObject) -> None:
    lines = data.draw(st.lists(ARTICLE | JSON_VALUES, max_size=8))
    ascii_only = data.draw(st.booleans())
    text = "\n".join(data.draw(mutated(_dump(v, ascii_only))) for v in lines)
    check({"in.jsonl": _encode(text)}, "jsonl")


@FEW
@given(data=st.data())
def test_jsonl_reports_agree_in_a_reader_process(data: st.DataObject) -> None:
    lines = data.draw(st.lists(ARTICLE, min_size=1, max_size=6))
    records = [_dump(v, True) for v in lines] * data.draw(st.integers(1, 2))  # repeats: duplicates
    files = {"in.jsonl": _encode("\n".join(data.draw(mutated(r)) for r in records))}
    off, process = check(files, "jsonl", parallel="off"), check(files, "jsonl", parallel="process")
    assert off is not None and process is not None

    def same(report: IngestReport) -> dict[str, Any]:
        out = report.to_dict()
        del out["seconds"]
        for item in (*out["errors"], *out["duplicate_records"]):
            item["source"] = Path(item["source"]).name  # each run has its own folder
        return out

    assert same(off) == same(process)


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    columns = draw(st.lists(st.sampled_from(ARTICLE_KEYS) | PLAIN_TEXT, min_size=1, max_size=6))
    cell = st.one_of(
        st.text("ab ,\"\n\r\t;|é", max_size=12), TRICKY, st.sampled_from(["", "1", "a;b"]), ANY_TEXT
    )
    rows = draw(st.lists(
        st.lists(cell, min_size=max(0, len(columns) - 1), max_size=len(columns) + 1), max_size=8
    ))
    delimiter = draw(st.sampled_from([",", ",", "\t", ";"]))
    if draw(st.booleans()):  # written properly, then maybe broken
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=delimiter, quoting=draw(st.sampled_from([0, 1, 2])))
        for row in [columns, *rows]:
            writer.writerow(row)
        text = buf.getvalue()
    else:  # naive joining: stray quotes and delimiters inside cells
        quote = draw(st.booleans())
        text = "\n".join(
            delimiter.join(f'"{c}"' if quote else c for c in row) for row in [columns, *rows]
        )
    return draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + _encode(draw(mutated(text)))


@FUZZ
@given(content=csv_files(), tsv=st.booleans())
def test_csv_with_random_cells_and_quotes(content: bytes, tsv: bool) -> None:
    check({"in.tsv" if tsv else "in.csv": content}, "csv")


@st.composite
def ninjs_docs(draw: st.DrawFn) -> Any:
    generation = draw(st.sampled_from(["1", "2", "3"]))
    text = _good("body")
    doc: dict[str, Any] = {"uri": draw(st.sampled_from(["urn:x:1", "http://e.com/1", "http://[x"]) | TEXT)}
    if generation == "1":
        doc.update(headline=draw(text), body_text=draw(text), versioncreated="2024-01-01T00:00:00Z")
        optional = {"byline": TEXT, "body_html": st.just("<p>Hi &amp; bye</p>"), "subject": JSON_VALUES,
                    "$standard": st.fixed_dictionaries({"version": st.sampled_from(["1.0", "1.6", "9"])})}
    else:
        ct = "contentType" if generation == "3" else "contenttype"
        doc["headlines"] = [{"role": "main", "value": draw(text)}]
        doc["bodies"] = draw(st.lists(st.fixed_dictionaries(
            {"value": text}, optional={"role": st.sampled_from(["main", "x"]),
                                       ct: st.sampled_from(["text/plain", "text/html"])}), max_size=2))
        doc["versionCreated" if generation == "3" else "versioncreated"] = "2024-01-01T00:00:00Z"
        altids = st.lists(st.fixed_dictionaries({"role": st.sampled_from(["url", "source", "source-id"])
                                                 | TEXT, "value": TEXT}), max_size=3)
        versions = st.sampled_from(["2.0", "2.2", "3.1", "x"])
        optional = {"by": TEXT, "language": TEXT, "type": st.sampled_from(["text", "picture"]) | TEXT,
                    "subjects": JSON_VALUES, "altIds" if generation == "3" else "altids": altids,
                    "standard": st.fixed_dictionaries({"version": versions})}
    for key, strategy in optional.items():
        if draw(st.booleans()):
            doc[key] = draw(strategy)
    if draw(st.integers(0, 3)) == 0:  # a random key replaced by a random value
        doc[draw(st.sampled_from(sorted(doc)))] = draw(JSON_VALUES)
    return doc


@FUZZ
@given(data=st.data())
def test_ninjs_documents_arrays_and_lines(data: st.DataObject) -> None:
    docs = data.draw(st.lists(ninjs_docs() | JSON_VALUES, min_size=1, max_size=4))
    shape = data.draw(st.sampled_from(["one", "array", "lines"]))
    if shape == "one":
        text = _dump(docs[0], data.draw(st.booleans()))
    elif shape == "array":
        text = _dump(docs, data.draw(st.booleans()))
    else:
        text = "\n".join(_dump(d, True) for d in docs)
    check({"in.json": _encode(data.draw(mutated(text)))}, "ninjs")


def _xml(text: str, escape: bool) -> str:
    if not escape:
        return text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def feeds(draw: st.DrawFn) -> str:
    escape = draw(st.booleans())
    value = st.one_of(_good("headline"), TEXT).map(lambda t: _xml(t, escape))
    date = st.sampled_from(["Tue, 01 Oct 2024 10:00:00 +0000", "2024-10-01T10:00:00Z", "nonsense",
                            "Sat, 31 Dec 9999 23:59:59 +0000", "Mon, 01 Jan 0001 00:00:00 GMT"])
    link = st.sampled_from(["https://example.com/a", "http://[::1", "/relative", ""]) | TEXT
    if draw(st.booleans()):
        items = "".join(
            f"<item><title>{draw(value)}</title><link>{_xml(draw(link), True)}</link>"
            f"<guid>{draw(value)}</guid><pubDate>{draw(date)}</pubDate>"
            f"<description>{draw(st.sampled_from(['<![CDATA[<p>Hi &amp; <b>bye</b></p>]]>', '']))}"
            f"{draw(value)}</description><category>{draw(value)}</category>"
            f"<author>{draw(value)}</author></item>"
            for _ in range(draw(st.integers(0, 4)))
        )
        text = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{draw(value)}</title>'
                f"<link>{_xml(draw(link), True)}</link><language>{draw(value)}</language>"
                f"{items}</channel></rss>")
    else:
        entries = "".join(
            f"<entry><title>{draw(value)}</title><id>{draw(value)}</id><updated>{draw(date)}</updated>"
            f'<link href="{_xml(draw(link), True)}"/><content type="html">{draw(value)}</content>'
            f"<summary>{draw(value)}</summary></entry>"
            for _ in range(draw(st.integers(0, 4)))
        )
        text = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>{draw(value)}</title>{entries}</feed>'
    return draw(mutated(text))


@FUZZ
@given(text=feeds())
def test_rss_and_atom_fragments(text: str) -> None:
    check({"in.rss": _encode(text)}, "rss")


@st.composite
def html_pages(draw: st.DrawFn) -> str:
    value = st.one_of(_good("body"), TEXT).map(lambda t: _xml(t, True))
    paragraphs = "".join(f"<p>{draw(value)}</p>" for _ in range(draw(st.integers(0, 5))))
    meta = "".join(draw(st.lists(st.sampled_from([
        '<meta name="author" content="A. Writer">',
        '<meta property="article:published_time" content="2024-10-01T10:00:00Z">',
        '<meta property="article:published_time" content="not a date">',
        '<link rel="canonical" href="https://example.com/story">',
        '<link rel="canonical" href="http://[::1/story">',
        '<meta property="og:site_name" content="Example News">',
        '<meta name="keywords" content="a, b, c">',
    ]), max_size=4)))
    lang = draw(st.sampled_from(["en", "xx-bad", ""]))
    text = (f'<!DOCTYPE html><html lang="{lang}"><head><title>{draw(value)}</title>{meta}</head>'
            f"<body><article><h1>{draw(value)}</h1>{paragraphs}</article></body></html>")
    return draw(mutated(text))


@FUZZ
@given(text=html_pages())
def test_html_pages(text: str) -> None:
    check({"in.html": _encode(text)}, "html")


@st.composite
def sgml(draw: st.DrawFn) -> bytes:
    value = st.one_of(_good("body"), TEXT, st.sampled_from(["&lt;", "&#3;", "&#0;", "&#xD800;", "&bogus;"]))
    docs = []
    for _ in range(draw(st.integers(0, 4))):
        newid = draw(st.integers(0, 5).map(str) | st.sampled_from(['', 'a"b', "x\ny", " "]))
        topics = "".join(f"<D>{draw(value)}</D>" for _ in range(draw(st.integers(0, 2))))
        parts = [
            f"<DATE>{draw(st.sampled_from(['26-FEB-1987 15:01:01.79', '31-FEB-1987 25:00:00', '']) | value)}"
            "</DATE>",
            f"<TOPICS>{topics}</TOPICS><PLACES>{topics}</PLACES>",
            f"<TEXT><TITLE>{draw(value)}</TITLE><DATELINE>{draw(value)}</DATELINE>"
            f"<AUTHOR>{draw(value)}</AUTHOR>",
            f"<BODY>{draw(value)}&#3;</BODY></TEXT>" if draw(st.booleans()) else f"{draw(value)}</TEXT>",
        ]
        kept = draw(st.lists(st.sampled_from(parts), max_size=len(parts), unique=True))
        head = f'<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" NEWID="{newid}">'
        docs.append(head + "".join(kept) + "</REUTERS>")
    text = draw(mutated("\n".join(docs)))
    return text.encode("latin-1", "replace") if draw(st.booleans()) else _encode(text)


@FUZZ
@given(content=sgml())
def test_reuters_sgml_fragments(content: bytes) -> None:
    check({"in.sgm": content}, "reuters")


@FUZZ
@given(files=st.dictionaries(
    st.sampled_from(["a.txt", "tech/001.txt", "tech/002.txt", "sport/x y.txt", "é/ü.txt", "deep/a/b.txt",
                     "not-text.bin"]),
    st.one_of(
        st.tuples(TEXT, TEXT).map(lambda hb: _encode(f"{hb[0]}\n{hb[1]}")),
        st.builds(lambda h, b: "\ufeff".encode() + _encode(f"{h}\n\n{b}"), PLAIN_TEXT, PLAIN_TEXT),
        st.just(b"Caf\xe9 society\nA cp1252 body \x93quoted\x94"),
        st.just(b"Binary\x00file"),
        st.just(b""),
    ),
    max_size=5,
))
def test_text_folders(files: Files) -> None:
    check(files or {"empty/.keep": b""}, "textdir", target="")


def test_check_sees_records() -> None:
    """The helper is not vacuous: it reports what a small valid file holds."""
    report = check({"in.jsonl": b'{"id": 1, "headline": "H"}\n{"id": 2}\n'}, "jsonl")
    assert report is not None and (report.read, report.inserted, report.rejected) == (2, 1, 1)


def _empty_database(settings: Settings) -> None:
    """A fresh store for each example: on PostgreSQL the test's one database, emptied."""
    if settings.store.url is None or not settings.store.url.startswith("postgresql"):
        return
    import psycopg

    with psycopg.connect(settings.store.url, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('articles')").fetchone() != (None,):
            conn.execute("TRUNCATE articles, article_revisions, api_keys, feedback CASCADE")

