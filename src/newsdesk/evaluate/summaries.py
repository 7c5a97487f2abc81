"""The ``summaries`` evaluation: ROUGE of the ``summary`` component's 3-sentence extracts against the BBC
News Summary references, beside Lead-3 in the same run; and the training of the shipped sentence scorer.

Data: the 2,127 de-duplicated BBC articles (:func:`~newsdesk.evaluate.datasets.load_bbc`). The references
are extractive: about 40% of each article's sentences (``ceil(0.4 n)``), copied verbatim and joined with
no space after the period. Their order follows centrality rather than the article, and a TextRank-style
ranking of the article's own sentences finds most of them, so the set looks machine-made: scores here say
how well a system reproduces those extracts, not what an editor would pick.

Metrics: ROUGE-1, ROUGE-2 and ROUGE-L (summary-level LCS, ``rougeL``) of the ``rouge_score`` package with
Porter stemming, mean F1, recall and precision over articles. Its tokenizer replaces punctuation with
spaces, so the references' missing spaces (``December.For``) do not change any score. A reference of ~7
sentences against 3 picked ones makes recall the limit; F1 is the headline number.

Protocol: the model's figures are **5-fold cross-validated over articles** (folds shuffled with seed 0):
a logistic regression is trained on four folds' sentences (label: the sentence is in the reference) and
summarises the fifth, so no article is ever summarised by a scorer that saw it. Everything picks 3
sentences. The same run also scores:

- ``baseline``: Lead-3 (the first three body sentences);
- ``details.textrank``: the unsupervised fallback (no training);
- ``details.random3``: three random sentences (seed 0);
- ``details.bundled_in_sample``: the shipped scorer, trained on all of these articles (in-sample, for
  reference only);
- ``details.model_minus_lead3_rouge2_f1``: the paired difference with a 95% bootstrap interval;
- ``details.keyphrases``: a sanity check of the ``keyphrases`` component (document frequencies fitted on
  the evaluated articles, as ``prepare`` would on an archive): the share of an article's top-10
  keyphrases that also occur in its reference summary, against the share for 10 random candidate phrases
  of the same article (seed 0). Central phrases should land in the (central) reference more often.

With fewer than 10 articles there is nothing to cross-validate on, and the bundled scorer is scored
instead (``details.protocol`` says which).

Retrain the shipped scorer with ``python -m newsdesk.evaluate.summaries --train OUT.json [DATASET]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsdesk.errors import MissingDependency
from newsdesk.evaluate.datasets import BbcItem, load_bbc
from newsdesk.evaluate.harness import EvalResult, task
from newsdesk.evaluate.locate import find_dataset
from newsdesk.nlp.summarize import (
    DEFAULT_LENGTH_POWER,
    FEATURES,
    SentenceScorer,
    SummaryComponent,
    article_sentences,
    bundled_scorer,
    select,
    sentence_features,
)
from newsdesk.nlp.text import split_sentences
from newsdesk.settings import Settings

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "Example",
    "RougeTable",
    "build_examples",
    "cross_validated_probabilities",
    "fit_scorer",
    "fold_assignment",
    "reference_sentences",
    "sentence_labels",
    "train_scorer",
]

K = 3
FOLDS = 5
SEED = 0
MIN_CV_ARTICLES = 10
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
_REF_BOUNDARY = re.compile(r"(?<=[.!?])(?=[A-Z\"'])")  # the references' "end.Start" joins (SOURCE.md)
_SPACE = re.compile(r"\s+")


def reference_sentences(summary: str) -> list[str]:
    """The reference's sentences, split where one ends and the next starts with no space.

    >>> reference_sentences('Sales rose 2%.Profits fell."We are pleased," he said.')
    ['Sales rose 2%.', 'Profits fell.', '"We are pleased," he said.']
    """
    return [s.strip() for s in _REF_BOUNDARY.split(summary) if s.strip()]


def sentence_labels(sentences: Sequence[str], summary: str) -> list[int]:
    """1 for each article sentence found in the reference (whitespace ignored), else 0: equal to one of
    its sentences, or, for sentences of 20+ characters, contained in it (the splits can differ)."""
    joined = _SPACE.sub("", summary)
    refs = {_SPACE.sub("", s) for s in reference_sentences(summary)}
    labels = []
    for sentence in sentences:
        key = _SPACE.sub("", sentence)
        labels.append(int(bool(key) and (key in refs or (len(key) >= 20 and key in joined))))
    return labels


@dataclass
class Example:
    """One article, ready for training and scoring."""

    id: str
    section: str
    sentences: list[str]
    features: np.ndarray
    labels: np.ndarray
    words: np.ndarray
    reference: str


def build_examples(items: Sequence[BbcItem]) -> list[Example]:
    """Sentences, features and labels of every article that has a reference."""
    import numpy as np

    examples = []
    for item in items:
        if item.summary is None:
            continue
        sentences = article_sentences(item.body)
        texts = [s.text for s in sentences]
        examples.append(
            Example(
                item.id,
                item.section,
                texts,
                sentence_features(item.headline, sentences),
                np.array(sentence_labels(texts, item.summary), dtype=np.int64),
                np.array([len(t.split()) for t in texts], dtype=np.float64),
                item.summary,
            )
        )
    return examples


def fit_scorer(examples: Sequence[Example], *, c: float = 1.0) -> SentenceScorer:
    """A logistic regression on standardised features of every sentence of ``examples``."""
    import numpy as np

    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise MissingDependency("scikit-learn", "nlp", "training the summary scorer") from None
    x = np.vstack([e.features for e in examples])
    y = np.concatenate([e.labels for e in examples])
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit((x - mean) / scale, y)
    return SentenceScorer(
        coef=tuple(float(v) for v in model.coef_[0]),
        intercept=float(model.intercept_[0]),
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        length_power=DEFAULT_LENGTH_POWER,
    )


def fold_assignment(n: int, folds: int = FOLDS, seed: int = SEED) -> list[int]:
    """The fold (0 to ``folds - 1``) of each of ``n`` articles: shuffled with ``seed``, sizes within one."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    fold_of = [0] * n
    for position, article in enumerate(order):
        fold_of[article] = position % folds
    return fold_of


def cross_validated_probabilities(
    examples: Sequence[Example], folds: int = FOLDS, seed: int = SEED
) -> list[np.ndarray]:
    """Per article, sentence probabilities from a scorer trained on the other folds' articles only."""
    fold_of = fold_assignment(len(examples), folds, seed)
    out: list[Any] = [None] * len(examples)
    for fold in range(folds):
        scorer = fit_scorer([e for e, f in zip(examples, fold_of, strict=True) if f != fold])
        for i, f in enumerate(fold_of):
            if f == fold:
                out[i] = scorer.probabilities(examples[i].features)
    return out


def train_scorer(dataset: Path) -> SentenceScorer:
    """The scorer trained on every article of the BBC News Summary folder ``dataset``, with provenance."""
    import sklearn

    items = load_bbc(dataset)
    examples = build_examples(items)
    scorer = fit_scorer(examples)
    digest = hashlib.sha256()
    for item in items:
        digest.update(f"{item.id}\x00{item.headline}\x00{item.body}\x00{item.summary}\x00".encode())
    sentences = sum(len(e.labels) for e in examples)
    positives = sum(int(e.labels.sum()) for e in examples)
    provenance = {
        "dataset": "BBC News Summary (Kaggle pariza/bbc-news-summary; D. Greene & P. Cunningham, ICML 2006), "
        "CC0 1.0 as listed on Kaggle",
        "dataset_sha256": digest.hexdigest(),
        "articles": len(examples),
        "sentences": sentences,
        "positive_sentences": positives,
        "label": "sentence appears in the reference summary",
        "model": f"scikit-learn {sklearn.__version__} LogisticRegression(C=1.0) on standardised features",
        "length_power": "0.5, chosen by 5-fold CV over articles among 0, 0.5, 1, 1.5",
        "trained_by": "python -m newsdesk.evaluate.summaries --train",
        "trained_on": dt.date.today().isoformat(),
    }
    return dataclasses.replace(scorer, provenance=provenance)


class RougeTable:
    """Mean ROUGE F1/recall/precision per system, with ``rouge_score`` (Porter stemming on)."""

    def __init__(self) -> None:
        try:
            from rouge_score import rouge_scorer, tokenizers
        except ImportError:
            raise MissingDependency("rouge-score", "eval", "the summaries evaluation") from None
        base = tokenizers.DefaultTokenizer(use_stemmer=True)
        cache: dict[str, list[str]] = {}

        class _Cached(tokenizers.Tokenizer):  # type: ignore[misc]
            # the same tokens as the default stemming tokenizer, each reference tokenised once
            def tokenize(self, text: str) -> list[str]:
                if text not in cache:
                    cache[text] = base.tokenize(text)
                return cache[text]

        self._scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), tokenizer=_Cached())
        self.rows: dict[str, list[list[float]]] = {}

    def add(self, system: str, reference: str, summary: str) -> None:
        scores = self._scorer.score(reference, summary)
        row = [getattr(scores[t], m) for t in ROUGE_TYPES for m in ("fmeasure", "recall", "precision")]
        self.rows.setdefault(system, []).append(row)

    def summary(self, system: str) -> dict[str, float]:
        import numpy as np

        means = np.asarray(self.rows[system]).mean(axis=0)
        names = [f"{t}_{m}" for t in ROUGE_TYPES for m in ("f1", "recall", "precision")]
        return {name: round(float(v), 4) for name, v in zip(names, means, strict=True)}

    def column(self, system: str, metric: str = "rouge2_f1") -> np.ndarray:
        import numpy as np

        names = [f"{t}_{m}" for t in ROUGE_TYPES for m in ("f1", "recall", "precision")]
        return np.asarray(self.rows[system])[:, names.index(metric)]


def _bootstrap_diff(a: np.ndarray, b: np.ndarray, rounds: int = 1000, seed: int = SEED) -> dict[str, float]:
    import numpy as np

    diff = a - b
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(rounds, len(diff)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return {
        "mean": round(float(diff.mean()), 4),
        "ci95_low": round(float(low), 4),
        "ci95_high": round(float(high), 4),
    }


def keyphrase_check(items: Sequence[BbcItem], settings: Settings, top_k: int = 10) -> dict[str, Any]:
    """Share of top-k keyphrases vs of k random candidates found in the reference (see module doc)."""
    import numpy as np

    from newsdesk.nlp.keyphrases import KeyphrasesComponent, candidates, phrase_key

    with_ref = [item for item in items if item.summary]
    component = KeyphrasesComponent.from_settings(settings, top_k=top_k).fit_texts(i.text for i in with_ref)
    rng = random.Random(SEED)
    top: list[float] = []
    chance: list[float] = []
    for item in with_ref:
        assert item.summary is not None
        in_ref = {k for s in reference_sentences(item.summary) for k, _ in candidates(s)}
        phrases = [p["phrase"] for p in component.extract(item.headline, item.body)]
        keys = [phrase_key(p) for p in phrases]
        pool = sorted({k for s in [item.headline, *split_sentences(item.body)] for k, _ in candidates(s)})
        if not keys or not pool:
            continue
        top.append(sum(k in in_ref for k in keys) / len(keys))
        sample = rng.sample(pool, min(top_k, len(pool)))
        chance.append(sum(k in in_ref for k in sample) / len(sample))
    return {
        "articles": len(top),
        "top_k": top_k,
        "share_in_reference": round(float(np.mean(top)), 4) if top else None,
        "random_candidates_share_in_reference": round(float(np.mean(chance)), 4) if chance else None,
    }


def _joined(example: Example, indices: Sequence[int]) -> str:
    return " ".join(example.sentences[i] for i in sorted(indices))


@task("summaries", dataset="bbc-news-summary")
def evaluate_summaries(path: Path, settings: Settings, limit: int | None) -> EvalResult:
    """ROUGE-1/2/L of 3-sentence extracts on BBC News Summary (5-fold CV over articles) vs Lead-3."""
    import numpy as np

    items = load_bbc(path, limit=limit)
    examples = [e for e in build_examples(items) if e.sentences]
    component = SummaryComponent(sentences=K)
    bundled = bundled_scorer()
    cv = len(examples) >= MIN_CV_ARTICLES
    if cv:
        model_probs = cross_validated_probabilities(examples)
        protocol = f"{FOLDS}-fold cross-validation over articles (shuffled, seed {SEED})"
    elif bundled is not None:
        model_probs = [bundled.probabilities(e.features) for e in examples]
        protocol = "bundled scorer (too few articles to cross-validate; in-sample if they are BBC)"
    else:
        model_probs = [e.features[:, FEATURES.index("textrank")] for e in examples]
        protocol = "textrank fallback (too few articles to cross-validate and no bundled scorer)"
    rng = random.Random(SEED)
    textrank = FEATURES.index("textrank")
    table = RougeTable()
    systems: dict[str, Callable[[int, Example], list[int]]] = {
        "model": lambda i, e: select(model_probs[i], e.words, K, DEFAULT_LENGTH_POWER),
        "lead3": lambda i, e: list(range(min(K, len(e.sentences)))),
        "textrank": lambda i, e: select(e.features[:, textrank], e.words, K, DEFAULT_LENGTH_POWER),
        "random3": lambda i, e: rng.sample(range(len(e.sentences)), min(K, len(e.sentences))),
    }
    if bundled is not None:
        systems["bundled_in_sample"] = lambda i, e: select(
            bundled.probabilities(e.features), e.words, K, bundled.length_power
        )
    hits = []
    for i, example in enumerate(examples):
        for name, pick in systems.items():
            chosen = pick(i, example)
            table.add(name, example.reference, _joined(example, chosen))
            if name == "model":
                hits.append(float(example.labels[chosen].mean()))
    by_section: dict[str, list[float]] = {}
    for example, value in zip(examples, table.column("model"), strict=True):
        by_section.setdefault(example.section, []).append(float(value))
    details: dict[str, Any] = {
        "protocol": protocol,
        "sentences_picked": K,
        "length_power": DEFAULT_LENGTH_POWER,
        "mean_article_sentences": round(float(np.mean([len(e.sentences) for e in examples])), 2),
        "mean_reference_sentences_found": round(float(np.mean([e.labels.sum() for e in examples])), 2),
        "model_sentence_precision": round(float(np.mean(hits)), 4),
        "model_rouge2_f1_by_section": {s: round(float(np.mean(v)), 4) for s, v in sorted(by_section.items())},
        "model_minus_lead3_rouge2_f1": _bootstrap_diff(table.column("model"), table.column("lead3")),
        "textrank": table.summary("textrank"),
        "random3": table.summary("random3"),
    }
    if bundled is not None:
        details["bundled_in_sample"] = table.summary("bundled_in_sample")
    details["keyphrases"] = keyphrase_check(items, settings)
    return EvalResult(
        task="summaries",
        dataset=str(path),
        n=len(examples),
        model=f"summary@{component.version}",
        metrics=table.summary("model"),
        baseline={"name": "lead-3", **table.summary("lead3")},
        details=details,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """``--train OUT.json [DATASET]``: fit the scorer on the whole dataset and write it as JSON."""
    import json

    parser = argparse.ArgumentParser(prog="python -m newsdesk.evaluate.summaries", description=main.__doc__)
    parser.add_argument("--train", type=Path, required=True, help="where to write the scorer JSON")
    parser.add_argument(
        "dataset", type=Path, nargs="?", help="default: bbc-news-summary in the data folder (evaluate.locate)"
    )
    args = parser.parse_args(argv)
    scorer = train_scorer(args.dataset or find_dataset("bbc-news-summary"))
    args.train.parent.mkdir(parents=True, exist_ok=True)
    args.train.write_text(json.dumps(scorer.to_dict(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.train} ({scorer.provenance and scorer.provenance['articles']} articles)")


if __name__ == "__main__":
    main()
