"""The ``keyphrases`` component: an article's top-k phrases, scored by tf-idf against the archive.

Candidates are word n-grams (1 to 3 words) inside runs of content words: a run breaks at a stop word, a
number, a clause mark (``, ; : ( )``) and a sentence end, so candidates never straddle a comma or start
with "the". Words of one or two letters count as stop words unless written in capitals ("UK", "EU").

A candidate's score is ``tf * idf * position``: ``tf`` counts its occurrences in the headline and body,
``idf = ln((N + 1) / (df + 1)) + 1`` uses the number of archive articles containing it (learned by
:meth:`~newsdesk.nlp.base.BaseComponent.fit`; :meth:`KeyphrasesComponent.transform` raises
:class:`~newsdesk.errors.NotFitted` before it), and
``position = 1 + 1 / (1 + s)`` favours phrases that appear early (``s``: index of the first sentence using
it, the headline being 0). A phrase of several words must occur twice or be in the headline: a rare word
sequence used once has a high idf without being a phrase of the story. Phrases inside an already chosen
one are skipped, and a longer phrase scoring at least half as much as a chosen part of it takes the
part's place ("interest rates" over "interest"), so "Time Warner" is not listed again as "Warner". Scores
are divided by the article's best, so the first phrase scores 1.0. Each phrase is shown in its most
frequent spelling in the article.

The document frequencies are the component's fitted state (``df_``, ``n_docs_``). They change little from
one run to the next, so the component is fitted once (``refit = "once"``) and the pipeline keeps its state
between runs until a refit is asked for.

>>> from newsdesk.articles.model import Article
>>> kp = KeyphrasesComponent(top_k=2).fit_texts(["Rates rise again", "Football results"])
>>> art = Article.create(source="d", headline="Bank of England raises interest rates",
...                      body="The Bank of England raised interest rates. Interest rates rose to 5%.")
>>> [p["phrase"] for p in kp.transform([art])[0].value]
['interest rates', 'Bank of England']
"""

from __future__ import annotations

import hashlib
import math
import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from newsdesk.errors import InvalidInput, NotFitted
from newsdesk.nlp.base import BaseComponent, ComponentConfig, Output, components
from newsdesk.nlp.summarize import STOP_WORDS, article_sentences

if TYPE_CHECKING:
    from typing import Self

    from newsdesk.articles.model import Article

__all__ = ["KEYPHRASE_STOP_WORDS", "KeyphrasesComponent", "KeyphrasesConfig", "candidates", "phrase_key"]

MAX_WORDS = 3
LONGER_SHARE = 0.5  # a longer phrase replaces a chosen part of it when it scores at least this share
MAX_TOKEN_CHARS = 40  # longer "words" (unsegmented scripts, URLs) are not phrase material
MAX_VOCABULARY = 2_000_000  # document-frequency entries kept; past it, phrases seen once are dropped
_EDGE = string.punctuation + "\u201c\u201d\u2018\u2019\u00ab\u00bb\u201e\u2013\u2014\u2026"
_BREAK_AFTER = (",", ";", ":", ")", "]", ".", "!", "?", "\u2014", "\u2013")
_BREAK_BEFORE = ("(", "[")
_POSSESSIVE = re.compile(r"['\u2019]s?$")
_JOINERS = frozenset({"of", "de", "du", "von", "van", "del", "della"})


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that make poor phrases on their own or at a phrase's edge in news copy, on top of the
# summariser's function words.
KEYPHRASE_STOP_WORDS = STOP_WORDS | _word_set(
    "also would could may might must shall can't cannot said says say saying told tell tells "
    "according mr mrs ms dr one two three four five six seven eight nine ten first second third last "
    "next new many much well still even just like get got make made way lot lots year years week "
    "weeks month months day days time times people thing things however although though yet already "
    "including per cent percent us it's that's there's he's she's they're we're i'm don't didn't "
    "doesn't isn't wasn't won't want wants wanted going go goes went come came take took think "
    "thought know known see seen set"
)


def _words(text: str) -> list[tuple[str, bool]]:
    """(word stripped of edge punctuation, run breaks after it)."""
    out: list[tuple[str, bool]] = []
    for raw in text.split():
        if raw.startswith(_BREAK_BEFORE) and out:
            out[-1] = (out[-1][0], True)
        word = raw.strip(_EDGE)
        possessive = _POSSESSIVE.search(word)
        if possessive:  # "Foreign Office's plans": the name ends there
            word = word[: possessive.start()]
        out.append((word, bool(possessive) or raw.endswith(_BREAK_AFTER)))
    return out


def phrase_key(surface: str) -> str:
    """The matching key of a phrase: lower case, plural "s" dropped from each word.

    >>> phrase_key("Interest rates")
    'interest rate'
    """
    return " ".join(
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")) else w
        for w in surface.lower().split()
    )


def _is_content(word: str, inside: bool = True) -> bool:
    """Phrase material: letters, no digits, not a stop word. Inside a sentence a capitalised word is a
    name ("New York", "Time Warner", "US") and only function words are refused."""
    if not word or len(word) > MAX_TOKEN_CHARS or any(ch.isdigit() for ch in word):
        return False
    if not any(ch.isalpha() for ch in word):
        return False
    if word.isupper() and len(word) > 1:
        return True
    stop = STOP_WORDS if inside and _capitalised(word) else KEYPHRASE_STOP_WORDS
    return word.lower() not in stop and len(word) > 2


def candidates(sentence: str) -> list[tuple[str, str]]:
    """(key, surface) of every 1-3 word candidate in ``sentence`` (key: see :func:`phrase_key`).

    >>> [k for k, _ in candidates("The Bank of England's staff raised rates, analysts said.")][:6]
    ['bank', 'bank of england', 'england', 'staff', 'staff raised', 'staff raised rate']
    """
    out: list[tuple[str, str]] = []
    run: list[str] = []

    def flush() -> None:
        for start in range(len(run)):
            for end in range(start + 1, min(start + MAX_WORDS, len(run)) + 1):
                surface = " ".join(run[start:end])
                out.append((phrase_key(surface), surface))
        run.clear()

    tokens = _words(sentence)
    for i, (word, breaks) in enumerate(tokens):
        if _is_content(word, inside=i > 0):
            if run and run[-1] not in _JOINERS and _capitalised(run[-1]) != _capitalised(word) and i > 1:
                flush()  # "England raised": a name then a common word (unless the sentence starts so)
            run.append(word)
        elif word in _JOINERS and run and _joins_names(tokens, i):
            run.append(word)  # "Bank of England": a lower-case joiner between capitalised words
        else:
            flush()
        if breaks:
            flush()
    flush()
    return [(key, surface) for key, surface in out if not _JOINERS.intersection(_edges(key))]


def _edges(key: str) -> tuple[str, str]:
    parts = key.split()
    return parts[0], parts[-1]


def _joins_names(tokens: list[tuple[str, bool]], i: int) -> bool:
    """Token ``i`` sits between two capitalised content words, with no break before it."""
    return i > 0 and not tokens[i - 1][1] and _name_at(tokens, i - 1) and _name_at(tokens, i + 1)


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def _name_at(tokens: list[tuple[str, bool]], i: int) -> bool:
    return i < len(tokens) and _capitalised(tokens[i][0]) and _is_content(tokens[i][0])


def _article_candidates(headline: str, body: str) -> list[tuple[int, str, str]]:
    """(sentence index, key, surface) with the headline as sentence 0."""
    found = [(0, key, surface) for key, surface in candidates(headline)]
    for index, sentence in enumerate(article_sentences(body), start=1):
        found.extend((index, key, surface) for key, surface in candidates(sentence.text))
    return found


def _parts(text: str) -> tuple[str, str]:
    """(headline, body) of a model text (:attr:`~newsdesk.articles.model.Article.model_text`: the headline,
    a blank line, the body); a text without a blank line is all headline."""
    headline, _, body = text.partition("\n\n")
    return headline, body


@dataclass(frozen=True)
class KeyphrasesConfig(ComponentConfig):
    """``top_k``: how many phrases an article gets (at most)."""

    top_k: int = 10

    def __post_init__(self) -> None:
        if not isinstance(self.top_k, int) or isinstance(self.top_k, bool) or self.top_k < 1:
            raise InvalidInput("top_k", self.top_k, "an integer >= 1")


@components.register("keyphrases")
class KeyphrasesComponent(BaseComponent):
    """``[{"phrase", "score"}, ...]``: the ``top_k`` (default 10) phrases, best first; learns document
    frequencies from the articles it is fitted on (or from plain texts: :meth:`fit_texts`)."""

    name: ClassVar[str] = "keyphrases"
    parallel_safe: ClassVar[bool] = True  # pure Python, numpy or spaCy: safe in forked workers
    requires: ClassVar[tuple[str, ...]] = ("headline", "body")
    assigns: ClassVar[tuple[str, ...]] = ("keyphrases",)
    code_version: ClassVar[str] = "1"
    Config: ClassVar[type[ComponentConfig]] = KeyphrasesConfig
    state: ClassVar[tuple[str, ...]] = ("df_", "n_docs_")
    learns: ClassVar[bool] = True
    refit: ClassVar[str] = "once"  # document frequencies barely move between runs: reuse them until a refit

    config: KeyphrasesConfig
    df_: Counter[str] | None = None  # candidate key -> number of texts containing it
    n_docs_: int | None = None
    _digest: str | None = None  # state_digest(), computed once per fitted state

    def _fit(self, articles: Iterable[Article]) -> None:
        self._count(article.model_text for article in articles)

    def fit_texts(self, texts: Iterable[str]) -> Self:
        """Learn from plain texts written as a model text is (the headline, a blank line, the body), for
        evaluations and tests without articles. ``fitted_from_`` stays None: no articles were seen."""
        self._count(texts)
        self.fitted_from_ = None
        return self

    def _count(self, texts: Iterable[str]) -> None:
        """Count, for every candidate phrase, the texts containing it."""
        df: Counter[str] = Counter()
        n_docs = 0
        for text in texts:
            df.update({key for _, key, _ in _article_candidates(*_parts(text))})
            n_docs += 1
            if len(df) > MAX_VOCABULARY:
                df = Counter({k: v for k, v in df.items() if v > 1})
        self.df_ = df
        self.n_docs_ = n_docs
        self._digest = None

    def set_state(self, state: dict[str, Any]) -> Self:
        self._digest = None
        return super().set_state(state)

    def state_digest(self) -> str:
        """A hash of ``n_docs_`` and every (phrase, count) of ``df_`` in sorted order: it changes exactly when
        the generic hash of the state would, but hashes one string once per fitted state, where the generic
        one feeds up to ``MAX_VOCABULARY`` entries one by one (seconds) each time the version is read."""
        if self.df_ is None or self.n_docs_ is None:
            return ""
        if self._digest is None:
            rows = "\x1e".join(f"{key}\x1f{count}" for key, count in sorted(self.df_.items()))
            payload = f"{self.n_docs_}\x1d{rows}".encode("utf-8", "surrogatepass")
            self._digest = hashlib.sha256(payload).hexdigest()[:16]
        return self._digest

    def extract(self, headline: str, body: str) -> list[dict[str, Any]]:
        """The article's keyphrases, best first."""
        if self.df_ is None or self.n_docs_ is None:
            raise NotFitted("keyphrases: call fit(articles) (or fit_texts, or set_state) before transform()")
        found = _article_candidates(headline, body)
        tf: Counter[str] = Counter(key for _, key, _ in found)
        first: dict[str, int] = {}
        spellings: dict[str, Counter[str]] = {}
        for index, key, surface in found:
            first.setdefault(key, index)
            spellings.setdefault(key, Counter())[surface] += 1
        scored = []
        for key, count in tf.items():
            if count < 2 and first[key] > 0 and " " in key:
                continue  # a multi-word phrase used once, outside the headline, is rarely a key phrase
            idf = math.log((self.n_docs_ + 1) / (self.df_.get(key, 0) + 1)) + 1.0
            scored.append((count * idf * (1.0 + 1.0 / (1.0 + first[key])), key))
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        chosen: list[tuple[float, str]] = []
        for score, key in scored:
            if len(chosen) == self.config.top_k and score < LONGER_SHARE * chosen[-1][0]:
                break  # nothing further can be chosen or replace a chosen phrase
            padded = f" {key} "
            if any(padded in f" {k} " for _, k in chosen):
                continue  # part of a phrase already chosen
            inside = [j for j, (s, k) in enumerate(chosen) if f" {k} " in padded]
            if not inside:
                if len(chosen) < self.config.top_k:
                    chosen.append((score, key))
            elif all(score >= LONGER_SHARE * chosen[j][0] for j in inside):
                # a longer phrase nearly as strong as the part chosen first ("interest rates" over
                # "interest") takes the part's place and its score
                keep = inside[0]
                chosen[keep] = (chosen[keep][0], key)
                chosen = [c for j, c in enumerate(chosen) if j not in inside[1:]]
        best = chosen[0][0] if chosen else 1.0
        return [
            {"phrase": spellings[key].most_common(1)[0][0], "score": round(score / best, 4)}
            for score, key in chosen
        ]

    def transform(self, articles: Sequence[Article]) -> list[Output]:
        self.require_fitted()
        return [Output(self.extract(*_parts(a.model_text))) for a in articles]
