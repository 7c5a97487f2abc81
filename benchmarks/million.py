"""A million articles on SQLite and on PostgreSQL + pgvector: ingest against each engine's raw bulk path,
index build times, hybrid search p50/p99 and recall@10 against exact, and the peak memory of one search
worker. Targets: p99 <= 25 ms at recall@10 >= 0.98 on both engines; a search worker under 3 GB resident.

The archive is search.py's (:class:`search.Archive`), at ``--articles`` (default 1,000,000): the real BBC
News, AG News, Reuters-21578 (first ``--reuters-limit``) and XSum articles with their real MiniLM vectors
(embedded once, through ``--workdir``'s embedding cache), then synthetic rewrites of random real articles
with noised vectors. Its rows are generated once and held once in memory (the synthetic articles share
their originals' text objects: ~0.5 GB at a million); vectors are generated a batch at a time and never
held whole. The phases, each recorded in ``<workdir>/million.json`` and skipped by a later run unless
named in ``--redo`` (so a run can resume, or redo only the search after a change):

1. ``sqlite``: the archive's rows through the store's write path (``upsert_encoded`` in batches of
   ``ingest.batch_size``, one transaction each, ``dedupe`` off: the synthetic copies share their originals'
   fingerprints) into the workspace's database, against the *bare* baseline: one ``executemany`` of the
   same rows in one transaction into a table with the same columns and no keys, indexes or full text
   (backends.py's). Then the vectors through ``write_enrichments`` (5,000 a batch).
2. ``sqlite-index``: the search indexes built from the store: the BM25 mirror of the full text
   (:class:`~newsdesk.search.TextIndex`) and the faiss HNSW graph (:class:`~newsdesk.search.VectorIndex`),
   timed apart.
3. ``postgres``: a private PostgreSQL 18 + pgvector server (``EmbeddedPostgres``, data in
   ``<workdir>/pg``, kept between runs; ``shared_buffers`` 1 GB, ``maintenance_work_mem`` 4 GB,
   ``max_wal_size`` 8 GB, one parallel maintenance worker: the machine has 2 cores). The bare baseline is
   one plain ``COPY`` into a bare table; newsdesk writes the same rows through the store, then the vectors
   (``write_enrichments``, 1,000 a batch) with pgvector's HNSW index deferred, as a bulk load would: the
   index is then built by the store's own ``CREATE INDEX`` over the million rows (timed), and the
   database ``VACUUM ANALYZE``d.
4. ``postgres-index``: newsdesk's search indexes built from PostgreSQL (what a search worker's first sync
   does), timed apart.
5. ``exact``: the reference for ``--queries`` measured headlines and ``--validation`` others (disjoint,
   for tuning: never tune on the measured set): brute-force cosine over every stored vector, read in
   chunks (search.py's :func:`~search.exact_vector_hits`), fused by newsdesk's own code with SQLite FTS5's
   ``bm25()`` ranking (search.py's :func:`~search.exact_reference`).
6. ``search``: per engine, one *search worker*: a fresh process that opens the store and a
   :class:`~newsdesk.search.Searcher` as a service worker does (loads the saved indexes, syncs them with
   the store, loads the query model), embeds the queries (untimed), warms up on 20 validation queries,
   then times ``Searcher.search`` (hybrid, 10 results) on every query, ``--passes`` times over the measured
   set. It reports its latencies, the ids it returned, and its peak resident memory (``VmHWM``). Recall@10
   is the share of the exact side's top 10 each engine returns.

Wall times are of a 2-core machine that other work shares: figures are of that machine.

    python benchmarks/million.py [--articles N] [--queries N] [--validation N] [--passes N]
                                 [--ef-search N] [--workdir DIR] [--redo PHASE,...] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backends import _open, _pg_bare, _recall, _vacuum, sqlite_bare, write_articles

from newsdesk.store.base import EnrichmentWrite
from search import ROOT, Archive, _settings, exact_reference, load_archive

#: in this order, so that a run short of time has SQLite's figures complete first
PHASES = (
    "sqlite",
    "sqlite-text",
    "sqlite-faiss",
    "exact",
    "search-sqlite",
    "postgres",
    "postgres-text",
    "postgres-faiss",
    "search-postgres",
)
#: what each phase reads: running a phase again runs the phases that depend on it
DEPENDS = {
    "sqlite-text": ("sqlite",),
    "sqlite-faiss": ("sqlite",),
    "exact": ("sqlite",),
    "search-sqlite": ("sqlite-text", "sqlite-faiss", "exact"),
    "postgres-text": ("postgres",),
    "postgres-faiss": ("postgres",),
    "search-postgres": ("postgres-text", "postgres-faiss", "exact"),
}
PG_SETTINGS = {
    "shared_buffers": "1GB",
    "maintenance_work_mem": "4GB",
    "max_parallel_maintenance_workers": "1",
    "max_wal_size": "8GB",
}
WARM = 20


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def memory() -> dict[str, float]:
    """This process's resident memory now and at its peak, in MB (Linux /proc)."""
    out: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = round(int(value.split()[0]) / 1024, 1)
    out["ru_maxrss"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = call()
    return round(time.perf_counter() - start, 2), value


def _rate(n: int, seconds: float) -> dict[str, float]:
    return {"seconds": round(seconds, 2), "articles_per_s": round(n / seconds, 1)}


# -- phases -------------------------------------------------------------------------------------------
class Run:
    def __init__(self, args: argparse.Namespace, archive: Archive, info: dict[str, Any]) -> None:
        self.args, self.archive, self.info = args, archive, info
        self.workdir: Path = args.workdir
        self.model: str = info["model"]
        self._encoded: list[Any] | None = None
        self._rows: list[tuple[Any, ...]] | None = None
        self.server: Any = None

    @property
    def encoded(self) -> list[Any]:
        """Every article in the stores' write form, in archive order (generated once)."""
        if self._encoded is None:
            from newsdesk.store.rows import encode

            start = time.perf_counter()
            self._encoded = [encode(a) for part in self.archive.articles() for a in part]
            log(f"{len(self._encoded)} articles generated in {time.perf_counter() - start:.1f} s")
        return self._encoded

    @property
    def rows(self) -> list[tuple[Any, ...]]:
        """The same articles as the bare baselines insert them (every column, timestamps included)."""
        if self._rows is None:
            now = datetime.now(UTC).isoformat()
            self._rows = [(*a.row, 1, now, now) for a in self.encoded]
        return self._rows

    def write_vectors(self, store: Any, batch: int) -> dict[str, Any]:
        """Every vector through ``write_enrichments``, ``batch`` at a time; only the writes are timed."""
        spent, n = 0.0, 0
        for ids, matrix in self.archive.vectors(batch):
            writes = [EnrichmentWrite(a, [], {self.model: v}) for a, v in zip(ids, matrix, strict=True)]
            start = time.perf_counter()
            store.write_enrichments(writes)
            spent += time.perf_counter() - start
            n += len(ids)
        return {"vectors": n, "seconds": round(spent, 1), "vectors_per_s": round(n / spent, 1)}

    # 1
    def sqlite(self) -> dict[str, Any]:
        from newsdesk.store import open_store

        settings = _settings(self.workdir)
        for stale in settings.database_path.parent.glob(settings.database_path.name + "*"):
            stale.unlink()
        for stale in settings.index_dir.glob("*/*"):
            stale.unlink()
        n, batch = len(self.encoded), settings.ingest.batch_size
        with tempfile.TemporaryDirectory(prefix="million-bare-", dir=self.workdir) as tmp:
            bare = sqlite_bare(Path(tmp), self.rows)
        log(f"sqlite bare executemany: {n / bare:.0f} articles/s")
        store = open_store(settings)
        try:
            mine = write_articles(store, self.encoded, batch)
            log(f"sqlite newsdesk: {n / mine:.0f} articles/s")
            vectors = self.write_vectors(store, 5000)
            log(f"sqlite vectors: {vectors}")
        finally:
            store.close()
        size = sum(f.stat().st_size for f in settings.database_path.parent.glob("newsdesk.sqlite3*"))
        return {
            "articles": n,
            "batch_size": batch,
            "newsdesk": _rate(n, mine),
            "bare_executemany": _rate(n, bare),
            "ratio_vs_bare": round(bare / mine, 3),
            "vectors": vectors,
            "database_gb": round(size / 1e9, 2),
        }

    def build_index(self, settings: Any, which: str) -> dict[str, Any]:
        """One search index built from the store, as ``newsdesk index rebuild`` builds it: the full-text
        mirror (``text``) or the faiss graph (``faiss``); timed, with the builder's memory."""
        from newsdesk.search import Searcher
        from newsdesk.store import open_store

        store = open_store(settings)
        try:
            searcher = Searcher(store, settings)
            out: dict[str, Any]
            if which == "text":
                index = searcher.text_index
                assert index is not None
                seconds, text = timed(lambda: index.rebuild(store))
                out = {"live": text.live, "terms": text.terms, "postings": text.postings}
                files = index.folder.glob("*")
            else:
                seconds, vec = timed(lambda: searcher.index.rebuild(store))
                out = {"kind": vec.kind, "live": vec.live, "dim": vec.dim}
                files = searcher.index.folder.glob("*")
            log(f"{which} index: {seconds} s")
        finally:
            store.close()
        return {
            "seconds": seconds,
            **out,
            "files_mb": {p.name: round(p.stat().st_size / 1e6, 1) for p in files},
            "builder_memory_mb": memory(),
        }

    def pg_settings(self) -> Any:
        settings = _settings(self.workdir / "pg-home")
        settings.store.url = self.pg_url()
        return settings

    # 3
    def pg(self) -> Any:
        if self.server is None:
            from newsdesk.store.embedded_pg import EmbeddedPostgres

            server = EmbeddedPostgres(self.workdir / "pg")
            server.start()
            self.server = server
            wanted = {k: v for k, v in PG_SETTINGS.items() if server.psql(f"SHOW {k}").strip() != v}
            if wanted:
                server.psql(*(f"ALTER SYSTEM SET {k} = '{v}'" for k, v in wanted.items()))
                server.stop()
                server.start()
            log("PostgreSQL: " + ", ".join(f"{k} {server.psql(f'SHOW {k}').strip()}" for k in PG_SETTINGS))
        return self.server

    def pg_url(self) -> str:
        return str(self.pg().url_of("archive"))

    def postgres(self) -> dict[str, Any]:
        from newsdesk.settings import Settings
        from newsdesk.store.postgres import _index_name

        server = self.pg()
        n, batch = len(self.encoded), Settings(home=self.workdir).ingest.batch_size
        home = self.workdir / "pg-home"
        baseline = server.create_database("baseline")
        _open(baseline, home).close()  # the schema, for the bare table's column types
        bare = _pg_bare(baseline, self.rows)
        server.psql('DROP DATABASE IF EXISTS "baseline" WITH (FORCE)')
        log(f"postgres bare COPY: {n / bare:.0f} articles/s")
        self._rows = None  # not needed any more
        url = server.create_database("archive")
        store = _open(url, home)
        try:
            mine = write_articles(store, self.encoded, batch)
            log(f"postgres newsdesk: {n / mine:.0f} articles/s")
            dim = int(self.archive.real_vectors.shape[1])
            name = _index_name(self.model, dim)
            store._indexed.add(name)  # defer pgvector's index (made on the first write) to after the load
            vectors = self.write_vectors(store, 1000)
            log(f"postgres vectors: {vectors}")
            store._indexed.discard(name)
            hnsw_s, _ = timed(lambda: store._ensure_vector_index(self.model, dim))
            log(f"pgvector HNSW build: {hnsw_s} s")
        finally:
            store.close()
        vacuum = _vacuum(url)
        import psycopg

        with psycopg.connect(url) as conn:
            sizes = conn.execute(
                "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relname IN "
                "('articles', 'vectors', 'articles_tsv') OR relname LIKE 'vectors_hnsw_%'"
            ).fetchall()
            pgvector = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
        return {
            "articles": n,
            "batch_size": batch,
            "newsdesk": _rate(n, mine),
            "bare_copy": _rate(n, bare),
            "ratio_vs_bare": round(bare / mine, 3),
            "vectors": vectors,
            "pgvector_hnsw_build_seconds": hnsw_s,
            "pgvector_index": name,
            "vacuum_analyze_seconds": vacuum,
            "settings": PG_SETTINGS,
            "version": server.psql("SELECT version()").strip().split(" on ")[0],
            "pgvector": pgvector[0] if pgvector else None,
            "sizes_mb": {name: round(int(size) / 1e6, 1) for name, size in sizes},
        }

    # 5
    def exact(self, queries: list[str]) -> dict[str, Any]:
        from newsdesk.search import SearchQuery
        from newsdesk.store import open_store

        settings = _settings(self.workdir)
        store = open_store(settings)
        try:
            started = time.perf_counter()
            ref = exact_reference(store, self.workdir / "exact-home", queries)
            vectors_s = time.perf_counter() - started
            out: dict[str, Any] = {}
            times = []
            for q in queries:
                start = time.perf_counter()
                hybrid = [h.id for h in ref.search(SearchQuery(q, limit=10)).results]
                times.append(time.perf_counter() - start)
                vector = [a for a, _ in ref.index.search(ref.embed_query(q), 100)]
                out[q] = {"hybrid": hybrid, "vector": vector}
        finally:
            store.close()
        path = self.workdir / "million-exact.json"
        path.write_text(json.dumps(out))
        return {
            "queries": len(queries),
            "vector_seconds": round(vectors_s, 1),
            "fts5_hybrid_seconds": round(sum(times), 1),
            "file": str(path),
        }

    # 6
    def search(self, engine: str, measured: list[str], validation: list[str]) -> dict[str, Any]:
        exact = json.loads((self.workdir / "million-exact.json").read_text())
        report = self.worker(engine, measured, validation)
        for name, queries in (("measured", measured), ("validation", validation)):
            part = report[name]
            part["recall@10_hybrid"] = _recall(part.pop("ids"), [exact[q]["hybrid"] for q in queries])
            vec = part.pop("vector_ids")
            part["recall@10_vector"] = _recall(vec, [exact[q]["vector"][:10] for q in queries])
            part["recall@100_vector"] = _recall(vec, [exact[q]["vector"] for q in queries], k=100)
        log(f"{engine} worker: {json.dumps({k: v for k, v in report.items() if k != 'validation'})}")
        return report

    def worker(self, engine: str, measured: list[str], validation: list[str]) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="million-worker-") as tmp:
            spec = Path(tmp) / "queries.json"
            spec.write_text(json.dumps({"measured": measured, "validation": validation}))
            result = Path(tmp) / "result.json"
            cmd = [
                sys.executable,
                __file__,
                "--worker",
                engine,
                "--workdir",
                str(self.workdir),
                "--worker-queries",
                str(spec),
                "--worker-out",
                str(result),
                "--passes",
                str(self.args.passes),
            ]
            if engine == "postgres":
                cmd += ["--pg-url", self.pg_url()]
            if self.args.ef_search is not None:
                cmd += ["--ef-search", str(self.args.ef_search)]
            subprocess.run(cmd, check=True, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
            report: dict[str, Any] = json.loads(result.read_text())
        return report

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


# -- the search worker ----------------------------------------------------------------------------------
def _latency(times: list[float]) -> dict[str, float]:
    import numpy as np

    return {
        "p50_ms": round(float(np.percentile(times, 50)), 2),
        "p99_ms": round(float(np.percentile(times, 99)), 2),
        "mean_ms": round(float(np.mean(times)), 2),
        "max_ms": round(float(np.max(times)), 2),
    }


def run_worker(args: argparse.Namespace) -> int:
    """One search worker (a fresh process): load, sync, embed, search; its latencies, ids and memory."""
    import gc

    from newsdesk.search import Searcher, SearchQuery
    from newsdesk.search.lexical import fts_words
    from newsdesk.search.text import query_terms
    from newsdesk.store import open_store

    spec = json.loads(Path(args.worker_queries).read_text())
    if args.worker == "sqlite":
        settings = _settings(args.workdir)
    else:
        settings = _settings(args.workdir / "pg-home")
        settings.store.url = args.pg_url
    if args.ef_search is not None:
        settings.search.ef_search = args.ef_search
    out: dict[str, Any] = {"engine": args.worker, "ef_search": settings.search.ef_search}
    start = time.perf_counter()
    store = open_store(settings)
    searcher = Searcher(store, settings)
    out["open_seconds"] = round(time.perf_counter() - start, 2)
    out["memory_after_open_mb"] = memory()
    start = time.perf_counter()
    added = searcher.sync()
    out["first_sync_seconds"] = round(time.perf_counter() - start, 2)
    out["first_sync_added_removed"] = list(added)
    out["memory_after_sync_mb"] = memory()
    start = time.perf_counter()
    for q in spec["validation"] + spec["measured"]:
        searcher.embed_query(q)
    out["embed_seconds"] = round(time.perf_counter() - start, 2)
    out["memory_after_model_mb"] = memory()
    gc.collect()
    gc.freeze()  # as the service does after its preload
    for q in spec["validation"][:WARM]:
        searcher.search(SearchQuery(q, limit=10))

    def run(queries: list[str], passes: int) -> dict[str, Any]:
        times: list[float] = []
        ids: list[list[str]] = []
        per_pass = []
        for p in range(passes):
            pass_times = []
            for q in queries:
                t0 = time.perf_counter()
                page = searcher.search(SearchQuery(q, limit=10))
                pass_times.append((time.perf_counter() - t0) * 1000)
                if p == 0:
                    ids.append([h.id for h in page.results])
            per_pass.append(_latency(pass_times)["p99_ms"])
            times += pass_times
        # the retrievers alone, once each (fusion depth 100)
        vec_times, text_times, vector_ids = [], [], []
        assert searcher.text_index is not None
        for q in queries:
            v = searcher.embed_query(q)
            t0 = time.perf_counter()
            hits = searcher.index.search(v, 100)
            vec_times.append((time.perf_counter() - t0) * 1000)
            vector_ids.append([a for a, _ in hits])
            words = fts_words(" ".join(query_terms(q)))
            t0 = time.perf_counter()
            searcher.text_index.search(words, 100)
            text_times.append((time.perf_counter() - t0) * 1000)
        return {
            "queries": len(queries),
            "passes": passes,
            "hybrid": _latency(times),
            "hybrid_p99_per_pass_ms": per_pass,
            "vector_index_alone": _latency(vec_times),
            "text_mirror_alone": _latency(text_times),
            "ids": ids,
            "vector_ids": vector_ids,
        }

    out["validation"] = run(spec["validation"], 1)
    out["measured"] = run(spec["measured"], args.passes)
    out["memory_end_mb"] = memory()
    store.close()
    Path(args.worker_out).write_text(json.dumps(out))
    return 0


# -- driver -------------------------------------------------------------------------------------------
ENGINES = ("sqlite", "postgres")


def _get(tree: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(tree, dict) or key not in tree:
            return "-"
        tree = tree[key]
    return tree


def report(result: dict[str, Any]) -> None:
    p = result["phases"]
    a = result["archive"]
    print(
        f"archive: {a['articles']} articles ({a['real']} real: {a['real_sources']}; {a['synthetic']} "
        f"synthetic), {a['model']}"
    )
    rows: list[tuple[str, Any, Any]] = [
        ("", "SQLite", "PostgreSQL"),
        ("ingest newsdesk (art/s)", *(_get(p, e, "newsdesk", "articles_per_s") for e in ENGINES)),
        (
            "ingest raw bulk (art/s)",
            f"{_get(p, 'sqlite', 'bare_executemany', 'articles_per_s')} executemany",
            f"{_get(p, 'postgres', 'bare_copy', 'articles_per_s')} COPY",
        ),
        ("ratio newsdesk / raw", *(_get(p, e, "ratio_vs_bare") for e in ENGINES)),
        ("vectors written (/s)", *(_get(p, e, "vectors", "vectors_per_s") for e in ENGINES)),
    ]
    for label, phase in (("text mirror build (s)", "text"), ("faiss HNSW build (s)", "faiss")):
        rows.append((label, *(_get(p, f"{e}-{phase}", "seconds") for e in ENGINES)))
    rows.append(("pgvector HNSW build (s)", "-", _get(p, "postgres", "pgvector_hnsw_build_seconds")))
    for label, key in (("hybrid p50 (ms)", "p50_ms"), ("hybrid p99 (ms)", "p99_ms")):
        rows.append((label, *(_get(p, f"search-{e}", "measured", "hybrid", key) for e in ENGINES)))
    for label, key in (("recall@10 hybrid", "recall@10_hybrid"), ("recall@10 vector", "recall@10_vector")):
        rows.append((label, *(_get(p, f"search-{e}", "measured", key) for e in ENGINES)))
    rows.append(
        ("worker peak RSS (MB)", *(_get(p, f"search-{e}", "memory_end_mb", "VmHWM") for e in ENGINES))
    )
    width = max(len(r[0]) for r in rows)
    for r in rows:
        print(f"{r[0]:<{width}}  {r[1]!s:>24}  {r[2]!s:>24}")
    print("targets: p99 <= 25 ms at recall@10 >= 0.98 on both engines; a search worker under 3 GB resident")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300, help="Measured queries.")
    parser.add_argument("--validation", type=int, default=200, help="Tuning queries (not measured).")
    parser.add_argument("--passes", type=int, default=3, help="Timed passes over the measured queries.")
    parser.add_argument("--ef-search", type=int, default=None, help="search.ef_search for the workers.")
    parser.add_argument("--reuters-limit", type=int, default=4000)
    for flag in ("--bbc", "--ag", "--reuters", "--xsum"):
        parser.add_argument(flag, type=Path, help="default: the dataset in the data folder")
    parser.add_argument("--workdir", type=Path, default=ROOT / ".newsdesk" / "bench" / "million")
    parser.add_argument("--redo", default="", help="Phases to run again: " + ", ".join(PHASES) + ", all.")
    parser.add_argument("--stop-after", choices=PHASES, default=None)
    parser.add_argument("--json", action="store_true")
    # a search worker (run by the driver in its own process)
    parser.add_argument("--worker", choices=("sqlite", "postgres"), help=argparse.SUPPRESS)
    parser.add_argument("--worker-queries", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    parser.add_argument("--pg-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return run_worker(args)

    from newsdesk.errors import DatasetNotFound
    from newsdesk.evaluate.locate import find_dataset
    from newsdesk.store.embedded_pg import EmbeddedPostgres

    for name, dataset in (
        ("bbc", "bbc-news-summary"),
        ("ag", "ag-news"),
        ("reuters", "reuters21578"),
        ("xsum", "xsum-validation-1000"),
    ):
        if getattr(args, name) is None:
            try:
                setattr(args, name, find_dataset(dataset))
            except DatasetNotFound as exc:
                if name == "bbc":
                    print(exc, file=sys.stderr)
                    return 2
    why = EmbeddedPostgres.available()
    if why is not None:
        print(f"no PostgreSQL server can be started here: {why}", file=sys.stderr)
        return 2
    wall = time.perf_counter()
    args.workdir.mkdir(parents=True, exist_ok=True)
    state_file = args.workdir / "million.json"
    config = {"articles": args.articles, "reuters_limit": args.reuters_limit}
    state: dict[str, Any] = {"config": config, "phases": {}}
    if state_file.exists():
        saved = json.loads(state_file.read_text())
        if saved.get("config") == config:
            state = saved
    redo = set(PHASES) if args.redo == "all" else {p for p in args.redo.split(",") if p}
    unknown = redo - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    for phase in PHASES:  # a phase run again invalidates the phases built on it
        if phase in redo or any(d in redo for d in DEPENDS.get(phase, ())):
            redo.add(phase)
            state["phases"].pop(phase, None)
    archive_s, (archive, info) = timed(
        lambda: load_archive(
            args.workdir, args.articles, args.bbc, args.ag, args.reuters, args.reuters_limit, args.xsum
        )
    )
    log(f"archive defined in {archive_s} s: {info['real']} real, {info['synthetic']} synthetic")
    pool = info.pop("queries_from")
    measured = random.Random(1).sample(pool, min(args.queries, len(pool)))
    taken = set(measured)
    validation = random.Random(2).sample([q for q in dict.fromkeys(pool) if q not in taken], args.validation)
    run = Run(args, archive, info)
    steps: dict[str, Callable[[], dict[str, Any]]] = {
        "sqlite": run.sqlite,
        "sqlite-text": lambda: run.build_index(_settings(args.workdir), "text"),
        "sqlite-faiss": lambda: run.build_index(_settings(args.workdir), "faiss"),
        "exact": lambda: run.exact(measured + validation),
        "search-sqlite": lambda: run.search("sqlite", measured, validation),
        "postgres": run.postgres,
        "postgres-text": lambda: run.build_index(run.pg_settings(), "text"),
        "postgres-faiss": lambda: run.build_index(run.pg_settings(), "faiss"),
        "search-postgres": lambda: run.search("postgres", measured, validation),
    }
    try:
        for phase in PHASES:
            if phase in state["phases"]:
                log(f"{phase}: done before (--redo {phase} to run it again)")
            else:
                log(f"{phase} ...")
                seconds, value = timed(steps[phase])
                state["phases"][phase] = value | {"phase_seconds": seconds}
                state_file.write_text(json.dumps(state, indent=1))
                log(f"{phase}: {seconds} s")
            if phase == args.stop_after:
                break
    finally:
        run.close()
    result = {
        "archive": info,
        "queries": {"measured": len(measured), "validation": len(validation), "passes": args.passes},
        "phases": state["phases"],
        "this_run_wall_seconds": round(time.perf_counter() - wall, 1),
        "phase_seconds_total": round(sum(v.get("phase_seconds", 0) for v in state["phases"].values()), 1),
    }
    (args.workdir / "million-results.json").write_text(json.dumps(result, indent=1))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
