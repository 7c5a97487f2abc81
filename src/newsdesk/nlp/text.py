"""Plain-text helpers shared by components: sentences, paragraphs, words.

The sentence splitter is a rule-based one (fast, no model): it splits after ``.``, ``!`` or ``?`` (and a
closing quote or bracket) followed by whitespace and a capital, digit or quote, skips common abbreviations
and initials, and also repairs the ``end.Start`` joins some corpora have.

>>> split_sentences("Mr. Smith went to Washington. He met the U.S. president.It rained!")
['Mr. Smith went to Washington.', 'He met the U.S. president.', 'It rained!']
"""

from __future__ import annotations

import re

__all__ = ["paragraphs", "sentence_units", "split_sentences", "words"]

_ABBREVIATION_TEXT = (
    "mr mrs ms dr prof st mt jr sr inc ltd co corp no vs etc gen col lt sgt capt gov sen rep rev fig al "
    "jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.g i.e a.m p.m"
)
_ABBREVIATIONS = frozenset(_ABBREVIATION_TEXT.split())
_BOUNDARY = re.compile(r"""([.!?]["')\]]*)(\s+|(?=[A-Z]["'A-Za-z]))(?=["'(\[]?[A-Z0-9])""")
_WORD = re.compile("\\w+(?:['\u2019]\\w+)*", re.UNICODE)


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` (paragraph breaks always end a sentence)."""
    out: list[str] = []
    for para in paragraphs(text):
        start = 0
        for match in _BOUNDARY.finditer(para):
            end = match.end(1)
            before = para[start:end].rstrip(".!?\"')]")
            last = before.rsplit(None, 1)[-1].lower() if before.split() else ""
            if match.group(1).startswith(".") and (
                last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()) or _is_initialism(last)
            ):
                continue
            if not match.group(2) and not para[end : end + 2].strip()[:1].isupper():
                continue
            sentence = para[start:end].strip()
            if sentence:
                out.append(sentence)
            start = match.end(2) if match.group(2) else end
        tail = para[start:].strip()
        if tail:
            out.append(tail)
    return out


def _is_initialism(token: str) -> bool:
    # "u.s", "p.m": dotted single letters
    parts = token.split(".")
    return len(parts) > 1 and all(len(p) == 1 and p.isalpha() for p in parts if p)


def paragraphs(text: str) -> list[str]:
    """Non-empty paragraphs: blocks separated by blank lines, or single lines when there are no blank
    lines."""
    text = text.replace("\r\n", "\n")
    blocks = re.split(r"\n\s*\n", text) if "\n\n" in text or re.search(r"\n\s+\n", text) else text.split("\n")
    return [" ".join(b.split()) for b in blocks if b.strip()]


def words(text: str) -> list[str]:
    """Word tokens (letters, digits, inner apostrophes)."""
    return _WORD.findall(text)


MAX_UNIT_CHARS = 50_000  # sentence units are read from at most this much of a body


def sentence_units(headline: str, body: str, limit: int) -> list[str]:
    """The headline's and then the body's sentences that contain a word, verbatim, the first ``limit``.

    One list serves two components: the ``sentences`` embedding strategy averages their vectors into the
    article's vector, and the IPTC tagger picks its evidence from the first of them, so a pipeline (or
    one component) encodes each sentence once.
    """
    out = [s for s in split_sentences(headline) if words(s)]
    out += [s for s in split_sentences(body[:MAX_UNIT_CHARS]) if words(s)]
    return out[:limit]
