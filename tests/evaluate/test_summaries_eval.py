"""The ``summaries`` evaluation: reference handling and the result's shape on a committed 15-article BBC
sample; the full BBC News Summary run against its target is a quality gate (``test_quality_gates.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from newsdesk.evaluate import run_eval
from newsdesk.evaluate.datasets import load_bbc
from newsdesk.evaluate.summaries import (
    RougeTable,
    build_examples,
    cross_validated_probabilities,
    fit_scorer,
    fold_assignment,
    reference_sentences,
    sentence_labels,
)
from newsdesk.settings import Settings

DATA = Path(__file__).parents[1] / "data"
SAMPLE = DATA / "summaries"
METRICS = {f"{r}_{m}" for r in ("rouge1", "rouge2", "rougeL") for m in ("f1", "recall", "precision")}


def test_reference_sentences_and_labels() -> None:
    summary = 'Sales rose 2% to $11.1bn.Profits fell."It was a hard year," he said.'
    quote = '"It was a hard year," he said.'
    assert reference_sentences(summary) == ["Sales rose 2% to $11.1bn.", "Profits fell.", quote]
    sentences = ["Sales rose 2% to $11.1bn.", "Costs were flat.", "Profits fell.", quote]
    assert sentence_labels(sentences, summary) == [1, 0, 1, 1]


def test_labels_cover_the_sample_references() -> None:
    for example in build_examples(load_bbc(SAMPLE)):
        n, found = len(example.sentences), int(example.labels.sum())
        # the references hold about 40% of an article's sentences (ceil(0.4 n) by their own splitter)
        assert 0.25 * n <= found <= 0.6 * n, example.id


def test_missing_spaces_in_references_do_not_change_rouge() -> None:
    table = RougeTable()
    item = load_bbc(SAMPLE)[0]
    assert item.summary is not None
    spaced = " ".join(reference_sentences(item.summary))
    assert spaced != item.summary
    table.add("joined", item.summary, item.body[:400])
    table.add("spaced", spaced, item.body[:400])
    assert table.summary("joined") == table.summary("spaced")


def test_folds_partition_the_articles() -> None:
    fold_of = fold_assignment(2127, folds=5, seed=0)
    sizes = [fold_of.count(f) for f in range(5)]
    assert sum(sizes) == 2127 and max(sizes) - min(sizes) <= 1
    assert fold_of != sorted(fold_of), "shuffled: the dataset is ordered by section"
    assert fold_of == fold_assignment(2127, folds=5, seed=0)


def test_cross_validated_probabilities_differ_from_in_sample() -> None:
    examples = build_examples(load_bbc(SAMPLE))
    held_out = cross_validated_probabilities(examples, folds=5)
    assert [len(p) for p in held_out] == [len(e.sentences) for e in examples]
    in_sample = fit_scorer(examples)
    pairs = zip(held_out, examples, strict=True)
    assert any(not np.allclose(p, in_sample.probabilities(e.features)) for p, e in pairs)


def test_eval_on_the_committed_sample(nlp_settings: Settings) -> None:
    result = run_eval("summaries", SAMPLE, nlp_settings)
    data = json.loads(result.to_json())
    assert data["task"] == "summaries" and data["n"] == 15
    assert data["model"].startswith("summary@1+lr-")
    assert set(data["metrics"]) == METRICS
    assert set(data["baseline"]) == METRICS | {"name"} and data["baseline"]["name"] == "lead-3"
    details = data["details"]
    for values in (data["metrics"], data["baseline"], details["textrank"], details["random3"]):
        assert all(0.0 <= values[k] <= 1.0 for k in METRICS)
    assert details["protocol"].startswith("5-fold cross-validation")
    assert details["sentences_picked"] == 3
    assert data["metrics"]["rouge2_f1"] > data["baseline"]["rouge2_f1"]
    assert data["metrics"]["rouge2_f1"] > details["random3"]["rouge2_f1"]
    diff = details["model_minus_lead3_rouge2_f1"]
    assert diff["ci95_low"] <= diff["mean"] <= diff["ci95_high"]
    keyphrases = details["keyphrases"]
    assert keyphrases["articles"] == 15 and 0 <= keyphrases["share_in_reference"] <= 1


def test_tiny_sample_uses_the_bundled_scorer(nlp_settings: Settings) -> None:
    result = run_eval("summaries", SAMPLE, nlp_settings, limit=4)
    assert result.n == 4 and result.details["protocol"].startswith("bundled scorer")
