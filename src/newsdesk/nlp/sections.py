"""A newsroom's own sections (or tags), learned from its labelled archive: :class:`SectionClassifier`, and
the ``sections`` component that fits it on the stored articles.

The classifier follows scikit-learn's estimator contract (``fit(texts, labels)``, ``predict``,
``predict_proba``, ``classes_``, ``get_params``). It pools linear "views" of the text:

- ``words``: TF-IDF of word unigrams and bigrams (sublinear tf, terms seen in >= 2 articles) + an NB-SVM
  (Wang & Manning 2012: per label, features scaled by their naive Bayes log-count ratios, a binary
  LinearSVC, weights interpolated with naive Bayes); ``nb=False`` gives a plain LinearSVC;
- ``chars``: TF-IDF of character 2-5-grams inside word boundaries (sublinear tf) + LinearSVC;
- ``embeddings`` (off by default): the article's MiniLM vector (the ``embedder`` configuration's
  strategy, ``chunks`` by default, through :func:`~newsdesk.nlp.embed.embedder_for`, so cached) + LinearSVC.

Measured on de-duplicated BBC News (2,127 articles, stratified 5-fold CV as in ``newsdesk eval sections``,
seeds 0 / 1 / 2): the default (NB-SVM words + chars, weighted geometric pooling, weights from inner CV)
makes 36 / 34 / 35 errors (accuracy 0.9831 / 0.9840 / 0.9835, macro-F1 0.9830 / 0.9837 / 0.9832, ECE
0.007 / 0.008 / 0.008, Brier 0.028 / 0.027 / 0.026); the same views averaged with equal weights
(``pooling='arithmetic', view_weights='equal'``, the previous default) 42 / 35 / 37 (accuracy 0.9803 /
0.9835 / 0.9826, ECE 0.008 / 0.011 / 0.012, Brier 0.030 / 0.028 / 0.027); plain LinearSVC words + chars
averaged 44 / 37 / 42, and TF-IDF + LinearSVC with scikit-learn's defaults 47 / 45 / 45. The pooling
mostly removes errors where the character view alone pulled a story to an unrelated section. The
NB-SVM word view alone makes 35 / 37 / 37 but is weaker on small archives (50 training articles: 0.904
accuracy against 0.924 pooled with chars; 16 per section: 15 of 20 test articles against 18), so the
chars view stays; on small archives the inner-CV weights lean towards it. Adding the ``embeddings`` view,
stacking the views with a logistic regression on inner-fold scores, word trigrams, an NB-SVM on
characters, an NB logistic-regression view, a headline-only view, headline words as their own features,
a doubled headline and lead paragraph, or named entities (spaCy ORG / PERSON / GPE ...) as a view did
not help consistently across the three seeds. Nearly all remaining errors are stories on two topics (a
football club's share listing or takeover, a games maker's sale, MPs on the BBC's licence fee) whose BBC
section is one defensible choice of two, plus a few pairs of near-identical stories filed in different
sections.

Each view's scores are calibrated into probabilities by Platt scaling (a sigmoid per label) fitted on
out-of-fold scores of an inner ``cv``-fold cross-validation of the training data. In multi-class mode the
views' probabilities are then pooled by a weighted geometric mean, renormalised over the classes (a
product of experts: a label one view finds implausible stays implausible), with the weights on a 0.1
grid that give the lowest Brier score on those out-of-fold probabilities; in multi-label mode they are
averaged. The same out-of-fold probabilities give the training Brier score and, in multi-label mode, each
label's decision threshold (the one that maximises that label's F1). Nothing is tuned on the data the
classifier is later scored on.

``labels`` may be one label per text (multi-class: probabilities sum to 1) or a list of labels per text
(multi-label: one-vs-rest, one probability and threshold per label). Every prediction can be explained by
its top terms: the word view's coefficient times the term's TF-IDF weight in the text.

>>> texts = ["Shares rose as profits grew", "The striker scored twice", "Profits and shares fell",
...          "The keeper saved a penalty", "Bank shares and profits", "A late goal by the striker"]
>>> clf = SectionClassifier(views=("words",), cv=2, min_df=1).fit(texts, ["biz", "sport"] * 3)
>>> clf.predict(["profits at the bank"]).tolist()
['biz']
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

import numpy as np
from sklearn.base import BaseEstimator

from newsdesk.errors import InvalidInput, NotFitted
from newsdesk.nlp.base import BaseComponent, ComponentConfig, Output, components, local_field
from newsdesk.nlp.text import split_sentences

if TYPE_CHECKING:
    from newsdesk.articles.model import Article
    from newsdesk.nlp.embed import EmbedderConfig
    from newsdesk.settings import Settings

__all__ = ["VIEWS", "SectionClassifier", "SectionsComponent", "SectionsConfig"]

VIEWS = ("words", "chars", "embeddings")
POOLINGS = ("geometric", "arithmetic")
VIEW_WEIGHTS = ("cv", "equal")
Labels = Sequence[str] | Sequence[Sequence[str]]


class SectionClassifier(BaseEstimator):  # type: ignore[misc]
    """Calibrated linear section / tag classifier over TF-IDF (and optionally embedding) views.

    Parameters (stored as given, validated at :meth:`fit`):

    - ``views``: which of ``'words'``, ``'chars'``, ``'embeddings'`` to average;
    - ``C``: the LinearSVCs' regularisation (larger fits the training data more closely);
    - ``nb``: fit the word view as an NB-SVM (features scaled by naive Bayes log-count ratios, one
      binary SVM per label; Wang & Manning 2012) rather than a plain LinearSVC;
    - ``cv``: inner folds for the out-of-fold scores behind calibration and thresholds (>= 2);
    - ``min_df``: a word n-gram must appear in this many training texts to become a feature;
    - ``max_chars``: only the first characters of a text are read (bounds the cost of huge texts);
    - ``n_terms``: terms returned per explanation;
    - ``pooling``: how the views' calibrated probabilities combine in multi-class mode: ``'geometric'``
      (a weighted geometric mean, renormalised: a product of experts, where one confident view can veto a
      label) or ``'arithmetic'`` (a weighted mean). Multi-label probabilities are always averaged;
    - ``view_weights``: ``'cv'`` chooses the views' weights (multi-class, on a 0.1 grid) that minimise the
      Brier score of the pooled out-of-fold probabilities of the inner cross-validation; ``'equal'`` weighs
      every view alike (always the case in multi-label mode);
    - ``embedder``: the :class:`~newsdesk.nlp.embed.EmbedderConfig` the ``'embeddings'`` view embeds
      with (required by that view only);
    - ``random_state``: seed of the inner folds.
    """

    def __init__(
        self,
        *,
        views: Sequence[str] = ("words", "chars"),
        C: float = 1.0,
        nb: bool = True,
        cv: int = 5,
        min_df: int = 2,
        max_chars: int = 30_000,
        n_terms: int = 8,
        pooling: str = "geometric",
        view_weights: str = "cv",
        embedder: EmbedderConfig | None = None,
        random_state: int = 0,
    ) -> None:
        self.views = views
        self.C = C
        self.nb = nb
        self.cv = cv
        self.min_df = min_df
        self.max_chars = max_chars
        self.n_terms = n_terms
        self.pooling = pooling
        self.view_weights = view_weights
        self.embedder = embedder
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting
    def fit(self, texts: Sequence[str], labels: Labels) -> SectionClassifier:
        """Learn from ``texts`` and their ``labels`` (one string each, or a list of strings each)."""
        from sklearn.model_selection import KFold, StratifiedKFold

        self._validate_params()
        texts = self._clip(texts)
        target = self._encode_labels(labels, len(texts))
        n_splits = self._n_splits(target)
        if self.multilabel_:
            folds = list(KFold(n_splits, shuffle=True, random_state=self.random_state).split(texts))
        else:
            folds = list(
                StratifiedKFold(n_splits, shuffle=True, random_state=self.random_state).split(texts, target)
            )
        self.vectorizers_: dict[str, Any] = {}
        self.models_: dict[str, Any] = {}
        self.calibration_: dict[str, np.ndarray] = {}
        self.n_features_: dict[str, int] = {}
        truth = self._indicator(target)
        oof_views: list[np.ndarray] = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # labels absent from an inner fold; liblinear convergence notes
            for view in self.views:
                features = self._fit_features(view, texts)
                self.n_features_[view] = int(features.shape[1])
                oof = np.zeros((len(texts), len(self.classes_)))
                for train, held in folds:
                    oof[held] = self._decision(
                        self._fit_model(view, features[train], target[train]), features[held]
                    )
                self.calibration_[view] = _fit_platt(oof, truth)
                oof_views.append(_apply_platt(self.calibration_[view], oof))
                self.models_[view] = self._fit_model(view, features, target)
        self.weights_ = self._choose_weights(oof_views, truth)
        oof_proba = self._pool(oof_views, self.weights_)
        self.thresholds_ = _best_thresholds(oof_proba, truth) if self.multilabel_ else None
        # mean over texts of the squared error summed over labels, on out-of-fold probabilities (with
        # ``view_weights='cv'`` the weights were chosen on these same probabilities: slightly optimistic)
        self.cv_brier_ = float(np.mean(np.sum((oof_proba - truth) ** 2, axis=1)))
        return self

    def _validate_params(self) -> None:
        views = tuple(self.views)
        if not views or any(v not in VIEWS for v in views) or len(set(views)) != len(views):
            raise InvalidInput("views", self.views, "a non-empty selection of " + ", ".join(map(repr, VIEWS)))
        if "embeddings" in views and self.embedder is None:
            raise InvalidInput("embedder", None, "an EmbedderConfig when views include 'embeddings'")
        if not isinstance(self.cv, int) or self.cv < 2:
            raise InvalidInput("cv", self.cv, "an integer >= 2")
        if not self.C > 0:
            raise InvalidInput("C", self.C, "a number > 0")
        if self.pooling not in POOLINGS:
            raise InvalidInput("pooling", self.pooling, " or ".join(map(repr, POOLINGS)))
        if self.view_weights not in VIEW_WEIGHTS:
            raise InvalidInput("view_weights", self.view_weights, " or ".join(map(repr, VIEW_WEIGHTS)))
        if not isinstance(self.nb, bool):
            raise InvalidInput("nb", self.nb, "True or False")
        if not isinstance(self.min_df, int) or self.min_df < 1:
            raise InvalidInput("min_df", self.min_df, "an integer >= 1")
        if not isinstance(self.max_chars, int) or self.max_chars < 1:
            raise InvalidInput("max_chars", self.max_chars, "an integer >= 1")

    def params_identity(self) -> dict[str, Any]:
        """The parameters, JSON-ready: the embedder by its identity (its cache file is no parameter)."""
        params: dict[str, Any] = self.get_params()
        embedder = params.pop("embedder")
        return {**params, "embedder": None if embedder is None else embedder.identity()}

    def _encode_labels(self, labels: Labels, n: int) -> np.ndarray:
        labels = list(labels)
        if len(labels) != n:
            raise InvalidInput(
                "labels", f"{len(labels)} labels", f"one label (or list of labels) per text ({n})"
            )
        if n == 0:
            raise InvalidInput("texts", "no texts", "at least 2 labelled texts per label")
        self.multilabel_ = not isinstance(labels[0], str)
        if self.multilabel_:
            from sklearn.preprocessing import MultiLabelBinarizer

            if any(isinstance(x, str) for x in labels):
                raise InvalidInput("labels", labels[:3], "all strings, or all lists of strings")
            binarizer = MultiLabelBinarizer()
            matrix = binarizer.fit_transform([sorted(set(x)) for x in labels])
            self.classes_ = binarizer.classes_
            if len(self.classes_) < 1:
                raise InvalidInput("labels", "no labels", "at least one label")
            return np.asarray(matrix)
        if not all(isinstance(x, str) and x for x in labels):
            raise InvalidInput("labels", labels[:3], "a non-empty string per text")
        counts: Counter[str] = Counter(str(x) for x in labels)
        if len(counts) < 2 or min(counts.values()) < 2:
            raise InvalidInput(
                "labels", dict(counts.most_common()), "at least 2 different labels with at least 2 texts each"
            )
        self.classes_ = np.array(sorted(counts))
        return np.array(labels)

    def _n_splits(self, target: np.ndarray) -> int:
        if self.multilabel_:
            return max(2, min(self.cv, len(target)))
        return int(min(self.cv, min(Counter(target.tolist()).values())))

    def _indicator(self, target: np.ndarray) -> np.ndarray:
        if self.multilabel_:
            return target.astype(float)
        return np.asarray(target[:, None] == self.classes_[None, :], dtype=float)

    def _fit_features(self, view: str, texts: Sequence[str]) -> Any:
        if view == "embeddings":
            return self._embed(texts)
        from sklearn.feature_extraction.text import TfidfVectorizer

        if view == "words":
            vectorizer = TfidfVectorizer(
                ngram_range=(1, 2), sublinear_tf=True, min_df=self.min_df, dtype=np.float32
            )
        else:
            vectorizer = TfidfVectorizer(
                analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, dtype=np.float32
            )
        try:
            features = vectorizer.fit_transform(texts)
        except ValueError:  # no term reaches min_df in a tiny training set: keep every term
            vectorizer.set_params(min_df=1)
            try:
                features = vectorizer.fit_transform(texts)
            except ValueError:
                raise InvalidInput("texts", texts[:3], "texts with at least some words in them") from None
        self.vectorizers_[view] = vectorizer
        return features

    def _features(self, view: str, texts: Sequence[str]) -> Any:
        if view == "embeddings":
            return self._embed(texts)
        return self.vectorizers_[view].transform(texts)

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        from newsdesk.nlp.embed import article_texts, embedder_for

        assert self.embedder is not None  # checked in _validate_params
        embedder = embedder_for(self.embedder)
        pieces = []
        for text in texts:  # a model text: the headline, a blank line, the body
            headline, _, body = text.partition("\n\n")
            pieces.append(article_texts(headline, body, self.embedder.strategy))
        return embedder.pooled(pieces, embedder.encode([p for group in pieces for p in group]))

    def _fit_model(self, view: str, features: Any, target: np.ndarray) -> Any:
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.svm import LinearSVC

        if view == "words" and self.nb:
            return _NBSVM(C=self.C, random_state=self.random_state).fit(features, self._indicator(target))
        svc = LinearSVC(C=self.C, random_state=self.random_state)
        if self.multilabel_:
            return OneVsRestClassifier(svc).fit(features, target)
        return svc.fit(features, target)

    def _decision(self, model: Any, features: Any) -> np.ndarray:
        """Scores in ``classes_`` order; a label missing from a model's training data scores -inf-ish."""
        scores = np.asarray(model.decision_function(features), dtype=float)
        if self.multilabel_ or isinstance(model, _NBSVM):  # one column per label already
            return scores.reshape(len(scores), -1)
        if scores.ndim == 1:  # a binary LinearSVC scores classes_[1]
            scores = np.column_stack([-scores, scores])
        full = np.full((scores.shape[0], len(self.classes_)), -10.0)
        index = np.searchsorted(self.classes_, model.classes_)
        full[:, index] = scores
        return full

    def _choose_weights(self, probas: list[np.ndarray], truth: np.ndarray) -> np.ndarray:
        """The views' weights: equal, or (multi-class, ``view_weights='cv'``) the point of a 0.1 grid on the
        simplex whose pooled out-of-fold probabilities have the lowest Brier score; ties go to the
        weights nearest equal ones."""
        n = len(probas)
        equal = np.full(n, 1.0 / n)
        if n == 1 or self.multilabel_ or self.view_weights == "equal":
            return equal
        best: tuple[float, float, np.ndarray] | None = None
        for weights in _simplex(n, steps=10):
            brier = float(np.mean(np.sum((self._pool(probas, weights) - truth) ** 2, axis=1)))
            key = (round(brier, 10), float(np.abs(weights - equal).sum()))
            if best is None or key < best[:2]:
                best = (*key, weights)
        assert best is not None  # the grid is never empty
        return best[2]

    def _pool(self, probas: list[np.ndarray], weights: np.ndarray | None) -> np.ndarray:
        """Combine the views' calibrated probabilities (one array per view, in ``views`` order). Without
        weights (a classifier saved by an older version), or with equal ones under arithmetic pooling,
        the plain mean."""
        total = np.zeros_like(probas[0])
        if weights is None or self.multilabel_ or self.pooling == "arithmetic":
            if weights is None or np.allclose(weights, weights[0]):
                for proba in probas:
                    total += proba
                return self._finish(total / len(probas))
            for weight, proba in zip(weights, probas, strict=True):
                total += weight * proba
            return self._finish(total)
        for weight, proba in zip(weights, probas, strict=True):
            total += weight * np.log(np.clip(proba, 1e-300, 1.0))
        return self._finish(np.exp(total - total.max(axis=1, keepdims=True)))

    def _finish(self, proba: np.ndarray) -> np.ndarray:
        if self.multilabel_:
            return proba
        total = proba.sum(axis=1, keepdims=True)
        fallback = np.full_like(proba, 1.0 / proba.shape[1])
        return np.asarray(np.divide(proba, total, out=fallback, where=total > 0))

    def _clip(self, texts: Iterable[str]) -> list[str]:
        if isinstance(texts, str):
            raise InvalidInput("texts", texts, "a list of texts, not one string")
        return [str(t)[: self.max_chars] for t in texts]

    def _check_fitted(self) -> None:
        if not hasattr(self, "models_"):
            raise NotFitted("SectionClassifier is not fitted yet: call fit(texts, labels) first")

    # --------------------------------------------------------------- prediction
    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n_texts, n_classes) calibrated probabilities in ``classes_`` order. Multi-class rows sum to 1;
        multi-label columns are independent."""
        self._check_fitted()
        texts = self._clip(texts)
        if not texts:
            return np.zeros((0, len(self.classes_)))
        probas = []
        for view in self.views:
            scores = self._decision(self.models_[view], self._features(view, texts))
            probas.append(_apply_platt(self.calibration_[view], scores))
        return self._pool(probas, getattr(self, "weights_", None))  # absent from older saved models

    def predict(self, texts: Sequence[str]) -> Any:
        """Multi-class: an array of labels. Multi-label: a list of label lists, each the labels whose
        probability reaches their threshold, or the single most probable label when none does."""
        proba = self.predict_proba(texts)
        if not self.multilabel_:
            return (
                self.classes_[proba.argmax(axis=1)] if len(proba) else np.array([], dtype=self.classes_.dtype)
            )
        assert self.thresholds_ is not None  # set by fit in multi-label mode
        chosen = proba >= self.thresholds_[None, :]
        out: list[list[str]] = []
        for row, mask in zip(proba, chosen, strict=True):
            picked = [str(c) for c in self.classes_[mask]] or [str(self.classes_[int(row.argmax())])]
            out.append(picked)
        return out

    def explain(
        self, texts: Sequence[str], labels: Sequence[str] | None = None
    ) -> list[list[tuple[str, float]]]:
        """For each text, up to ``n_terms`` (term, contribution) pairs that pushed it towards ``labels[i]``
        (default: its most probable label), largest first: the word view's coefficient for that label
        times the term's TF-IDF weight in the text. Empty when the classifier has no word view."""
        self._check_fitted()
        texts = self._clip(texts)
        if "words" not in self.views or not texts:
            return [[] for _ in texts]
        if labels is None:
            labels = [str(c) for c in self.classes_[self.predict_proba(texts).argmax(axis=1)]]
        features = self.vectorizers_["words"].transform(texts).tocsr()
        terms = self.vectorizers_["words"].get_feature_names_out()
        out = []
        for i, label in enumerate(labels):
            coef = self._coef(label)
            row = features.getrow(i)
            contrib = row.data * coef[row.indices]
            order = np.argsort(-contrib)[: self.n_terms]
            out.append(
                [(str(terms[row.indices[j]]), round(float(contrib[j]), 4)) for j in order if contrib[j] > 0]
            )
        return out

    def indicative_sentences(self, text: str, label: str | None = None, n: int = 2) -> list[str]:
        """The ``n`` sentences of ``text`` that score highest for ``label`` (default: its most probable
        label) under the word view, in text order."""
        self._check_fitted()
        if "words" not in self.views:
            return []
        sentences = split_sentences(self._clip([text])[0])
        if not sentences:
            return []
        if label is None:
            label = str(self.classes_[int(self.predict_proba([text])[0].argmax())])
        scores = self.vectorizers_["words"].transform(sentences) @ self._coef(label)
        best = sorted(np.argsort(-np.asarray(scores))[:n])
        return [sentences[i] for i in best]

    def _coef(self, label: str) -> np.ndarray:
        index = np.flatnonzero(self.classes_ == label)
        if not len(index):
            raise InvalidInput("label", label, "one of the classifier's classes_")
        model = self.models_["words"]
        if isinstance(model, _NBSVM):
            return np.asarray(model.coef_[int(index[0])]).ravel()
        if self.multilabel_:
            estimator = model.estimators_[int(index[0])]
            coef = getattr(estimator, "coef_", None)
            return np.zeros(len(self.vectorizers_["words"].vocabulary_)) if coef is None else np.ravel(coef)
        if len(self.classes_) == 2:  # binary LinearSVC: one row, positive for classes_[1]
            return np.ravel(model.coef_) * (1.0 if index[0] == 1 else -1.0)
        return np.asarray(model.coef_[int(index[0])]).ravel()

    # -------------------------------------------------------------- persistence
    def save(self, path: Path | str) -> Path:
        """Write the fitted classifier to ``path`` with joblib (parent folders are created). The file
        appears whole or not at all, so a process loading it never reads half of it."""
        import os

        import joblib

        self._check_fitted()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        joblib.dump(self, partial, compress=3)
        os.replace(partial, path)
        return path

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickling: a classifier saved before ``pooling`` and ``view_weights`` existed averaged its
        views with equal weights, and says so (``get_params`` and ``predict_proba`` stay right)."""
        state.setdefault("pooling", "arithmetic")
        state.setdefault("view_weights", "equal")
        super().__setstate__(state)

    @classmethod
    def load(cls, path: Path | str) -> SectionClassifier:
        """A classifier written by :meth:`save` (only load files you trust: joblib runs pickle)."""
        import joblib

        model = joblib.load(Path(path))
        if not isinstance(model, cls):
            raise InvalidInput("path", str(path), "a file written by SectionClassifier.save")
        return model


def _simplex(n: int, steps: int) -> Iterable[np.ndarray]:
    """Every ``n``-vector of non-negative multiples of ``1 / steps`` that sums to 1.

    >>> [w.tolist() for w in _simplex(2, steps=2)]
    [[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]]
    """
    from itertools import product

    for counts in product(range(steps + 1), repeat=n - 1):
        if sum(counts) <= steps:
            yield np.array([*counts, steps - sum(counts)], dtype=float) / steps


def _fit_platt(scores: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Per label (a, b) of p = sigmoid(a * score + b), fitted on out-of-fold scores (a > 0)."""
    from sklearn.linear_model import LogisticRegression

    params = np.zeros((scores.shape[1], 2))
    for j in range(scores.shape[1]):
        y = truth[:, j]
        if y.min() == y.max():  # a label with no positives (or no negatives): its base rate
            rate = (y.sum() + 0.5) / (len(y) + 1.0)
            params[j] = (0.0, float(np.log(rate / (1 - rate))))
            continue
        model = LogisticRegression(C=100.0).fit(scores[:, [j]], y)
        slope = float(model.coef_[0, 0])
        # a slope <= 0 says the out-of-fold scores rank no better than chance (a handful of training
        # texts): keep the model's own ranking, the sigmoid of its score, rather than invert it
        params[j] = (slope, float(model.intercept_[0])) if slope > 0 else (1.0, 0.0)
    return params


def _apply_platt(params: np.ndarray, scores: np.ndarray) -> np.ndarray:
    z = np.clip(scores * params[:, 0] + params[:, 1], -35.0, 35.0)
    return np.asarray(1.0 / (1.0 + np.exp(-z)))


def _best_thresholds(proba: np.ndarray, truth: np.ndarray, min_positives: int = 3) -> np.ndarray:
    """Per label, the probability threshold maximising F1 on out-of-fold probabilities; 0.5 for labels with
    fewer than ``min_positives`` training examples (too few to choose from)."""
    thresholds = np.full(proba.shape[1], 0.5)
    grid = np.linspace(0.05, 0.95, 19)
    for j in range(proba.shape[1]):
        positives = truth[:, j] > 0
        if positives.sum() < min_positives:
            continue
        predicted = proba[:, [j]] >= grid[None, :]
        tp = (predicted & positives[:, None]).sum(axis=0)
        f1 = 2 * tp / np.maximum(predicted.sum(axis=0) + positives.sum(), 1)
        thresholds[j] = float(grid[int(np.argmax(f1))])
    return thresholds


class _NBSVM:
    """One-vs-rest NB-SVM (Wang & Manning, "Baselines and Bigrams", ACL 2012) over non-negative features.

    For each label, every feature is scaled by its naive Bayes log-count ratio
    ``r = log((p / |p|_1) / (q / |q|_1))``, where ``p`` and ``q`` count the label's and the other texts
    containing the feature (plus ``alpha``); a binary LinearSVC is fitted on the scaled features and its
    weights ``w`` are interpolated towards their mean magnitude, ``(1 - beta) * mean|w| + beta * w``, which
    mixes in the naive Bayes model itself. ``coef_`` holds the resulting weights on the unscaled features
    (``w' * r``), so ``features @ coef_.T + intercept_`` scores every label. A label without positive (or
    without negative) training texts scores a constant.
    """

    def __init__(
        self, *, C: float = 1.0, alpha: float = 1.0, beta: float = 0.25, random_state: int = 0
    ) -> None:
        self.C = C
        self.alpha = alpha
        self.beta = beta
        self.random_state = random_state

    def fit(self, features: Any, indicator: np.ndarray) -> _NBSVM:
        import scipy.sparse as sp
        from sklearn.svm import LinearSVC

        features = sp.csr_matrix(features)
        present = features.copy()
        present.data = (present.data > 0).astype(features.dtype)
        n_labels = indicator.shape[1]
        self.coef_ = np.zeros((n_labels, features.shape[1]), dtype=np.float32)
        self.intercept_ = np.zeros(n_labels)
        for j in range(n_labels):
            positive = indicator[:, j] > 0
            if positive.all() or not positive.any():
                self.intercept_[j] = 10.0 if positive.all() else -10.0
                continue
            p = self.alpha + np.asarray(present[positive].sum(axis=0)).ravel()
            q = self.alpha + np.asarray(present[~positive].sum(axis=0)).ravel()
            ratio = np.log((p / p.sum()) / (q / q.sum()))
            svc = LinearSVC(C=self.C, random_state=self.random_state)
            svc.fit(features.multiply(ratio).tocsr(), positive.astype(int))
            weights = np.ravel(svc.coef_)
            weights = (1.0 - self.beta) * float(np.abs(weights).mean()) + self.beta * weights
            self.coef_[j] = weights * ratio
            self.intercept_[j] = float(svc.intercept_[0])
        return self

    def decision_function(self, features: Any) -> np.ndarray:
        return np.asarray(features @ self.coef_.T) + self.intercept_[None, :]


@dataclass(frozen=True)
class SectionsConfig(ComponentConfig):
    """``top_k``: how many sections an output lists with their probabilities (the first is the answer).
    ``cache_dir`` (this machine only, never shipped): where models fitted on the archive are kept under
    their training digest, so an unchanged archive is not fitted again; None keeps none."""

    top_k: int = 3
    cache_dir: Path | None = local_field(None)

    def __post_init__(self) -> None:
        if not isinstance(self.top_k, int) or isinstance(self.top_k, bool) or self.top_k < 1:
            raise InvalidInput("top_k", self.top_k, "an integer >= 1")

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Self:
        """Fitted models cached under ``<models_dir>/sections``; ``options`` win."""
        return cls(**({"cache_dir": settings.models_dir / "sections"} | options))


@components.register("sections")
class SectionsComponent(BaseComponent):
    """The newsroom's section for each article, learned from the articles it is fitted on that have one.

    :meth:`~newsdesk.nlp.base.BaseComponent.fit` trains a :class:`SectionClassifier` (its defaults) on every
    article with a section, leaving out sections with fewer than 2 articles (``left_out_``); it needs at
    least 2 sections left. Given a ``newsdesk-sections`` champion (:meth:`use_champion`; the pipeline
    hands it one), it serves that model instead and reads no article: ``champion_`` is its registry ref
    (``newsdesk-sections@N``, also the :meth:`model_identity`), ``""`` for a model fitted on the archive.
    The fitted state (``model_``, ``left_out_``, ``champion_``, ``trained_on_``) ships to executors, so they
    never reach the registry nor ``cache_dir``. The version changes with the training data (see
    :meth:`state_digest`) and with the champion.
    """

    name: ClassVar[str] = "sections"
    requires: ClassVar[tuple[str, ...]] = ("headline", "body", "section")
    assigns: ClassVar[tuple[str, ...]] = ("sections",)
    code_version: ClassVar[str] = "1"
    Config: ClassVar[type[ComponentConfig]] = SectionsConfig
    state: ClassVar[tuple[str, ...]] = ("model_", "left_out_", "champion_", "trained_on_")
    learns: ClassVar[bool] = True
    refit: ClassVar[str] = "always"  # the archive's sections change with every run's articles

    config: SectionsConfig
    model_: SectionClassifier | None = None
    left_out_: dict[str, int] | None = None  # section -> its articles, for sections too small to learn
    champion_: str | None = None  # the served champion's ref, "" when fitted on the archive
    trained_on_: str | None = None  # the training digest (see state_digest), "" when a champion serves

    def new_classifier(self) -> SectionClassifier:
        """The (unfitted) classifier fitted on the archive."""
        return SectionClassifier()

    def _fit(self, articles: Iterable[Article]) -> None:
        self.model_ = self.left_out_ = self.champion_ = self.trained_on_ = None  # unfitted if this fails
        served = self.served_champion()
        if served is not None:
            ref, wrapper = served  # the unwrapped pyfunc model (lifecycle.pyfunc.SectionsModel)
            self.model_, self.left_out_, self.champion_, self.trained_on_ = wrapper.classifier, {}, ref, ""
            return
        rows = [(a.id, a.content_hash, str(a.section), a.model_text) for a in articles if a.section]
        counts = Counter(section for _, _, section, _ in rows)
        left_out = {s: n for s, n in counts.items() if n < 2}
        kept = [row for row in rows if row[2] not in left_out]
        if len({section for _, _, section, _ in kept}) < 2:
            raise NotFitted(
                "sections: the archive needs at least 2 sections with at least 2 articles each to "
                f"learn from; found {dict(counts) or 'no articles with a section'}"
            )
        classifier = self.new_classifier()
        digest = _training_digest(self.code_version, classifier, kept)
        model = self._cached(digest)
        if model is None:
            model = classifier.fit([text for *_, text in kept], [section for _, _, section, _ in kept])
            if self.config.cache_dir is not None:
                model.save(self.config.cache_dir / f"{digest}.joblib")
        self.model_, self.left_out_, self.champion_, self.trained_on_ = model, left_out, "", digest

    def _cached(self, digest: str) -> SectionClassifier | None:
        """The model fitted earlier on the same training data, when ``cache_dir`` keeps one."""
        if self.config.cache_dir is None:
            return None
        path = self.config.cache_dir / f"{digest}.joblib"
        if not path.exists():
            return None
        try:
            return SectionClassifier.load(path)
        except Exception:  # a corrupt or incompatible file: fit again
            return None

    def model_identity(self) -> str:
        """The served champion's ref (``newsdesk-sections@N``); ``""`` for a model fitted on the archive."""
        return self.champion_ or ""

    def state_digest(self) -> str:
        """The champion's ref, or the training digest: a hash of the code version, scikit-learn's version,
        the classifier's parameters and every training article's id, content hash and section. Either
        determines ``model_`` (a registered version never changes; fitting is deterministic, its folds
        seeded) and so every output, like a hash of the fitted model would, without hashing (or, in
        another process, rebuilding byte for byte) a pickled scikit-learn model. ``left_out_`` changes no
        output and is left out."""
        if self.champion_:
            return self.champion_
        return self.trained_on_ or ""

    def transform(self, articles: Sequence[Article]) -> list[Output]:
        self.require_fitted()
        model = self.model_
        assert model is not None  # require_fitted
        if not articles:
            return []
        texts = [a.model_text for a in articles]
        proba = model.predict_proba(texts)
        classes = [str(c) for c in model.classes_]
        tops = [classes[int(i)] for i in proba.argmax(axis=1)]
        explanations = model.explain(texts, tops)
        outputs = []
        for row, top, terms in zip(proba, tops, explanations, strict=True):
            order = np.argsort(-row)[: self.config.top_k]
            value = {
                "section": top,
                "probabilities": {classes[int(j)]: round(float(row[j]), 4) for j in order},
                "explanation": [term for term, _ in terms],
            }
            outputs.append(Output(value, confidence=round(float(row.max()), 4)))
        return outputs


def _training_digest(
    code_version: str, classifier: SectionClassifier, rows: Sequence[tuple[str, str, str, str]]
) -> str:
    """What a model fitted on ``rows`` ((id, content hash, section, text), in order) depends on."""
    import sklearn

    digest = hashlib.sha256()
    code = [code_version, sklearn.__version__, classifier.params_identity()]  # any of these changes outputs
    digest.update(json.dumps(code, sort_keys=True, default=str).encode())
    for article_id, content_hash, section, _ in rows:
        digest.update(f"{article_id}\x1f{content_hash}\x1f{section}\x1e".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:16]
