"""Ingest throughput: newsdesk end to end vs a plain sqlite3.executemany of the same rows.

newsdesk is timed from files on disk to committed rows: read, parse, validate, hash, de-duplicate, upsert,
full-text index. The baseline gets the same rows already parsed (prepared before its clock starts) and inserts
them with one ``executemany`` into the same schema (same table, indexes and FTS5 triggers) in one
transaction. Both start from an empty database in a fresh temporary folder.

    python benchmarks/ingest.py [--bbc PATH] [--reuters PATH] [--repeat N] [--json]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from newsdesk import Settings, open_store
from newsdesk.errors import DatasetNotFound
from newsdesk.evaluate.locate import find_dataset
from newsdesk.ingest import ingest
from newsdesk.ingest.readers import ReaderOptions, get_reader
from newsdesk.ingest.validate import RecordInvalid, to_article
from newsdesk.store.migrations import MIGRATIONS
from newsdesk.store.sqlite import _INSERT, SQLiteStore, _statements


def datasets(bbc: Path, reuters: Path) -> list[tuple[str, list[Path], str]]:
    return [
        ("bbc", [bbc], "textdir"),
        ("reuters21578", sorted(reuters.glob("reut2-*.sgm")), "reuters"),
    ]


def run_newsdesk(paths: list[Path], fmt: str, source: str) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home))
        store = open_store(settings)
        start = time.perf_counter()
        report = ingest(paths, store, settings=settings, format=fmt, source=source)
        elapsed = time.perf_counter() - start
        store.close()
    return elapsed, report.inserted


def prepare_rows(paths: list[Path], fmt: str, source: str) -> list[tuple[object, ...]]:
    """The rows newsdesk would insert, built outside the baseline's clock."""
    settings = Settings(home=Path(tempfile.gettempdir()))
    reader = get_reader(fmt)
    rows, seen_ids, seen_fp = [], set(), set()
    now = "2026-01-01T00:00:00+00:00"
    for path in paths:
        for rec in reader.read(path, ReaderOptions(source=source)):
            if rec.fields is None:
                continue
            try:
                art = to_article(rec.fields, settings=settings.ingest, default_source=source)
            except RecordInvalid:
                continue
            if art.id in seen_ids or art.fingerprint in seen_fp:
                continue
            seen_ids.add(art.id)
            seen_fp.add(art.fingerprint)
            rows.append((*SQLiteStore.encode(art).row, 1, now, now))
    return rows


def run_executemany(rows: list[tuple[object, ...]]) -> float:
    with tempfile.TemporaryDirectory() as home:
        conn = sqlite3.connect(Path(home) / "plain.sqlite3", isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        for statement in _statements(MIGRATIONS[0]):
            conn.execute(statement)
        start = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(_INSERT, rows)
        conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
        conn.close()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bbc", type=Path, help="default: bbc-news-summary/News Articles in the data folder")
    parser.add_argument("--reuters", type=Path, help="default: reuters21578 in the data folder")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each; the median is reported")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:  # the data folder, as newsdesk.evaluate.locate finds it
        args.bbc = args.bbc or find_dataset("bbc-news-summary/News Articles")
        args.reuters = args.reuters or find_dataset("reuters21578")
    except DatasetNotFound as exc:
        print(exc, file=sys.stderr)
        return 2
    if not args.bbc.is_dir() or not args.reuters.is_dir():
        print(f"datasets not found: {args.bbc} / {args.reuters}", file=sys.stderr)
        return 2
    results = []
    for name, paths, fmt in datasets(args.bbc, args.reuters):
        rows = prepare_rows(paths, fmt, name)
        # Interleaved (newsdesk, executemany, newsdesk, ...) so slow spells of a shared machine hit both.
        nd, base = [], []
        for _ in range(args.repeat):
            nd.append(run_newsdesk(paths, fmt, name))
            base.append(run_executemany(rows))
        nd_s = statistics.median(t for t, _ in nd)
        base_s = statistics.median(base)
        stored = nd[0][1]
        assert stored == len(rows), (stored, len(rows))
        results.append(
            {
                "dataset": name,
                "articles": stored,
                "newsdesk_s": round(nd_s, 3),
                "newsdesk_articles_per_s": round(stored / nd_s, 1),
                "executemany_s": round(base_s, 3),
                "executemany_articles_per_s": round(len(rows) / base_s, 1),
                "ratio": round(base_s / nd_s, 3),
            }
        )
    total_nd = sum(r["newsdesk_s"] for r in results)
    total_base = sum(r["executemany_s"] for r in results)
    summary = {"results": results, "ratio_overall": round(total_base / total_nd, 3), "target": 0.8}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for r in results:
            print(
                f"{r['dataset']:>13}: {r['articles']:>6} articles | "
                f"newsdesk {r['newsdesk_articles_per_s']:>8} "
                f"art/s ({r['newsdesk_s']} s) | executemany {r['executemany_articles_per_s']:>8} art/s "
                f"({r['executemany_s']} s) | ratio {r['ratio']}"
            )
        print(
            f"overall ratio (newsdesk speed / executemany speed): {summary['ratio_overall']} (target >= 0.8)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
