"""The shortcuts that make ingest fast give exactly what the general code gives, and grouping batches into
transactions never stores a batch in part.

- ``to_article`` reads a plain record of canonical fields as it is; any other mapping goes through the
  alias-resolving loop. Both must give the same article, or the same problems.
- The Reuters reader replaces the few entities the files hold instead of calling ``html.unescape``.
- The content hash is built in one piece; it must equal the field-by-field construction it replaced (stored
  hashes of existing archives depend on it).
- The text-folder reader lists files with os.scandir; it must find what ``sorted(rglob("*.txt"))`` finds.
- Batches share transactions: a reader failure keeps every batch written before it; a write failure rolls
  its whole transaction back.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsdesk.articles.model import Article, Subject, _content_hash, utc_iso
from newsdesk.ingest import IngestReport
from newsdesk.ingest.readers.reuters import _unescape
from newsdesk.ingest.run import _chunks, _Item, _store
from newsdesk.ingest.validate import RecordInvalid, to_article
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore, open_store
from newsdesk.store.sqlite import SQLiteStore

EXAMPLES = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from([
        "", " ", "\n", "\x00", "\x1f", "\ud800", "é", "Cafe\u0301", "\r\n", "  padded  ", "x" * 300,
        "2024-01-01T00:00:00Z", "26-FEB-1987 15:01:01.79", "Tue, 01 Oct 2024 10:00:00 +0000", "yesterday",
        "https://example.com/a", "http://[::1", "en", "EN-gb", "english", "medtop:01000000", "a; b, c",
        "wire", "Not A Slug!",
    ]),
)
SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), TEXT, st.integers(-(10**20), 10**20)
)
VALUE = st.recursive(
    SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
KEYS = st.sampled_from([
    "id", "source_id", "title", "headline", "body", "url", "byline", "published_at", "section",
    "language", "source", "keywords", "subjects", "extra", "other",
])


def _outcome(fields: Mapping[str, Any]) -> tuple[Any, ...]:
    conf = Settings(home=Path("/nonexistent")).ingest
    try:
        article = to_article(fields, settings=conf, default_source="dflt")
    except RecordInvalid as exc:
        return ("invalid", repr(exc.problems))
    return ("ok", repr(tuple(SQLiteStore.encode(article))), repr(article.published_at))


@EXAMPLES
@given(fields=st.dictionaries(KEYS, VALUE, max_size=8))
def test_plain_records_and_other_mappings_validate_alike(fields: dict[str, Any]) -> None:
    # A MappingProxyType is not a dict: it takes the general path, key by key.
    assert _outcome(fields) == _outcome(MappingProxyType(fields))


@EXAMPLES
@given(
    fields=st.fixed_dictionaries(
        {"headline": st.sampled_from(["Hello", "A headline"]), "body": st.sampled_from(["", "Body\ntext"])},
        optional={
            "source_id": st.sampled_from(["a1", "x/y"]),
            "published_at": st.sampled_from(["2024-01-01", "26-FEB-1987 15:01:01.79"]),
            "language": st.sampled_from(["en", "fr-CA"]),
            "keywords": st.lists(st.sampled_from(["a", "b", " c "]), max_size=3),
            "subjects": st.lists(st.sampled_from(["medtop:01000000", "politics"]), max_size=2),
            "extra": st.dictionaries(st.sampled_from(["k", "n", "\ud800"]), SCALAR, max_size=3),
        },
    )
)
def test_valid_looking_records_validate_alike(fields: dict[str, Any]) -> None:
    assert _outcome(fields) == _outcome(MappingProxyType(fields))


ENTITY_PARTS = st.sampled_from([
    "&", "#", "3", ";", "lt", "gt", "amp", "&lt;", "&gt;", "&amp;", "&#3;", "&#", "&#x3;", "&#03;", "quot",
    "<", "\x03", "x", " ", "&lt", "&#33;",
])


@settings(max_examples=500, deadline=None, database=None)
@given(parts=st.lists(ENTITY_PARTS, max_size=12))
def test_reuters_unescape_is_html_unescape(parts: list[str]) -> None:
    text = "".join(parts)
    assert _unescape(text) == html.unescape(text)


def _reference_content_hash(article: Article) -> str:
    """The content hash as first written: field by field (changing it would make every stored article of
    an existing archive look changed on its next ingest)."""
    h = hashlib.sha256()
    for value in (
        article.source_id, article.headline, article.body, article.url, article.byline,
        utc_iso(article.published_at), article.section, article.language,
    ):
        h.update(b"\x00" if value is None else value.encode("utf-8", "surrogatepass") + b"\x1f")
    extras = (article.keywords, [(s.name, s.code) for s in article.subjects], article.extra)
    encoder = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str)
    h.update(encoder.encode(extras).encode("utf-8"))
    return h.hexdigest()


@EXAMPLES
@given(
    headline=st.text(min_size=1, max_size=20).filter(str.strip),
    body=st.text(max_size=40),
    source_id=st.none() | st.text(max_size=5),
    byline=st.none() | st.text(max_size=5),
    keywords=st.lists(st.text(max_size=5), max_size=3),
    extra=st.dictionaries(st.text(max_size=5), SCALAR, max_size=3),
)
def test_content_hash_is_unchanged(
    headline: str, body: str, source_id: str | None, byline: str | None, keywords: list[str],
    extra: dict[str, Any],
) -> None:
    article = Article(  # not create(): that would hash it already
        id="wire:x", source="wire", source_id=source_id, headline=headline, body=body, byline=byline,
        keywords=keywords, subjects=[Subject(code="c:1"), Subject(name="n")], extra=extra,
        published_at=datetime(2024, 1, 1, 10, tzinfo=timezone(timedelta(hours=1))),
    )
    assert _hash_or_error(_content_hash, article) == _hash_or_error(_reference_content_hash, article)


def _hash_or_error(fn: Any, article: Article) -> str:
    try:
        return str(fn(article))
    except UnicodeEncodeError as exc:  # an unpaired surrogate in extra: both refuse it the same way
        return f"error: {exc.reason}"


# -- transactions ---------------------------------------------------------------------------------------


def _chunk_stream(n: int, size: int, fail_after: int | None = None) -> Iterator[tuple[str, list[_Item]]]:
    conf = Settings(home=Path("/nonexistent")).ingest
    items: list[tuple[str, _Item]] = []
    for i in range(n):
        article = to_article({"id": i, "headline": f"Story {i}", "body": f"Body {i}"}, settings=conf,
                             default_source="wire")
        items.append(("wire.jsonl", (SQLiteStore.encode(article), f"line {i + 1}")))
    for k, chunk in enumerate(_chunks(iter(items), size)):
        if fail_after is not None and k == fail_after:
            raise OSError("disk gone")
        yield chunk


def _ends(n: int, size: int) -> list[int]:
    """Row counts at which a chunk ends."""
    ends, total = [], 0
    for _, chunk in _chunk_stream(n, size):
        total += len(chunk)
        ends.append(total)
    return ends


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ArticleStore]:
    s = open_store(Settings(home=tmp_path))
    yield s
    s.close()


def _spy_commits(store: ArticleStore, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Rows stored after each commit of an outer transaction."""
    commits: list[int] = []
    real = store.transaction

    def counting() -> Any:
        outer = store._depth == 0  # type: ignore[attr-defined]
        ctx = real()

        class Spy:
            def __enter__(self) -> None:
                ctx.__enter__()

            def __exit__(self, *exc: Any) -> Any:
                result = ctx.__exit__(*exc)
                if outer and exc[0] is None:
                    commits.append(store.count())
                return result

        return Spy()

    monkeypatch.setattr(store, "transaction", counting)
    return commits


def test_transactions_group_whole_chunks(store: ArticleStore, monkeypatch: pytest.MonkeyPatch) -> None:
    commits = _spy_commits(store, monkeypatch)
    report = IngestReport()
    _store(_chunk_stream(3000, 100), lambda: True, store, report, True, None)
    assert (report.read, report.inserted) == (3000, 3000)
    ends = _ends(3000, 100)
    assert commits[0] == ends[0]  # the first chunk on its own
    assert set(commits) <= set(ends) and commits == sorted(commits) and commits[-1] == 3000
    assert len(commits) <= len(ends) // 4  # far fewer transactions than chunks


def test_transactions_end_when_the_next_chunk_is_not_ready(
    store: ArticleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    commits = _spy_commits(store, monkeypatch)
    _store(_chunk_stream(3000, 100), lambda: False, store, IngestReport(), True, None)
    assert commits == _ends(3000, 100)  # the writer would wait: it commits each chunk while it waits


def test_reader_failure_keeps_the_chunks_written_before_it(store: ArticleStore) -> None:
    report = IngestReport()
    with pytest.raises(OSError, match="disk gone"):
        _store(_chunk_stream(3000, 100, fail_after=12), lambda: True, store, report, True, None)
    assert store.count() == report.inserted == _ends(3000, 100)[11]  # all twelve chunks read


def test_write_failure_rolls_back_its_whole_transaction(
    store: ArticleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    commits = _spy_commits(store, monkeypatch)
    real = store.upsert_encoded
    calls = 0

    def failing(articles: Any, *, dedupe: bool = True) -> Any:
        nonlocal calls
        calls += 1
        if calls == 6:  # the sixth chunk
            real(articles[:10], dedupe=dedupe)  # half written, then it fails
            raise RuntimeError("write failed")
        return real(articles, dedupe=dedupe)

    monkeypatch.setattr(store, "upsert_encoded", failing)
    with pytest.raises(RuntimeError, match="write failed"):
        _store(_chunk_stream(3000, 100), lambda: True, store, IngestReport(), True, None)
    ends = _ends(3000, 100)
    # The failing transaction also held the fifth chunk, written whole: it is not kept either.
    assert 0 < commits[-1] < ends[4]
    assert store.count() == commits[-1]


# -- text folders -----------------------------------------------------------------------------------------

NAMES = st.sampled_from([
    "a", "a.txt", "a-b", "a b.txt", "b.txt", ".txt", ".hidden.txt", "x.TXT", "x.txt.bak", "é.txt", "Z.txt",
    "sub", "sub.txt", "001.txt", "10.txt", "2.txt",
])


@settings(max_examples=150, deadline=None, database=None)
@given(tree=st.lists(st.tuples(st.lists(NAMES, min_size=1, max_size=3), st.sampled_from(
    ["file", "dir", "link-to-dir", "link-to-file", "broken-link"]
)), max_size=12))
def test_text_folder_listing_is_sorted_rglob(tree: list[tuple[list[str], str]]) -> None:
    import os
    import tempfile

    from newsdesk.ingest.readers.textdir import _text_files

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        (root / "target-dir").mkdir()
        (root / "target-dir" / "inside.txt").write_text("H\nB")
        for parts, kind in tree:
            path = root.joinpath(*parts)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.exists() or path.is_symlink():
                    continue
                if kind == "file":
                    path.write_text("Headline\nBody")
                elif kind == "dir":
                    path.mkdir()
                elif kind == "link-to-dir":
                    os.symlink(root / "target-dir", path)
                elif kind == "link-to-file":
                    os.symlink(root / "target-dir" / "inside.txt", path)
                else:
                    os.symlink(root / "nowhere", path)
            except (FileExistsError, NotADirectoryError):
                continue  # a file already sits where this needs a folder
        expected = [p.relative_to(root).parts for p in sorted(root.rglob("*.txt"))]
        assert _text_files(root) == expected
