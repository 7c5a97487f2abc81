"""Judged headline pairs, the pairwise scorer and the ``headline-pairs`` eval task, on synthetic CSVs."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from newsdesk.experiments.headlines import (
    HeadlineScorer,
    judged_pairs,
    length_baseline,
    read_packages,
    style_features,
    time_split,
)

COLUMNS = [
    "clickability_test_id",
    "headline",
    "lede",
    "excerpt",
    "impressions",
    "clicks",
    "significance",
    "winner",
    "first_place",
    "test_week",
    "eyecatcher_id",
    "winner_count_anomaly",
    "ctr",
]

TOPICS = [
    "dogs", "teachers", "rivers", "bakers", "nurses", "cities", "forests", "farmers", "children",
    "oceans", "students", "artists", "doctors", "voters", "workers", "parents", "islands", "soldiers",
    "pilots", "poets",
]  # fmt: skip
VERBS = ["saved", "changed", "built", "found", "lost", "fixed", "taught", "helped"]


def _row(
    test: str, headline: str, clicks: int, impressions: int, week: int, lede: str = "L", image: str = "img"
):
    return {
        "clickability_test_id": test,
        "headline": headline,
        "lede": lede,
        "excerpt": "E",
        "impressions": impressions,
        "clicks": clicks,
        "significance": 0,
        "winner": False,
        "first_place": False,
        "test_week": week,
        "eyecatcher_id": image,
        "winner_count_anomaly": False,
        "ctr": clicks / impressions,
    }


def _write(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _synthetic(path: Path, n_tests: int = 80, seed: int = 1) -> Path:
    """Tests of three headlines; one carrying the word 'incredible' gets 3x the clicks."""
    rng = random.Random(seed)
    rows = []
    for t in range(n_tests):
        week = 201410 + t // 8  # ten weeks, outside the excluded range
        topic = rng.choice(TOPICS)
        marked = rng.randrange(3)
        for k in range(3):
            words = [topic, rng.choice(VERBS), "the", *rng.sample(TOPICS, rng.randrange(1, 4))]
            if k == marked:
                words.insert(rng.randrange(len(words) + 1), "incredible")
            rate = 0.06 if k == marked else 0.02
            rows.append(_row(f"t{t}", " ".join(words) + f" {k}", round(rate * 4000), 4000, week))
    return _write(path, rows)


def test_pairs_need_same_context_significance_and_allowed_weeks(tmp_path: Path) -> None:
    rows = [
        # a: two headlines, same context, clearly different CTRs -> one pair
        _row("a", "First headline", 200, 2000, 201410),
        _row("a", "Second headline", 50, 2000, 201410),
        # same test, a different lede: not comparable with the two above
        _row("a", "Third headline", 10, 2000, 201410, lede="other"),
        # b: different image -> no pair
        _row("b", "One", 200, 2000, 201410, image="x"),
        _row("b", "Two", 50, 2000, 201410, image="y"),
        # c: not significant -> no pair
        _row("c", "Alpha", 100, 2000, 201410),
        _row("c", "Beta", 101, 2000, 201410),
        # d: excluded week -> no pair
        _row("d", "Gamma", 200, 2000, 201340),
        _row("d", "Delta", 50, 2000, 201340),
        # e: same headline twice -> no pair
        _row("e", "Same", 200, 2000, 201410),
        _row("e", "Same", 50, 2000, 201410),
    ]
    pairs = judged_pairs(read_packages(_write(tmp_path / "p.csv", rows)))
    assert len(pairs) == 1
    pair = pairs[0]
    winner = pair.a if pair.label == 1 else pair.b
    assert {pair.a, pair.b} == {"First headline", "Second headline"}
    assert winner == "First headline"
    assert pair.p_value < 0.05


def test_labels_are_balanced_and_seeded(tmp_path: Path) -> None:
    path = _synthetic(tmp_path / "s.csv", n_tests=100)
    pairs = judged_pairs(read_packages(path), seed=3)
    share = sum(p.label for p in pairs) / len(pairs)
    assert 0.4 < share < 0.6
    assert pairs == judged_pairs(read_packages(path), seed=3)


def test_time_split_holds_out_the_last_weeks(tmp_path: Path) -> None:
    pairs = judged_pairs(read_packages(_synthetic(tmp_path / "s.csv")))
    train, test = time_split(pairs, 0.25)
    assert train and test
    assert max(pairs[i].week for i in train) < min(pairs[i].week for i in test)
    assert len({pairs[i].week for i in test}) == 2  # a quarter of ten weeks, rounded


def test_scorer_learns_a_marker_word(tmp_path: Path) -> None:
    pairs = judged_pairs(read_packages(_synthetic(tmp_path / "s.csv", n_tests=120)))
    train, test = time_split(pairs, 0.25)
    scorer = HeadlineScorer(embeddings=False).fit([pairs[i] for i in train])
    held_out = [pairs[i] for i in test]
    assert scorer.chosen_C in scorer.Cs
    assert scorer.pairwise_accuracy(held_out) > 0.9
    assert length_baseline(held_out) < 0.9  # lengths vary, so the marker's extra word is a weaker cue
    a, b = scorer.score(["incredible dogs saved the rivers", "dogs saved the rivers"])
    assert a > b


def test_scorer_round_trips(tmp_path: Path) -> None:
    pairs = judged_pairs(read_packages(_synthetic(tmp_path / "s.csv")))
    scorer = HeadlineScorer(embeddings=False, C=1.0).fit(pairs)
    loaded = HeadlineScorer.load(scorer.save(tmp_path / "scorer.joblib"))
    headlines = [pairs[0].a, pairs[0].b, "something new entirely"]
    assert loaded.score(headlines) == pytest.approx(scorer.score(headlines))
    assert loaded.chosen_C == 1.0


def test_style_features() -> None:
    f = dict(
        zip(("words", "chars", "q", "excl"), style_features("Can YOU guess what 5 dogs did?"), strict=False)
    )
    assert f["q"] == 1.0 and f["excl"] == 0.0
    assert len(style_features("")) == len(style_features("Hello there!"))


def test_eval_task_shape(tmp_path: Path) -> None:
    from newsdesk.evaluate.headline_pairs import run
    from newsdesk.settings import Settings

    path = _synthetic(tmp_path / "s.csv", n_tests=60)
    result = run(path, Settings(home=tmp_path), None, embeddings=False)
    assert result.task == "headline-pairs"
    assert set(result.metrics) == {"pairwise_accuracy_by_test", "pairwise_accuracy_by_time"}
    assert set(result.baseline) == {
        "longer_headline_by_test",
        "longer_headline_by_time",
        "tfidf_logreg_by_test",
        "tfidf_logreg_by_time",
    }
    assert result.details["pairs"] == result.n > 0
    assert len(result.details["by_test"]["fold_accuracy"]) == 5
    assert result.metrics["pairwise_accuracy_by_test"] > 0.8


def test_by_time_task_runs_one_split(tmp_path: Path) -> None:
    from newsdesk.evaluate.headline_pairs import run
    from newsdesk.evaluate.targets import gated_tasks
    from newsdesk.settings import Settings

    path = _synthetic(tmp_path / "s.csv", n_tests=60)
    result = run(path, Settings(home=tmp_path), None, embeddings=False, by_test=False)
    assert result.task == "headline-pairs-by-time" and "headline-pairs-by-time" in gated_tasks()
    assert set(result.metrics) == {"pairwise_accuracy_by_time"}
    assert set(result.baseline) == {"longer_headline_by_time", "tfidf_logreg_by_time"}
    assert "by_test" not in result.details and result.details["by_time"]["test_pairs"] > 0


def test_shape_features_and_their_round_trip(tmp_path: Path) -> None:
    from newsdesk.experiments.headlines import SHAPE_NAMES, shape_features

    f = dict(zip(SHAPE_NAMES, shape_features("Why you never saw 5 dogs - until now?"), strict=True))
    assert f["question_start"] == 1.0 and f["you_early"] == 1.0 and f["dash"] == 1.0 and f["negation"] == 1.0
    assert len(shape_features("")) == len(SHAPE_NAMES)
    pairs = judged_pairs(read_packages(_synthetic(tmp_path / "s.csv")))
    scorer = HeadlineScorer(embeddings=False, shape=True, C=1.0).fit(pairs)
    loaded = HeadlineScorer.load(scorer.save(tmp_path / "scorer.joblib"))
    assert loaded.shape and loaded.score(["  a b c "]) == pytest.approx(scorer.score(["a b c"]))
