"""The NER metrics both the eval harness and the lifecycle use: fractions, and the harness's percentages
derived from them."""

from __future__ import annotations

import pytest

from newsdesk.evaluate.ner import score_spans
from newsdesk.metrics.ner import TYPES, as_percent, iob1_spans, span_scores

GOLD = [(0, 0, 2, "PER"), (0, 4, 5, "LOC"), (1, 0, 1, "ORG")]
PREDICTED = [(0, 0, 2, "PER"), (0, 4, 6, "LOC"), (1, 0, 1, "LOC")]  # one right, one wide, one mistyped


def test_scores_are_fractions() -> None:
    scores = span_scores(GOLD, PREDICTED)
    assert scores["micro"]["precision"] == pytest.approx(1 / 3)
    assert scores["micro"]["recall"] == pytest.approx(1 / 3)
    assert scores["micro"]["f1"] == pytest.approx(1 / 3)
    perfect = {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1, "predicted": 1}
    assert scores["per_type"]["PER"] == perfect
    assert scores["per_type"]["LOC"]["predicted"] == 2 and scores["per_type"]["LOC"]["f1"] == 0.0
    assert scores["macro_f1"] == pytest.approx(1 / 4)
    for prf in [scores["micro"], *scores["per_type"].values()]:
        assert all(0.0 <= prf[k] <= 1.0 for k in ("precision", "recall", "f1"))


def test_no_predictions_and_no_gold_score_zero_not_nan() -> None:
    assert span_scores([], [])["micro"]["f1"] == 0.0
    nothing = {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 3, "predicted": 0}
    assert span_scores(GOLD, [])["micro"] == nothing


def test_other_types_are_ignored() -> None:
    assert span_scores([*GOLD, (2, 0, 1, "DATE")], PREDICTED) == span_scores(GOLD, PREDICTED)
    assert set(span_scores(GOLD, PREDICTED)["per_type"]) == set(TYPES)


def test_the_eval_report_gives_the_same_scores_in_percent() -> None:
    fractions = span_scores(GOLD, PREDICTED)
    report = score_spans(GOLD, PREDICTED)
    assert report == as_percent(fractions)
    assert report["micro"]["f1"] == 33.33 and report["per_type"]["PER"]["f1"] == 100.0
    assert report["micro"]["support"] == fractions["micro"]["support"] == 3


def test_spans_from_iob1_score_against_themselves_perfectly() -> None:
    tags = [["I-PER", "I-PER", "O", "I-LOC"], ["B-MISC", "I-MISC", "B-MISC", "O", "I-ORG"]]
    spans = [(i, a, b, t) for i, sentence in enumerate(tags) for a, b, t in iob1_spans(sentence)]
    assert len(spans) == 5
    assert span_scores(spans, spans)["micro"]["f1"] == 1.0
