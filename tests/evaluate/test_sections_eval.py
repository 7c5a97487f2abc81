"""The ``sections`` and ``multilabel`` evaluations on the committed samples (shape, ranges, better than a
trivial baseline); the full BBC News and Reuters-21578 runs against their targets are quality gates
(``test_quality_gates.py``, targets in ``newsdesk.evaluate.targets``)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np

from newsdesk.evaluate.datasets import load_reuters_modapte
from newsdesk.evaluate.harness import run_eval
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

