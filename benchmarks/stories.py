"""Story clustering throughput and memory: adding one article to a 100,000-article archive.

The archive is synthetic: ``--archive`` articles spread evenly over ``--days`` days, drawn from ``--events``
news events (each event lives a few days; an article is its event's unit vector plus noise, 384 dimensions
as MiniLM's, with a headline of the event's words plus noise words). They are added through
:class:`~newsdesk.stories.cluster.StoryClusterer` as a build would (untimed), then ``--probe`` more
articles are added one at a time and timed: articles/s is ``probe / seconds``. Memory is the process's
peak resident size (``ru_maxrss``) and the size of the clusterer state that a build saves
(:func:`newsdesk.stories.state.dumps`).

The baseline printed beside it: the same ``--probe`` articles through a brute-force one-shot step (cosine
of the new article against every archived article, the cost a non-incremental nearest-story lookup pays).

    .venv/bin/python benchmarks/stories.py --archive 100000 --probe 1000

Measured (2026-12-04, 2 CPU cores, quiet): 100,000 articles filled in 22.5 s (5,987 stories); adding one
article at a time to the 100,000-article archive ran at 4,516 articles/s (1,000 probes), against 386
articles/s for the brute-force nearest article over the archive's vectors (11.7 times); peak RSS 1,128 MB
(the archive's vectors alone 146 MB); the saved state 188 MB (a float64 sum of 2,432 dimensions per story,
and the member vectors of active stories). An earlier run (2026-12-03) on a machine shared with a CI run
took 623 s to fill.
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from newsdesk.stories.cluster import ClusterConfig, StoryClusterer
from newsdesk.stories.model import StoryItem
from newsdesk.stories.state import dumps

DIM = 384


def synthetic(n: int, days: float, events: int, seed: int = 0) -> list[StoryItem]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(events, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    born = np.sort(rng.uniform(0, days, size=events))
    vocab = [f"w{i}" for i in range(20_000)]
    words = rng.integers(0, len(vocab), size=(events, 4))
    items = []
    for i in range(n):
        day = days * i / n
        live = np.searchsorted(born, day)  # events born so far
        e = int(rng.integers(max(0, live - events // int(days) * 3), max(live, 1)))  # a recent event
        v = centres[e] + 0.6 * rng.normal(size=DIM).astype(np.float32) / np.sqrt(DIM)
        text = " ".join([*(vocab[w] for w in words[e]), *(vocab[w] for w in rng.integers(0, 20_000, 3))])
        items.append(StoryItem(f"a{i}", start + timedelta(days=day), v / np.linalg.norm(v), text))
    return items


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", type=int, default=100_000)
    ap.add_argument("--probe", type=int, default=1000)
    ap.add_argument("--days", type=float, default=60.0)
    ap.add_argument("--events", type=int, default=6000)
    args = ap.parse_args()

    items = synthetic(args.archive + args.probe, args.days, args.events)
    archive, probe = items[: args.archive], items[args.archive :]
    clusterer = StoryClusterer(ClusterConfig())
    started = time.perf_counter()
    for i, item in enumerate(archive, 1):
        clusterer.add(item)
        if i % 10_000 == 0:
            print(f"  {i:,} archived, {time.perf_counter() - started:.0f} s", flush=True)
    fill_s = time.perf_counter() - started

    started = time.perf_counter()
    for item in probe:
        clusterer.add(item)
    probe_s = time.perf_counter() - started

    matrix = np.stack([i.vector for i in archive]).astype(np.float32)
    started = time.perf_counter()
    for item in probe:
        int(np.argmax(matrix @ item.vector.astype(np.float32)))
    brute_s = time.perf_counter() - started

    state = len(dumps(clusterer))  # what a build saves (npz + JSON, stories/state.py)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = args.probe / probe_s
    print(
        f"archive {args.archive:,} articles in {len(clusterer.stories()):,} stories "
        f"(filled in {fill_s:.1f} s, {args.archive / fill_s:,.0f} articles/s)"
    )
    print(f"incremental: {rate:,.0f} articles/s adding one article at a time ({args.probe} probes)")
    print(
        f"baseline brute-force nearest article over the archive: {args.probe / brute_s:,.0f} articles/s "
        f"(ratio {rate / (args.probe / brute_s):.2f})"
    )
    print(
        f"memory: peak RSS {peak_mb:,.0f} MB (archive vectors alone {matrix.nbytes / 2**20:,.0f} MB); "
        f"saved clusterer state {state / 2**20:,.0f} MB"
    )


if __name__ == "__main__":
    main()
