"""SQLite and PostgreSQL + pgvector on the same archive, in one run: ingest, hybrid search, a load test.

The archive is search.py's (default 100,000 articles: real BBC, AG News and Reuters articles with their real
MiniLM vectors, plus synthetic rewrites), built once into ``--workdir`` by :func:`search.build` and reused.
The run starts a private PostgreSQL 18 + pgvector server
(:class:`~newsdesk.store.embedded_pg.EmbeddedPostgres`) in a temporary folder and stops it at the end,
whatever happens.

1. **Ingest** (articles/s). The archive's articles are read back from the SQLite workspace in their stored
   order and encoded before any clock starts; every side writes exactly these rows into an empty database:

   - *newsdesk*: the store's own write path, ``upsert_encoded`` in batches of ``ingest.batch_size`` (one
     transaction each, as ``newsdesk ingest`` does), into the full schema (keys, indexes, full text: FTS5
     triggers on SQLite, the generated ``tsvector`` and its GIN index on PostgreSQL). ``dedupe`` is off: the
     synthetic rewrites share their originals' fingerprints and would otherwise not be stored at all;
   - *bare* (the baseline): one plain ``COPY`` (PostgreSQL) or ``executemany`` INSERT (SQLite) of the same
     rows in one transaction into a table with the same columns and types but no keys, indexes or full text;
   - *schema*: the same plain ``COPY`` / ``executemany`` into the full schema (for SQLite, ingest.py's
     baseline), which tells the schema's cost (full-text indexing) from the store code's.

   The sides run interleaved (``--repeat`` rounds; medians). Target: newsdesk >= 0.8 of the bare baseline's
   speed on each engine.
2. **Search**. The archive is copied into a PostgreSQL database through the store API (the ingest above,
   then the vectors with ``write_enrichments``, which also builds pgvector's HNSW index), and a
   :class:`~newsdesk.search.Searcher` runs over each backend as shipped (vectors from the faiss HNSW index,
   full text from the in-memory BM25 mirror; on PostgreSQL both are built from the database on first sync).
   The same ``--queries`` headlines (search.py's) go to every side, interleaved query by query and embedded
   before timing. Recall@10 is measured against *exact*, search.py's reference: brute-force numpy vectors
   and SQLite FTS5's own BM25. Also measured: a PostgreSQL searcher whose full text comes from the
   database (``search.text_index`` off: ``ts_rank`` over the tsvector), and each PostgreSQL-native
   retriever alone at the fusion depth (100): ``store.search_text`` (tsvector) against FTS5, and
   ``store.nearest`` (pgvector HNSW) against exact numpy and the faiss index. Target: PostgreSQL hybrid p99
   <= 2x SQLite's at recall@10 >= 0.98. The database is ``VACUUM ANALYZE``d first, as autovacuum would
   after a bulk load. The slowest query of each native retriever is then run once more with ``auto_explain``
   on, and its plan (``EXPLAIN ANALYZE``, buffers) kept in the output.
3. **Load test**: search.py's open-loop load test (``--rate`` requests/s for ``--duration`` s) against
   ``newsdesk serve --workers 2`` over SQLite and then over PostgreSQL (``NEWSDESK_STORE__URL`` set for the
   served processes). Target on PostgreSQL: p99 <= 50 ms with 0 errors.

    python benchmarks/backends.py [--articles N] [--queries N] [--workdir DIR] [--repeat N] [--rate R]
                                  [--duration S] [--skip-load] [--json]

A smaller ``--articles`` rebuilds the archive in ``--workdir``: give such runs their own ``--workdir``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from ingest import run_executemany
from newsdesk.store.base import EncodedArticle, EnrichmentWrite
from newsdesk.store.rows import ARTICLE_COLUMNS, encode
from search import ROOT, _settings, build, load_test

_COLUMNS = ", ".join(ARTICLE_COLUMNS)
_BARE = f"CREATE TABLE bare AS SELECT {_COLUMNS} FROM articles WHERE false"
_VECTOR = re.compile(r"'\[[-+0-9.e,]+\]'")  # a query vector in a logged plan: elided
_EXPLAINED = ("auto_explain.log_analyze", "auto_explain.log_buffers", "auto_explain.log_timing")


# -- ingest ---------------------------------------------------------------------------------------------
def archive_articles(store: Any) -> list[EncodedArticle]:
    """Every article of ``store``, encoded, in its stored order (so every copy breaks ties the same way)."""
    stamps = store.text_stamps()
    ids = sorted(stamps, key=lambda a: stamps[a][0])
    out: list[EncodedArticle] = []
    for start in range(0, len(ids), 2000):
        out.extend(encode(a) for a in store.get_many(ids[start : start + 2000]))
    return out


def write_articles(store: Any, articles: Sequence[EncodedArticle], batch: int) -> float:
    """newsdesk's write path, as ``newsdesk ingest`` drives it: seconds."""
    start = time.perf_counter()
    for i in range(0, len(articles), batch):
        store.upsert_encoded(articles[i : i + batch], dedupe=False)
    return time.perf_counter() - start


def pg_copy(url: str, rows: Sequence[tuple[Any, ...]], table: str) -> float:
    """One plain ``COPY`` of ``rows`` into ``table`` in one transaction: seconds."""
    import psycopg

    with psycopg.connect(url, options="-c timezone=UTC") as conn:
        start = time.perf_counter()
        with conn.cursor() as cur, cur.copy(f"COPY {table} ({_COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - start


def sqlite_bare(folder: Path, rows: Sequence[tuple[Any, ...]]) -> float:
    """One plain ``executemany`` of ``rows`` into a bare table (same columns and types): seconds."""
    from newsdesk.store.migrations import MIGRATIONS
    from newsdesk.store.sqlite import _statements

    path = folder / "bare.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        for statement in _statements(MIGRATIONS[0]):
            conn.execute(statement)
        conn.execute(_BARE)
        insert = f"INSERT INTO bare ({_COLUMNS}) VALUES ({', '.join('?' * len(ARTICLE_COLUMNS))})"
        start = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(insert, rows)
        conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        conn.close()
        for file in folder.glob("bare.sqlite3*"):
            file.unlink()


def _open(url: str, home: Path) -> Any:
    from newsdesk.settings import Settings
    from newsdesk.store import open_store

    return open_store(Settings(home=home, store={"url": url}))


def _store_write(url: str, home: Path, articles: Sequence[EncodedArticle], batch: int) -> float:
    store = _open(url, home)  # migrations and the connection pool outside the clock
    try:
        return write_articles(store, articles, batch)
    finally:
        store.close()


def _pg_bare(url: str, rows: Sequence[tuple[Any, ...]]) -> float:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(_BARE)
    return pg_copy(url, rows, "bare")


def measure_ingest(
    server: Any, tmp: Path, articles: Sequence[EncodedArticle], repeat: int, batch: int
) -> tuple[dict[str, Any], str]:
    """Both engines' write paths and baselines, interleaved (the order flips every round); also the URL of
    the last PostgreSQL database newsdesk wrote, kept for the search benchmark."""
    now = datetime.now(UTC).isoformat()
    rows = [(*a.row, 1, now, now) for a in articles]
    times: dict[str, list[float]] = {}
    kept = ""
    for r in range(repeat):
        if kept:
            server.psql(f'DROP DATABASE IF EXISTS "archive{r - 1}" WITH (FORCE)')
        kept = server.create_database(f"archive{r}")
        baseline = server.create_database("baseline")
        _open(baseline, tmp).close()  # the schema, for the bare table's column types and the schema run
        sq_url = f"sqlite:///{tmp / f'ingest{r}.sqlite3'}"
        runs: list[tuple[str, Callable[[], float]]] = [
            ("postgres-newsdesk", partial(_store_write, kept, tmp, articles, batch)),
            ("postgres-bare", partial(_pg_bare, baseline, rows)),
            ("postgres-schema", partial(pg_copy, baseline, rows, "articles")),
            ("sqlite-newsdesk", partial(_store_write, sq_url, tmp, articles, batch)),
            ("sqlite-bare", partial(sqlite_bare, tmp, rows)),
            ("sqlite-schema", partial(run_executemany, rows)),
        ]
        for name, run in runs if r % 2 == 0 else runs[::-1]:
            times.setdefault(name, []).append(run())
            print(f"ingest round {r + 1}: {name} {times[name][-1]:.2f} s", file=sys.stderr)
        for file in tmp.glob(f"ingest{r}.sqlite3*"):
            file.unlink()
        server.psql('DROP DATABASE IF EXISTS "baseline" WITH (FORCE)')
    n = len(articles)
    out: dict[str, Any] = {"articles": n, "batch_size": batch, "rounds": repeat}
    for name, values in times.items():
        median = statistics.median(values)
        out[name] = {"seconds": round(median, 2), "articles_per_s": round(n / median, 1)}
    for engine in ("postgres", "sqlite"):
        mine = out[f"{engine}-newsdesk"]["seconds"]
        out[f"{engine}_ratio_vs_bare"] = round(out[f"{engine}-bare"]["seconds"] / mine, 3)
        out[f"{engine}_ratio_vs_schema"] = round(out[f"{engine}-schema"]["seconds"] / mine, 3)
    return out, kept


# -- search ---------------------------------------------------------------------------------------------
def copy_vectors(source: Any, target: Any, model: str, batch: int = 1000) -> dict[str, Any]:
    """The archive's vectors into ``target`` through the store API (pgvector's HNSW index included)."""
    ids, matrix = source.get_vectors(model)
    start = time.perf_counter()
    for i in range(0, len(ids), batch):
        target.write_enrichments(
            [
                EnrichmentWrite(a, [], {model: v})
                for a, v in zip(ids[i : i + batch], matrix[i : i + batch], strict=True)
            ]
        )
    seconds = time.perf_counter() - start
    return {"vectors": len(ids), "seconds": round(seconds, 1), "vectors_per_s": round(len(ids) / seconds, 1)}


def _vacuum(url: str) -> float:
    import psycopg

    start = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return round(time.perf_counter() - start, 1)


def interleaved(
    calls: dict[str, Callable[[str], list[str]]], queries: Sequence[str], warm: int = 20
) -> tuple[dict[str, list[float]], dict[str, list[list[str]]]]:
    """Each query through every call in turn (the order rotating from query to query, so a slow spell of a
    shared machine hits all of them): milliseconds and the ids returned, by call. The first ``warm``
    queries go through once untimed (caches, prepared statements)."""
    for q in queries[:warm]:
        for call in calls.values():
            call(q)
    names = list(calls)
    times: dict[str, list[float]] = {n: [] for n in names}
    found: dict[str, list[list[str]]] = {n: [] for n in names}
    for i, q in enumerate(queries):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            start = time.perf_counter()
            ids = calls[name](q)
            times[name].append((time.perf_counter() - start) * 1000)
            found[name].append(ids)
    return times, found


def _latency(times: Sequence[float]) -> dict[str, float]:
    import numpy as np

    return {
        "p50_ms": round(float(np.percentile(times, 50)), 2),
        "p99_ms": round(float(np.percentile(times, 99)), 2),
        "mean_ms": round(float(np.mean(times)), 2),
    }


def _recall(got: Sequence[Sequence[str]], truth: Sequence[Sequence[str]], k: int = 10) -> float:
    shares = [len(set(a[:k]) & set(b[:k])) / max(1, len(b[:k])) for a, b in zip(got, truth, strict=True)]
    return round(sum(shares) / max(1, len(shares)), 4)


def measure_search(workdir: Path, pg_url: str, tmp: Path, queries: list[str]) -> dict[str, Any]:
    """Hybrid search and each retriever over SQLite and PostgreSQL, with the same queries, interleaved."""
    from newsdesk.search import Searcher, SearchQuery
    from newsdesk.search.text import query_terms
    from newsdesk.store import open_store

    sq_settings = _settings(workdir)
    sq_store = open_store(sq_settings)
    pg_settings = _settings(tmp / "pg-home")
    pg_settings.store.url = pg_url
    pg_store = open_store(pg_settings)
    try:
        sq = Searcher(sq_store, sq_settings)
        sq.sync()
        model = sq.model
        out: dict[str, Any] = {"vector_copy": copy_vectors(sq_store, pg_store, model)}
        out["vacuum_analyze_seconds"] = _vacuum(pg_url)
        # the exact reference (search.py's): brute-force vectors and FTS5's own BM25, its index kept apart
        exact = Searcher(
            sq_store, _settings(tmp / "exact-home", "exact", text_index=False), embedder=sq.embedder
        )
        exact.sync()
        pg = Searcher(pg_store, pg_settings, embedder=sq.embedder)
        start = time.perf_counter()
        pg.sync()  # the faiss index and the full-text mirror, built from PostgreSQL (saved for the load test)
        out["postgres_first_sync_seconds"] = round(time.perf_counter() - start, 1)
        db_text = _settings(tmp / "pg-home", text_index=False)
        db_text.store.url = pg_url
        pg_db_text = Searcher(pg_store, db_text, index=pg.index, embedder=sq.embedder)
        searchers = {"sqlite": sq, "postgres": pg, "exact": exact, "postgres-db-text": pg_db_text}
        for s in searchers.values():
            for q in queries:
                s.embed_query(q)
        vectors = {q: sq.embed_query(q) for q in queries}
        terms = {q: " ".join(query_terms(q)) for q in queries}

        def ids(hits: list[tuple[str, float]]) -> list[str]:
            return [a for a, _ in hits]

        retrievers: dict[str, Callable[[str], list[str]]] = {
            "sqlite-fts5": lambda q: ids(sq_store.search_text(terms[q], limit=100)),
            "postgres-tsvector": lambda q: ids(pg_store.search_text(terms[q], limit=100)),
            "exact-numpy": lambda q: ids(exact.index.search(vectors[q], 100)),
            "faiss-hnsw": lambda q: ids(pg.index.search(vectors[q], 100)),
            "pgvector-hnsw": lambda q: ids(pg_store.nearest(model, vectors[q], limit=100)),
        }
        times, found = interleaved(retrievers, queries)
        alone = {name: _latency(t) for name, t in times.items()}
        for name in ("faiss-hnsw", "pgvector-hnsw"):
            alone[name]["recall@10_vs_exact"] = _recall(found[name], found["exact-numpy"])
        alone["pgvector-hnsw"]["mean_results"] = round(
            sum(map(len, found["pgvector-hnsw"])) / len(queries), 1
        )
        alone["postgres-tsvector"]["overlap@10_vs_fts5"] = _recall(
            found["postgres-tsvector"], found["sqlite-fts5"]
        )
        out["retrievers"] = alone
        slowest = {
            name: queries[max(range(len(queries)), key=times[name].__getitem__)]
            for name in ("postgres-tsvector", "pgvector-hnsw")
        }
        ranked = {
            q: list(dict.fromkeys(a + b))
            for q, a, b in zip(queries, found["sqlite-fts5"], found["exact-numpy"], strict=True)
        }

        def top(searcher: Any) -> Callable[[str], list[str]]:
            return lambda q: [h.id for h in searcher.search(SearchQuery(q, limit=10)).results]

        times, found = interleaved({n: top(s) for n, s in searchers.items()}, queries)
        hybrid = {name: _latency(t) for name, t in times.items()}
        for name in searchers:
            hybrid[name]["recall@10_vs_exact"] = _recall(found[name], found["exact"])
        out["hybrid"] = hybrid
        out["hybrid_p99_ratio_postgres_vs_sqlite"] = round(
            hybrid["postgres"]["p99_ms"] / hybrid["sqlite"]["p99_ms"], 3
        )
        # what a hit costs to read on each engine: the page's rows, and the near-duplicate links of every
        # ranked candidate (both read by Searcher.search from the store)
        page = dict(zip(queries, found["exact"], strict=True))
        reads = {
            f"{engine}-{what}": call
            for engine, store in (("sqlite", sq_store), ("postgres", pg_store))
            for what, call in (
                ("briefs", lambda q, s=store: [b.id for b in s.briefs(page[q])]),
                ("links", lambda q, s=store: list(s.enrichments_of("near_duplicates", ranked[q]))),
                ("change-token", lambda q, s=store: [s.change_token()]),
            )
        }
        times, _ = interleaved(reads, queries)
        out["store_reads"] = {name: _latency(t) for name, t in times.items()}
        out["plans"] = explain(
            pg_url,
            tmp / "pg" / "server.log",
            {
                "postgres-tsvector": lambda s: s.search_text(terms[slowest["postgres-tsvector"]], limit=100),
                "pgvector-hnsw": lambda s: s.nearest(model, vectors[slowest["pgvector-hnsw"]], limit=100),
            },
        )
    finally:
        sq_store.close()
        pg_store.close()
    return out


def explain(url: str, log: Path, calls: dict[str, Callable[[Any], Any]]) -> dict[str, list[str]]:
    """Each call once more on a fresh connection with ``auto_explain`` on: its plan, as EXPLAIN (ANALYZE,
    BUFFERS) prints it, read back from the server's log."""
    import psycopg

    from newsdesk.store.postgres import PostgresStore

    name = url.rsplit("/", 1)[1]
    settings = [("session_preload_libraries", "auto_explain"), ("auto_explain.log_min_duration", "0")]
    settings += [(s, "on") for s in _EXPLAINED]
    plans: dict[str, list[str]] = {}
    with psycopg.connect(url, autocommit=True) as admin:
        for key, value in settings:
            admin.execute(f"ALTER DATABASE \"{name}\" SET {key} = '{value}'")
        try:
            for label, call in calls.items():
                before = log.stat().st_size
                store = PostgresStore(url, pool_size=1)
                try:
                    call(store)
                finally:
                    store.close()
                with log.open("rb") as f:
                    f.seek(before)
                    text = f.read().decode("utf-8", "replace")
                entries = re.split(r"\n(?=\d{4}-\d\d-\d\d \d)", text)
                chosen = [e for e in entries if "plan:" in e and ("ts_rank" in e or "<=>" in e)]
                lines = chosen[-1].splitlines()[:40] if chosen else ["(no plan logged)"]
                plans[label] = [_VECTOR.sub("'[...]'", line)[:300] for line in lines]
        finally:
            admin.execute(f'ALTER DATABASE "{name}" RESET ALL')
    return plans


# -- load test ----------------------------------------------------------------------------------------------
def serve_load(home: Path, url: str | None, queries: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """search.py's load test with the served processes on the store ``url`` (the workspace's own: None)."""
    saved = os.environ.pop("NEWSDESK_STORE__URL", None)
    if url is not None:
        os.environ["NEWSDESK_STORE__URL"] = url
    try:
        return load_test(home, queries, args.rate, args.duration, workers=args.workers)
    finally:
        os.environ.pop("NEWSDESK_STORE__URL", None)
        if saved is not None:
            os.environ["NEWSDESK_STORE__URL"] = saved


def main(argv: list[str] | None = None) -> int:
    from newsdesk.settings import Settings
    from newsdesk.store.embedded_pg import EmbeddedPostgres

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    # the archive as search.py builds it (same defaults, so both share one workdir)
    for flag, number in (("--articles", 100_000), ("--queries", 300), ("--reuters-limit", 4000)):
        parser.add_argument(flag, type=int, default=number)
    for flag, folder in (
        ("--bbc", "bbc-news-summary"),
        ("--ag", "ag-news"),
        ("--reuters", "reuters21578"),
        ("--xsum", "xsum-validation-1000"),
    ):
        parser.add_argument(
            flag, type=Path, help=f"default: {folder} in the data folder (newsdesk.evaluate.locate)"
        )
    parser.add_argument("--workdir", type=Path, default=ROOT / ".newsdesk" / "bench" / "search")
    parser.add_argument("--repeat", type=int, default=1, help="Ingest rounds (medians reported).")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=2, help="Server processes in the load test.")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from newsdesk.errors import DatasetNotFound
    from newsdesk.evaluate.locate import find_dataset

    for name, dataset in (
        ("ag", "ag-news"),
        ("reuters", "reuters21578"),
        ("xsum", "xsum-validation-1000"),
        ("bbc", "bbc-news-summary"),
    ):
        if getattr(args, name) is None:
            try:
                setattr(args, name, find_dataset(dataset))
            except DatasetNotFound as exc:
                if name == "bbc":  # the others are optional: the archive is built without them
                    print(exc, file=sys.stderr)
                    return 2
    if not args.bbc.exists():
        print(f"dataset not found: {args.bbc}", file=sys.stderr)
        return 2
    why = EmbeddedPostgres.available()
    if why is not None:
        print(f"no PostgreSQL server can be started here: {why}", file=sys.stderr)
        return 2
    info = build(
        args.workdir, args.articles, args.bbc, args.ag, args.reuters, args.reuters_limit, xsum=args.xsum
    )
    queries = random.Random(1).sample(info["queries_from"], min(args.queries, len(info["queries_from"])))
    result: dict[str, Any] = {
        "archive": {k: v for k, v in info.items() if k != "queries_from"},
        "queries": len(queries),
    }
    with tempfile.TemporaryDirectory(prefix="newsdesk-backends-") as name:
        tmp = Path(name)
        server = EmbeddedPostgres(tmp / "pg")
        try:
            server.start()
            result["postgres"] = server.psql("SELECT version()").strip().split(" on ")[0]
            source = _open(f"sqlite:///{_settings(args.workdir).database_path}", args.workdir)
            try:
                articles = archive_articles(source)
            finally:
                source.close()
            batch = Settings(home=args.workdir).ingest.batch_size
            result["ingest"], url = measure_ingest(server, tmp, articles, args.repeat, batch)
            del articles
            print(json.dumps(result["ingest"]), file=sys.stderr)  # kept even if a later step fails
            result["search"] = measure_search(args.workdir, url, tmp, queries)
            print(json.dumps(result["search"]), file=sys.stderr)
            if not args.skip_load:
                result["load_test"] = {
                    "sqlite": serve_load(args.workdir, None, queries, args),
                    "postgres": serve_load(tmp / "pg-home", url, queries, args),
                }
        finally:
            server.stop()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        report(result)
    return 0


def report(result: dict[str, Any]) -> None:
    a = result["archive"]
    print(f"archive: {a['articles']} articles ({a['real']} real), {a['model']}; {result['postgres']}")
    ing = result["ingest"]
    for engine, base in (("postgres", "COPY"), ("sqlite", "executemany")):
        print(
            f"ingest {engine:>8}: newsdesk {ing[f'{engine}-newsdesk']['articles_per_s']:>8} art/s | "
            f"bare {base} {ing[f'{engine}-bare']['articles_per_s']:>8} art/s | schema {base} "
            f"{ing[f'{engine}-schema']['articles_per_s']:>8} art/s | ratio vs bare "
            f"{ing[f'{engine}_ratio_vs_bare']} (target >= 0.8), vs schema {ing[f'{engine}_ratio_vs_schema']}"
        )
    s = result["search"]
    print(
        f"vectors into PostgreSQL: {s['vector_copy']['vectors_per_s']}/s; first sync from PostgreSQL "
        f"{s['postgres_first_sync_seconds']} s"
    )
    for name, h in s["hybrid"].items():
        print(
            f"hybrid {name:>16}: p50 {h['p50_ms']:>7} ms, p99 {h['p99_ms']:>7} ms, "
            f"recall@10 {h['recall@10_vs_exact']}"
        )
    print(f"hybrid p99 PostgreSQL / SQLite: {s['hybrid_p99_ratio_postgres_vs_sqlite']} (target <= 2)")
    for name, r in s["retrievers"].items():
        extra = ", ".join(f"{k} {v}" for k, v in r.items() if not k.endswith("_ms"))
        print(f"alone {name:>17}: p50 {r['p50_ms']:>7} ms, p99 {r['p99_ms']:>7} ms {extra}")
    for name, r in s["store_reads"].items():
        print(f"reads {name:>21}: p50 {r['p50_ms']:>7} ms, p99 {r['p99_ms']:>7} ms")
    for engine, lt in result.get("load_test", {}).items():
        print(
            f"load test {engine:>8}: {lt['requests']} requests at {lt['rate_per_s']}/s: "
            f"p50 {lt['p50_ms']} ms, "
            f"p99 {lt['p99_ms']} ms (target <= 50), errors {lt['errors']} {lt['error_kinds']}"
        )


if __name__ == "__main__":
    sys.exit(main())
