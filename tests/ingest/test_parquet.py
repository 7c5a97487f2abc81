"""Parquet: an export comes back as it went out (ids, hashes, fields, enrichments, vectors), in bounded
batches, and a bad row is reported by its field like in every other format."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newsdesk.articles.model import Enrichment
from newsdesk.errors import InvalidInput
from newsdesk.ingest import ingest
from newsdesk.ingest.enrichments import import_enrichments
from newsdesk.ingest.readers import detect
from newsdesk.settings import Settings
from newsdesk.store import ArticleFilter, ArticleStore, open_store
from newsdesk.store.base import EnrichmentWrite
from newsdesk.store.parquet import MANIFEST, export_parquet

# The workspace fixtures (ws: one per test; pws: one per parallel mode) are in conftest.py.
Workspace = Any
DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def fresh(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Settings, ArticleStore]]:
    """A second, empty store on the same engine: where an export is ingested."""
    url = request.getfixturevalue("pg_databases").create() if backend == "postgresql" else None
    settings = Settings(home=tmp_path / "fresh", store={"url": url})
    store = open_store(settings)
    yield settings, store
    store.close()
    if url is not None:
        request.getfixturevalue("pg_databases").drop(url)


def filled(ws: Workspace, make_article: Any) -> list[str]:
    """The committed fixtures and a few articles that use every field; their ids."""
    varied = [
        make_article(
            1,
            subjects=["medtop:04000000", {"name": "Harbour", "code": "x:1"}],
            byline="A. Writer",
            extra={"desk": "night", "nested": {"n": [1, 2.5, None, True]}, "ünï": "cödé"},
        ),
        make_article(2, published_at="2024-03-01T12:00:00.123456+05:30", section="Local", language="en-GB"),
        make_article(3, published_at=None, url=None, keywords=[], language=None, body=""),
        {"headline": "No id: the content hash makes it", "body": "Über  spaces\tand\nlines"},
    ]
    report = ws.ingest(DATA / "bbc", DATA / "valley-herald.jsonl", ws.jsonl("varied.jsonl", varied))
    assert report.rejected == 0 and report.inserted >= 15
    return ws.store.ids()


def snapshot(store: ArticleStore) -> dict[str, tuple[str, dict[str, Any]]]:
    return {a.id: (a.content_hash, {"source": a.source, **a.content_fields()}) for a in store.iter_articles()}


def test_an_export_ingests_into_a_fresh_store_with_the_same_ids_hashes_and_fields(
    pws: Workspace, make_article: Any, fresh: tuple[Settings, ArticleStore], tmp_path: Path
) -> None:
    filled(pws, make_article)
    out = tmp_path / "export"
    report = export_parquet(pws.store, out)
    assert report.articles == pws.store.count()
    assert detect(out) == "parquet"
    settings, store = fresh
    settings.ingest.parallel = pws.settings.ingest.parallel
    first = ingest([out], store, settings=settings)
    assert (first.inserted, first.rejected, first.errors) == (report.articles, 0, [])
    assert snapshot(store) == snapshot(pws.store)
    again = ingest([out], store, settings=settings, format="parquet")
    assert (again.read, again.unchanged, again.inserted, again.updated) == (
        report.articles,
        report.articles,
        0,
        0,
    )
    home = pws.ingest(out)  # and into the archive it came from
    assert home.unchanged == report.articles


def test_enrichments_and_vectors_come_back_traceable(
    ws: Workspace, make_article: Any, fresh: tuple[Settings, ArticleStore], tmp_path: Path
) -> None:
    ids = filled(ws, make_article)
    rng = np.random.default_rng(7)
    when = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    writes = []
    for n, article in enumerate(ws.store.get_many(ids)):
        current = article.content_hash if n % 4 else "an-older-content-hash"  # every fourth one is stale
        outputs = [
            Enrichment(
                component="tags",
                version="2",
                value={"labels": ["a", n], "ü": None},
                confidence=n / 10,
                created_at=when,
                input_hash=current,
            ),
            Enrichment(component="summary", version="1.0", value="Short.", created_at=when, input_hash=None),
        ]
        vectors = {"mini/lm@1": rng.standard_normal(8).astype(np.float32)}
        if n % 2:
            vectors["other"] = rng.standard_normal(3).astype(np.float32)
        writes.append(EnrichmentWrite(article.id, outputs, vectors))
    ws.store.write_enrichments(writes)
    out = tmp_path / "export"
    report = export_parquet(ws.store, out, enrichments=True, vectors=True, batch_size=4)
    assert report.enrichments == 2 * len(ids)
    assert report.vectors == {"mini/lm@1": len(ids), "other": len(ids) // 2}
    settings, store = fresh
    ingest([out], store, settings=settings)
    imported = import_enrichments(out, store, batch_size=5)
    assert (imported.enrichments, imported.missing, imported.errors) == (2 * len(ids), 0, [])
    for article_id in ids:
        assert store.get(article_id).enrichments == ws.store.get(article_id).enrichments
    assert store.stale("tags", "2") == ws.store.stale("tags", "2") != []
    for model in ("mini/lm@1", "other"):
        want_ids, want = ws.store.get_vectors(model)
        got_ids, got = store.get_vectors(model)
        assert got_ids == want_ids and got.dtype == np.float32
        np.testing.assert_array_equal(got, want)


def test_outputs_of_articles_not_in_the_store_are_counted_not_written(
    ws: Workspace, make_article: Any, fresh: tuple[Settings, ArticleStore], tmp_path: Path
) -> None:
    ids = filled(ws, make_article)
    when = datetime.now(UTC)
    ws.store.write_enrichments(
        [EnrichmentWrite(i, [Enrichment(component="c", version="1", value=1, created_at=when)]) for i in ids]
    )
    out = tmp_path / "export"
    export_parquet(ws.store, out, enrichments=True)
    _, store = fresh  # no articles ingested
    imported = import_enrichments(out, store)
    assert (imported.read, imported.missing) == (len(ids), len(ids))
    assert store.enrichments_of("c", ids) == {}


def test_a_bad_row_is_reported_by_field_and_the_good_rows_are_stored(ws: Workspace) -> None:
    path = ws.root / "lake.parquet"
    table = pa.table(
        {
            "id": ["1", "2", "3", "4", "5"],
            "title": ["Fine", "", "Bad url", "Bad extra", "A day"],  # an alias of headline
            "body": ["text"] * 5,
            "url": [None, None, "ftp://nope", None, None],
            "extra": [None, None, None, "{not json", '{"k": 1}'],
            "published_at": [None, None, None, None, "2024-05-01"],
            "desk": ["a", "b", "c", "d", "e"],  # unknown: goes to extra
        }
    )
    pq.write_table(table, path)
    report = ws.ingest(path, source="lake")
    assert (report.read, report.inserted, report.rejected) == (5, 2, 3)
    errors = {e.location: e for e in report.errors}
    assert errors["row 2"].field == "headline" and "non-empty string" in errors["row 2"].message
    assert (errors["row 3"].field, errors["row 3"].value) == ("url", "ftp://nope")
    assert "http(s) URL" in errors["row 3"].message
    assert errors["row 4"].field == "extra" and "JSON" in errors["row 4"].message
    fine = ws.store.get("lake:5", with_enrichments=False)
    assert fine.extra == {"k": 1, "desk": "e"} and fine.published_at is not None


def test_a_date_column_and_a_column_map(ws: Workspace) -> None:
    path = ws.root / "dated.parquet"
    pq.write_table(
        pa.table({"key": ["x"], "title": ["Dated"], "day": pa.array([datetime(2024, 5, 1).date()])}), path
    )
    report = ws.ingest(path, source="lake", column_map={"key": "source_id", "day": "published_at"})
    assert report.inserted == 1
    article = ws.store.get("lake:x", with_enrichments=False)
    assert article.published_at is not None and article.published_at.date().isoformat() == "2024-05-01"


def test_an_unreadable_file_is_reported_not_dropped(ws: Workspace) -> None:
    path = ws.file("broken.parquet", b"PAR1 this is not really parquet PAR1")
    report = ws.ingest(path)
    assert report.rejected == 1 and "not a readable Parquet file" in report.errors[0].message


def test_a_part_file_of_enrichments_is_refused_as_articles(
    ws: Workspace, make_article: Any, tmp_path: Path
) -> None:
    ids = filled(ws, make_article)
    ws.store.write_enrichments(
        [
            EnrichmentWrite(
                ids[0], [Enrichment(component="c", version="1", value=1, created_at=datetime.now(UTC))]
            )
        ]
    )
    out = tmp_path / "export"
    export_parquet(ws.store, out, enrichments=True)
    report = ws.ingest(out / "enrichments" / "part-00000.parquet")
    assert report.rejected == 1 and "--with-enrichments" in report.errors[0].message


def test_a_bad_enrichment_row_is_reported_by_field(ws: Workspace, make_article: Any, tmp_path: Path) -> None:
    ids = filled(ws, make_article)
    when = datetime.now(UTC)
    ws.store.write_enrichments(
        [
            EnrichmentWrite(i, [Enrichment(component="c", version="1", value=[i], created_at=when)])
            for i in ids[:3]
        ]
    )
    out = tmp_path / "export"
    export_parquet(ws.store, out, enrichments=True)
    part = out / "enrichments" / "part-00000.parquet"
    table = pq.read_table(part)
    components = table.column("component").to_pylist()
    components[1] = ""
    values = table.column("value").to_pylist()
    values[2] = "{broken"
    table = table.set_column(1, table.schema.field("component"), pa.array(components))
    table = table.set_column(4, table.schema.field("value"), pa.array(values))
    pq.write_table(table, part)
    imported = import_enrichments(out, ws.store)
    assert imported.rejected == 2 and imported.enrichments == 1
    assert [(e.location, e.field, e.value) for e in imported.errors] == [
        ("row 2", "component", ""),
        ("row 3", "value", "{broken"),
    ]
    assert "non-empty string" in imported.errors[0].message


def test_export_streams_in_row_groups_and_part_files(
    ws: Workspace, tmp_path: Path, make_article: Any
) -> None:
    ws.ingest(ws.jsonl("many.jsonl", [make_article(n) for n in range(25)]))
    out = tmp_path / "export"
    written_when: dict[int, list[str]] = {}  # articles read so far -> part files on disk at that moment
    real = ws.store.iter_articles

    def watched(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for n, article in enumerate(real(*args, **kwargs), start=1):
            written_when[n] = sorted(p.name for p in out.glob("articles/*.parquet"))
            yield article

    ws.store.iter_articles = watched
    report = export_parquet(ws.store, out, batch_size=10, rows_per_file=20)
    assert report.articles == 25 and len(written_when) == 25
    # written while reading: the first part file exists once the first batch of 10 is read
    assert written_when[10] == [] and written_when[11] == ["part-00000.parquet"]
    files = sorted((out / "articles").glob("*.parquet"))
    assert [f.name for f in files] == ["part-00000.parquet", "part-00001.parquet"]
    groups = [
        [pq.ParquetFile(f).metadata.row_group(i).num_rows for i in range(pq.ParquetFile(f).num_row_groups)]
        for f in files
    ]
    assert groups == [[10, 10], [5]]
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["format_version"] == 1 and manifest["datasets"]["articles"]["rows"] == 25
    assert manifest["datasets"]["articles"]["files"] == [
        "articles/part-00000.parquet",
        "articles/part-00001.parquet",
    ]
    assert manifest["datasets"]["articles"]["schema"]["published_at"] == "timestamp[us, tz=UTC]"


def test_export_filters_and_refuses_a_folder_in_use(ws: Workspace, make_article: Any, tmp_path: Path) -> None:
    filled(ws, make_article)
    out = tmp_path / "sport"
    report = export_parquet(ws.store, out, filt=ArticleFilter(section="sport"))
    assert report.articles == ws.store.count(ArticleFilter(section="sport")) > 0
    assert set(pq.read_table(out / "articles").column("section").to_pylist()) == {"sport"}
    with pytest.raises(InvalidInput, match="a new or empty folder"):
        export_parquet(ws.store, out)
    with pytest.raises(InvalidInput, match="newsdesk export"):
        import_enrichments(tmp_path, ws.store)


def test_a_parquet_file_is_detected_by_suffix_or_magic(tmp_path: Path) -> None:
    pq.write_table(pa.table({"headline": ["x"]}), tmp_path / "a.parquet")
    (tmp_path / "no-suffix").write_bytes((tmp_path / "a.parquet").read_bytes())
    assert detect(tmp_path / "a.parquet") == detect(tmp_path / "no-suffix") == "parquet"
    assert detect(tmp_path) == "textdir"  # a plain folder: its files are read one by one
