"""The checkable facts of a text: numbers (with scale words), dates, quotes and names.

Numbers are compared by value: "2m", "2 million" and "two million" are all 2,000,000; "£2.5bn" and "2.5
billion pounds" are 2.5e9; "5%" and "five per cent" are 5 (the currency or unit is not compared). A number
written with fewer digits matches a source value that rounds to it ("2.5m" is backed by "2.47m"). Four-digit
years (1900-2099) and decades are dates, beside month and weekday names.

>>> [(n.text, n.value) for n in numbers("It cost £2.5bn, up 5% on the 2m of two million people")]
[('£2.5bn', 2500000000.0), ('5%', 5.0), ('2m', 2000000.0), ('two million', 2000000.0)]
>>> sorted(dates("On Tuesday 3 May 1999, in the 1980s"))
['decade:1980', 'month:may', 'weekday:tuesday', 'year:1999']
>>> quotes('He said: "We will win this league." Fans \\u201cloved it\\u201d.')
['We will win this league.', 'loved it']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from newsdesk.llm.grounding.text import STOPWORDS, tokens

__all__ = ["Number", "dates", "names", "number_backed", "numbers", "quotes"]

_SCALES = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "bn": 1e9,
    "billion": 1e9,
    "tn": 1e12,
    "trillion": 1e12,
    "hundred": 1e2,
}
_UNITS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALE_RE = (
    r"(?:%|\s?per\s?cent\b|\s?percent\b|\s?(?:bn|mn|tn|m|k)\b"
    r"|\s(?:thousand|million|billion|trillion|hundred)\b)"
)
_DIGITS = re.compile(
    r"(?<![\w.,])(?P<cur>[£$€¥])?\s?(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<dec>\d+))?(?P<scale>"
    + _SCALE_RE
    + r")?(?![\w%])",
    re.IGNORECASE,
)
_WORD_NUMBER = re.compile(
    r"\b(?P<tens>" + "|".join(_TENS) + r")(?:[-\s](?P<unit1>" + "|".join(list(_UNITS)[:9]) + r"))?"
    r"(?P<scale1>" + _SCALE_RE + r")?\b"
    r"|\b(?P<unit>" + "|".join(_UNITS) + r")(?P<scale2>" + _SCALE_RE + r")?\b",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"(\d)(am|pm|GMT|BST|ft|cm|mm|km|kg|lb|mph)\b", re.IGNORECASE)
_MONTHS = """
    january february march april may june july august september october november december
""".split()  # noqa: SIM905
_MONTH_ABBREV = {
    "jan": "january",
    "feb": "february",
    "aug": "august",
    "sept": "september",
    "oct": "october",
    "nov": "november",
    "dec": "december",
}
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_TITLES = {"mr", "mrs", "ms", "dr", "sir", "prof", "st"}
_AMBIGUOUS_MONTHS = {"may", "march"}  # also words: months only when capitalised
_QUOTE = re.compile(r"\"([^\"]{2,}?)\"|\u201c([^\u201d]{2,}?)\u201d")


@dataclass(frozen=True, slots=True)
class Number:
    """A number as written, its value and the rounding step its digits imply."""

    text: str
    value: float
    step: float


def _scale(word: str | None) -> tuple[float, bool]:
    """(multiplier, is a percentage) of a scale suffix."""
    if not word:
        return 1.0, False
    w = word.strip().lower().replace(" ", "")
    if w in ("%", "percent"):
        return 1.0, True
    return _SCALES.get(w, 1.0), False


def numbers(text: str) -> list[Number]:
    """The numbers of ``text`` in order, years left out (see :func:`dates`); spelled-out "one" only with a
    scale ("one million"), since "one of" is no number."""
    found: list[tuple[int, Number]] = []
    text = _CLOCK.sub(r"\1 \2", text)  # "6.15pm": the number, then its unit
    for m in _DIGITS.finditer(text):
        whole = m.group("int").replace(",", "")
        dec = m.group("dec") or ""
        scale, _ = _scale(m.group("scale"))
        if _is_year(m, whole, dec):
            continue
        value = float(f"{whole}.{dec}" if dec else whole) * scale
        found.append((m.start(), Number(m.group(0).strip(), value, scale * 10.0 ** -len(dec))))
    for m in _WORD_NUMBER.finditer(text):
        if m.group("tens"):
            base = _TENS[m.group("tens").lower()] + (
                _UNITS[m.group("unit1").lower()] if m.group("unit1") else 0
            )
            scale_word = m.group("scale1")
        else:
            base = _UNITS[m.group("unit").lower()]
            scale_word = m.group("scale2")
            if base == 1 and not scale_word:
                continue
        scale, _ = _scale(scale_word)
        found.append((m.start(), Number(m.group(0).strip(), float(base) * scale, scale)))
    return [n for _, n in sorted(found, key=lambda pair: pair[0])]


def _is_year(m: re.Match[str], whole: str, dec: str) -> bool:
    return (
        len(whole) == 4
        and "," not in m.group("int")
        and not dec
        and not m.group("scale")
        and not m.group("cur")
        and 1900 <= int(whole) <= 2099
    )


def number_backed(number: Number, values: list[Number]) -> bool:
    """Whether a source number rounds to ``number`` at the precision it is written with."""
    tolerance = 0.45 * number.step + 1e-9 * abs(number.value)  # "£3bn" is not backed by "£2.5bn"
    return any(abs(v.value - number.value) <= tolerance for v in values)


_YEAR = re.compile(r"(?<![\w.,£$€])((?:19|20)\d\d)(s)?(?![\w%]|[.,]\d)")


def dates(text: str) -> set[str]:
    """Years (``year:1999``), decades (``decade:1980``), months and weekdays named in ``text``; "May" and
    "March" count only capitalised and not at the start of a sentence."""
    out: set[str] = set()
    for m in _YEAR.finditer(text):
        out.add(f"decade:{m.group(1)}" if m.group(2) else f"year:{m.group(1)}")
    words = tokens(text)
    for i, word in enumerate(words):
        low = re.sub(r"['\u2019]s?$|(?<=day)s$", "", word.lower().replace("'s", "").replace("\u2019s", ""))
        if low in _WEEKDAYS:
            out.add(f"weekday:{low}")
        elif low in _MONTHS or low in _MONTH_ABBREV:
            month = _MONTH_ABBREV.get(low, low)
            if low in _MONTH_ABBREV and not word[0].isupper():
                continue
            if month in _AMBIGUOUS_MONTHS and (not word[0].isupper() or (i == 0 and not _dated(words, i))):
                continue
            out.add(f"month:{month}")
    return out


def _dated(words: list[str], i: int) -> bool:
    near = words[max(0, i - 1) : i] + words[i + 1 : i + 2]
    return any(w.isdigit() for w in near)


def quotes(text: str) -> list[str]:
    """The text inside double quotes (straight or curly)."""
    return [(a or b).strip() for a, b in _QUOTE.findall(text) if (a or b).strip()]


def names(text: str) -> list[str]:
    """Capitalised words that are likely names: not the first word of the text or of a sentence or quote,
    not a stopword, month or weekday. Acronyms count."""
    out = []
    for m in re.finditer(r"[A-Za-z\u00C0-\u024F][\w\u00C0-\u024F'\u2019-]*", text):
        word = m.group(0).rstrip("'\u2019")
        if not word[0].isupper():
            continue
        before = text[: m.start()].rstrip()
        if not before or before[-1] in ".!?:;\"'\u201c\u2018(-\u2013\u2014\u2022*" or before.endswith("\n"):
            continue
        base = word.split("'")[0].split("\u2019")[0]
        low = base.lower()
        if len(base) < 2 or low in STOPWORDS or low in _TITLES or low in _MONTHS or low in _WEEKDAYS:
            continue
        if low in _MONTH_ABBREV:
            continue
        out.append(base)
    return out
