"""Which of two headlines gets more clicks? Judged pairs from finished A/B tests and a pairwise scorer.

A *judged pair* is two packages of the same test that differ only in their headline (same lede, excerpt and
image) and whose click-through rates differ at ``p < alpha`` (:func:`~.analysis.two_proportion_ztest`).
The label says whether the first headline won; pair order is shuffled with a seed so labels are balanced.

:class:`HeadlineScorer` is a pairwise logistic regression: it learns one weight vector ``w`` over headline
features (TF-IDF word and character n-grams, optional sentence embeddings, style features) from the
differences ``x(a) - x(b)``, so ``w . x(h)`` scores any single headline and the higher score wins a pair.
The regularisation strength is chosen by cross-validation inside the training pairs only (grouped by test).

scikit-learn (and the embedder, when ``embeddings=True``) are imported lazily.
"""

from __future__ import annotations

import csv
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .analysis import two_proportion_ztest

__all__ = [
    "EXCLUDED_WEEKS",
    "SHAPE_NAMES",
    "STYLE_NAMES",
    "HeadlinePair",
    "HeadlineScorer",
    "Package",
    "judged_pairs",
    "length_baseline",
    "pairwise_accuracy",
    "read_packages",
    "shape_features",
    "style_features",
    "time_split",
]

# The archive flags tests between 2013-06-25 and 2014-01-10 for possibly broken randomisation.
EXCLUDED_WEEKS = range(201326, 201403)

_CURIOSITY = frozenset(
    [
        "this",
        "these",
        "here",
        "what",
        "why",
        "how",
        "who",
        "when",
        "reason",
        "reasons",
        "secret",
        "surprising",
        "amazing",
        "incredible",
        "actually",
        "finally",
        "wait",
        "until",
        "happens",
        "happened",
        "changed",
        "never",
        "ever",
        "everything",
        "nothing",
    ]
)
_WORD = re.compile(r"[A-Za-z0-9']+")


@dataclass(frozen=True, slots=True)
class Package:
    """One row of a finished test: a headline with its context and its counts."""

    test_id: str
    headline: str
    lede: str
    excerpt: str
    image: str
    impressions: int
    clicks: int
    week: int


@dataclass(frozen=True, slots=True)
class HeadlinePair:
    """Two headlines of one test; ``label`` is 1 when ``a`` had the significantly higher CTR, else 0."""

    test_id: str
    week: int
    a: str
    b: str
    label: int
    p_value: float


def read_packages(path: str | Path) -> list[Package]:
    """The rows of an Upworthy-shaped CSV (clickability_test_id, headline, lede, excerpt, eyecatcher_id,
    impressions, clicks, test_week); rows without a headline or with no impressions are skipped."""
    out: list[Package] = []
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            headline = (row.get("headline") or "").strip()
            try:
                impressions = int(float(row.get("impressions") or 0))
                clicks = int(float(row.get("clicks") or 0))
                week = int(float(row.get("test_week") or 0))
            except ValueError:
                continue
            if not headline or impressions <= 0 or not 0 <= clicks <= impressions:
                continue
            out.append(
                Package(
                    test_id=str(row.get("clickability_test_id") or ""),
                    headline=headline,
                    lede=row.get("lede") or "",
                    excerpt=row.get("excerpt") or "",
                    image=row.get("eyecatcher_id") or "",
                    impressions=impressions,
                    clicks=clicks,
                    week=week,
                )
            )
    return out


def judged_pairs(
    packages: Iterable[Package],
    *,
    alpha: float = 0.05,
    seed: int = 0,
    excluded_weeks: Sequence[int] | range = EXCLUDED_WEEKS,
) -> list[HeadlinePair]:
    """Pairs of packages of one test with the same lede, excerpt and image but different headlines whose
    CTRs differ at ``p < alpha``; tests in ``excluded_weeks`` are left out. Order within a pair is drawn
    with ``seed``, so about half the labels are 1."""
    groups: dict[tuple[str, str, str, str], list[Package]] = defaultdict(list)
    for p in packages:
        if p.week in excluded_weeks:
            continue
        groups[(p.test_id, p.lede, p.excerpt, p.image)].append(p)
    rng = random.Random(seed)
    pairs: list[HeadlinePair] = []
    for key in sorted(groups):
        members = groups[key]
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                x, y = members[i], members[j]
                if x.headline == y.headline:
                    continue
                test = two_proportion_ztest(x.clicks, x.impressions, y.clicks, y.impressions)
                if not test.p_value < alpha:
                    continue
                winner, loser = (y, x) if test.difference > 0 else (x, y)
                if rng.random() < 0.5:
                    pairs.append(
                        HeadlinePair(x.test_id, x.week, winner.headline, loser.headline, 1, test.p_value)
                    )
                else:
                    pairs.append(
                        HeadlinePair(x.test_id, x.week, loser.headline, winner.headline, 0, test.p_value)
                    )
    return pairs


def time_split(pairs: Sequence[HeadlinePair], test_share: float = 0.25) -> tuple[list[int], list[int]]:
    """Indices of (earlier, later) pairs: the last ``test_share`` of the distinct test weeks are held out."""
    weeks = sorted({p.week for p in pairs})
    if len(weeks) < 2:
        raise ValueError("a time split needs pairs from at least two weeks")
    n_test = min(len(weeks) - 1, max(1, round(len(weeks) * test_share)))
    cut = weeks[-n_test]
    train = [i for i, p in enumerate(pairs) if p.week < cut]
    test = [i for i, p in enumerate(pairs) if p.week >= cut]
    return train, test


def pairwise_accuracy(pairs: Sequence[HeadlinePair], prob_a: Sequence[float] | np.ndarray) -> float:
    """Share of pairs whose label the probabilities get right (a probability of exactly 0.5 counts half)."""
    if not pairs:
        return float("nan")
    probs = np.asarray(prob_a, dtype=float)
    labels = np.array([p.label for p in pairs])
    right = np.where(probs == 0.5, 0.5, ((probs > 0.5).astype(int) == labels).astype(float))
    return float(right.mean())


def length_baseline(pairs: Sequence[HeadlinePair]) -> float:
    """Accuracy of "the longer headline wins" (words, then characters; a full tie counts half)."""
    probs = []
    for p in pairs:
        ka = (len(_WORD.findall(p.a)), len(p.a))
        kb = (len(_WORD.findall(p.b)), len(p.b))
        probs.append(1.0 if ka > kb else 0.0 if ka < kb else 0.5)
    return pairwise_accuracy(pairs, probs)


STYLE_NAMES = (
    "log_words",
    "log_chars",
    "question",
    "exclamation",
    "has_number",
    "starts_number",
    "you",
    "quote",
    "colon",
    "caps_words",
    "this_these",
    "curiosity",
    "first_person",
    "ellipsis",
)


SHAPE_NAMES = (
    "question_start",
    "number_early",
    "you_early",
    "this_first",
    "title_case_share",
    "sentences",
    "dash",
    "mean_word_length",
    "superlative",
    "negation",
    "number_word",
)
_QUESTION_START = frozenset(["what", "why", "how", "who", "when", "where", "can", "do", "does", "is", "are"])
_SUPERLATIVE = frozenset(["best", "worst", "most", "least", "ever", "greatest", "only", "every"])
_NEGATION = frozenset(["not", "no", "never", "don't", "can't", "won't", "isn't", "didn't", "nobody"])
_NUMBER_WORDS = frozenset(["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"])


def shape_features(headline: str) -> list[float]:
    """Where things sit in a headline and how it reads, in the order of :data:`SHAPE_NAMES`: a question
    word first, a number or "you" in the first three words, the share of capitalised words, sentences,
    dashes, word length, superlatives, negations and spelled-out numbers."""
    words = _WORD.findall(headline)
    lower = [w.lower() for w in words]
    first3 = lower[:3]
    n = max(1, len(words))
    return [
        float(bool(lower) and lower[0] in _QUESTION_START),
        float(any(w[:1].isdigit() or w in _NUMBER_WORDS for w in first3)),
        float(any(w in ("you", "your", "you're") for w in first3)),
        float(bool(lower) and lower[0] in ("this", "these", "here", "meet")),
        sum(1 for w in words if w[:1].isupper()) / n,
        float(len(re.findall(r"[.!?](\s|$)", headline))),
        float(any(d in headline for d in (" - ", "\u2014", "\u2013"))),
        sum(len(w) for w in words) / n,
        float(any(w in _SUPERLATIVE for w in lower)),
        float(any(w in _NEGATION for w in lower)),
        float(any(w in _NUMBER_WORDS for w in lower)),
    ]


def style_features(headline: str) -> list[float]:
    """Handcrafted features of one headline, in the order of :data:`STYLE_NAMES`."""
    words = _WORD.findall(headline)
    lower = [w.lower() for w in words]
    return [
        float(np.log1p(len(words))),
        float(np.log1p(len(headline))),
        float("?" in headline),
        float("!" in headline),
        float(any(ch.isdigit() for ch in headline)),
        float(bool(words) and words[0][:1].isdigit()),
        float(any(w in ("you", "your", "you're", "yourself") for w in lower)),
        float(any(q in headline for q in ('"', "\u201c", "\u201d", "'s '"))),
        float(":" in headline),
        float(sum(1 for w in words if len(w) > 1 and w.isupper() and not w.isdigit())),
        float(any(w in ("this", "these") for w in lower)),
        float(sum(1 for w in lower if w in _CURIOSITY)),
        float(any(w in ("i", "i'm", "my", "we", "our") for w in lower)),
        float("..." in headline or "\u2026" in headline),
    ]


@dataclass
class HeadlineScorer:
    """Pairwise logistic regression over headline features; :meth:`score` rates single headlines.

    ``embeddings=True`` adds sentence embeddings from ``embedder`` (anything with ``encode(texts)``, or built
    from ``settings`` on first use); ``cache`` maps a headline to its vector and is shared between fits.
    ``char=False`` and ``style=False`` drop those blocks (``word_only`` style: the TF-IDF baseline).
    ``C`` fixes the inverse L2 strength; ``None`` chooses it from ``Cs`` by grouped CV inside :meth:`fit`.
    """

    embeddings: bool = True
    char: bool = True
    style: bool = True
    shape: bool = False  # add :func:`shape_features` to the style block
    C: float | None = None
    Cs: tuple[float, ...] = (0.03, 0.1, 0.3, 1.0, 3.0)
    inner_folds: int = 3
    embedding_weights: tuple[float, ...] = (1.0,)  # scale(s) of the embedding block; several: chosen by CV
    embedding_weight: float = 1.0
    embedding_model: str | None = None  # the sentence model's name; set at fit, pinned when loaded
    settings: Any = None
    embedder: Any = None
    cache: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    # fitted state
    coef_: np.ndarray | None = field(default=None, repr=False)
    chosen_C: float | None = None
    inner_accuracy_: float | None = None  # the chosen (weight, C)'s mean inner-CV accuracy
    _word: Any = field(default=None, repr=False)
    _chars: Any = field(default=None, repr=False)
    _style_mean: np.ndarray | None = field(default=None, repr=False)
    _style_std: np.ndarray | None = field(default=None, repr=False)

    # -- features -----------------------------------------------------------------------------------------
    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        missing = sorted({t for t in texts if t not in self.cache})
        if missing:
            if self.embedder is None:
                import tempfile

                from newsdesk.nlp.embed import EmbedderConfig, embedder_for
                from newsdesk.settings import Settings

                settings = (
                    self.settings if self.settings is not None else Settings(home=Path(tempfile.mkdtemp()))
                )
                options = {"model": self.embedding_model} if self.embedding_model else {}
                self.embedder = embedder_for(EmbedderConfig.from_settings(settings, **options))
            vectors = np.asarray(self.embedder.encode(missing), dtype=np.float32)
            self.cache.update(zip(missing, vectors, strict=True))
        return np.vstack([self.cache[t] for t in texts])

    def _prepare(self, headlines: Sequence[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        unique = sorted(set(headlines))
        self._word = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True)
        self._word.fit(unique)
        if self.char:
            self._chars = TfidfVectorizer(
                analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True, max_features=50000
            )
            self._chars.fit(unique)
        if self.style:
            s = self._style_rows(unique)
            self._style_mean = s.mean(axis=0)
            self._style_std = s.std(axis=0) + 1e-6

    def _style_rows(self, headlines: Sequence[str]) -> np.ndarray:
        if self.shape:
            return np.array([style_features(h) + shape_features(h) for h in headlines], dtype=np.float64)
        return np.array([style_features(h) for h in headlines], dtype=np.float64)

    def features(self, headlines: Sequence[str]) -> Any:
        """The sparse feature matrix of ``headlines`` (one row each), after :meth:`fit`."""
        from scipy import sparse

        if self._word is None:
            raise RuntimeError("HeadlineScorer is not fitted")
        blocks = [self._word.transform(headlines)]
        if self.char and self._chars is not None:
            blocks.append(self._chars.transform(headlines))
        if self.style and self._style_mean is not None and self._style_std is not None:
            s = (self._style_rows(headlines) - self._style_mean) / self._style_std
            blocks.append(sparse.csr_matrix(s * 0.3))
        if self.embeddings:
            blocks.append(sparse.csr_matrix(self._embed(headlines) * self.embedding_weight))
        return sparse.hstack(blocks, format="csr")

    # -- fitting ------------------------------------------------------------------------------------------
    def _diffs(self, pairs: Sequence[HeadlinePair]) -> tuple[Any, np.ndarray]:
        from scipy import sparse

        xa = self.features([p.a for p in pairs])
        xb = self.features([p.b for p in pairs])
        d = xa - xb
        y = np.array([p.label for p in pairs])
        # both orientations: the model has no intercept and is antisymmetric by construction
        return sparse.vstack([d, -d], format="csr"), np.concatenate([y, 1 - y])

    @staticmethod
    def _lr(C: float) -> Any:
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=C, fit_intercept=False, max_iter=2000, solver="liblinear")

    def fit(self, pairs: Sequence[HeadlinePair]) -> HeadlineScorer:
        """Fit on judged pairs; ``C`` from grouped inner CV over ``Cs`` unless fixed."""
        if not pairs:
            raise ValueError("no pairs to fit")
        self._prepare([h for p in pairs for h in (p.a, p.b)])
        weights = self.embedding_weights if self.embeddings else (self.embedding_weight,)
        best: tuple[float, float, float] | None = None  # (inner accuracy, weight, C)
        for w in weights:
            self.embedding_weight = w
            X, y = self._diffs(pairs)
            if self.C is not None and len(weights) == 1:
                best = (0.0, w, self.C)
                break
            for c, acc in self._inner_cv(pairs, X, y).items():
                if best is None or acc > best[0] + 1e-9:
                    best = (acc, w, c)
        assert best is not None
        self.inner_accuracy_, w, C = best
        if w != self.embedding_weight:
            self.embedding_weight = w
            X, y = self._diffs(pairs)
        self.chosen_C = C
        if self.embeddings and self.embedding_model is None:
            self.embedding_model = getattr(self.embedder, "model_name", None)
        self.coef_ = np.asarray(self._lr(C).fit(X, y).coef_[0], dtype=np.float64)
        return self

    def _inner_cv(self, pairs: Sequence[HeadlinePair], X: Any, y: np.ndarray) -> dict[float, float]:
        """Mean inner-CV accuracy per C (folds grouped by test; only the training pairs are used)."""
        from sklearn.model_selection import GroupKFold

        Cs = (self.C,) if self.C is not None else self.Cs
        n = len(pairs)
        groups = np.array([p.test_id for p in pairs])
        k = min(self.inner_folds, len(set(groups.tolist())))
        if k < 2:
            return {Cs[len(Cs) // 2]: 0.0}
        scores = {c: 0.0 for c in Cs}
        for tr, te in GroupKFold(n_splits=k).split(np.zeros(n), groups=groups):
            rows = np.concatenate([tr, tr + n])
            for c in Cs:
                model = self._lr(c).fit(X[rows], y[rows])
                scores[c] += float((model.predict(X[te]) == y[te]).mean()) / k
        # (the vocabulary was fitted on all training headlines: unsupervised, labels are not seen)
        return scores

    # -- use ----------------------------------------------------------------------------------------------
    def score(self, headlines: Sequence[str]) -> np.ndarray:
        """One score per headline; the higher of two wins the pair. Surrounding whitespace is ignored (as
        in training, where headlines are stripped)."""
        if self.coef_ is None:
            raise RuntimeError("HeadlineScorer is not fitted")
        texts = [h.strip() for h in headlines]
        return np.asarray(self.features(texts) @ self.coef_, dtype=np.float64)

    def predict_proba(self, pairs: Sequence[HeadlinePair]) -> np.ndarray:
        """P(``a`` beats ``b``) for each pair."""
        sa = self.score([p.a for p in pairs])
        sb = self.score([p.b for p in pairs])
        return np.asarray(1.0 / (1.0 + np.exp(-(sa - sb))), dtype=np.float64)

    def pairwise_accuracy(self, pairs: Sequence[HeadlinePair]) -> float:
        return pairwise_accuracy(pairs, self.predict_proba(pairs))

    # -- persistence --------------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the fitted model with joblib, compressed (not the embedder nor its cache; the vectorizers'
        ``stop_words_``, every n-gram cut by ``min_df``, are dropped: scikit-learn documents them as safe to
        delete, and they are most of the size)."""
        import joblib

        for vectorizer in (self._word, self._chars):
            if vectorizer is not None and hasattr(vectorizer, "stop_words_"):
                del vectorizer.stop_words_

        state = {
            "embeddings": self.embeddings,
            "char": self.char,
            "style": self.style,
            "shape": self.shape,
            "C": self.C,
            "Cs": self.Cs,
            "chosen_C": self.chosen_C,
            "embedding_weight": self.embedding_weight,
            "embedding_model": self.embedding_model,
            "coef": self.coef_,
            "word": self._word,
            "chars": self._chars,
            "style_mean": self._style_mean,
            "style_std": self._style_std,
        }
        joblib.dump(state, path, compress=3)
        return Path(path)

    @property
    def digest(self) -> str:
        """A short hash of the fitted weights (a version for the bundled model)."""
        import hashlib

        if self.coef_ is None:
            raise RuntimeError("HeadlineScorer is not fitted")
        return hashlib.sha256(np.ascontiguousarray(self.coef_).tobytes()).hexdigest()[:10]

    @classmethod
    def load(cls, path: str | Path, *, settings: Any = None, embedder: Any = None) -> HeadlineScorer:
        import joblib

        state = joblib.load(path)
        scorer = cls(
            embeddings=state["embeddings"],
            char=state["char"],
            style=state["style"],
            shape=state.get("shape", False),
            C=state["C"],
            Cs=tuple(state["Cs"]),
            settings=settings,
            embedder=embedder,
        )
        scorer.chosen_C = state["chosen_C"]
        scorer.embedding_weight = state.get("embedding_weight", 1.0)
        scorer.embedding_model = state.get("embedding_model")
        scorer.coef_ = state["coef"]
        scorer._word = state["word"]
        scorer._chars = state["chars"]
        scorer._style_mean = state["style_mean"]
        scorer._style_std = state["style_std"]
        return scorer
