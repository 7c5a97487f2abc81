"""The ``sections`` and ``multilabel`` evaluations: on the committed samples (shape, ranges, better than a
trivial baseline) and, marked slow, on the full BBC News and Reuters-21578 data against their targets."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from newsdesk.evaluate.datasets import load_reuters_modapte
from newsdesk.evaluate.harness import SHARED_DATA, EvalResult, run_eval
from newsdesk.evaluate.sections import calibration_error
from newsdesk.settings import Settings

SAMPLE = Path(__file__).parents[1] / "data" / "sections"


def test_sections_on_the_sample(settings: Settings) -> None:
    result = run_eval("sections", SAMPLE / "bbc", settings)
    data = json.loads(result.to_json())
    assert set(data) >= {"task", "dataset", "n", "model", "metrics", "baseline", "details", "seconds"}
    assert data["task"] == "sections" and data["n"] == 100
    metrics, baseline = data["metrics"], data["baseline"]
    for scores in (metrics, baseline):
        assert 0.0 <= scores["macro_f1"] <= scores["accuracy"] + 0.05 <= 1.05
        assert scores["errors"] == round((1 - scores["accuracy"]) * 100)
    assert 0.0 <= metrics["brier"] <= 2.0 and 0.0 <= metrics["ece"] <= 1.0 and metrics["log_loss"] >= 0
    majority = data["details"]["majority_baseline"]
    assert majority["accuracy"] <= 0.25  # 5 balanced sections
    assert metrics["accuracy"] >= 0.8 > majority["accuracy"]
    assert metrics["brier"] < 0.8  # better than the uniform distribution's 0.8
    assert len(data["details"]["folds"]) == 5 and data["details"]["classes"] == dict.fromkeys(
        ["business", "entertainment", "politics", "sport", "tech"], 20
    )


def test_sections_limit_spreads_over_sections(settings: Settings) -> None:
    result = run_eval("sections", SAMPLE / "bbc", settings, limit=50)
    assert result.n == 50 and set(result.details["classes"].values()) == {10}


def test_multilabel_on_the_sample(settings: Settings) -> None:
    result = run_eval("multilabel", SAMPLE / "reuters", settings)
    data = json.loads(result.to_json())
    assert data["task"] == "multilabel" and data["n"] == 40 and data["details"]["topics"] == 8
    for scores in (data["metrics"], data["baseline"]):
        assert all(0.0 <= scores[k] <= 1.0 for k in ("micro_f1", "macro_f1", "subset_accuracy"))
    # a trivial tagger: every test story gets the most frequent training topic
    docs = load_reuters_modapte(SAMPLE / "reuters")
    top = Counter(t for d in docs if d.split == "train" for t in d.topics).most_common(1)[0][0]
    test = [d for d in docs if d.split == "test"]
    hits = sum(top in d.topics for d in test)
    trivial_micro_f1 = 2 * hits / (len(test) + sum(len(d.topics) for d in test))
    assert data["metrics"]["micro_f1"] > trivial_micro_f1 + 0.3
    assert 0.0 <= data["metrics"]["brier"] < 0.25


def test_calibration_error() -> None:
    classes = np.array(["a", "b"])
    perfect = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert calibration_error(perfect, np.array(["a", "b"]), classes) == 0.0
    assert calibration_error(perfect, np.array(["b", "a"]), classes) == 1.0
    half = np.array([[0.5, 0.5]] * 4)
    assert calibration_error(half, np.array(["a", "b", "a", "b"]), classes) == 0.0


@pytest.fixture(scope="module")
def full_bbc(nlp_settings: Settings) -> EvalResult:
    path = SHARED_DATA / "bbc-news-summary"
    if not path.exists():
        pytest.skip("BBC News Summary not available")
    return run_eval("sections", path, nlp_settings)


@pytest.mark.slow
def test_full_bbc_sections(full_bbc: EvalResult) -> None:
    assert full_bbc.n == 2127
    assert full_bbc.baseline["accuracy"] > 0.97  # measured 0.9779 (47 errors) on these folds
    assert full_bbc.metrics["accuracy"] >= full_bbc.baseline["accuracy"]  # measured 0.9803 (42 errors)
    assert full_bbc.metrics["macro_f1"] >= full_bbc.baseline["macro_f1"]
    assert full_bbc.metrics["ece"] < 0.05 and full_bbc.metrics["brier"] < 0.05  # measured 0.0083, 0.030


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="the issue's target (0.985) is not reached: measured 0.9803")
def test_full_bbc_sections_target(full_bbc: EvalResult) -> None:
    assert full_bbc.metrics["accuracy"] >= 0.985


@pytest.mark.slow
def test_full_reuters_multilabel(nlp_settings: Settings) -> None:
    path = SHARED_DATA / "reuters21578"
    if not path.exists():
        pytest.skip("Reuters-21578 not available")
    result = run_eval("multilabel", path, nlp_settings)
    assert (
        result.details["train"] == 7775 and result.details["test"] == 3019 and result.details["topics"] == 90
    )
    assert result.metrics["micro_f1"] >= 0.85  # the literature's range for linear SVMs: 0.85-0.87
    assert result.metrics["micro_f1"] >= result.baseline["micro_f1"]
    assert result.metrics["macro_f1"] > result.baseline["macro_f1"]
