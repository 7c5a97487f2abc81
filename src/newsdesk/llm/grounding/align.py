"""Aligning one claim with its sources: candidate evidence sentences, lexical coverage, fact checks.

Everything here is lexical and cheap; :mod:`~newsdesk.llm.grounding.verifier` adds the embedding cosine of
the few candidate sentences and the calibrated model. :class:`SourceIndex` reads the sources once per call
(sentences with offsets, stems, numbers, dates, names); :func:`analyse` compares one claim with it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from newsdesk.llm.grounding.facts import Number, dates, names, number_backed, numbers, quotes
from newsdesk.llm.grounding.text import (
    NEGATIONS,
    STOPWORDS,
    SourceSentence,
    content_stems,
    source_sentences,
    stem,
    tokens,
)

__all__ = ["CANDIDATES", "Analysis", "SourceIndex", "aligned_window", "analyse", "projection"]

CANDIDATES = 4  # sentences per claim whose embeddings are compared (the best by lexical coverage)
PROJECTED = 2  # of which the best few are also compared through their window and projection
_CITATION = re.compile(r"\s*\[\d+(?:\s*[,;\u2013-]\s*\d+)*\]")
NEGATION_MIN_COVERAGE = 0.6  # a negation mismatch counts only against a sentence that holds the claim


@dataclass
class SourceIndex:
    """The sources of one call, read once: sentences, stem statistics and facts."""

    sentences: list[SourceSentence]
    texts: dict[str, str]
    stems: set[str]
    idf: dict[str, float]
    numbers: list[Number]
    dates: set[str]
    lower_words: set[str]
    name_words: set[str]  # lower-cased words the sources write capitalised mid-sentence
    word_stream: str  # " lower words " of every source, for quote and copy look-ups
    lower_text: str  # every source's text, lower-cased

    @classmethod
    def build(cls, sources: Sequence[tuple[str, str]]) -> SourceIndex:
        sentences = [s for article_id, text in sources for s in source_sentences(article_id, text)]
        df: Counter[str] = Counter()
        stems: set[str] = set()
        for s in sentences:
            unique = set(s.stems)
            df.update(unique)
            stems |= unique
        n = max(len(sentences), 1)
        idf = {w: math.log((n + 1) / (c + 0.5)) + 1.0 for w, c in df.items()}
        all_numbers: list[Number] = []
        all_dates: set[str] = set()
        lower: set[str] = set()
        name_words: set[str] = set()
        streams = []
        for _, text in sources:
            all_numbers += numbers(text)
            all_dates |= dates(text)
            words = tokens(text)
            lower |= {w.lower() for w in words} | {stem(w) for w in words}
            name_words |= {n.lower() for n in names(text)}
            streams.append(" ".join(w.lower().replace("\u2019", "'") for w in words))
        return cls(
            sentences,
            dict(sources),
            stems,
            idf,
            all_numbers,
            all_dates,
            lower,
            name_words,
            " " + " | ".join(streams) + " ",
            "\n".join(text.lower() for _, text in sources),
        )

    def weight(self, word: str) -> float:
        return self.idf.get(word, math.log(len(self.sentences) + 2) + 1.0)


@dataclass
class Analysis:
    """One claim against a :class:`SourceIndex`: lexical features, candidate sentences, failed checks."""

    claim: str
    candidates: list[int]  # indices into index.sentences, best lexical first
    windows: list[
        str
    ]  # per candidate, the part that holds the claim's words; then the best ones' projections
    coverage: list[float]  # IDF-weighted share of the claim's content stems in each candidate
    document_coverage: float
    novel_words: int
    copied: bool  # the claim's words appear verbatim, in order, in a source
    missing: list[str] = field(default_factory=list)  # reasons: facts not in the sources
    claim_numbers: list[Number] = field(default_factory=list)
    claim_dates: set[str] = field(default_factory=set)
    claim_names: list[str] = field(default_factory=list)
    content: list[str] = field(default_factory=list)
    negated: bool = False
    length: int = 0
    checked: str = ""  # the claim as compared: citation markers removed


def _coverage(content: Sequence[str], sentence_stems: set[str], index: SourceIndex) -> float:
    total = sum(index.weight(w) for w in content)
    if not total:
        return 1.0
    return sum(index.weight(w) for w in content if w in sentence_stems) / total


def _negated(words: Sequence[str]) -> bool:
    return any(w.lower() in NEGATIONS or w.lower().endswith("n't") for w in words)


def analyse(claim: str, index: SourceIndex) -> Analysis:
    """The lexical comparison of ``claim`` with the sources (see :class:`Analysis`); citation markers
    (``[1]``, ``[2, 3]``) are left out of the comparison."""
    checked = _CITATION.sub("", claim).strip() or claim
    words = tokens(checked)
    all_stems = [stem(w) for w in words]
    content = content_stems(words)
    scored = []
    for i, s in enumerate(index.sentences):
        sentence_stems = set(s.stems)
        scored.append((_coverage(content, sentence_stems, index), -i, i))
    scored.sort(reverse=True)
    top = [i for _, _, i in scored[:CANDIDATES]]
    coverage = [c for c, _, _ in scored[:CANDIDATES]]
    unique = list(dict.fromkeys(content))
    document = sum(w in index.stems for w in unique) / len(unique) if unique else 1.0
    novel = sum(w not in index.stems for w in unique)
    lowered = " " + " ".join(w.lower().replace("\u2019", "'") for w in words) + " "
    copied = len(words) >= 4 and lowered in index.word_stream
    windows = [aligned_window(set(content), index.sentences[i]) for i in top[:PROJECTED]]
    windows += [projection(set(all_stems), index.sentences[i]) for i in top[:PROJECTED]]
    analysis = Analysis(
        claim,
        top,
        windows,
        coverage,
        document,
        novel,
        copied,
        content=content,
        negated=_negated(words),
        length=len(words),
    )
    analysis.checked = checked
    _check_facts(checked, words, analysis, index)
    return analysis


def _check_facts(claim: str, words: list[str], analysis: Analysis, index: SourceIndex) -> None:
    """Numbers, dates, names and quotes of the claim that the sources do not hold, as reasons."""
    analysis.claim_numbers = numbers(claim)
    for number in analysis.claim_numbers:
        if not number_backed(number, index.numbers):
            analysis.missing.append(f"number '{number.text}' not in the sources")
    analysis.claim_dates = dates(claim)
    for date in sorted(analysis.claim_dates - index.dates):
        analysis.missing.append(f"date '{date.split(':', 1)[1]}' not in the sources")
    cased = names(claim)
    for name in dict.fromkeys(cased):
        parts = [p for p in re.split(r"[-\u2013]", name) if p]  # "London-based", "January-to-March"
        if name.lower() not in index.lower_text and not all(
            p.lower() in index.lower_words or stem(p) in index.lower_words for p in parts
        ):
            analysis.missing.append(f"name '{name}' not in the sources")
    inferred = [w for w in words if w.lower() in index.name_words and w.lower() not in STOPWORDS]
    analysis.claim_names = list(dict.fromkeys([n.lower() for n in cased] + [w.lower() for w in inferred]))
    for quote in quotes(claim):
        for piece in quote.replace("\u2026", "...").split("..."):
            quoted = [w.lower().replace("\u2019", "'") for w in tokens(piece)]
            if len(quoted) >= 3 and " " + " ".join(quoted) + " " not in index.word_stream:
                analysis.missing.append(f'quote not found: "{piece.strip()[:60]}"')
                break


def _densest(wanted: set[str], stems: Sequence[str], gap: int = 4) -> tuple[int, int]:
    """(first, last) positions of the run of ``wanted`` stems (neighbours at most ``gap`` apart) that
    holds the most distinct of them; (0, len - 1) when none is there."""
    hits = [i for i, s in enumerate(stems) if s in wanted]
    if not hits:
        return 0, len(stems) - 1
    runs = [[hits[0]]]
    for i in hits[1:]:
        if i - runs[-1][-1] <= gap:
            runs[-1].append(i)
        else:
            runs.append([i])
    best = max(runs, key=lambda run: (len({stems[i] for i in run}), -run[0]))
    return best[0], best[-1]


def projection(wanted: set[str], sentence: SourceSentence) -> str:
    """The words of ``sentence`` whose stems the claim uses, in the sentence's order: what is left of it
    when it is shortened to the claim (a compressed copy then embeds close to the claim)."""
    kept = [w for w, s in zip(sentence.words, sentence.stems, strict=True) if s in wanted]
    return " ".join(kept) if kept else sentence.text


def aligned_window(wanted: set[str], sentence: SourceSentence, margin: int = 2) -> str:
    """The words of ``sentence`` around its densest run of ``wanted`` stems, ``margin`` either side."""
    if not any(s in wanted for s in sentence.stems):
        return sentence.text
    start, end = _densest(wanted, sentence.stems)
    return " ".join(sentence.words[max(0, start - margin) : end + margin + 1])


def evidence_gap(analysis: Analysis, index: SourceIndex, evidence: Sequence[int]) -> list[str]:
    """Names and numbers that the sources hold but the evidence sentences do not, as reasons."""
    words: set[str] = set()
    evidence_numbers: list[Number] = []
    for i in evidence:
        s = index.sentences[i]
        words |= {w.lower() for w in s.words} | set(s.stems)
        evidence_numbers += numbers(s.text)
    gaps = []
    for number in analysis.claim_numbers:
        if number_backed(number, index.numbers) and not number_backed(number, evidence_numbers):
            gaps.append(f"number '{number.text}' not in the evidence")
    for name in analysis.claim_names:
        if (name in index.lower_words or stem(name) in index.lower_words) and not (
            name in words or stem(name) in words
        ):
            gaps.append(f"name '{name}' not in the evidence")
    return gaps


def negation_differs(analysis: Analysis, index: SourceIndex) -> bool:
    """Whether the claim flips the negation of the sources: a negated claim against sentences that hold most
    of it (:data:`NEGATION_MIN_COVERAGE`) and have no negation at all, or a plain claim against such
    sentences whose matching part (the densest run of the claim's words, or all of them) is negated. There
    must be at least one such sentence, and all of them must disagree."""
    wanted = set(analysis.content)
    pairs = zip(analysis.candidates, analysis.coverage, strict=True)
    holding = [i for i, c in pairs if c >= NEGATION_MIN_COVERAGE]
    if not holding or not wanted:
        return False
    for i in holding:
        sentence = index.sentences[i]
        if analysis.negated:
            if _negated(sentence.words):
                return False
            continue
        start, end = _densest(wanted, sentence.stems)
        hits = [k for k, s in enumerate(sentence.stems) if s in wanted] or [0]
        dense = sentence.words[max(0, start - 4) : end + 2]
        span = sentence.words[max(0, hits[0] - 4) : hits[-1] + 2]
        if not _negated(dense) or not _negated(span):
            return False
    return True
