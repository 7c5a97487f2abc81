"""Query words, snippets and highlights for search results.

Matching here mirrors the store's full-text index closely enough to explain a result: words are case-folded
and stripped of diacritics, and a query word matches a text word with the same crude stem (plural, -ing,
-ed and similar endings removed), as the index's Porter stemmer would mostly agree.

>>> query_terms("The Bank of England's rates")
['bank', 'england', 'rates']
>>> snippet("Rates rose. The bank raised its rate again on Thursday.", ["bank", "rates"], width=60)
'<mark>Rates</mark> rose. The <mark>bank</mark> raised its <mark>rate</mark> again on Thursday.'
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

__all__ = ["STOPWORDS", "highlight", "matched_terms", "query_terms", "snippet", "stem"]

# Function words that carry no topic: dropped from full-text queries (they match nearly every article,
# which costs time and adds nothing to BM25).
STOPWORDS = frozenset(
    (  # noqa: SIM905 - a word list reads better as text
        "a about above after again against all am an and any are as at be because been before being "
        "below between both but by can could did do does doing down during each few for from further had "
        "has have having he her here hers herself him himself his how i if in into is it its itself just "
        "me more most my myself no nor not now of off on once only or other our ours ourselves out over "
        "own same she should so some such than that the their theirs them themselves then there these "
        "they this those through to too under until up very was we were what when where which while who "
        "whom why will with would you your yours yourself yourselves s t says said also "
    ).split()
)

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*", re.UNICODE)
_SUFFIXES = (
    "ational",
    "ations",
    "ation",
    "ingly",
    "ments",
    "ness",
    "ment",
    "ings",
    "ing",
    "ies",
    "ied",
    "ers",
    "ed",
    "es",
    "er",
    "ly",
    "s",
)


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A crude, deterministic stem: case-folded, possessive and one common ending removed."""
    w = _fold(word)
    if w.endswith(("'s", "\u2019s")):
        w = w[:-2]
    for suffix in _SUFFIXES:
        if len(w) - len(suffix) >= 3 and w.endswith(suffix):
            w = w[: -len(suffix)]
            break
    # rate/rates/rated, story/stories: a final e or y is dropped from every form alike
    return w[:-1] if len(w) > 3 and w[-1] in "ey" else w


def query_terms(query: str, *, keep_stopwords: bool = False) -> list[str]:
    """The query's distinct words, folded, in order; function words dropped unless nothing else is left."""
    words = [re.sub(r"['\u2019]s$", "", _fold(m.group())) for m in _WORD.finditer(query)]
    words = list(dict.fromkeys(w for w in words if w))
    content = [w for w in words if w not in STOPWORDS]
    return words if keep_stopwords or not content else content


_WORD_REST = re.compile(r"\w*(?:['\u2019]\w+)*")


def _hits(terms: Sequence[str], text: str) -> list[tuple[int, int, str]]:
    """(start, end, stem) of every word of ``text`` whose stem is a query term's stem.

    A hit is text from a word start that begins with a wanted stem, to the end of its word (apostrophes
    joining letters included), whose own :func:`stem` is that stem; a word start inside an earlier candidate
    word is not another candidate. Candidates are found with ``str.find`` per stem (a C scan, several
    times faster than one regex alternation over every position of a long body).
    """
    wanted = frozenset(st for st in (stem(t) for t in terms if t) if st)
    if not wanted:
        return []
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters change length when lowered: keep offsets exact
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    starts: set[int] = set()
    for prefix in wanted:
        i = lowered.find(prefix)
        while i >= 0:
            if not i or not (lowered[i - 1].isalnum() or lowered[i - 1] == "_"):
                starts.add(i)
            i = lowered.find(prefix, i + 1)
    out = []
    end = 0
    for start in sorted(starts):
        if start < end:  # inside the previous candidate word (after an apostrophe)
            continue
        match = _WORD_REST.match(lowered, start)
        assert match is not None  # the pattern matches the empty string
        end = match.end()
        s = stem(lowered[start:end])
        if s in wanted:
            out.append((start, end, s))
    return out


def matched_terms(terms: Sequence[str], text: str) -> list[str]:
    """The query terms found in ``text`` (by stem), in query order."""
    found = {s for _, _, s in _hits(terms, text)}
    return [t for t in terms if stem(t) in found]


def snippet(text: str, terms: Sequence[str], *, width: int = 240) -> str:
    """The ``width``-character window of ``text`` with the most query-term hits, HTML-escaped, with hits
    wrapped in ``<mark>``; the text's opening when nothing matches."""
    return _snippet(text, [(s, e) for s, e, _ in _hits(terms, text)], width)


def highlight(headline: str, body: str, terms: Sequence[str], *, width: int = 240) -> tuple[str, list[str]]:
    """A search hit's snippet of ``body`` and the query terms found in headline or body, in one pass."""
    head_hits = _hits(terms, headline)
    body_hits = _hits(terms, body) if body else head_hits
    found = {s for _, _, s in head_hits} | {s for _, _, s in body_hits}
    shown = _snippet(body or headline, [(s, e) for s, e, _ in body_hits], width)
    return shown, [t for t in terms if stem(t) in found]


def _snippet(text: str, hits: list[tuple[int, int]], width: int) -> str:
    start = 0
    if hits:
        best_count, best_start, j = 0, 0, 0
        for i, (s, _) in enumerate(hits):
            while s - hits[j][0] > width * 0.8:
                j += 1
            if i - j + 1 > best_count:
                best_count, best_start = i - j + 1, hits[j][0]
        start = max(0, best_start - width // 6)
        while start > 0 and not text[start - 1].isspace():  # begin at a word boundary
            start -= 1
    end = min(len(text), start + width)
    while end < len(text) and not text[end].isspace() and end - start < width + 30:
        end += 1
    out, pos = [], start
    for s, e in hits:
        if s < start or e > end:
            continue
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:end]))
    body = " ".join("".join(out).split())
    return ("… " if start > 0 else "") + body + (" …" if end < len(text) else "")
