"""Words, stems and sentences for grounding: the claim splitter and the source sentences with offsets.

Matching is on light stems (lower case, possessive and common suffixes cut), so "approved" meets "approve"
and "Britain's" meets "Britain"; no model is needed.

>>> split_claims("Sales rose 5%; profits fell.\\n- Shares jumped\\n- Staff left")
['Sales rose 5%; profits fell.', 'Shares jumped', 'Staff left']
>>> stem("approved"), stem("approves"), stem("companies"), stem("Britain's")
('approv', 'approv', 'company', 'britain')
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from newsdesk.nlp.text import _ABBREVIATIONS as ABBREVIATIONS
from newsdesk.nlp.text import split_sentences

__all__ = [
    "UNIT_WORDS",
    "SourceSentence",
    "content_stems",
    "source_sentences",
    "split_claims",
    "stem",
    "tokens",
]

STOPWORDS = frozenset(
    """
    a an the and or but if of to in on at by for with from as into onto about over after before
    under between through during against among up down out off than then so such too very can could
    may might must shall should will would do does did done doing be is are was were been being am
    have has had having he she it its they them their theirs his her hers him we us our you your i
    me my mine this that these those there here who whom whose which what when where why how all any
    both each few more most other some own same only also just s t says said say saying told tell
    according while because until again further once now still yet ever even much many very well
    like new one not no nor never
    """.split()  # noqa: SIM905
)
NEGATIONS = frozenset(
    """
    not no never none nobody nothing neither nor without cannot n't nt noone nowhere
    """.split()  # noqa: SIM905
)
UNIT_WORDS = frozenset(
    """
    pound pounds dollar dollars euro euros per cent percent thousand million millions billion billions
    trillion bn m k
    """.split()  # noqa: SIM905
)
_NUMBER_TEXT = """
    zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty
"""
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(_NUMBER_TEXT.split())}
_TOKEN = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+(?:['\u2019][A-Za-z]+)*")
_LOWER_BOUNDARY = re.compile(r"(?<=[a-z0-9)\"'][.!?])\s+(?=[a-z0-9\"'`])")
_BULLET = re.compile(r"^\s*(?:[-*\u2022\u2013]|\d{1,2}[.)])\s+")


def tokens(text: str) -> list[str]:
    """Word tokens with inner apostrophes (``don't``, ``Britain's``), as written."""
    return _TOKEN.findall(text)


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light stem: lower case, curly apostrophes straightened, possessives and common suffixes cut."""
    w = word.lower().replace("\u2019", "'")
    if w in _NUMBER_WORDS:
        return _NUMBER_WORDS[w]
    if w.endswith("n't"):
        return "n't"
    if w.endswith("'s") or w.endswith("s'"):
        w = w[:-2]
    w = w.split("'")[0] if "'" in w else w
    if len(w) <= 3 or w.isdigit():
        return w
    for suffix, repl in (
        ("ies", "y"),
        ("ied", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
        ("ly", ""),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            if suffix == "s" and w.endswith("ss"):
                return w
            w = w[: len(w) - len(suffix)] + repl
            if suffix in ("ing", "ed") and len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]  # "running" -> "run"
            break
    if w.endswith("e") and len(w) >= 4:
        w = w[:-1]  # "approve" meets "approved"
    return w


def content_stems(words: list[str]) -> list[str]:
    """The stems of the words that are not stopwords, negations or units ("pounds", "million", "per cent":
    the number checks compare those)."""
    out = []
    for word in words:
        s = stem(word)
        if s and s not in STOPWORDS and s not in NEGATIONS and word.lower() not in STOPWORDS | UNIT_WORDS:
            out.append(s)
    return out


def split_claims(text: str) -> list[str]:
    """The claims of a generated text: its sentences, bullet lines one each, and a sentence's ``"; "``
    clauses when each has at least four words (a list of facts; shorter pieces stay together).

    >>> split_claims("The council approved the plan; the mayor did not attend the vote. It cost £2m.")
    ['The council approved the plan;', 'the mayor did not attend the vote.', 'It cost £2m.']
    """
    claims: list[str] = []
    lines = [line for line in text.replace("\r\n", "\n").split("\n")]
    bulleted = sum(bool(_BULLET.match(line)) for line in lines) >= 2
    blocks: list[str] = []
    if bulleted:
        for line in lines:
            if _BULLET.match(line):
                blocks.append(_BULLET.sub("", line, count=1))
            elif line.strip() and blocks:
                blocks[-1] += " " + line.strip()
            elif line.strip():
                blocks.append(line)
    else:
        blocks = [text]
    for block in blocks:
        sentences = split_sentences(block)
        if not any(ch.isupper() for ch in block):  # lower-cased text: no capital marks a new sentence
            sentences = [p for s in sentences for p in _split_lower(s)]
        for sentence in sentences:
            parts = [p for p in re.split(r"(?<=;)\s+", sentence) if p.strip()]
            if len(parts) > 1 and all(len(tokens(p)) >= 4 for p in parts):
                claims.extend(p.strip() for p in parts)
            elif sentence.strip():
                claims.append(sentence.strip())
    return [c for c in claims if any(ch.isalpha() for ch in c)]  # not a lone citation marker


def _split_lower(sentence: str) -> list[str]:
    """A lower-cased sentence split after ``.``/``!``/``?`` (not after an abbreviation or initials)."""
    out: list[str] = []
    for piece in _LOWER_BOUNDARY.split(sentence):
        if out and _abbreviated(out[-1]):
            out[-1] += " " + piece
        elif piece.strip():
            out.append(piece)
    return [p.strip() for p in out if p.strip()]


def _abbreviated(text: str) -> bool:
    last = text.rstrip(".").rsplit(None, 1)[-1].lower() if text.split() else ""
    return last in ABBREVIATIONS or len(last) == 1 or all(len(p) == 1 for p in last.split(".") if p)


@dataclass(frozen=True, slots=True)
class SourceSentence:
    """One sentence of a source, where it lies in the source's text, and its words."""

    article_id: str
    text: str
    start: int
    end: int
    words: tuple[str, ...]
    stems: tuple[str, ...]


def source_sentences(article_id: str, text: str) -> list[SourceSentence]:
    """The sentences of ``text`` with their offsets: ``text[start:end]`` is the sentence as written (the
    splitter joins a paragraph's whitespace, so each is found again word by word)."""
    out = []
    cursor = 0
    for sentence in split_sentences(text):
        parts = sentence.split()
        if not parts:
            continue
        pattern = r"\s+".join(re.escape(p) for p in parts)
        match = re.compile(pattern).search(text, cursor)
        if match is None:
            continue
        cursor = match.end()
        words = tuple(tokens(match.group(0)))
        if words:
            out.append(
                SourceSentence(
                    article_id,
                    match.group(0),
                    match.start(),
                    match.end(),
                    words,
                    tuple(stem(w) for w in words),
                )
            )
    return out
