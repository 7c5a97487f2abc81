"""The ``summary`` component: an extractive summary of a few sentences copied from the article body.

Each body sentence gets a probability of belonging in a summary from a small learned scorer, a logistic
regression over cheap per-sentence features (:data:`FEATURES`): its position, its length, its TextRank
centrality (PageRank over the cosine similarities of the sentences' content-word counts), its similarity
to the article's word centroid, its overlap with the headline, numerals and quotes. The ``k`` sentences
with the highest ``probability * words ** length_power`` are returned in article order: ROUGE F1 against a
longer reference rewards longer sentences as long as they are likely to be in it.

The scorer ships as JSON coefficients (``newsdesk/data/summarizer/scorer.json``, trained on the BBC News
Summary set by :func:`newsdesk.evaluate.summaries.train_scorer`; see ``provenance`` in the file and
``newsdesk eval summaries`` for its cross-validated ROUGE). ``model="textrank"`` is the unsupervised
fallback, also used when the file is missing or unreadable: TextRank centrality times the same length
weight.

Sentences come from :func:`article_sentences` (the body's paragraphs through
:func:`newsdesk.nlp.text.split_sentences`, with extra splits for scripts that mark sentence ends
differently); ``indices`` in the output refer to that list. Only the first :data:`MAX_SENTENCES` sentences
are candidates and a "sentence" longer than :data:`MAX_SENTENCE_CHARS` (text without punctuation) is cut
at a word boundary, so huge articles cost bounded time and memory.

>>> from newsdesk.articles.model import Article
>>> body = ("The council approved the new budget on Tuesday. The budget raises spending on schools. "
...         "Roads will also get more money from the budget. It rained.")
>>> art = Article.create(source="demo", headline="Council approves budget", body=body)
>>> SummaryComponent(sentences=2).transform([art])[0].value["indices"]
[0, 1]
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from newsdesk.errors import InvalidInput
from newsdesk.nlp.base import BaseComponent, ComponentConfig, Output, components
from newsdesk.nlp.text import paragraphs, split_sentences

if TYPE_CHECKING:
    import numpy as np

    from newsdesk.articles.model import Article

__all__ = [
    "FEATURES",
    "MAX_SENTENCES",
    "Sentence",
    "SentenceScorer",
    "SummaryComponent",
    "SummaryConfig",
    "article_sentences",
    "bundled_scorer",
    "content_words",
    "pagerank",
    "select",
    "sentence_features",
]

MAX_SENTENCES = 300  # candidates per article: bounds the n x n similarity matrix
MAX_SENTENCE_CHARS = 1_000
DEFAULT_LENGTH_POWER = 0.5  # chosen by 5-fold CV on BBC (0, 0.5, 1, 1.5 tried; 0.5 best)
SCORER_FORMAT = "newsdesk.summary-scorer.v1"

_STRIP = string.punctuation + "\u201c\u201d\u2018\u2019\u00ab\u00bb\u201e\u2013\u2014\u2026"
_FULL_STOP = re.compile(r"(?<=[\u3002\uff01\uff1f\u0964])")  # CJK and Devanagari sentence ends
_UNICODE_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[^\x00-\x7f])")  # before a non-ASCII letter


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words left out of the TextRank and centroid vectors. Deliberately short: on BBC a list that
# also drops reporting verbs ("said") and "also"/"would" ranks sentences worse (measured).
STOP_WORDS = _word_set(
    "a about above after again against all am an and any are as at be because been before being below "
    "between both but by can did do does doing down during each few for from further had has have "
    "having he her here hers herself him himself his how i if in into is it its itself just me more "
    "most my myself no nor not now of off on once only or other our ours ourselves out over own same "
    "she should so some such than that the their theirs them themselves then there these they this "
    "those through to too under until up very was we were what when where which while who whom why "
    "will with you your yours yourself yourselves s t"
)

FEATURES: tuple[str, ...] = (
    "position",  # index / (n - 1)
    "first",  # the first sentence
    "log_index",
    "paragraph_first",  # opens its paragraph
    "paragraph_position",  # paragraph index / (paragraphs - 1)
    "log_words",
    "words_vs_mean",  # words / the article's mean sentence length
    "content_ratio",  # content words / words
    "textrank",  # PageRank score * n (1.0 = average)
    "textrank_rank",  # rank by TextRank / n (0 = most central)
    "textrank_top40",  # among the ceil(0.4 n) most central
    "log_textrank",
    "degree",  # mean cosine similarity to the other sentences
    "centroid",  # cosine similarity to the article's word counts
    "frequency",  # mean article frequency of its content words, relative to the most frequent
    "headline_overlap",  # share of the headline's content words it contains
    "digits",
    "quote",
    "log_sentences",  # log n (the article's length)
)


@dataclass(frozen=True, slots=True)
class Sentence:
    """A candidate sentence and where it sits."""

    text: str
    paragraph: int
    first_in_paragraph: bool


def article_sentences(body: str, limit: int = MAX_SENTENCES) -> list[Sentence]:
    """The body's first ``limit`` sentences, paragraph by paragraph.

    >>> [s.text for s in article_sentences("One here. Two here.\\n\\nThree.")]
    ['One here.', 'Two here.', 'Three.']
    """
    out: list[Sentence] = []
    for number, para in enumerate(paragraphs(body)):
        first = True
        for sentence in split_sentences(para):
            for piece in _split_more(sentence):
                out.append(Sentence(piece, number, first))
                first = False
                if len(out) >= limit:
                    return out
    return out


def _split_more(sentence: str) -> list[str]:
    pieces = [p.strip() for part in _FULL_STOP.split(sentence) for p in _UNICODE_BOUNDARY.split(part)]
    out: list[str] = []
    for piece in pieces:
        while len(piece) > MAX_SENTENCE_CHARS:
            cut = piece.rfind(" ", 0, MAX_SENTENCE_CHARS)
            cut = cut if cut > MAX_SENTENCE_CHARS // 2 else MAX_SENTENCE_CHARS
            out.append(piece[:cut].strip())
            piece = piece[cut:].strip()
        if piece:
            out.append(piece)
    return out


def content_words(text: str) -> list[str]:
    """Lower-cased whitespace tokens stripped of surrounding punctuation, minus :data:`STOP_WORDS`.

    >>> content_words("The firm's profits rose, it said.")
    ["firm's", 'profits', 'rose', 'said']
    """
    tokens = (t.lower().strip(_STRIP) for t in text.split())
    return [t for t in tokens if t and t not in STOP_WORDS]


def pagerank(
    weights: np.ndarray, damping: float = 0.85, tol: float = 1e-8, max_iter: int = 200
) -> np.ndarray:
    """PageRank of a weighted graph (rows: outgoing weights); a node with no edges spreads its rank
    evenly, as in networkx."""
    import numpy as np

    n = weights.shape[0]
    if n == 0:
        return np.zeros(0)
    out_weight = weights.sum(axis=1)
    dangling = out_weight <= 0
    trans = np.divide(weights, out_weight[:, None], out=np.zeros_like(weights), where=~dangling[:, None])
    rank = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        new = damping * (rank @ trans + rank[dangling].sum() / n) + (1.0 - damping) / n
        if float(np.abs(new - rank).sum()) < tol * n:
            return np.asarray(new)
        rank = new
    return rank


def sentence_features(headline: str, sentences: Sequence[Sentence]) -> np.ndarray:
    """One row of :data:`FEATURES` per sentence (float64); all computed within the article."""
    import numpy as np

    n = len(sentences)
    feats = np.zeros((n, len(FEATURES)), dtype=np.float64)
    if n == 0:
        return feats
    content = [content_words(s.text) for s in sentences]
    vocab: dict[str, int] = {}
    for words in content:
        for w in words:
            vocab.setdefault(w, len(vocab))
    counts = np.zeros((n, max(1, len(vocab))), dtype=np.float32)
    for i, words in enumerate(content):
        for w, c in Counter(words).items():
            counts[i, vocab[w]] = c
    norms = np.linalg.norm(counts, axis=1, keepdims=True)
    unit = np.divide(counts, norms, out=np.zeros_like(counts), where=norms > 0)
    sim = (unit @ unit.T).astype(np.float64)
    np.fill_diagonal(sim, 0.0)
    central = pagerank(sim) * n
    ranks = np.empty(n)
    ranks[np.argsort(-central, kind="stable")] = np.arange(n)
    totals = counts.sum(axis=0)
    norm_total = float(np.linalg.norm(totals))
    centroid = unit @ (totals / norm_total) if norm_total > 0 else np.zeros(n)
    top_freq = float(totals.max()) or 1.0
    headline_words = set(content_words(headline))
    n_words = np.array([len(s.text.split()) for s in sentences], dtype=np.float64)
    mean_words = float(n_words.mean()) or 1.0
    last_paragraph = max(s.paragraph for s in sentences)
    top40 = math.ceil(0.4 * n)
    for i, s in enumerate(sentences):
        words = content[i]
        feats[i] = (
            i / (n - 1) if n > 1 else 0.0,
            float(i == 0),
            math.log1p(i),
            float(s.first_in_paragraph),
            s.paragraph / last_paragraph if last_paragraph else 0.0,
            math.log1p(n_words[i]),
            n_words[i] / mean_words,
            len(words) / n_words[i] if n_words[i] else 0.0,
            central[i],
            ranks[i] / n,
            float(ranks[i] < top40),
            math.log(max(float(central[i]), 1e-6)),
            sim[i].sum() / (n - 1) if n > 1 else 0.0,
            float(centroid[i]),
            sum(float(totals[vocab[w]]) for w in words) / top_freq / len(words) if words else 0.0,
            len(headline_words.intersection(words)) / len(headline_words) if headline_words else 0.0,
            float(any(ch.isdigit() for ch in s.text)),
            float(any(q in s.text for q in "\"\u201c\u201d")),
            math.log(n),
        )
    return feats


@dataclass(frozen=True)
class SentenceScorer:
    """Logistic regression over standardised :data:`FEATURES`, read from and written to JSON."""

    coef: tuple[float, ...]
    intercept: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    length_power: float = DEFAULT_LENGTH_POWER
    provenance: dict[str, Any] | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SentenceScorer:
        if data.get("format") != SCORER_FORMAT or tuple(data.get("features", ())) != FEATURES:
            expected = f"a {SCORER_FORMAT} file for these features"
            raise InvalidInput("summary scorer", data.get("format"), expected)
        sizes = {len(data["coef"]), len(data["mean"]), len(data["scale"])}
        if sizes != {len(FEATURES)}:
            raise InvalidInput("summary scorer", sorted(sizes), f"{len(FEATURES)} coefficients")
        return cls(
            coef=tuple(float(v) for v in data["coef"]),
            intercept=float(data["intercept"]),
            mean=tuple(float(v) for v in data["mean"]),
            scale=tuple(float(v) if v else 1.0 for v in data["scale"]),
            length_power=float(data.get("length_power", DEFAULT_LENGTH_POWER)),
            provenance=data.get("provenance"),
        )

    @classmethod
    def load(cls, path: Path) -> SentenceScorer:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": SCORER_FORMAT,
            "features": list(FEATURES),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "mean": list(self.mean),
            "scale": list(self.scale),
            "length_power": self.length_power,
            "provenance": self.provenance or {},
        }

    @property
    def digest(self) -> str:
        """A short hash of the weights, part of the component's version."""
        weights = json.dumps([self.coef, self.intercept, self.mean, self.scale, self.length_power])
        return hashlib.sha256(weights.encode()).hexdigest()[:10]

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        import numpy as np

        standard = (features - np.asarray(self.mean)) / np.asarray(self.scale)
        z = standard @ np.asarray(self.coef) + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -50, 50))))


_BUNDLED = ("newsdesk.data", "summarizer/scorer.json")


@functools.lru_cache(maxsize=1)
def bundled_scorer() -> SentenceScorer | None:
    """The scorer shipped with newsdesk, or None when its file is missing or unreadable."""
    try:
        text = resources.files(_BUNDLED[0]).joinpath(_BUNDLED[1]).read_text(encoding="utf-8")
        return SentenceScorer.from_dict(json.loads(text))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def select(scores: np.ndarray, n_words: np.ndarray, k: int, length_power: float) -> list[int]:
    """Indices (in article order) of the ``k`` sentences with the highest ``score * words ** power``."""
    import numpy as np

    weighted = scores * np.maximum(n_words, 1.0) ** length_power
    return sorted(int(i) for i in np.argsort(-weighted, kind="stable")[:k])


@dataclass(frozen=True)
class SummaryConfig(ComponentConfig):
    """How many sentences a summary has, and which scorer picks them: ``"bundled"`` (the shipped scorer,
    falling back to TextRank if it is missing), ``"textrank"``, or the path of a scorer JSON file (checked
    here, read on the driver: executors receive the scorer itself)."""

    sentences: int = 3
    model: str = "bundled"

    def __post_init__(self) -> None:
        if not isinstance(self.sentences, int) or isinstance(self.sentences, bool) or self.sentences < 1:
            raise InvalidInput("sentences", self.sentences, "an integer >= 1")
        object.__setattr__(self, "model", str(self.model))  # a Path and its string are one configuration
        if self.model not in ("bundled", "textrank"):
            path = Path(self.model)
            if not path.is_file():
                raise InvalidInput("model", self.model, "'bundled', 'textrank' or a scorer JSON file")
            SentenceScorer.load(path)  # refuses a malformed file now, not in the middle of a run

    def load_scorer(self) -> SentenceScorer | None:
        """The scorer this configuration names (None: TextRank)."""
        if self.model == "textrank":
            return None
        if self.model == "bundled":
            return bundled_scorer()
        return SentenceScorer.load(Path(self.model))


@components.register("summary")
class SummaryComponent(BaseComponent):
    """``{"sentences": [...], "indices": [...]}``: ``sentences`` (default 3) body sentences in article
    order; confidence is the scorer's mean probability for them (None for the TextRank fallback).

    The scorer (:class:`SummaryConfig`) is read on first use, or by :meth:`fit` on the driver, and kept as
    ``scorer_``, so an executor receives it instead of reading a file of the driver's.
    """

    name: ClassVar[str] = "summary"
    parallel_safe: ClassVar[bool] = True  # pure Python, numpy or spaCy: safe in forked workers
    requires: ClassVar[tuple[str, ...]] = ("headline", "body")
    assigns: ClassVar[tuple[str, ...]] = ("summary",)
    code_version: ClassVar[str] = "1"
    Config: ClassVar[type[ComponentConfig]] = SummaryConfig
    config: SummaryConfig
    state: ClassVar[tuple[str, ...]] = ("scorer_",)

    def __init__(self, config: SummaryConfig | None = None, /, **options: Any) -> None:
        super().__init__(config, **options)
        self.scorer_: SentenceScorer | None = None

    @property
    def sentences(self) -> int:
        return self.config.sentences

    @property
    def scorer(self) -> SentenceScorer | None:
        """The sentence scorer (None: TextRank), read once."""
        if self.scorer_ is None and self.config.model != "textrank":
            self.scorer_ = self.config.load_scorer()
        return self.scorer_

    def _fit(self, articles: Iterable[Article]) -> None:
        """Nothing to learn: reads the scorer on the driver."""
        self.scorer  # noqa: B018 - read on first access

    def model_identity(self) -> str:
        """``lr-<digest of the scorer's coefficients>``, or ``textrank``."""
        scorer = self.scorer
        return f"lr-{scorer.digest}" if scorer is not None else "textrank"

    def state_digest(self) -> str:
        """Nothing beyond :meth:`model_identity`, which names the scorer by its digest (so the version is
        the same before and after the scorer is read)."""
        return ""

    def summarize(self, headline: str, body: str) -> tuple[list[int], list[str], float | None]:
        """(indices, sentences, confidence) for one article."""
        import numpy as np

        sentences = article_sentences(body)
        if not sentences:
            return [], [], None
        feats = sentence_features(headline, sentences)
        n_words = np.array([len(s.text.split()) for s in sentences], dtype=np.float64)
        scorer = self.scorer
        if scorer is not None:
            scores = scorer.probabilities(feats)
            chosen = select(scores, n_words, self.sentences, scorer.length_power)
            confidence: float | None = round(float(scores[chosen].mean()), 4)
        else:
            scores = feats[:, FEATURES.index("textrank")]
            chosen = select(scores, n_words, self.sentences, DEFAULT_LENGTH_POWER)
            confidence = None
        return chosen, [sentences[i].text for i in chosen], confidence

    def transform(self, articles: Sequence[Article]) -> list[Output]:
        outputs: list[Output] = []
        for article in articles:
            indices, texts, confidence = self.summarize(article.headline, article.body)
            outputs.append(Output({"sentences": texts, "indices": indices}, confidence=confidence))
        return outputs
