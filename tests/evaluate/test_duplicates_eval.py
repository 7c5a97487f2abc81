"""The ``duplicates`` evaluation: rewrites, gold pairs, scoring, and runs on the committed BBC sample."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from newsdesk.errors import DatasetNotFound
from newsdesk.evaluate.datasets import BbcItem, load_bbc
from newsdesk.evaluate.duplicates import (
    REWRITE_KINDS,
    build_benchmark,
    corpus_pairs,
    rewrite,
    score_pairs,
)
from newsdesk.evaluate.harness import run_eval
from newsdesk.evaluate.locate import find_dataset
from newsdesk.settings import Settings

BBC = Path(__file__).parents[1] / "data" / "bbc"


@pytest.fixture(scope="module")
def items() -> list[BbcItem]:
    return load_bbc(BBC, dedupe=False)


@pytest.mark.parametrize("kind", sorted(REWRITE_KINDS))
def test_rewrites_are_deterministic_and_change_the_text(kind: str, items: list[BbcItem]) -> None:
    source = next(i for i in items if i.id == "business/001")
    first = rewrite(kind, source.headline, source.body, random.Random(7))
    again = rewrite(kind, source.headline, source.body, random.Random(7))
    assert first == again
    assert " ".join(f"{first[0]} {first[1]}".split()) != " ".join(f"{source.headline} {source.body}".split())


def test_rewrite_kinds_do_what_they_say(items: list[BbcItem]) -> None:
    source = next(i for i in items if i.id == "business/001")
    rng = random.Random(1)
    _, truncated = rewrite("truncate", source.headline, source.body, rng)
    assert source.body.replace("\n\n", " ").startswith(truncated.replace("\n\n", " ")[:200])
    assert len(truncated) < 0.8 * len(source.body)
    headline, body = rewrite("wire_lead", source.headline, source.body, rng)
    assert headline == f"UPDATE 2-{source.headline}" and "(Newsdesk Wire)" in body.split("\n\n")[0]
    _, body = rewrite("boilerplate", source.headline, source.body, rng)
    assert "Reporting by" in body and "All rights reserved" in body


def test_corpus_pairs_find_the_exact_duplicate(items: list[BbcItem]) -> None:
    gold, related = corpus_pairs(items)
    assert gold == {("sport/252", "sport/255"): "exact"}
    assert related == set()


def test_whitespace_and_natural_pairs() -> None:
    body = ("The council approved the budget on Monday after a long debate. " * 3 + "\n\n") * 4
    edited = body.replace("long debate", "short debate", 1) + "A spokesman declined to comment further."
    items = [
        BbcItem("a/001", "a", "Budget approved", body, None),
        BbcItem("a/002", "a", "Budget approved", body.replace("\n\n", "\n"), None),
        BbcItem("a/003", "a", "Council backs budget", edited, None),
        BbcItem("a/004", "a", "Storm hits coast", "Heavy rain and strong winds hit the coast.", None),
    ]
    gold, _ = corpus_pairs(items)
    assert gold[("a/001", "a/002")] == "whitespace"
    assert gold[("a/001", "a/003")] == "natural" and gold[("a/002", "a/003")] == "natural"
    assert not any("a/004" in pair for pair in gold)


def test_benchmark_on_the_sample(items: list[BbcItem]) -> None:
    bench = build_benchmark(items, per_kind=1)
    rewrites = [d for d in bench.docs if d.id.startswith("rewrite/")]
    assert len(rewrites) == len(REWRITE_KINDS)
    assert sorted(bench.gold.values()).count("exact") == 1
    # no rewrite is made from an article that already has a duplicate
    assert not any(d.id.endswith(("sport/252", "sport/255")) for d in rewrites)
    assert build_benchmark(items, per_kind=1).gold == bench.gold  # seeded


def test_score_pairs() -> None:
    gold = {("a", "b"): "exact", ("c", "d"): "truncate", ("e", "f"): "truncate"}
    scores = score_pairs([("b", "a"), ("c", "d"), ("x", "y"), ("g", "h")], gold, related={("g", "h")})
    assert (scores["precision"], scores["recall"]) == (round(2 / 3, 4), round(2 / 3, 4))
    assert scores["recall_by_kind"] == {"exact": 1.0, "truncate": 0.5}
    assert scores["false_positives"] == 1  # the related pair is not counted


def test_eval_on_the_sample(nlp_settings: Settings) -> None:
    result = run_eval("duplicates", BBC, nlp_settings)
    assert result.task == "duplicates" and result.details["files"] == 8
    assert result.n == 8 + len(REWRITE_KINDS)
    assert result.baseline["recall_by_kind"]["exact"] == 1.0
    assert result.metrics["recall_by_kind"]["exact"] == 1.0
    assert result.metrics["recall"] > result.baseline["recall"]
    assert result.metrics["precision"] >= 0.9
    assert result.details["with_embeddings"]["recall"] >= result.metrics["recall"]
    result.to_json()


@pytest.mark.slow
def test_full_bbc(nlp_settings: Settings) -> None:
    try:
        path = find_dataset("bbc-news-summary", nlp_settings)
    except DatasetNotFound as exc:
        pytest.skip(str(exc))
    result = run_eval("duplicates", path, nlp_settings)
    assert result.details["files"] == 2225 and result.details["gold_by_kind"]["exact"] == 98
    assert result.baseline["recall_by_kind"]["exact"] == 1.0 and result.baseline["precision"] == 1.0
    assert result.metrics["f1"] > 0.9 and result.metrics["precision"] > 0.95  # measured: see the report
    heavy = result.details["with_embeddings"]["recall_by_kind"]["heavy"]
    assert heavy > result.metrics["recall_by_kind"]["heavy"]
