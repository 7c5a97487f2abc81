"""Plain text helpers, standard library only: text from markup (block elements become line breaks), and the
first sentence of a text (a stand-in headline)."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

__all__ = ["first_sentence", "html_to_text"]

_BLOCK = {
    "p",
    "div",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "blockquote",
    "section",
    "article",
    "header",
    "footer",
    "pre",
    "ul",
    "ol",
    "table",
    "figcaption",
}
_SKIP = {"script", "style", "noscript", "template", "head"}
_SPACE = re.compile(r"[ \t\r\n\f]+")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")
            self.pre += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self.skip:
            self.skip -= 1
        elif tag in _BLOCK:
            self.parts.append("\n")
            if tag == "pre" and self.pre:
                self.pre -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            # A line break in HTML source is only white space; lines come from block elements.
            self.parts.append(data if self.pre else _SPACE.sub(" ", data))


def html_to_text(markup: str) -> str:
    """``'<p>One</p><p>Two &amp; three</p>'`` -> ``'One\\n\\nTwo & three'``.

    >>> html_to_text("<p>One</p><p>Two &amp; three</p>")
    'One\\n\\nTwo & three'
    """
    if "<" not in markup:
        return unescape(markup).strip()
    parser = _Text()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts)
    lines = [re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip().replace("\n\n\n", "\n\n")


# A sentence ends at . ! ? (then any closing quotes or brackets) before white space or the end; at a CJK full
# stop, exclamation or question mark wherever it is.
_SENTENCE_END = re.compile(r"[.!?][\"'\u2019\u201d)\]]*(?=\s|$)|[\u3002\uff01\uff1f]")
# Words after which a full stop rarely ends the sentence (lower case, without the stop).
_ABBREVIATIONS = frozenset((
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "gen", "col", "lt", "sgt", "gov", "sen", "rep", "rev",
    "no", "nos", "vs", "approx", "dept", "est", "fig", "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
))


def first_sentence(text: str, limit: int = 200) -> str:
    """The first sentence of ``text`` on one line, cut at a word boundary (ending in "...") past ``limit``.

    A full stop after an initial (``J. Smith``, ``U.S.``) or a common abbreviation (``Dr.``) does not end
    the sentence.

    >>> first_sentence("Dr. Ada Lovelace met U.S. officials on Monday. Talks went on.")
    'Dr. Ada Lovelace met U.S. officials on Monday.'
    >>> first_sentence("No full stop at all, just a long clause that goes on", limit=24)
    'No full stop at all,...'
    """
    flat = " ".join(text.split())
    end = len(flat)
    for match in _SENTENCE_END.finditer(flat):
        if match.group()[0] == "." and _abbreviated(flat, match.start()):
            continue
        end = match.end()
        break
    sentence = flat[:end]
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 3]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "..."


def _abbreviated(text: str, stop: int) -> bool:
    """Whether the full stop at ``stop`` follows an initial or an abbreviation, not a sentence's end."""
    word = text[text.rfind(" ", 0, stop) + 1 : stop].lstrip("(\"'\u2018\u201c")
    last = word.rsplit(".", 1)[-1]  # "U.S" -> "S"
    return (len(last) == 1 and last.isalpha() and last.isupper()) or word.lower() in _ABBREVIATIONS
