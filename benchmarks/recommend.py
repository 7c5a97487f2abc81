"""Recommendation latency and memory: 10 recommendations for one reader at 100,000 readers and 100,000
articles.

The newsroom is synthetic: ``--articles`` articles published over ``--days`` days in ``--topics`` topics
(an article's vector, 384 dimensions as MiniLM's, is its topic's unit vector plus noise; a story is a run of
five articles of one topic), and ``--readers`` readers who each follow one or two topics and click
``--clicks`` articles on average (a Zipf law within a topic, so a few articles draw most clicks), each click
with its impression. The hybrid recommender (popularity, co-clicks, content, ALS) is fitted once (timed,
reported), then ``--requests`` random readers are served one at a time, as the service does: the hybrid's
``top`` over the whole catalogue, then the slate rules (read articles out, one per story, diversity by topic
and vector, freshness) down to 10. p50 and p99 are of those requests. Memory is the process's peak resident
size (``ru_maxrss``).

The baseline printed beside it, in the same run: the editors' default, the popularity model's ``top`` and
the same slate rules, for the same readers.

    .venv/bin/python benchmarks/recommend.py --readers 100000 --articles 100000 --requests 1000 [--store]
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from newsdesk.recommend.model import Catalogue, ReaderEvent
from newsdesk.recommend.slate import SlateRules, build_slate

DIM = 384


def synthetic(
    articles: int, readers: int, clicks: float, topics: int, days: float, seed: int = 0
) -> tuple[Catalogue, list[ReaderEvent], list[list[str]], datetime]:
    rng = np.random.default_rng(seed)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    start = now.timestamp() - days * 86400
    published = np.sort(rng.uniform(start, now.timestamp(), articles))
    topic = rng.integers(0, topics, articles)
    centres = rng.standard_normal((topics, DIM)).astype(np.float32)
    vectors = centres[topic] + 0.8 * rng.standard_normal((articles, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"a{k:06d}" for k in range(articles)]
    stories = [f"s{k // 5:06d}-{topic[k]}" for k in range(articles)]
    catalogue = Catalogue(
        ids,
        published,
        [f"t{t}" for t in topic],
        stories,
        vectors=vectors,
        has_vector=np.ones(articles, dtype=bool),
    )
    by_topic = [np.flatnonzero(topic == t) for t in range(topics)]
    events: list[ReaderEvent] = []
    histories: list[list[str]] = []
    for r in range(readers):
        reader = f"{r:032x}"
        liked = rng.choice(topics, size=int(rng.integers(1, 3)), replace=False)
        count = max(1, int(rng.poisson(clicks)))
        history = []
        for _ in range(count):
            pool = by_topic[int(rng.choice(liked))]
            # Zipf within the topic's recent articles: the newest half-life window draws most clicks
            k = min(len(pool) - 1, int(rng.zipf(1.3)) - 1)
            a = int(pool[len(pool) - 1 - k])
            at = datetime.fromtimestamp(
                max(published[a], now.timestamp() - rng.uniform(0, days * 86400)), UTC
            )
            events.append(ReaderEvent(reader, ids[a], "impression", at, impression=f"{r}-{a}"))
            events.append(
                ReaderEvent(reader, ids[a], "click", at + timedelta(seconds=5), impression=f"{r}-{a}")
            )
            history.append(ids[a])
        histories.append(history)
    return catalogue, events, histories, now


def serve(
    model: object,
    catalogue: Catalogue,
    rules: SlateRules,
    history: list[str],
    now: datetime,
    candidates: int,
    rows: np.ndarray | None,
) -> list:
    found = model.top(history, now, candidates, exclude=history, rows=rows)  # type: ignore[attr-defined]
    return build_slate(found, catalogue, rules=rules, history=history, at=now.timestamp())


def window(model: object, catalogue: Catalogue, now: datetime, days: float) -> np.ndarray:
    """The model's rows of the articles published in the last ``days`` (what the service scores)."""
    index = model.index_  # type: ignore[attr-defined]
    mapped = np.array([index.get(a, -1) for a in catalogue.ids], dtype=np.int64)
    recent = catalogue.published >= now.timestamp() - days * 86400
    return mapped[recent & (mapped >= 0)]


def _store(events: list[ReaderEvent]):  # type: ignore[no-untyped-def]
    """The events in a fresh SQLite store (a temporary workspace), timed."""
    import tempfile
    from pathlib import Path

    from newsdesk.recommend.store import open_events
    from newsdesk.settings import Settings
    from newsdesk.store import open_store

    settings = Settings(home=Path(tempfile.mkdtemp(prefix="bench-recommend-")))
    store = open_store(settings)
    stored = open_events(store, settings.store_url)
    t0 = time.perf_counter()
    for start in range(0, len(events), 50_000):
        stored.add_events(events[start : start + 50_000])
    took = time.perf_counter() - t0
    print(f"stored {len(events):,} events in SQLite in {took:.1f} s ({len(events) / took:,.0f} events/s)")
    return stored


def timed(fn, readers: list[list[str]]) -> np.ndarray:  # type: ignore[no-untyped-def]
    for h in readers[:10]:
        fn(h)
    out = []
    for h in readers:
        t = time.perf_counter()
        fn(h)
        out.append((time.perf_counter() - t) * 1000)
    return np.array(out)


def main() -> None:
    from newsdesk.recommend.models.hybrid import HybridRecommender
    from newsdesk.recommend.models.popularity import PopularityRecommender

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--readers", type=int, default=100_000)
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--clicks", type=float, default=10.0, help="Mean clicks per reader.")
    ap.add_argument("--topics", type=int, default=40)
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--candidates", type=int, default=300, help="Candidates the model hands the slate rules.")
    ap.add_argument(
        "--window", type=float, default=30.0, help="Days of articles a slate may show (max_age_days)."
    )
    ap.add_argument(
        "--store",
        action="store_true",
        help="Also keep the events in a SQLite store and time the whole request: the reader's history read "
        "from it, the model and the slate rules, and the slate logged.",
    )
    args = ap.parse_args()

    t0 = time.perf_counter()
    catalogue, events, histories, now = synthetic(
        args.articles, args.readers, args.clicks, args.topics, args.days
    )
    made = time.perf_counter() - t0
    print(
        f"synthetic newsroom: {len(catalogue):,} articles, {args.readers:,} readers, {len(events):,} events "
        f"({made:.1f} s)"
    )
    t0 = time.perf_counter()
    hybrid = HybridRecommender().fit(events, catalogue)
    fit_s = time.perf_counter() - t0
    popularity = PopularityRecommender().fit(events, catalogue)
    stored = _store(events) if args.store else None
    del events
    rng = np.random.default_rng(1)
    picked = [int(i) for i in rng.integers(0, len(histories), args.requests)]
    sample = [histories[i] for i in picked]
    rules = SlateRules(n=10, max_age_days=args.window)
    recent = window(hybrid, catalogue, now, args.window)
    recent_pop = window(popularity, catalogue, now, args.window)
    runs = {
        "hybrid, the recommendable window": timed(
            lambda h: serve(hybrid, catalogue, rules, h, now, args.candidates, recent), sample
        ),
        "hybrid, every article": timed(
            lambda h: serve(hybrid, catalogue, rules, h, now, args.candidates, None), sample
        ),
        "baseline: popularity, the window": timed(
            lambda h: serve(popularity, catalogue, rules, h, now, args.candidates, recent_pop), sample
        ),
    }
    if stored is not None:
        from newsdesk.recommend.store import SlateRecord

        readers = iter([f"{i:032x}" for i in picked] * 2)

        def whole(_: list[str]) -> None:
            reader = next(readers)
            history = [e.article_id for e in stored.reader_history(reader, limit=200)]
            slate = serve(hybrid, catalogue, rules, history, now, args.candidates, recent)
            stored.log_slate(
                SlateRecord(
                    reader,
                    now,
                    "recommendations",
                    "hybrid",
                    "bench",
                    {},
                    [i.article_id for i in slate],
                    "bench",
                )
            )

        runs["hybrid, the window, history read from SQLite and the slate logged"] = timed(whole, sample)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"hybrid fitted in {fit_s:.1f} s; the last {args.window:g} days hold {len(recent):,} of "
        f"{len(catalogue):,} articles"
    )
    for name, ms in runs.items():
        p50, p99 = np.percentile(ms, [50, 99])
        print(
            f"10 recommendations, {name} + slate rules: p50 {p50:.2f} ms, p99 {p99:.2f} ms "
            f"({len(ms)} readers)"
        )
    served = np.percentile(runs["hybrid, the recommendable window"], 99)
    base = np.percentile(runs["baseline: popularity, the window"], 99)
    print(f"ratio hybrid / popularity at p99: {served / base:.2f}x")
    print(f"peak RSS {peak_mb:,.0f} MB; target p99 <= 20 ms: {'met' if served <= 20 else 'NOT met'}")


if __name__ == "__main__":
    main()
