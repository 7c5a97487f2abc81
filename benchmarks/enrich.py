"""Enrichment throughput: the batch pipeline against a naive loop, on the BBC set, in the same run.

Both start from a fresh workspace (empty embedding cache) holding the same ingested articles and run the
same components with the same models:

- ``pipeline``: ``newsdesk.pipeline.enrich`` (batched model calls, one transaction per batch);
- ``naive``: one article at a time through every component, one write per article, and no embedding cache
  (each component runs the embedding model for the texts it needs, as hand-written glue code does);
- ``naive+cache``: the same loop with the shared embedding cache, which isolates what batching alone buys.

Each mode runs in its own process so its peak memory (max RSS) is its own. Prints articles/s, peak RSS
and the speed ratios (target: pipeline >= 3x naive).

    python benchmarks/enrich.py [--articles PATH] [--limit N] [--only a,b] [--workers N] [--json]
                                [--dump DIR] [--skip-naive-cache]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _prepare(home: Path, articles: Path, limit: int | None) -> int:
    from newsdesk.ingest import ingest
    from newsdesk.settings import Settings
    from newsdesk.store import open_store

    settings = Settings(home=home)
    store = open_store(settings)
    ingest([articles], store, settings=settings, format="textdir", source="bbc")
    if limit is not None:
        # An even spread over the archive (every k-th article by id), so every section stays represented
        # and the section classifier still has labels to learn from.
        ids = sorted(a.id for a in store.iter_articles())
        step = max(1, len(ids) // limit)
        keep = set(ids[::step][:limit])
        for article_id in ids:
            if article_id not in keep:
                store.delete(article_id)
    n = store.count()
    store.close()
    return n


def _dump(store: Any, names: list[str], path: Path) -> None:
    """Every output value of ``names`` and every stored vector, by article id, for comparing modes."""
    import pickle

    import numpy as np

    from newsdesk.nlp.embed import STRATEGIES

    values = {name: dict(store.enrichment_values(name)) for name in names}
    vectors = {}
    for model in (f"all-MiniLM-L6-v2:{strategy}" for strategy in STRATEGIES):
        ids, matrix = store.get_vectors(model, None)
        vectors[model] = {i: np.asarray(v) for i, v in zip(ids, matrix, strict=True)}
    path.write_bytes(pickle.dumps({"values": values, "vectors": vectors}))


def _run(
    mode: str, home: Path, only: list[str] | None, workers: int, dump: Path | None = None
) -> dict[str, object]:
    """In a child process: run one mode and report time and peak memory."""
    from newsdesk.nlp import get_component
    from newsdesk.pipeline import enrich, plan_components
    from newsdesk.pipeline.run import _writes
    from newsdesk.settings import Settings
    from newsdesk.store import open_store

    settings = Settings(home=home)
    if mode == "naive":
        settings.nlp.embedding_cache = False
    store = open_store(settings)
    n = store.count()
    started = time.perf_counter()
    if mode == "pipeline":
        report = enrich(store, settings, only=only, workers=workers)
        per_component = {c.name: round(c.seconds, 1) for c in report.components}
        skipped = {c.name: c.skipped for c in report.components if c.skipped}
    else:
        per_component, skipped = {}, {}
        for name in plan_components(only):
            component = get_component(name, settings)
            t0 = time.perf_counter()
            try:
                component.fit(store.iter_articles())
            except Exception as exc:  # same rule as the pipeline: a component that cannot fit is skipped
                skipped[name] = str(exc)
                continue
            for article_id in store.stale(name, component.version):
                article = store.get(article_id)
                outputs = component.transform([article])
                store.write_enrichments(_writes(component, [article], outputs))
            per_component[name] = round(time.perf_counter() - t0, 1)
    seconds = time.perf_counter() - started
    if dump is not None:
        _dump(store, plan_components(only), dump / f"{mode}.pkl")
    store.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # worker processes (the pipeline's): the largest one's peak, each also holding the shared model pages
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "mode": mode,
        "articles": n,
        "seconds": round(seconds, 1),
        "articles_per_s": round(n / seconds, 2),
        "peak_rss_mb": round(peak_mb),
        "peak_worker_rss_mb": round(children_mb),
        "per_component_s": per_component,
        "skipped": skipped,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--articles", type=Path, help="default: bbc-news-summary/News Articles in the data folder"
    )
    parser.add_argument("--limit", type=int, default=None, help="Use only N articles (default: all 2,124).")
    parser.add_argument("--only", default=None, help="Comma-separated components (default: all).")
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="Pipeline worker processes (default 2; the naive loop has one).",
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--dump", type=Path, default=None, help="Write each mode's outputs to DIR/<mode>.pkl to compare them."
    )
    parser.add_argument(
        "--skip-naive-cache", action="store_true", help="Leave out the naive+cache mode (saves its run time)."
    )
    parser.add_argument("--child", nargs=2, metavar=("MODE", "HOME"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    only = [n for n in args.only.split(",") if n] if args.only else None
    if args.child:
        print(json.dumps(_run(args.child[0], Path(args.child[1]), only, args.workers, args.dump)))
        return 0
    if args.articles is None:  # the data folder: newsdesk.evaluate.locate
        from newsdesk.errors import DatasetNotFound
        from newsdesk.evaluate.locate import find_dataset

        try:
            args.articles = find_dataset("bbc-news-summary/News Articles")
        except DatasetNotFound as exc:
            print(exc, file=sys.stderr)
            return 2
    if not args.articles.is_dir():
        print(f"dataset not found: {args.articles}", file=sys.stderr)
        return 2
    results = []
    modes = ["pipeline", "naive"] + ([] if args.skip_naive_cache else ["naive+cache"])
    for mode in modes:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            _prepare(home, args.articles, args.limit)
            cmd = [sys.executable, __file__, "--child", mode, str(home), "--workers", str(args.workers)]
            if args.only:
                cmd += ["--only", args.only]
            if args.dump:
                args.dump.mkdir(parents=True, exist_ok=True)
                cmd += ["--dump", str(args.dump)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return proc.returncode
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    speed = {str(r["mode"]): float(str(r["articles_per_s"])) for r in results}
    ratio = speed["pipeline"] / speed["naive"]
    batching = speed["pipeline"] / speed["naive+cache"] if "naive+cache" in speed else None
    summary = {
        "results": results,
        "speedup": round(ratio, 2),
        "speedup_over_naive_with_cache": None if batching is None else round(batching, 2),
        "target": 3.0,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for r in results:
            print(
                f"{r['mode']:>11}: {r['articles']} articles in {r['seconds']} s "
                f"= {r['articles_per_s']} art/s, "
                f"peak RSS {r['peak_rss_mb']} MB (largest worker {r['peak_worker_rss_mb']} MB); "
                f"per component (s): {r['per_component_s']}"
            )
            if r["skipped"]:
                print(f"          skipped: {r['skipped']}")
        print(f"speed-up of the pipeline over the naive loop: {ratio:.2f}x (target >= 3x)")
        if batching is not None:
            print(f"speed-up over the naive loop with the embedding cache (batching alone): {batching:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
