"""The ``duplicates`` evaluation: precision, recall and F1 of near-duplicate *pairs* found by the
``near_duplicates`` component on the BBC News corpus, all 2,225 files kept (no de-duplication).

The gold pairs come from three places, each reported as a "kind" with its own recall:

- ``exact``: byte-identical files (the corpus has 98 such pairs);
- ``whitespace``: files that differ only in whitespace or paragraph breaks (3 pairs);
- ``natural``: other pairs that are versions of one story (re-edits, updates). They are labelled with a
  measure unlike the MinHash Jaccard under test: the word-level alignment ratio of Python's ``difflib``
  (``2 * matched words / total words``, order-aware). Pairs at >= 0.7 are gold; on the BBC corpus no pair
  lies between 0.64 and 0.73, so the cut sits in a gap. Pairs with a ratio in [0.4, 0.7), or whose
  shorter text is >= 60% inside the longer, are *related* (shared passages, follow-up stories): they are
  left out of the scoring, neither a hit nor a false alarm. Only pairs sharing at least one sentence are
  aligned (the rest cannot reach 0.4);
- generated rewrites, ``per_kind`` of each kind below, each from a different source article that has no
  exact, natural or related partner, made deterministically from ``seed``:

  ``drop_sentences`` 25% of the body's sentences deleted (never the first);
  ``reorder`` paragraphs after the lead shuffled (sentences, for bodies of fewer than 3 paragraphs);
  ``truncate`` only the first 50-70% of the paragraphs kept;
  ``numbers_dates`` each number (its last digit), weekday and month changed with probability 1/2;
  ``headline`` a new headline made from the lead sentence's first 8-12 words;
  ``boilerplate`` a wire dateline before the lead and reporting credits and a copyright line after;
  ``wire_lead`` the lead paragraph replaced by a wire-style one and "UPDATE 2-" before the headline;
  ``heavy`` wire lead, cut to 60-80%, 15% of sentences dropped, numbers and dates changed, boilerplate.

Rewrites of one source are not scored against each other (they are all marked related).

The component is fitted on every file and every rewrite (it indexes them all) and ``transform`` returns
each article's near-duplicates; the predicted pairs are their union. Two
configurations run: MinHash alone (the default component) and MinHash plus embedding cosine. The
baseline, in the same run, is exact-fingerprint matching (the ingest de-duplication rule: case-folded,
whitespace-collapsed headline and body hashed).
"""

from __future__ import annotations

import difflib
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsdesk.evaluate.datasets import BbcItem, load_bbc
from newsdesk.evaluate.harness import EvalResult, task
from newsdesk.nlp.text import paragraphs, split_sentences, words
from newsdesk.settings import Settings

__all__ = ["REWRITE_KINDS", "Benchmark", "build_benchmark", "rewrite", "score_pairs"]

SEED = 2005
PER_KIND = 40
NATURAL_RATIO = 0.7
RELATED_RATIO = 0.4
RELATED_OVERLAP = 0.6

Pair = tuple[str, str]
Rewriter = Callable[[str, list[str], random.Random], tuple[str, list[str]]]

_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# "May" is left out: as a verb it is too common to swap safely
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DATE_WORD = re.compile(r"\b(" + "|".join(_WEEKDAYS + _MONTHS) + r")\b")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CITIES = ["LONDON", "NEW YORK", "BRUSSELS", "MANCHESTER", "EDINBURGH", "WASHINGTON"]
_AGENCY = "Newsdesk Wire"
_REPORTERS = ["Anna Hale", "Tom Reyes", "Priya Natarajan", "Lars Eklund", "Grace Obi", "Marc Duval"]


def _sentences(paras: list[str]) -> list[list[str]]:
    return [split_sentences(p) or [p] for p in paras]


def _drop_sentences(
    headline: str, paras: list[str], rng: random.Random, share: float = 0.25
) -> tuple[str, list[str]]:
    nested = _sentences(paras)
    positions = [(i, j) for i, sents in enumerate(nested) for j in range(len(sents)) if (i, j) != (0, 0)]
    if not positions:
        return headline, paras
    drop = set(rng.sample(positions, max(1, round(share * len(positions)))))
    kept = [" ".join(s for j, s in enumerate(sents) if (i, j) not in drop) for i, sents in enumerate(nested)]
    return headline, [p for p in kept if p]


def _reorder(headline: str, paras: list[str], rng: random.Random) -> tuple[str, list[str]]:
    if len(paras) >= 3:
        rest = paras[1:]
        rng.shuffle(rest)
        return headline, [paras[0], *rest]
    flat = [s for sents in _sentences(paras) for s in sents]
    rng.shuffle(flat)
    return headline, [" ".join(flat)]


def _truncate(
    headline: str, paras: list[str], rng: random.Random, low: float = 0.5, high: float = 0.7
) -> tuple[str, list[str]]:
    share = rng.uniform(low, high)
    if len(paras) >= 3:
        return headline, paras[: max(1, round(share * len(paras)))]
    flat = [s for sents in _sentences(paras) for s in sents]
    return headline, [" ".join(flat[: max(1, round(share * len(flat)))])]


def _edit_numbers_dates(text: str, rng: random.Random) -> str:
    def number(match: re.Match[str]) -> str:
        value = match.group()
        if rng.random() >= 0.5:
            return value
        last = value[-1]
        return value[:-1] + rng.choice([d for d in "0123456789" if d != last])

    def date_word(match: re.Match[str]) -> str:
        value = match.group()
        if rng.random() >= 0.5:
            return value
        pool = _WEEKDAYS if value in _WEEKDAYS else _MONTHS
        return rng.choice([w for w in pool if w != value])

    return _DATE_WORD.sub(date_word, _NUMBER.sub(number, text))


def _numbers_dates(headline: str, paras: list[str], rng: random.Random) -> tuple[str, list[str]]:
    return _edit_numbers_dates(headline, rng), [_edit_numbers_dates(p, rng) for p in paras]


def _headline(headline: str, paras: list[str], rng: random.Random) -> tuple[str, list[str]]:
    lead = (split_sentences(paras[0]) or [headline])[0] if paras else headline
    tokens = lead.rstrip(".!?\"'").split()
    return " ".join(tokens[: rng.randint(8, 12)]) or headline, paras


def _dateline(rng: random.Random) -> str:
    return f"{rng.choice(_CITIES)}, {rng.choice(_WEEKDAYS)} ({_AGENCY}) -"


def _boilerplate(headline: str, paras: list[str], rng: random.Random) -> tuple[str, list[str]]:
    first, *rest = paras or [""]
    reporter, editor = rng.sample(_REPORTERS, 2)
    credits = f"(Reporting by {reporter}; Editing by {editor})"
    notice = (
        f"(c) {_AGENCY} {rng.randint(2004, 2006)}. All rights reserved. Republication or redistribution "
        "of this content is prohibited without prior written consent."
    )
    return headline, [f"{_dateline(rng)} {first}".strip(), *rest, credits, notice]


def _wire_lead(headline: str, paras: list[str], rng: random.Random) -> tuple[str, list[str]]:
    source = rng.choice(["officials said", "sources told " + _AGENCY, "people familiar with the matter said"])
    lead = f"{_dateline(rng)} {headline.rstrip('.')}, {source} on {rng.choice(_WEEKDAYS)}."
    return f"UPDATE 2-{headline}", [lead, *paras[1:]]


def _heavy(headline: str, paras: list[str], rng: random.Random) -> tuple[str, list[str]]:
    headline, paras = _wire_lead(headline, paras, rng)
    headline, paras = _truncate(headline, paras, rng, 0.6, 0.8)
    headline, paras = _drop_sentences(headline, paras, rng, 0.15)
    headline, paras = _numbers_dates(headline, paras, rng)
    return _boilerplate(headline, paras, rng)


REWRITE_KINDS: dict[str, Rewriter] = {
    "drop_sentences": _drop_sentences,
    "reorder": _reorder,
    "truncate": _truncate,
    "numbers_dates": _numbers_dates,
    "headline": _headline,
    "boilerplate": _boilerplate,
    "wire_lead": _wire_lead,
    "heavy": _heavy,
}


def rewrite(kind: str, headline: str, body: str, rng: random.Random) -> tuple[str, str]:
    """A rewrite of kind ``kind`` (one of :data:`REWRITE_KINDS`) of the article; body paragraphs are
    separated by blank lines.

    >>> h, b = rewrite("boilerplate", "Rates held", "The bank kept rates at 5%.", random.Random(0))
    >>> b.splitlines()[0], b.splitlines()[2][:12]
    ('BRUSSELS, Friday (Newsdesk Wire) - The bank kept rates at 5%.', '(Reporting b')
    """
    headline, paras = REWRITE_KINDS[kind](headline, paragraphs(body), rng)
    return headline, "\n\n".join(paras)


@dataclass
class Doc:
    id: str
    headline: str
    body: str


@dataclass
class Benchmark:
    """Articles (files and rewrites), gold pairs by kind, and related pairs left out of scoring."""

    docs: list[Doc]
    gold: dict[Pair, str]
    related: set[Pair] = field(default_factory=set)


def _pair(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _aligned(a: list[str], b: list[str]) -> tuple[float, float]:
    """(alignment ratio, share of the shorter text matched) of two word lists."""
    if not a or not b:
        return 0.0, 0.0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return 2 * matched / (len(a) + len(b)), matched / min(len(a), len(b))


def corpus_pairs(items: Sequence[BbcItem]) -> tuple[dict[Pair, str], set[Pair]]:
    """Gold pairs (``exact``, ``whitespace``, ``natural``) and related pairs within the files."""
    gold: dict[Pair, str] = {}
    related: set[Pair] = set()
    raw: dict[str, list[str]] = {}
    normal: dict[str, list[str]] = {}
    for item in items:
        raw.setdefault(f"{item.headline}\n{item.body}", []).append(item.id)
        normal.setdefault(_norm(f"{item.headline} {item.body}"), []).append(item.id)
    for kind, groups in (("exact", raw), ("whitespace", normal)):
        for ids in groups.values():
            for i, a in enumerate(ids):
                for b in ids[i + 1 :]:
                    gold.setdefault(_pair(a, b), kind)
    # candidate pairs: sharing a sentence of 4+ words (sentences in more than 20 files are boilerplate)
    index: dict[str, list[str]] = {}
    for item in items:
        for sentence in {_norm(s) for s in split_sentences(item.text) if len(s.split()) >= 4}:
            index.setdefault(sentence, []).append(item.id)
    candidates = {
        _pair(a, b)
        for ids in index.values()
        if len(ids) <= 20
        for i, a in enumerate(ids)
        for b in ids[i + 1 :]
    }
    tokens = {item.id: [w.casefold() for w in words(item.text)] for item in items}
    for pair in sorted(candidates - set(gold)):
        ratio, overlap = _aligned(tokens[pair[0]], tokens[pair[1]])
        if ratio >= NATURAL_RATIO:
            gold[pair] = "natural"
        elif ratio >= RELATED_RATIO or overlap >= RELATED_OVERLAP:
            related.add(pair)
    return gold, related


def _changed_rewrite(kind: str, source: BbcItem, seed: int, tries: int = 5) -> tuple[str, str] | None:
    """A rewrite that differs from the source once whitespace and case are ignored (None if the source
    offers nothing to change, e.g. no numbers)."""
    original = _norm(f"{source.headline} {source.body}")
    for attempt in range(tries):
        rng = random.Random(f"{seed}:{kind}:{source.id}:{attempt}")
        headline, body = rewrite(kind, source.headline, source.body, rng)
        if _norm(f"{headline} {body}") != original:
            return headline, body
    return None


def build_benchmark(items: Sequence[BbcItem], *, seed: int = SEED, per_kind: int = PER_KIND) -> Benchmark:
    """The files plus ``per_kind`` rewrites of each kind, with gold and related pairs."""
    gold, related = corpus_pairs(items)
    docs = [Doc(item.id, item.headline, item.body) for item in items]
    linked = {i for pair in (*gold, *related) for i in pair}
    eligible = [item for item in items if item.id not in linked and item.body.strip()]
    order = random.Random(seed).sample(eligible, len(eligible))
    reuse = len(eligible) < per_kind * len(REWRITE_KINDS)  # small samples: sources serve several kinds
    used: set[str] = set()
    by_source: dict[str, list[str]] = {}
    for k, kind in enumerate(REWRITE_KINDS):
        made = 0
        start = (k * per_kind) % len(order) if reuse and order else 0
        for source in order[start:] + order[:start]:
            if made == per_kind:
                break
            if source.id in used and not reuse:
                continue
            changed = _changed_rewrite(kind, source, seed)
            if changed is None:
                continue
            doc_id = f"rewrite/{kind}/{source.id}"
            docs.append(Doc(doc_id, *changed))
            gold[_pair(source.id, doc_id)] = kind
            for other in by_source.get(source.id, []):
                related.add(_pair(other, doc_id))
            by_source.setdefault(source.id, []).append(doc_id)
            used.add(source.id)
            made += 1
    return Benchmark(docs, gold, related)


def score_pairs(predicted: Iterable[Pair], gold: dict[Pair, str], related: set[Pair]) -> dict[str, Any]:
    """Pair precision/recall/F1 (related pairs left out) and recall per gold kind."""
    found = {_pair(*p) for p in predicted} - related
    hits = found & set(gold)
    precision = len(hits) / len(found) if found else 0.0
    recall = len(hits) / len(gold) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    totals = Counter(gold.values())
    found_by_kind = Counter(gold[p] for p in hits)
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "predicted_pairs": len(found),
        "true_positives": len(hits),
        "false_positives": len(found) - len(hits),
        "gold_pairs": len(gold),
        "recall_by_kind": {k: round(found_by_kind[k] / n, 4) for k, n in sorted(totals.items())},
    }


def _articles(docs: Sequence[Doc]) -> list[Any]:
    from newsdesk.articles.model import Article

    return [
        Article.create(source="bench", source_id=d.id, headline=d.headline or "(none)", body=d.body)
        for d in docs
    ]


def component_pairs(articles: Sequence[Any], settings: Settings, **options: Any) -> tuple[set[Pair], str]:
    """The pairs the ``near_duplicates`` component (configured from ``settings`` and ``options``) finds
    among ``articles`` once fitted on all of them, and its ref."""
    from newsdesk.nlp.dedup import NearDuplicatesComponent

    component = NearDuplicatesComponent.from_settings(settings, **options).fit(articles)
    pairs: set[Pair] = set()
    for start in range(0, len(articles), 512):
        batch = articles[start : start + 512]
        for article, output in zip(batch, component.transform(batch), strict=True):
            pairs.update(_pair(article.id, match["id"]) for match in output.value)
    return pairs, component.ref


def fingerprint_pairs(articles: Sequence[Any]) -> set[Pair]:
    """Pairs of articles with the same exact fingerprint (the baseline)."""
    groups: dict[str, list[str]] = {}
    for article in articles:
        groups.setdefault(article.fingerprint, []).append(article.id)
    return {_pair(a, b) for ids in groups.values() for i, a in enumerate(ids) for b in ids[i + 1 :]}


@task("duplicates", dataset="bbc-news-summary")
def evaluate_duplicates(path: Path, settings: Settings, limit: int | None) -> EvalResult:
    """Near-duplicate pair precision/recall/F1 on all BBC files plus generated rewrites, MinHash (and
    MinHash + embeddings) vs exact fingerprints."""
    items = load_bbc(path, limit=limit, dedupe=False)
    # 40 per kind on the full corpus; on small samples the rewrites stay at most a quarter of the files
    per_kind = max(1, min(PER_KIND, len(items) // (4 * len(REWRITE_KINDS))))
    bench = build_benchmark(items, per_kind=per_kind)
    articles = _articles(bench.docs)
    ids = {a.id: d.id for a, d in zip(articles, bench.docs, strict=True)}

    def scored(pairs: set[Pair]) -> dict[str, Any]:
        return score_pairs({(ids[a], ids[b]) for a, b in pairs}, bench.gold, bench.related)

    minhash, ref = component_pairs(articles, settings)
    embedded, ref_embedded = component_pairs(articles, settings, use_embeddings=True)
    metrics = scored(minhash)
    return EvalResult(
        task="duplicates",
        dataset=str(path),
        n=len(articles),
        model=ref,
        metrics=metrics,
        baseline={
            "name": "exact fingerprint (normalised headline + body hash)",
            **scored(fingerprint_pairs(articles)),
        },
        details={
            "files": len(items),
            "rewrites": len(bench.docs) - len(items),
            "rewrites_per_kind": per_kind,
            "seed": SEED,
            "gold_by_kind": dict(sorted(Counter(bench.gold.values()).items())),
            "related_pairs_ignored": len(bench.related),
            "with_embeddings": {"model": ref_embedded, **scored(embedded)},
        },
    )
