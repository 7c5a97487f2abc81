"""Parquet export and re-ingest throughput, with peak memory, against pyarrow doing the same I/O directly.

The archive of ``--home`` (its SQLite file, opened read-only: never written) is first copied, ``--limit``
articles of it (all without one) and with ``--vectors`` their vectors, into a store in a temporary folder;
then each phase runs in a fresh process of its own, so that its peak RSS is its own:

- **export**: ``export_parquet`` of that store (articles, and vectors with ``--vectors``), store to files;
- **pyarrow write**: the exported articles, already in memory as an Arrow table (read before the clock
  starts), written again with ``ParquetWriter`` in the same row groups and compression: the floor of
  writing those rows;
- **ingest**: ``ingest`` of the export folder into an empty store (read, validate, hash, upsert, full-text
  index; settings as they are, so a big export is parsed in a second process), and with ``--vectors``
  ``import_enrichments`` of its vectors, timed apart;
- **read + validate**: ingest without the store: the ``parquet`` reader's records through ``to_article``
  (validation, ids, hashes), nothing written;
- **pyarrow read**: the same articles files read with ``iter_batches`` into Python rows (``to_pylist``):
  the floor of any reader that hands rows to Python (the baseline of both ingest and read + validate).

Each phase imports pyarrow before its clock starts (a one-time 1-2 s: pyarrow imports pandas on its first
array). Ratios are the baseline's time over newsdesk's (newsdesk's speed as a fraction of pyarrow's). Peak
RSS is the phase process's maximum resident set (with its children's, for ingest's reader process).

    python benchmarks/parquet_io.py --home .newsdesk/bench/search --limit 20000 [--vectors] [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from newsdesk import Settings, open_store
from newsdesk.store.base import EnrichmentWrite
from newsdesk.store.rows import ARTICLE_COLUMNS, article

BATCH = 10_000


def _warm() -> None:
    """Import pyarrow and make a first array before a clock starts: that costs 1-2 s once per process
    (pyarrow then imports pandas), in newsdesk and the baseline alike, and is not throughput."""
    import pyarrow as pa

    pa.array([0])


def _peak_mib(children: bool = False) -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if children:
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return round(peak / 1024, 1)


def copy_archive(source_db: Path, home: Path, limit: int | None, vectors: bool) -> tuple[int, int]:
    """The first ``limit`` articles (by id) of the read-only ``source_db``, and their vectors, into a store
    at ``home``; (articles, vectors) copied."""
    conn = sqlite3.connect(f"file:{source_db}?mode=ro", uri=True)
    store = open_store(Settings(home=home, store={"url": None}))
    articles = copied_vectors = 0
    last = ""
    try:
        while limit is None or articles < limit:
            take = BATCH if limit is None else min(BATCH, limit - articles)
            rows = conn.execute(
                f"SELECT {', '.join(ARTICLE_COLUMNS)} FROM articles WHERE id > ? ORDER BY id LIMIT ?",
                (last, take),
            ).fetchall()
            if not rows:
                break
            batch = [article(r) for r in rows]
            with store.transaction():
                store.upsert(batch, dedupe=False)
            articles += len(batch)
            last = batch[-1].id
            if vectors:
                import numpy as np

                found = conn.execute(
                    "SELECT article_id, model, vector FROM vectors WHERE article_id >= ? AND article_id <= ?",
                    (batch[0].id, last),
                ).fetchall()
                store.write_enrichments(
                    [EnrichmentWrite(a, [], {m: np.frombuffer(v, dtype=np.float32)}) for a, m, v in found]
                )
                copied_vectors += len(found)
    finally:
        store.close()
        conn.close()
    return articles, copied_vectors


def phase_export(home: Path, out: Path, vectors: bool) -> dict[str, Any]:
    from newsdesk.store.parquet import export_parquet

    store = open_store(Settings(home=home, store={"url": None}))
    _warm()
    start = time.perf_counter()
    report = export_parquet(store, out, vectors=vectors, batch_size=BATCH)
    seconds = time.perf_counter() - start
    store.close()
    size = sum(p.stat().st_size for p in out.rglob("*.parquet"))
    return {
        "seconds": seconds,
        "rows": report.articles,
        "vectors": report.vectors,
        "mib": size / 2**20,
        "peak_rss_mib": _peak_mib(),
    }


def phase_pyarrow_write(out: Path, target: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq

    table = pq.read_table(out / "articles")  # outside the clock
    schema = pq.ParquetFile(next((out / "articles").glob("*.parquet"))).schema_arrow
    table = table.cast(schema)
    start = time.perf_counter()
    target.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(target / "part-00000.parquet", schema, compression="zstd") as writer:
        for offset in range(0, table.num_rows, BATCH):
            writer.write_table(table.slice(offset, BATCH), row_group_size=BATCH)
    return {"seconds": time.perf_counter() - start, "rows": table.num_rows, "peak_rss_mib": _peak_mib()}


def phase_ingest(out: Path, home: Path) -> dict[str, Any]:
    from newsdesk.ingest import ingest

    # the archive may hold articles with the same text under two ids (stored with dedupe off): keep them all
    settings = Settings(home=home, store={"url": None}, ingest={"dedupe": "none"})
    store = open_store(settings)
    _warm()
    start = time.perf_counter()
    report = ingest([out], store, settings=settings)
    seconds = time.perf_counter() - start
    store.close()
    assert report.rejected == 0 and not report.duplicates, (report.errors[:3], report.duplicates[:3])
    return {
        "seconds": seconds,
        "rows": report.inserted,
        "parallel": settings.ingest.parallel,
        "peak_rss_mib": _peak_mib(children=True),
    }


def phase_read_validate(out: Path) -> dict[str, Any]:
    from newsdesk.ingest.readers import ReaderOptions, get_reader
    from newsdesk.ingest.validate import to_article

    limits = Settings(home=out, store={"url": None}).ingest
    _warm()
    start = time.perf_counter()
    rows = 0
    for record in get_reader("parquet").read(out, ReaderOptions()):
        assert record.fields is not None, record
        to_article(record.fields, settings=limits, default_source="bench")
        rows += 1
    return {"seconds": time.perf_counter() - start, "rows": rows, "peak_rss_mib": _peak_mib()}


def phase_import_vectors(out: Path, home: Path) -> dict[str, Any]:
    from newsdesk.ingest.enrichments import import_enrichments

    store = open_store(Settings(home=home, store={"url": None}))
    _warm()
    start = time.perf_counter()
    report = import_enrichments(out, store)
    seconds = time.perf_counter() - start
    store.close()
    return {"seconds": seconds, "rows": sum(report.vectors.values()), "peak_rss_mib": _peak_mib()}


def phase_pyarrow_read(out: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq

    _warm()
    start = time.perf_counter()
    rows = 0
    for path in sorted((out / "articles").glob("*.parquet")):
        with pq.ParquetFile(path) as parquet:
            for batch in parquet.iter_batches(batch_size=2048):
                rows += len(batch.to_pylist())
    return {"seconds": time.perf_counter() - start, "rows": rows, "peak_rss_mib": _peak_mib()}


def _child(queue: Any, name: str, args: tuple[Any, ...]) -> None:
    queue.put(globals()[name](*args))


def in_process(name: str, *args: Any) -> dict[str, Any]:
    """Run the phase ``name`` in a fresh (spawned) process; its result."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue, name, args))
    proc.start()
    result: dict[str, Any] = queue.get()
    proc.join()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, default=Path(".newsdesk/bench/search"), help="archive to read")
    parser.add_argument("--limit", type=int, default=None, help="articles to take (default: all)")
    parser.add_argument("--vectors", action="store_true", help="also export and import the vectors")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    source_db = args.home / "newsdesk.sqlite3"
    if not source_db.is_file():
        print(f"no archive at {source_db}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="parquet-io-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        n, nv = copy_archive(source_db, root / "source", args.limit, args.vectors)
        prepared = time.perf_counter() - started
        out = root / "export"
        export = in_process("phase_export", root / "source", out, args.vectors)
        write = in_process("phase_pyarrow_write", out, root / "pyarrow-out")
        ingested = in_process("phase_ingest", out, root / "copy")
        validated = in_process("phase_read_validate", out)
        vectors = in_process("phase_import_vectors", out, root / "copy") if args.vectors else None
        read = in_process("phase_pyarrow_read", out)
    assert export["rows"] == ingested["rows"] == n, (export, ingested, n)
    summary = {
        "articles": n,
        "vectors": nv,
        "prepare_s": round(prepared, 1),
        "export_mib": round(export["mib"], 1),
        "export": _rates(export),
        "pyarrow_write": _rates(write),
        "export_ratio": round(write["seconds"] / export["seconds"], 3),
        "ingest": _rates(ingested),
        "pyarrow_read": _rates(read),
        "ingest_ratio": round(read["seconds"] / ingested["seconds"], 3),
        "read_validate": _rates(validated),
        "read_validate_ratio": round(read["seconds"] / validated["seconds"], 3),
        "import_vectors": _rates(vectors) if vectors else None,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"{n} articles ({nv} vectors) from {source_db}; export {summary['export_mib']} MiB of Parquet")
    for label, key in (
        ("export", "export"),
        ("  pyarrow write", "pyarrow_write"),
        ("ingest", "ingest"),
        ("  pyarrow read", "pyarrow_read"),
        ("read + validate", "read_validate"),
        ("import vectors", "import_vectors"),
    ):
        r = summary[key]
        if r:
            print(
                f"{label:>16}: {r['rows_per_s']:>9} rows/s ({r['seconds']} s), "
                f"peak RSS {r['peak_rss_mib']} MiB"
            )
    print(
        f"ratios (newsdesk speed / pyarrow speed): export {summary['export_ratio']}, "
        f"ingest {summary['ingest_ratio']}, read + validate {summary['read_validate_ratio']}"
    )
    return 0


def _rates(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "seconds": round(result["seconds"], 2),
        "rows_per_s": round(result["rows"] / result["seconds"], 1),
        "peak_rss_mib": result["peak_rss_mib"],
    }


if __name__ == "__main__":
    sys.exit(main())
