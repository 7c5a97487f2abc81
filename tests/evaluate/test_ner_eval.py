"""The ``ner`` evaluation: IOB1 spans, exact-span scoring, the baselines, and a run on the hand-made
CoNLL-format sample in ``tests/data/conll`` (the CoNLL-2003 data itself may not be redistributed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdesk.errors import DatasetNotFound
from newsdesk.evaluate.datasets import ConllSentence, load_conll
from newsdesk.evaluate.harness import run_eval
from newsdesk.evaluate.locate import find_dataset
from newsdesk.evaluate.ner import (
    SPACY_TO_CONLL,
    capitalisation_baseline,
    gazetteer_baseline,
    iob1_spans,
    score_spans,
)
from newsdesk.settings import Settings

CONLL = Path(__file__).parents[1] / "data" / "conll"


def test_iob1_to_spans() -> None:
    assert iob1_spans([]) == []
    assert iob1_spans(["O", "I-PER", "I-PER", "O"]) == [(1, 3, "PER")]
    # B- only separates two adjacent entities of one type
    assert iob1_spans(["I-MISC", "B-MISC", "I-MISC", "O"]) == [(0, 1, "MISC"), (1, 3, "MISC")]
    # a change of type starts a new entity
    assert iob1_spans(["I-ORG", "I-LOC"]) == [(0, 1, "ORG"), (1, 2, "LOC")]
    # IOB2 input reads the same
    assert iob1_spans(["B-PER", "I-PER", "O", "B-LOC"]) == [(0, 2, "PER"), (3, 4, "LOC")]


def test_exact_span_scoring() -> None:
    gold = [(0, 0, 2, "PER"), (0, 4, 5, "LOC"), (1, 0, 1, "ORG")]
    predicted = [(0, 0, 2, "PER"), (0, 4, 6, "LOC"), (1, 0, 1, "LOC")]  # one right, one wide, one mistyped
    scores = score_spans(gold, predicted)
    assert scores["micro"]["precision"] == pytest.approx(100 / 3, abs=0.01)
    assert scores["micro"]["recall"] == pytest.approx(100 / 3, abs=0.01)
    assert scores["per_type"]["PER"]["f1"] == 100.0
    loc = {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1, "predicted": 2}
    assert scores["per_type"]["LOC"] == loc
    assert scores["per_type"]["MISC"]["support"] == 0


def test_label_mapping_covers_conll_types() -> None:
    assert set(SPACY_TO_CONLL.values()) == {"PER", "ORG", "LOC", "MISC"}
    assert SPACY_TO_CONLL["GPE"] == SPACY_TO_CONLL["FAC"] == "LOC" and "DATE" not in SPACY_TO_CONLL


def test_sample_reads_as_conll() -> None:
    sentences = load_conll(CONLL / "eng.sample")
    assert len(sentences) == 35
    assert sum(len(iob1_spans(s.tags)) for s in sentences) == 67
    train = load_conll(CONLL / "eng.train")
    assert any("B-MISC" in s.tags for s in train)


def test_gazetteer_baseline_uses_unique_complete_entities() -> None:
    train = [
        ConllSentence(["Harbour", "City", "beat", "Paris"], ["I-ORG", "I-ORG", "O", "I-LOC"]),
        ConllSentence(["Paris", "Saint", "Germain"], ["I-ORG", "I-ORG", "I-ORG"]),
        ConllSentence(["Jordan", "won"], ["I-PER", "O"]),
        ConllSentence(["in", "Jordan"], ["O", "I-LOC"]),  # Jordan: two types, so never tagged
    ]
    test = [ConllSentence(["Harbour", "City", "met", "Paris", "Saint", "Germain", "in", "Jordan"], ["O"] * 8)]
    assert gazetteer_baseline(train, test) == [(0, 0, 2, "ORG"), (0, 3, 6, "ORG")]  # longest match first


def test_capitalisation_baseline() -> None:
    sent = ConllSentence(["The", "mayor", "of", "New", "York", "met", "Anna"], ["O"] * 7)
    assert capitalisation_baseline([sent]) == [(0, 3, 5, "PER"), (0, 6, 7, "PER")]


def _stock(settings: Settings) -> Settings:
    """``settings`` with the stock spaCy model as the entities component's NER."""
    return Settings(home=settings.home, store={"url": None}, nlp={"ner_model": settings.nlp.spacy_model})


def test_eval_on_the_sample(nlp_settings: Settings) -> None:
    """The served model (the bundled transformer) against the stock spaCy model, both timed."""
    result = run_eval("ner", CONLL / "eng.sample", nlp_settings)
    assert result.task == "ner" and result.n == 35
    assert result.model.startswith("en_newsdesk_ner_minilm-1-int8")
    assert result.baseline["name"].startswith("spacy:")
    assert "eng.train" in result.details["gazetteer_baseline"]["name"]
    assert result.details["gold_entities"] == {"ORG": 20, "PER": 18, "LOC": 22, "MISC": 7}
    for scores in (result.metrics, result.baseline, result.details["gazetteer_baseline"]):
        assert set(scores["per_type"]) == {"PER", "ORG", "LOC", "MISC"}
        assert scores["micro"]["support"] == 67
        assert 0 <= scores["micro"]["f1"] <= 100
    # clean, invented newswire: the model must find nearly all people and places, and beat the stock model
    assert result.metrics["per_type"]["PER"]["f1"] > 85
    assert result.metrics["per_type"]["LOC"]["f1"] > 85
    assert result.metrics["micro"]["f1"] > result.baseline["micro"]["f1"] + 10
    assert result.metrics["sentences_per_second"] > 0 and result.baseline["sentences_per_second"] > 0
    result.to_json()


def test_eval_of_the_stock_model_against_the_gazetteer(nlp_settings: Settings) -> None:
    result = run_eval("ner", CONLL / "eng.sample", _stock(nlp_settings))
    assert result.model.startswith("spacy:") and "eng.train" in result.baseline["name"]
    assert result.metrics["per_type"]["PER"]["f1"] > 70
    assert result.metrics["micro"]["f1"] > result.baseline["micro"]["f1"]


def test_eval_limit_and_fallback_baseline(tmp_path: Path, nlp_settings: Settings) -> None:
    lone = tmp_path / "eng.testa"
    lone.write_bytes((CONLL / "eng.sample").read_bytes())
    result = run_eval("ner", lone, nlp_settings, limit=5)
    assert result.n == 5
    assert result.details["gazetteer_baseline"]["name"].startswith("capitalised runs")


@pytest.mark.slow
def test_full_eng_testa(nlp_settings: Settings) -> None:
    try:
        path = find_dataset("conll2003/eng.testa", nlp_settings)
    except DatasetNotFound as exc:
        pytest.skip(str(exc))
    stock = run_eval("ner", path, _stock(nlp_settings))
    assert stock.n == 3250 and stock.details["gold_entities"]["PER"] == 1842
    assert 55 < stock.metrics["micro"]["f1"] < 75  # measured: 64.4
    assert 60 < stock.baseline["micro"]["f1"] < 75  # measured: 68.8 (published CoNLL baseline: 71.2)
