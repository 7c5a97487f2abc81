"""Hybrid search at archive scale against the exact baseline, in the same run; then a load test of
``GET /search`` on loopback.

- **newsdesk**: the shipped configuration: vectors from the faiss HNSW index, full text from the in-memory
  BM25 mirror of the store's FTS5 index (:class:`~newsdesk.search.lexical.TextIndex`);
- **exact**: brute-force numpy over every vector, full text from SQLite FTS5 itself (``bm25()``).

Both fuse their two rankings the same way, load the same hits and build the same snippets.

The archive (default 100,000 articles) is built once into ``--workdir`` and reused:

- real articles: the BBC News set, the AG News sample and the first ``--reuters-limit`` (4,000) Reuters-21578
  articles that have a body, with their real MiniLM ``chunks`` vectors (through the embedding cache, so only
  the first build runs the model);
- synthetic articles, up to ``--articles``: each copies the headline and body of a random real article
  (so full-text search sees realistic words and document lengths) and gets that article's vector plus
  Gaussian noise, renormalised, at a cosine of about 0.85 to the original: a rewrite of the same story,
  near it in the vector space but not on top of it.

Queries are headlines of random real articles (``--queries``, default 300), embedded before timing: both
sides then read the query vector from the same in-memory cache, so latencies compare retrieval, not the
embedding model. For each query the benchmark records the end-to-end ``Searcher.search`` latency
(full text + vectors + fusion + loading the hits + snippets) of both sides, and recall@10: the share of
the exact side's top 10 (fused, and vector-only) that newsdesk returns. Each retriever is also timed alone
(FTS5 vs the mirror, exact vs HNSW). Target: newsdesk p99 <= 1/5 of exact p99 at recall@10 >= 0.98.

The load test starts ``newsdesk serve --workers N`` (``--workers``, default 2: one per core of the
reference machine; ``--threads``, request threads per worker, default the service's own ``api.threads``) on
127.0.0.1 over the same workspace and sends ``--rate`` requests/s (default 200) for ``--duration`` seconds
(default 15) of open-loop traffic (a request leaves on schedule whether or not earlier ones finished),
cycling through the queries; it reports p50/p99 latency and errors, the load generator's own CPU per
request and each server process's CPU seconds (an uneven split shows connections landing unevenly on the
workers). Target: p99 <= 50 ms with 0 errors.

    python benchmarks/search.py [--articles N] [--queries N] [--rate R] [--duration S] [--workers N]
                                [--threads N] [--load-only] [--fresh-queries] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]


def _settings(home: Path, kind: str = "hnsw", *, text_index: bool = True) -> Any:
    from newsdesk.settings import Settings

    settings = Settings(home=home)
    settings.search.index_kind = kind  # type: ignore[assignment]
    settings.search.text_index = text_index
    return settings


def real_articles(
    bbc: Path, ag: Path | None, reuters: Path | None, reuters_limit: int, xsum: Path | None = None
) -> tuple[list[Any], int]:
    """The real articles, in a fixed order: BBC News, AG News, the first ``reuters_limit`` Reuters-21578
    articles with a body, then XSum (its first sentence as headline, the rest as body); and how many lead
    the list with a real headline (all but XSum's: the query pool)."""
    from newsdesk.articles.model import Article
    from newsdesk.evaluate.datasets import load_ag_news, load_bbc, load_xsum

    real = [
        Article.create(source="bbc", source_id=i.id, headline=i.headline, body=i.body, section=i.section)
        for i in load_bbc(bbc)
    ]
    if ag is not None and ag.exists():
        for k, item in enumerate(load_ag_news(ag)):
            real.append(
                Article.create(source="ag", source_id=str(k), headline=item.title, body=item.description)
            )
    if reuters is not None and reuters.exists():
        taken = 0
        from newsdesk.ingest.readers import ReaderOptions
        from newsdesk.ingest.readers.reuters import ReutersSgmlReader

        reader = ReutersSgmlReader()
        for file in sorted(reuters.glob("reut2-*.sgm")):
            for record in reader.read(file, ReaderOptions(source="reuters")):
                f = record.fields
                if taken >= reuters_limit:
                    break
                if f and (f.get("headline") or "").strip() and (f.get("body") or "").strip():
                    taken += 1
                    real.append(
                        Article.create(
                            source="reuters",
                            source_id=str(f["source_id"]),
                            headline=f["headline"],
                            body=f["body"],
                        )
                    )
    headlines = len(real)
    if xsum is not None and xsum.exists():
        for item in load_xsum(xsum):
            lead, _, rest = item.document.partition("\n")
            if lead.strip() and rest.strip():
                real.append(Article.create(source="xsum", source_id=item.id, headline=lead, body=rest))
    return real, headlines


class Archive:
    """The benchmark archive, generated batch by batch in a fixed order (so a run at any size holds one batch
    of vectors, never the whole matrix): the real articles with their real vectors, then synthetic rewrites
    up to ``n``. Synthetic article ``j`` copies the headline and body of real article ``picks[j]`` (the same
    string objects: a million copies cost their ids and hashes, not their texts) and gets its vector plus
    Gaussian noise, renormalised, at a cosine of about 0.85 to the original. The noise is drawn in order from
    one seeded generator, so any batch size gives the same archive."""

    def __init__(self, real: list[Any], vectors: Any, n: int, seed: int = 0) -> None:
        self.real = real[:n]
        self.real_vectors = vectors[: len(self.real)]
        self.n = max(n, len(self.real)) if self.real else 0
        self.seed = seed
        self.picks = self._picks()[0]

    def _picks(self) -> tuple[Any, Any]:
        import numpy as np

        rng = np.random.default_rng(self.seed)
        return rng.integers(0, len(self.real), size=self.n - len(self.real)), rng

    @property
    def synthetic(self) -> int:
        return len(self.picks)

    def synthetic_id(self, j: int) -> str:
        return f"synthetic:{j:06d}"

    def articles(self, batch: int = 5000) -> Iterator[list[Any]]:
        """Every article, ``batch`` at a time, in archive order."""
        from newsdesk.articles.model import Article

        for start in range(0, len(self.real), batch):
            yield self.real[start : start + batch]
        for start in range(0, self.synthetic, batch):
            out = []
            for j in range(start, min(start + batch, self.synthetic)):
                src = self.real[int(self.picks[j])]
                out.append(
                    Article.create(
                        source="synthetic",
                        source_id=f"{j:06d}",
                        headline=src.headline,
                        body=src.body,
                        section=src.section,
                    )
                )
            yield out

    def vectors(self, batch: int = 5000) -> Iterator[tuple[list[str], Any]]:
        """Every article's (id, vector), ``batch`` at a time, in archive order (the same batches as
        :meth:`articles`)."""
        import numpy as np

        picks, rng = self._picks()
        for start in range(0, len(self.real), batch):
            yield [a.id for a in self.real[start : start + batch]], self.real_vectors[start : start + batch]
        # cos(v + a*u, v) = 1 / sqrt(1 + a^2) for unit v and a random unit u (nearly orthogonal in 384-d)
        a = float(np.sqrt(1 / 0.85**2 - 1))
        for start in range(0, len(picks), batch):
            part = picks[start : start + batch]
            noise = rng.normal(size=(len(part), self.real_vectors.shape[1])).astype(np.float32)
            noise /= np.linalg.norm(noise, axis=1, keepdims=True)
            fake = self.real_vectors[part] + a * noise
            fake /= np.linalg.norm(fake, axis=1, keepdims=True)
            yield [self.synthetic_id(j) for j in range(start, start + len(part))], fake


def load_archive(
    workdir: Path,
    n: int,
    bbc: Path,
    ag: Path | None,
    reuters: Path | None,
    reuters_limit: int,
    xsum: Path | None = None,
    seed: int = 0,
) -> tuple[Archive, dict[str, Any]]:
    """The archive's definition (real articles embedded through ``workdir``'s embedding cache: only the
    first build runs the model) and its description."""
    from newsdesk.nlp.embed import EmbedderConfig, embedder_for

    workdir.mkdir(parents=True, exist_ok=True)
    settings = _settings(workdir)
    real, headlines = real_articles(bbc, ag, reuters, reuters_limit, xsum)
    real = real[:n]
    config = EmbedderConfig.from_settings(settings)
    embedder = embedder_for(config)
    strategy = config.strategy
    started = time.perf_counter()
    vectors = embedder.embed_articles(real, strategy)
    embed_s = time.perf_counter() - started
    archive = Archive(real, vectors, n, seed)
    sources: dict[str, int] = {}
    for a in archive.real:
        sources[a.source] = sources.get(a.source, 0) + 1
    info = {
        "articles": archive.n,
        "real": len(archive.real),
        "real_sources": sources,
        "synthetic": archive.synthetic,
        "model": embedder.vector_model(strategy),
        "embed_seconds": round(embed_s, 1),
        "queries_from": [a.headline for a in archive.real[:headlines]],
    }
    return archive, info


def build(
    workdir: Path,
    n: int,
    bbc: Path,
    ag: Path | None,
    reuters: Path | None,
    reuters_limit: int,
    seed: int = 0,
    xsum: Path | None = None,
) -> dict[str, Any]:
    """The benchmark archive written into ``workdir`` (reused when its ``built.json`` says it has ``n``
    articles): articles and vectors a batch at a time, then the indexes."""
    from newsdesk.search import Searcher
    from newsdesk.store import open_store
    from newsdesk.store.base import EnrichmentWrite

    marker = workdir / "built.json"
    if marker.exists():
        info: dict[str, Any] = json.loads(marker.read_text())
        if info.get("articles") == n:
            return info
    archive, info = load_archive(workdir, n, bbc, ag, reuters, reuters_limit, xsum, seed)
    settings = _settings(workdir)
    for stale in (settings.database_path, *settings.index_dir.glob("*/*")):
        if stale.exists():
            stale.unlink()
    store = open_store(settings)
    model = info["model"]
    for part, (ids, matrix) in zip(archive.articles(), archive.vectors(), strict=True):
        store.upsert(part, dedupe=False)
        store.write_enrichments(
            [EnrichmentWrite(a, [], {model: v}) for a, v in zip(ids, matrix, strict=True)]
        )
    started = time.perf_counter()
    stats, _ = Searcher(store, settings).rebuild()
    info["index_build_seconds"] = round(time.perf_counter() - started, 1)
    info["indexed"] = stats.live
    store.close()
    marker.write_text(json.dumps(info))
    return info


def exact_vector_hits(
    store: Any, model: str, queries: Any, k: int = 100, chunk: int = 50_000
) -> list[list[tuple[str, float]]]:
    """The exact top ``k`` (id, cosine) of every row of ``queries`` (unit vectors) over every stored vector of
    ``model``: brute force, read from the store ``chunk`` vectors at a time (never the whole matrix)."""
    import numpy as np

    q = np.ascontiguousarray(queries, dtype=np.float32)
    ids = sorted(store.vector_stamps(model))
    best_ids: list[list[str]] = [[] for _ in range(len(q))]
    best = np.full((len(q), 0), -np.inf, dtype=np.float32)
    for start in range(0, len(ids), chunk):
        got, matrix = store.get_vectors(model, ids[start : start + chunk])
        if not got:
            continue
        scores = q @ np.ascontiguousarray(matrix, dtype=np.float32).T  # queries x chunk
        top = min(k, scores.shape[1])
        cand = np.argpartition(-scores, top - 1, axis=1)[:, :top]
        cand_scores = np.take_along_axis(scores, cand, axis=1)
        merged = np.concatenate([best, cand_scores], axis=1)
        keep = np.argsort(-merged, axis=1, kind="stable")[:, :k]
        width = best.shape[1]
        new_ids = []
        for row, order in enumerate(keep.tolist()):
            new_ids.append([best_ids[row][c] if c < width else got[int(cand[row, c - width])] for c in order])
        best_ids, best = new_ids, np.take_along_axis(merged, keep, axis=1)
    return [
        list(zip(row_ids, row.tolist(), strict=True)) for row_ids, row in zip(best_ids, best, strict=True)
    ]


class ExactVectors:
    """Stands in for a :class:`~newsdesk.search.VectorIndex` in a :class:`~newsdesk.search.Searcher`: the
    exact hits of known query vectors (:func:`exact_vector_hits`), so the reference runs newsdesk's own fusion
    over exact vector hits without holding every vector in memory."""

    def __init__(self, hits: dict[bytes, list[tuple[str, float]]], size: int) -> None:
        self.hits, self.size = hits, size

    def __len__(self) -> int:
        return self.size

    def sync(self, store: Any, *, save: bool = True) -> tuple[int, int]:
        return 0, 0

    def synced_to(self, token: str) -> bool:
        return True

    def search(self, query: Any, k: int, *, among: Any = None) -> list[tuple[str, float]]:
        import numpy as np

        if among is not None:
            raise ValueError("the exact reference answers unfiltered queries only")
        return self.hits[np.asarray(query, dtype=np.float32).tobytes()][:k]


def exact_reference(
    store: Any, home: Path, queries: list[str], embedder: Any = None, depth: int = 100
) -> Any:
    """The exact side as a :class:`~newsdesk.search.Searcher` over ``store``: brute-force vectors
    (:func:`exact_vector_hits`, computed here for ``queries``) and the store's own full-text search
    (``search.text_index`` off: SQLite FTS5's ``bm25()``). Only ``queries`` can be searched."""
    import numpy as np

    from newsdesk.search import Searcher

    settings = _settings(home, "exact", text_index=False)
    searcher = Searcher(store, settings, index=ExactVectors({}, 0), embedder=embedder)
    vectors = np.stack([searcher.embed_query(q) for q in queries])
    hits = exact_vector_hits(store, searcher.model, vectors, depth)
    searcher.index = ExactVectors(  # type: ignore[assignment]
        {np.asarray(v, dtype=np.float32).tobytes(): h for v, h in zip(vectors, hits, strict=True)},
        len(store.vector_stamps(searcher.model)),
    )
    return searcher


def measure(workdir: Path, queries: list[str]) -> dict[str, Any]:
    """Latency and recall of hybrid search, HNSW vs exact, over the same store and queries."""
    import numpy as np

    from newsdesk.search import Searcher, SearchQuery, open_index
    from newsdesk.search.lexical import fts_words
    from newsdesk.search.text import query_terms
    from newsdesk.store import open_store

    settings = _settings(workdir)
    store = open_store(settings)
    hnsw = Searcher(store, settings)
    started = time.perf_counter()
    hnsw.sync()  # builds the full-text mirror on first use (saved for later runs)
    sync_s = time.perf_counter() - started
    exact_settings = _settings(workdir, "exact", text_index=False)
    exact_index = open_index(exact_settings, hnsw.model)
    if len(exact_index) != len(hnsw.index):
        exact_index.rebuild(store)
    exact = Searcher(store, exact_settings, index=exact_index, embedder=hnsw.embedder)
    exact.sync()
    for q in queries:  # warm: query vectors into both searchers' in-memory caches
        hnsw.embed_query(q)
        exact.embed_query(q)
    assert hnsw.text_index is not None and exact.text_index is None
    text_index = hnsw.text_index
    out: dict[str, Any] = {
        "ef_search": settings.search.ef_search,
        "first_sync_seconds": round(sync_s, 1),
        "text_index": asdict(text_index.stats()),
    }
    # the retrievers alone: full text (store FTS5, and its in-memory mirror), and each vector index
    # (top 100, the fusion depth)
    vectors = [hnsw.embed_query(q) for q in queries]
    words = [fts_words(" ".join(query_terms(q))) for q in queries]
    for name, run in (
        ("fts-only", lambda i: store.search_text(" ".join(query_terms(queries[i])), limit=100)),
        ("mirror-only", lambda i: text_index.search(words[i], 100)),
        ("hnsw-index-only", lambda i: hnsw.index.search(vectors[i], 100)),
        ("exact-index-only", lambda i: exact.index.search(vectors[i], 100)),
    ):
        times = []
        for i in range(len(queries)):
            started = time.perf_counter()
            run(i)
            times.append((time.perf_counter() - started) * 1000)
        out[name] = {
            "p50_ms": round(float(np.percentile(times, 50)), 2),
            "p99_ms": round(float(np.percentile(times, 99)), 2),
        }
    out["p99_ratio_index_only"] = round(
        out["hnsw-index-only"]["p99_ms"] / out["exact-index-only"]["p99_ms"], 3
    )
    out["p99_ratio_text_only"] = round(out["mirror-only"]["p99_ms"] / out["fts-only"]["p99_ms"], 3)
    out["text_fallbacks"] = sum(text_index.search(w, 100) is None for w in words)
    tops: dict[str, list[list[str]]] = {}
    for name, searcher in (("hnsw", hnsw), ("exact", exact)):
        for mode in ("hybrid", "vector"):
            times, top = [], []
            for q in queries:
                started = time.perf_counter()
                page = searcher.search(SearchQuery(q, limit=10, mode=mode))  # type: ignore[arg-type]
                times.append((time.perf_counter() - started) * 1000)
                top.append([h.id for h in page.results])
            tops[f"{name}-{mode}"] = top
            out[f"{name}-{mode}"] = {
                "p50_ms": round(float(np.percentile(times, 50)), 2),
                "p99_ms": round(float(np.percentile(times, 99)), 2),
                "mean_ms": round(float(np.mean(times)), 2),
            }
    for mode in ("hybrid", "vector"):
        found = [
            len(set(a) & set(b)) / max(1, len(b))
            for a, b in zip(tops[f"hnsw-{mode}"], tops[f"exact-{mode}"], strict=True)
        ]
        out[f"recall@10_{mode}"] = round(float(np.mean(found)), 4)
    out["p99_ratio_hybrid"] = round(out["hnsw-hybrid"]["p99_ms"] / out["exact-hybrid"]["p99_ms"], 3)
    out["p99_ratio_vector"] = round(out["hnsw-vector"]["p99_ms"] / out["exact-vector"]["p99_ms"], 3)
    store.close()
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _open_loop(
    host: str, port: int, api_key: str, paths: list[str], rate: float, duration: float, connections: int
) -> tuple[list[float], int, list[str]]:
    """Send ``rate`` requests/s for ``duration`` s over ``connections`` keep-alive HTTP/1.1 connections.

    Open loop: request i is due at ``i / rate``; its latency counts from then, so time spent waiting for a
    free connection (the server falling behind) is included rather than hidden. A minimal client on asyncio
    streams keeps the load generator cheap enough not to be the bottleneck on a small machine.
    """
    total = int(rate * duration)
    free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        free.put_nowait(await asyncio.open_connection(host, port))
    latencies: list[float] = []
    errors: list[str] = []
    start = time.perf_counter()

    async def one(i: int) -> None:
        due = start + i / rate
        reader, writer = await free.get()
        try:
            request = f"GET {paths[i % len(paths)]} HTTP/1.1\r\nHost: {host}\r\nX-API-Key: {api_key}\r\n\r\n"
            writer.write(request.encode())
            status_line = await asyncio.wait_for(reader.readline(), 30)
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            status = status_line.split()[1].decode() if len(status_line.split()) > 1 else "none"
            if status != "200":
                errors.append(status)
            latencies.append((time.perf_counter() - due) * 1000)
            free.put_nowait((reader, writer))
        except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
            errors.append(type(exc).__name__)
            latencies.append((time.perf_counter() - due) * 1000)
            writer.close()
            free.put_nowait(await asyncio.open_connection(host, port))

    tasks = []
    for i in range(total):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    while not free.empty():
        _, writer = free.get_nowait()
        writer.close()
    return latencies, total, errors


def _process_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of ``pid`` and its children, by process (Linux /proc; {} elsewhere)."""
    out: dict[int, float] = {}
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        for p in [pid, *map(int, children)]:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            out[p] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return {}
    return out


def load_test(
    workdir: Path,
    queries: list[str],
    rate: float,
    duration: float,
    connections: int = 32,
    workers: int = 2,
    threads: int | None = None,
    fresh: list[str] | None = None,
) -> dict[str, Any]:
    """Open-loop load on ``GET /search`` of a real ``newsdesk serve`` process.

    The requests cycle through ``queries``, whose vectors the service caches during the warm-up, so the
    load measures search itself. With ``fresh`` they are those queries instead, each sent once after the
    same warm-up: every request then embeds its query in the service, as a stream of new searches would
    (the service runs without its on-disk embedding cache, which earlier runs would have filled with them).
    """
    import httpx
    import numpy as np

    port = _free_port()
    # the service as configured by default unless --threads is given: a ready searcher answers on each
    # worker's event loop, so the request threads no longer matter to /search (measured at 200 requests/s:
    # p99 16.6 and 22.6 ms with 40 threads, 18.9-34.8 ms with 1)
    env = dict(os.environ, NEWSDESK_HOME=str(workdir))
    if threads is not None:
        env["NEWSDESK_API__THREADS"] = str(threads)
    if fresh is not None:
        env["NEWSDESK_NLP__EMBEDDING_CACHE"] = "false"
    from newsdesk.settings import Settings

    threads_used = Settings(home=workdir).api.threads if threads is None else threads
    key = subprocess.run(
        [sys.executable, "-m", "newsdesk.cli.app", "keys", "create", "--role", "reader", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    api_key = json.loads(key.stdout)["key"]
    # the service's log (its access log: a line per request) goes to a file, as a deployment's would; a
    # pipe read by this busy process filled up and made the workers wait on their log writes
    log_path = workdir / "load-test-server.log"
    log_file = log_path.open("w", encoding="utf-8")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsdesk.cli.app",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=log_file,
        stderr=log_file,
    )

    def log_text() -> str:
        return log_path.read_text(encoding="utf-8", errors="replace")

    base = f"http://127.0.0.1:{port}"
    try:
        # every worker logs "Application startup complete." once its lifespan (preloading the indexes and
        # the query model) is done; traffic before all have would measure a half-started service
        deadline = time.time() + 300
        while log_text().count("Application startup complete") < workers:
            if time.time() > deadline or server.poll() is not None:
                raise RuntimeError("the server did not start: " + "".join(log_text().splitlines(True)[-20:]))
            time.sleep(0.5)
        while httpx.get(f"{base}/readyz", timeout=10).status_code != 200:
            if time.time() > deadline:
                raise RuntimeError("the server did not become ready")
            time.sleep(0.5)
        headers = {"X-API-Key": api_key}
        # warm up: the first request loads the model and the index (seconds); then the query vectors
        with httpx.Client(base_url=base, headers=headers, timeout=300) as client:
            for q in queries:
                client.get("/search", params={"q": q, "limit": 10}).raise_for_status()

        # the same requests as the warm-up, cycled; or queries the service has not seen
        path_of = ["/search?" + urlencode({"q": q, "limit": 10}) for q in (fresh or queries)]
        workers_cpu = _process_cpu(server.pid)
        client_cpu = time.process_time()
        latencies, sent, errors = asyncio.run(
            _open_loop("127.0.0.1", port, api_key, path_of, rate, duration, connections)
        )
        client_cpu = time.process_time() - client_cpu
        after = _process_cpu(server.pid)
        workers_cpu = {pid: round(after[pid] - workers_cpu.get(pid, 0.0), 2) for pid in after}
    finally:
        server.terminate()
        server.wait(timeout=30)
        log_file.close()
    return {
        "server_workers": workers,
        "threads_per_worker": threads_used,
        "fresh_queries": fresh is not None,
        "distinct_queries": len(set(fresh or queries)),
        "connections": connections,
        "rate_per_s": rate,
        "duration_s": duration,
        "requests": sent,
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "p50_ms": round(float(np.percentile(latencies, 50)), 2),
        "p99_ms": round(float(np.percentile(latencies, 99)), 2),
        "max_ms": round(float(np.max(latencies)), 2),
        # the load generator shares the cores with the server: its own CPU per request, for the reader
        "client_cpu_ms_per_request": round(client_cpu * 1000 / max(sent, 1), 3),
        # CPU seconds each server process spent during the run: an uneven split means the connections
        # landed unevenly on the workers
        "server_cpu_s": sorted(workers_cpu.values(), reverse=True),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    # defaults: these datasets in the data folder (newsdesk.evaluate.locate); AG News and Reuters are optional
    parser.add_argument("--bbc", type=Path, help="default: bbc-news-summary in the data folder")
    parser.add_argument("--ag", type=Path, help="default: ag-news in the data folder, when there")
    parser.add_argument("--reuters", type=Path, help="default: reuters21578 in the data folder, when there")
    parser.add_argument(
        "--xsum", type=Path, help="default: xsum-validation-1000 in the data folder, when there"
    )
    parser.add_argument(
        "--reuters-limit", type=int, default=4000, help="Reuters articles embedded as real ones (CPU time)."
    )
    parser.add_argument("--workdir", type=Path, default=ROOT / ".newsdesk" / "bench" / "search")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--no-load-test", action="store_true")
    parser.add_argument("--workers", type=int, default=2, help="Server processes in the load test.")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="Request threads per server process (api.threads; default: the service's own).",
    )
    parser.add_argument(
        "--load-home",
        type=Path,
        default=None,
        help="Load-test this workspace instead of the benchmark archive.",
    )
    parser.add_argument("--load-only", action="store_true", help="Skip the latency/recall comparison.")
    parser.add_argument(
        "--fresh-queries",
        action="store_true",
        help="Load test with a new real headline per request (the service embeds each one) instead of "
        "cycling through the warmed-up queries.",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from newsdesk.errors import DatasetNotFound
    from newsdesk.evaluate.locate import find_dataset

    for name, dataset in (("ag", "ag-news"), ("reuters", "reuters21578"), ("xsum", "xsum-validation-1000")):
        if getattr(args, name) is None:
            with contextlib.suppress(DatasetNotFound):  # optional: the archive is built without it
                setattr(args, name, find_dataset(dataset))
    try:
        args.bbc = args.bbc or find_dataset("bbc-news-summary")
    except DatasetNotFound as exc:
        print(exc, file=sys.stderr)
        return 2
    if not args.bbc.exists():
        print(f"dataset not found: {args.bbc}", file=sys.stderr)
        return 2
    info = build(
        args.workdir, args.articles, args.bbc, args.ag, args.reuters, args.reuters_limit, xsum=args.xsum
    )
    rng = random.Random(1)
    queries = rng.sample(info["queries_from"], min(args.queries, len(info["queries_from"])))
    result: dict[str, Any] = {
        "archive": {k: v for k, v in info.items() if k != "queries_from"},
        "queries": len(queries),
    }
    if not args.load_only:
        result["search"] = measure(args.workdir, queries)
        print(json.dumps(result["search"]), file=sys.stderr)  # kept even if the load test fails
    if not args.no_load_test:
        home = args.load_home or args.workdir
        fresh = None
        if args.fresh_queries:
            seen = set(queries)
            pool = [q for q in dict.fromkeys(info["queries_from"]) if q not in seen]
            needed = int(args.rate * args.duration)
            if len(pool) < needed:
                print(f"only {len(pool)} fresh queries for {needed} requests: some repeat", file=sys.stderr)
            fresh = rng.sample(pool, min(needed, len(pool)))
        result["load_test"] = load_test(
            home, queries, args.rate, args.duration, workers=args.workers, threads=args.threads, fresh=fresh
        ) | {"workspace": str(home)}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        a = result["archive"]
        print(
            f"archive: {a['articles']} articles ({a['real']} real, {a['synthetic']} synthetic), {a['model']}"
        )
        if "search" in result:
            s = result["search"]
            for name in ("hnsw-hybrid", "exact-hybrid", "hnsw-vector", "exact-vector"):
                print(f"  {name:>13}: p50 {s[name]['p50_ms']} ms, p99 {s[name]['p99_ms']} ms")
            print(
                f"  hybrid p99 ratio hnsw/exact {s['p99_ratio_hybrid']} (target <= 0.2), "
                f"recall@10 {s['recall@10_hybrid']} (target >= 0.98); vector-only ratio "
                f"{s['p99_ratio_vector']}, recall@10 {s['recall@10_vector']}"
            )
        if "load_test" in result:
            lt = result["load_test"]
            print(
                f"load test: {lt['requests']} requests at {lt['rate_per_s']}/s: p50 {lt['p50_ms']} ms, "
                f"p99 {lt['p99_ms']} ms (target <= 50), errors {lt['errors']} {lt['error_kinds']}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
