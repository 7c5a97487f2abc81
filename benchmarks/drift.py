"""Drift detection: false-alarm rate under no drift, and detection power on two real shifts.

Data: the full BBC News set (2,127 articles, five sections) and Reuters-21578 (1987 wire copy: the first
``--reuters-limit`` stories with a headline and a body, in collection order). Embeddings are MiniLM
``chunks`` vectors: BBC ones are read from the ``.newsdesk/bench/bbc`` workspace's store when it has them
(articles it left out as duplicates, and every Reuters story, go through :class:`newsdesk.nlp.embed.Embedder`
with a persistent cache: the search benchmark's cache when it exists, where the same texts already are, so
only the first run on a fresh machine embeds anything; minutes on a CPU).

For each window size ``n`` in ``--sizes``:

- false alarms: ``--splits`` times, 2n BBC articles drawn at random, split into two windows of n; the share
  of runs whose report says "drifted" (any test, Bonferroni at ``--alpha``), with a 95% Wilson interval,
  and the share per test. Tests run: length, oov_rate, embedding_mmd, labels (the true sections standing
  in for a section model's predictions);
- power, business+politics vs sport+tech: ``--draws`` times, n articles drawn from each side; same tests;
- power, BBC vs Reuters: n random BBC articles against n random Reuters stories; length, oov_rate,
  embedding_mmd (Reuters has no BBC sections, so no labels test).

    python benchmarks/drift.py [--bbc PATH] [--reuters PATH] [--splits N] [--draws M] [--sizes 50,100,200]
                               [--alpha A] [--permutations P] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from newsdesk.articles.model import Article
from newsdesk.errors import DatasetNotFound
from newsdesk.evaluate.datasets import load_bbc
from newsdesk.evaluate.drift import wilson
from newsdesk.evaluate.locate import find_dataset
from newsdesk.monitor.drift import Window, detect_drift
from newsdesk.nlp.embed import Embedder
from newsdesk.settings import Settings
from newsdesk.store import open_store

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / ".newsdesk" / "bench"
STRATEGY = "chunks"


def bbc_corpus(path: Path, embedder: Embedder) -> tuple[list[str], list[str], np.ndarray, dict[str, int]]:
    """Texts, sections and vectors of every BBC article; how many vectors came from the bench store."""
    items = load_bbc(path)
    vectors: dict[str, np.ndarray] = {}
    workspace = BENCH / "bbc"
    if (workspace / "newsdesk.sqlite3").exists():
        settings = Settings(home=workspace)
        store = open_store(settings)
        try:
            by_source = {a.source_id: a.id for a in store.iter_articles() if a.source == "bbc"}
            wanted = {by_source[i.id]: i.id for i in items if i.id in by_source}
            ids, matrix = store.get_vectors(embedder.vector_model(STRATEGY), list(wanted))
            vectors = {wanted[article_id]: matrix[row] for row, article_id in enumerate(ids)}
        finally:
            store.close()
    missing = [i for i in items if i.id not in vectors]
    if missing:
        fresh = embedder.embed_articles(
            [Article.create(source="bbc", source_id=i.id, headline=i.headline, body=i.body) for i in missing],
            STRATEGY,
        )
        vectors.update({i.id: fresh[k] for k, i in enumerate(missing)})
    matrix = np.stack([vectors[i.id] for i in items]).astype(np.float32)
    counts = {"articles": len(items), "from_store": len(items) - len(missing), "embedded": len(missing)}
    return [i.text for i in items], [i.section for i in items], matrix, counts


def reuters_corpus(path: Path, limit: int, embedder: Embedder) -> tuple[list[str], np.ndarray]:
    """The first ``limit`` Reuters stories with a headline and a body, and their vectors."""
    from newsdesk.ingest.readers import ReaderOptions
    from newsdesk.ingest.readers.reuters import ReutersSgmlReader

    reader = ReutersSgmlReader()
    articles: list[Article] = []
    for file in sorted(path.glob("reut2-*.sgm")):
        for record in reader.read(file, ReaderOptions(source="reuters")):
            f = record.fields
            if len(articles) >= limit:
                break
            if f and (f.get("headline") or "").strip() and (f.get("body") or "").strip():
                articles.append(
                    Article.create(
                        source="reuters",
                        source_id=str(f["source_id"]),
                        headline=f["headline"],
                        body=f["body"],
                    )
                )
    vectors = embedder.embed_articles(articles, STRATEGY)
    return [a.model_text for a in articles], vectors


def scenario(
    name: str,
    pairs: list[tuple[np.ndarray, np.ndarray]],
    make: Any,
    alpha: float,
    permutations: int,
) -> dict[str, Any]:
    """Run ``detect_drift`` on each (reference rows, current rows) pair; alarm rates overall and per test."""
    alarms = 0
    per_test: Counter[str] = Counter()
    ran: Counter[str] = Counter()
    started = time.perf_counter()
    for seed, (ref_rows, cur_rows) in enumerate(pairs):
        report = detect_drift(
            make("reference", ref_rows, True),
            make("current", cur_rows, False),
            alpha=alpha,
            permutations=permutations,
            seed=seed,
        )
        alarms += report.drifted
        for test in report.tests:
            ran[test.name] += 1
            per_test[test.name] += test.drifted
    low, high = wilson(alarms, len(pairs))
    return {
        "scenario": name,
        "size": len(pairs[0][0]),
        "runs": len(pairs),
        "alarm_rate": alarms / len(pairs),
        "alarms": alarms,
        "ci95": [round(low, 4), round(high, 4)],
        "per_test": {t: per_test[t] / ran[t] for t in sorted(ran)},
        "seconds_per_run": (time.perf_counter() - started) / len(pairs),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bbc", type=Path, help="default: bbc-news-summary in the data folder")
    parser.add_argument("--reuters", type=Path, help="default: reuters21578 in the data folder")
    parser.add_argument("--reuters-limit", type=int, default=4000)
    parser.add_argument("--splits", type=int, default=50, help="random no-drift splits per window size")
    parser.add_argument("--draws", type=int, default=50, help="random draws per shift and window size")
    parser.add_argument("--sizes", default="50,100,200", help="window sizes, comma-separated")
    parser.add_argument("--alpha", type=float, default=0.04)
    parser.add_argument("--permutations", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:  # the data folder, as newsdesk.evaluate.locate finds it
        args.bbc = args.bbc or find_dataset("bbc-news-summary")
        args.reuters = args.reuters or find_dataset("reuters21578")
    except DatasetNotFound as exc:
        print(exc, file=sys.stderr)
        return 2
    for path in (args.bbc, args.reuters):
        if not path.exists():
            print(f"dataset not found: {path}", file=sys.stderr)
            return 2
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    search_cache = BENCH / "search" / "cache" / "embeddings.sqlite3"
    cache_path = search_cache if search_cache.exists() else BENCH / "drift" / "cache" / "embeddings.sqlite3"
    embedder = Embedder(Settings(home=BENCH / "bbc").nlp.embedding_model, cache=cache_path)
    started = time.perf_counter()
    bbc_texts, sections, bbc_vectors, bbc_counts = bbc_corpus(args.bbc, embedder)
    reuters_texts, reuters_vectors = reuters_corpus(args.reuters, args.reuters_limit, embedder)
    load_s = time.perf_counter() - started

    def bbc_window(name: str, rows: np.ndarray, _: bool) -> Window:
        return Window(
            name,
            [bbc_texts[i] for i in rows],
            embeddings=bbc_vectors[rows],
            labels=[sections[i] for i in rows],
        )

    def bbc_or_reuters(name: str, rows: np.ndarray, is_reference: bool) -> Window:
        if is_reference:
            return Window(name, [bbc_texts[i] for i in rows], embeddings=bbc_vectors[rows])
        return Window(name, [reuters_texts[i] for i in rows], embeddings=reuters_vectors[rows])

    rng = np.random.default_rng(args.seed)
    side_a = np.flatnonzero(np.isin(sections, ["business", "politics"]))
    side_b = np.flatnonzero(np.isin(sections, ["sport", "tech"]))
    rows: list[dict[str, Any]] = []
    for n in sizes:
        halves = []
        for _ in range(args.splits):
            pick = rng.choice(len(bbc_texts), 2 * n, replace=False)
            halves.append((pick[:n], pick[n:]))
        rows.append(
            scenario("no drift: BBC random halves", halves, bbc_window, args.alpha, args.permutations)
        )
        shift = [
            (rng.choice(side_a, n, replace=False), rng.choice(side_b, n, replace=False))
            for _ in range(args.draws)
        ]
        rows.append(
            scenario("business+politics vs sport+tech", shift, bbc_window, args.alpha, args.permutations)
        )
        wire = [
            (rng.choice(len(bbc_texts), n, replace=False), rng.choice(len(reuters_texts), n, replace=False))
            for _ in range(args.draws)
        ]
        rows.append(scenario("BBC vs Reuters-21578", wire, bbc_or_reuters, args.alpha, args.permutations))
    result = {
        "bbc": bbc_counts,
        "reuters": len(reuters_texts),
        "embedded_now": embedder.encoded,
        "load_seconds": round(load_s, 1),
        "alpha": args.alpha,
        "permutations": args.permutations,
        "rows": rows,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    tests = ["length", "oov_rate", "embedding_mmd", "labels"]
    print(
        f"BBC {bbc_counts['articles']} articles ({bbc_counts['from_store']} vectors from the bench store, "
        f"{bbc_counts['embedded']} embedded), Reuters {len(reuters_texts)} stories; texts run through the "
        f"model now: {embedder.encoded}; loading {load_s:.0f} s"
    )
    print(f"alpha {args.alpha} (Bonferroni over the tests run), {args.permutations} permutations")
    header = f"{'scenario':<34}{'size':>5}{'runs':>6}{'alarm':>8}{'95% CI':>16}" + "".join(
        f"{t:>15}" for t in tests
    )
    print(header)
    for r in rows:
        ci = f"[{r['ci95'][0]:.3f}, {r['ci95'][1]:.3f}]"
        cells = "".join(f"{r['per_test'][t]:>15.3f}" if t in r["per_test"] else f"{'-':>15}" for t in tests)
        print(f"{r['scenario']:<34}{r['size']:>5}{r['runs']:>6}{r['alarm_rate']:>8.3f}{ci:>16}{cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
