"""The ``iptc-zeroshot`` evaluation: AG News topics from IPTC Media Topics tags, with no AG training labels.

The :class:`~newsdesk.nlp.iptc.IptcTagger` is adapted, without labels, to the AG texts themselves
(transductively, as a newsroom adapts it to its archive) and each row's distribution over the 1,084 active
concepts is summed into the four AG classes through :data:`AG_MAPPING`; the class with the most mass is the
prediction. The AG labels are read only to score.

The mapping (most specific entry on a concept's path wins):

- **World** (1): arts, culture, entertainment and media; crime, law and justice; disaster, accident and
  emergency incident; education; human interest; lifestyle and leisure; politics and government; religion;
  society; conflict, war and peace; weather (AG's World is general and international news);
- **Sports** (2): sport;
- **Business** (3): economy, business and finance; labour; and *corporate crime* (fraud, anti-trust,
  insider trading: business news);
- **Sci/Tech** (4): science and technology; health and environment (reported as science in AG's sources);
  and, because AG's Sci/Tech class is largely the technology industry, which IPTC files under economy,
  *computing and information technology* (hardware, software, telecoms, wireless, satellites),
  *consumer electronics* and *cyber crime*.

Baseline (same run): the nearest AG class name ("World", "Sports", "Business", "Sci/Tech") by embedding.
``details`` also gives the tagger without adaptation (plain label/definition similarity), per-class
accuracy, the confusion matrix and the expected calibration error of the predicted class's mass.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsdesk.evaluate.datasets import AG_CLASSES, load_ag_news
from newsdesk.evaluate.harness import EvalResult, task

if TYPE_CHECKING:
    import numpy as np

    from newsdesk.nlp.iptc import ConceptIndex
    from newsdesk.settings import Settings

__all__ = ["AG_MAPPING", "ag_class_of", "evaluate_iptc_zeroshot"]

AG_MAPPING: dict[str, int] = {
    "medtop:01000000": 1,  # arts, culture, entertainment and media
    "medtop:02000000": 1,  # crime, law and justice
    "medtop:03000000": 1,  # disaster, accident and emergency incident
    "medtop:04000000": 3,  # economy, business and finance
    "medtop:05000000": 1,  # education
    "medtop:06000000": 4,  # environment
    "medtop:07000000": 4,  # health
    "medtop:08000000": 1,  # human interest
    "medtop:09000000": 3,  # labour
    "medtop:10000000": 1,  # lifestyle and leisure
    "medtop:11000000": 1,  # politics and government
    "medtop:12000000": 1,  # religion
    "medtop:13000000": 4,  # science and technology
    "medtop:14000000": 1,  # society
    "medtop:15000000": 2,  # sport
    "medtop:16000000": 1,  # conflict, war and peace
    "medtop:17000000": 1,  # weather
    "medtop:20000225": 4,  # economy > products and services > computing and information technology
    "medtop:20001258": 4,  # economy > products and services > consumer goods > consumer electronics
    "medtop:20000086": 4,  # crime, law and justice > crime > cyber crime
    "medtop:20000087": 3,  # crime, law and justice > crime > corporate crime
}
"""IPTC concept -> AG class; a concept takes the entry of its nearest mapped ancestor (or itself)."""

_CLASS_NAMES = [AG_CLASSES[k] for k in (1, 2, 3, 4)]


def ag_class_of(index: ConceptIndex, position: int) -> int:
    """The AG class (1-4) of the active concept at ``position`` of ``index``."""
    for node in reversed(index.path(position)):
        qcode = index.concepts[node].qcode
        if qcode in AG_MAPPING:
            return AG_MAPPING[qcode]
    raise KeyError(index.concepts[position].qcode)  # unreachable: every top-level concept is mapped


@task(
    "iptc-zeroshot", dataset="ag-news", description="AG News classes from zero-shot IPTC tags (no AG labels)"
)
def evaluate_iptc_zeroshot(path: Path, settings: Settings, limit: int | None) -> EvalResult:
    """Accuracy on AG News of the self-adapted IPTC tagger, beside the nearest class name baseline."""
    import numpy as np

    from newsdesk.articles.model import Article
    from newsdesk.nlp.iptc import IptcTagger

    items = load_ag_news(path, limit=limit)
    articles = [
        Article.create(source="ag-news", source_id=str(i), headline=it.title or "-", body=it.description)
        for i, it in enumerate(items)
    ]
    truth = np.array([it.label for it in items])
    tagger = IptcTagger.from_settings(settings)
    index = tagger.index
    to_class = np.zeros((len(index.concepts), 4))
    for position in range(len(index.concepts)):
        to_class[position, ag_class_of(index, position) - 1] = 1.0

    zero_shot = tagger.concept_probabilities(articles) @ to_class
    tagger.adapt(articles)  # unlabelled: only the texts
    adapted = tagger.concept_probabilities(articles) @ to_class
    vectors = tagger.embedder.embed_articles(articles, tagger.strategy)
    names = tagger.embedder.encode(_CLASS_NAMES)
    baseline = vectors @ names.T

    adaptation = tagger.adaptation_
    metrics = _scores(truth, adapted)
    metrics["ece"] = _ece(truth, adapted)
    metrics["mean_confidence"] = round(float(adapted.max(axis=1).mean()), 4)
    return EvalResult(
        task="iptc-zeroshot",
        dataset=str(path),
        n=len(items),
        model=tagger.ref,
        metrics=metrics,
        baseline={"method": "nearest AG class name by embedding", **_scores(truth, baseline)},
        details={
            "zero_shot_without_adaptation": _scores(truth, zero_shot),
            "confusion": {
                "labels": _CLASS_NAMES,
                "rows": "true class",
                "columns": "predicted class",
                "matrix": _confusion(truth, adapted),
            },
            "adaptation": {
                "articles": adaptation.n_articles if adaptation else 0,
                "classes": len(adaptation.classes) if adaptation else 0,
                "labels_used": "none (AG texts only, transductively)",
            },
            "mapping": {q: _CLASS_NAMES[c - 1] for q, c in AG_MAPPING.items()},
        },
    )


def _predict(scores: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.asarray(scores.argmax(axis=1) + 1)


def _scores(truth: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
    import numpy as np

    predicted = _predict(scores)
    per_class = {
        _CLASS_NAMES[k - 1]: round(float((predicted[truth == k] == k).mean()), 4)
        if (truth == k).any()
        else None
        for k in (1, 2, 3, 4)
    }
    f1 = []
    for k in (1, 2, 3, 4):
        tp = float(((predicted == k) & (truth == k)).sum())
        denominator = float((predicted == k).sum() + (truth == k).sum())
        if (truth == k).any():
            f1.append(2 * tp / denominator if denominator else 0.0)
    return {
        "accuracy": round(float((predicted == truth).mean()), 4) if len(truth) else 0.0,
        "macro_f1": round(float(np.mean(f1)), 4) if f1 else 0.0,
        "per_class_accuracy": per_class,
    }


def _confusion(truth: np.ndarray, scores: np.ndarray) -> list[list[int]]:
    predicted = _predict(scores)
    return [[int(((truth == a) & (predicted == b)).sum()) for b in (1, 2, 3, 4)] for a in (1, 2, 3, 4)]


def _ece(truth: np.ndarray, probabilities: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of the predicted class's probability (equal-width bins)."""
    import numpy as np

    if not len(truth):
        return 0.0
    confidence = probabilities.max(axis=1) / np.maximum(probabilities.sum(axis=1), 1e-300)
    correct = (_predict(probabilities) == truth).astype(float)
    edges = np.minimum((confidence * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        inside = edges == b
        if inside.any():
            total += inside.mean() * abs(float(correct[inside].mean()) - float(confidence[inside].mean()))
    return round(float(total), 4)
