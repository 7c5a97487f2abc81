"""Named-entity metrics on the CoNLL-2003 scheme: IOB1 tags to spans, and exact-span precision, recall and F1.

A span is ``(sentence, first token, end token (exclusive), type)``. A predicted span counts only when its
sentence, boundaries and type all match a gold span (conlleval's convention). Scores are fractions in
[0, 1], per type (:data:`TYPES`) and micro-averaged over the four; ``macro_f1`` is the mean of the
per-type F1.

>>> gold = [(0, 0, 2, "PER"), (0, 4, 5, "LOC")]
>>> scores = span_scores(gold, [(0, 0, 2, "PER"), (0, 4, 6, "LOC")])
>>> scores["micro"]["f1"], scores["per_type"]["PER"]["f1"], scores["per_type"]["LOC"]["f1"]
(0.5, 1.0, 0.0)
>>> as_percent(scores)["micro"]["f1"]
50.0
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["SPACY_TO_CONLL", "TYPES", "Span", "as_percent", "iob1_spans", "span_scores"]

TYPES = ("PER", "ORG", "LOC", "MISC")
# spaCy's OntoNotes labels -> CoNLL types; DATE, TIME, PERCENT, MONEY, QUANTITY, ORDINAL and CARDINAL are
# not CoNLL entities and are dropped
SPACY_TO_CONLL: dict[str, str] = {
    "PERSON": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
}
Span = tuple[int, int, int, str]  # sentence index, first token, end token (exclusive), type


def iob1_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, end, type) of the entities in IOB1 tags: ``I-X`` continues an ``I-X`` or ``B-X`` just
    before it and starts an entity otherwise; ``B-X`` always starts one (IOB2 input also works).

    >>> iob1_spans(["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-ORG"])
    [(0, 2, 'PER'), (2, 3, 'PER'), (4, 5, 'LOC'), (5, 6, 'ORG')]
    """
    spans: list[tuple[int, int, str]] = []
    start, current = -1, ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, type_ = tag.partition("-")
        continues = prefix == "I" and type_ == current
        if current and not continues:
            spans.append((start, i, current))
            current = ""
        if prefix in ("B", "I") and not continues:
            start, current = i, type_
    return spans


def span_scores(gold: Iterable[Span], predicted: Iterable[Span]) -> dict[str, Any]:
    """Exact-span scores, as fractions: ``{"per_type": {TYPE: prf}, "micro": prf, "macro_f1": float}``
    where ``prf`` is ``{"precision", "recall", "f1", "support" (gold spans), "predicted"}``. Spans of other
    types are ignored."""
    gold_set, pred_set = set(gold), set(predicted)
    per_type = {}
    for type_ in TYPES:
        g = {s for s in gold_set if s[3] == type_}
        p = {s for s in pred_set if s[3] == type_}
        per_type[type_] = _prf(len(g & p), len(p), len(g))
    g_all = {s for s in gold_set if s[3] in TYPES}
    p_all = {s for s in pred_set if s[3] in TYPES}
    micro = _prf(len(g_all & p_all), len(p_all), len(g_all))
    macro = sum(float(per_type[t]["f1"]) for t in TYPES) / len(TYPES)
    return {"per_type": per_type, "micro": micro, "macro_f1": macro}


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, Any]:
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": n_gold, "predicted": n_pred}


def as_percent(scores: dict[str, Any], digits: int = 2) -> dict[str, Any]:
    """:func:`span_scores` with every precision, recall and F1 in percent, rounded to ``digits``."""

    def pct(prf: dict[str, Any]) -> dict[str, Any]:
        return {
            **prf,
            **{k: round(100 * float(prf[k]), digits) for k in ("precision", "recall", "f1")},
        }

    return {
        "per_type": {t: pct(v) for t, v in scores["per_type"].items()},
        "micro": pct(scores["micro"]),
        "macro_f1": round(100 * float(scores["macro_f1"]), digits),
    }
