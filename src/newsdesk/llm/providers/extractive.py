"""The ``extractive`` provider: no language model at all, so every product works where none is allowed.

It reads the envelope newsdesk's own prompts write (:mod:`newsdesk.llm.prompting`): the task line says which
product, the ``<article>`` and ``<passage>`` blocks carry the text. It answers in the shape the prompt asks
for, with sentences copied from the articles:

- ``brief``: the lede is the article's opening sentence (or its best-scored sentence when the opening is a
  fragment); "why it matters" is the best-scored remaining sentence that speaks of consequences ("will",
  "could", "means", "expected", ...), else the next best; the bullets are the next best sentences of the
  first article and the openings of the others. Sentences are scored by the summariser's bundled scorer
  (:mod:`newsdesk.nlp.summarize`);
- ``headlines``: the headline and clauses cut from the best sentences at natural breaks (a comma, "after",
  "as", "but", ...), each within the length limit and put in sentence case;
- ``ask``: the first passages (they come ordered by relevance), each cited, or ``NOT IN ARCHIVE`` when no
  passage shares a content word with the question.

It is also the products' fallback: what replaces a model's output the verifier withheld.

>>> from newsdesk.llm.base import GenerationOptions, Message
>>> from newsdesk.llm.prompting import article_block, task_line
>>> body = "The council approved a new budget on Tuesday. It will raise spending on schools by 5%."
>>> msg = task_line("brief") + "\\n" + article_block("a1", "Council approves budget", body)
>>> out = ExtractiveProvider().complete([Message("user", msg)], GenerationOptions())
>>> import json; json.loads(out.text)["lede"]
'The council approved a new budget on Tuesday.'
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from newsdesk.errors import InvalidInput
from newsdesk.llm.base import Completion, GenerationOptions, Message, Usage
from newsdesk.llm.prompting import parse_task, unescape

if TYPE_CHECKING:
    from newsdesk.settings import Settings

__all__ = ["MODEL", "ExtractiveProvider", "compress", "sentence_case"]

MODEL = "newsdesk-extractive-1"
NOT_IN_ARCHIVE = "NOT IN ARCHIVE"

_ARTICLE = re.compile(
    r'<article id="([^"]*)"[^>]*>\s*<headline>(.*?)</headline>\s*<body>\n?(.*?)\n?</body>\s*</article>', re.S
)
_PASSAGE = re.compile(r'<passage n="(\d+)" article="([^"]*)">(.*?)</passage>', re.S)
_QUESTION = re.compile(r"<question>(.*?)</question>", re.S)
_CONSEQUENCE = re.compile(
    r"\b(?:will|would|could|may|might|means?|because|expected|likely|plans?|aims?|warn(?:ed|s)?|"
    r"risk|threat|impact|effect|so that|in order to|could mean|set to)\b",
    re.IGNORECASE,
)
_BREAKS = re.compile(
    r",\s+|\s+[-\u2013\u2014]\s+|;\s+|:\s+|\s+(?=(?:after|as|but|because|while|which|who|amid|despite|"
    r"although|though|saying|according)\b)"
)
_SOFT_BREAKS = re.compile(r"\s+(?=(?:to|for|from|in|on|with|at|over|than|since|during|into|by)\s)")
_OPENER = re.compile(r"^(?:but|and|so|however|meanwhile|yet|now|also)\b,?\s+", re.IGNORECASE)
_PRONOUNS = frozenset(
    [
        "it",
        "its",
        "he",
        "she",
        "they",
        "their",
        "his",
        "her",
        "this",
        "that",
        "these",
        "those",
        "there",
        "we",
        "i",
        "you",
        "our",
    ]
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*")
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "and",
        "or",
        "but",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "by",
        "with",
        "from",
        "as",
        "that",
        "this",
        "it",
        "its",
        "what",
        "who",
        "whom",
        "when",
        "where",
        "why",
        "how",
        "which",
        "do",
        "does",
        "did",
        "has",
        "have",
        "had",
        "will",
        "would",
        "can",
        "could",
        "should",
        "about",
        "into",
        "than",
        "then",
        "there",
        "their",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
        "we",
        "our",
        "you",
        "your",
        "i",
    ]
)


@dataclass(frozen=True)
class _Doc:
    article_id: str
    headline: str
    body: str


class ExtractiveProvider:
    """Sentences copied from the sources, in the shape each product's prompt asks for."""

    name = "extractive"
    model = MODEL
    supports_json = True  # it writes the JSON shape itself
    thread_safe = True

    @classmethod
    def from_settings(cls, settings: Settings) -> ExtractiveProvider:
        return cls()

    def complete(self, messages: Sequence[Message], options: GenerationOptions) -> Completion:
        started = time.perf_counter()
        text = "\n".join(m.content for m in messages if m.role == "user")
        task = parse_task(text)
        if task is None:
            raise InvalidInput(
                "messages",
                text[:80],
                "a newsdesk product prompt (the extractive provider reads its task line)",
            )
        docs = [_Doc(i, unescape(h), unescape(b)) for i, h, b in _ARTICLE.findall(text)]
        name = task.get("name", "")
        if name == "brief":
            out = json.dumps(self._brief(docs), ensure_ascii=False)
        elif name == "headlines":
            out = json.dumps(self._headlines(docs, task), ensure_ascii=False)
        elif name == "ask":
            out = self._ask(text)
        else:
            raise InvalidInput("task", name, "brief, headlines or ask")
        return Completion(
            text=out,
            model=self.model,
            provider=self.name,
            usage=Usage(0, 0),
            latency_ms=(time.perf_counter() - started) * 1000.0,
            finish_reason="stop",
        )

    def stream(self, messages: Sequence[Message], options: GenerationOptions) -> Iterator[str]:
        yield self.complete(messages, options).text

    def close(self) -> None:
        return None

    # -- products -----------------------------------------------------------------------------------

    def _brief(self, docs: Sequence[_Doc]) -> dict[str, Any]:
        if not docs:
            return {"lede": "", "why_it_matters": "", "bullets": []}
        ranked = _ranked(docs[0])
        if not ranked:
            return {"lede": docs[0].headline, "why_it_matters": "", "bullets": []}
        by_index = dict(ranked)
        first = by_index.get(0)
        lede_index = 0 if first is not None and len(first.split()) >= 6 else ranked[0][0]
        lede = by_index[lede_index]
        rest = [(i, s) for i, s in ranked if i != lede_index]
        why_pick = next(((i, s) for i, s in rest if _CONSEQUENCE.search(s)), rest[0] if rest else None)
        why = why_pick[1] if why_pick else ""
        bullets = [s for i, s in rest if why_pick is None or i != why_pick[0]]
        others = [_ranked(d)[0][1] for d in docs[1:4] if _ranked(d)]
        chosen = (others + bullets)[:4] if others else bullets[:3]
        return {"lede": lede, "why_it_matters": why, "bullets": chosen}

    def _headlines(self, docs: Sequence[_Doc], task: dict[str, str]) -> dict[str, Any]:
        if not docs:
            return {"ideas": []}
        n = int(task.get("n", "5"))
        max_chars = int(task.get("max_chars", "70"))
        doc = docs[0]
        candidates = [doc.headline] + [s for _, s in _ranked(doc)[:12]]
        ideas: list[str] = []
        seen: set[str] = set()
        for text in candidates:
            for piece in compress(text, max_chars):
                idea = sentence_case(piece, doc.headline + "\n" + doc.body)
                key = idea.lower()
                if not any(key.startswith(k) or k.startswith(key) for k in seen):
                    seen.add(key)
                    ideas.append(idea)
                if len(ideas) >= n:
                    return {"ideas": ideas}
        return {"ideas": ideas}

    def _ask(self, text: str) -> str:
        question_match = _QUESTION.search(text)
        question = html.unescape(question_match.group(1)) if question_match else ""
        wanted = _content(question)
        answer: list[str] = []
        for number, _article, passage in _PASSAGE.findall(text):
            passage = unescape(passage).strip()
            if wanted & _content(passage):
                answer.append(f"{passage} [{number}]")
            if len(answer) == 2:
                break
        return " ".join(answer) if answer else NOT_IN_ARCHIVE


def _ranked(doc: _Doc) -> list[tuple[int, str]]:
    """(index, sentence) of the body's usable sentences, best-scored first."""
    import numpy as np

    from newsdesk.nlp.summarize import article_sentences, bundled_scorer, sentence_features

    sentences = article_sentences(doc.body)
    usable = [
        i
        for i, s in enumerate(sentences)
        if s.text.strip() and 4 <= len(s.text.split()) <= 60 and not s.text.strip().endswith("?")
    ]
    if not usable:
        return []
    scorer = bundled_scorer()
    feats = sentence_features(doc.headline, sentences)
    if scorer is not None:
        scores = scorer.probabilities(feats)
    else:
        from newsdesk.nlp.summarize import FEATURES

        scores = feats[:, FEATURES.index("textrank")]
    order = sorted(usable, key=lambda i: (-float(np.asarray(scores)[i]), i))
    return [(i, sentences[i].text.strip()) for i in order]


def compress(text: str, max_chars: int) -> list[str]:
    """``text`` and its leading clauses that fit ``max_chars``, longest first, without closing punctuation.

    >>> compress("Shares in the firm fell 5% after it warned on profits, traders said.", 40)
    ['Shares in the firm fell 5%']
    """
    text = " ".join(text.split()).strip()
    out: list[str] = []

    def keep(piece: str) -> None:
        piece = _OPENER.sub("", piece.strip()).rstrip(".,;:!").strip().strip("\"'\u201c\u201d")
        words = piece.split()
        if len(words) < 4 or len(piece) > max_chars or piece in out:
            return
        if words[0].lower() in _PRONOUNS or words[-1].lower() in _STOP:
            return
        if piece.count('"') % 2 or piece.count("(") != piece.count(")"):
            return
        out.append(piece)

    keep(text)
    cuts = [m.start() for m in _BREAKS.finditer(text)]
    for cut in sorted(cuts, reverse=True):
        keep(text[:cut])
    if not out:  # no natural break fits: cut before a preposition
        for m in sorted(_SOFT_BREAKS.finditer(text), key=lambda m: -m.start()):
            keep(text[: m.start()])
            if out:
                break
    return out[:2]


def sentence_case(text: str, context: str) -> str:
    """Capitalise the first word; keep capitals only on words ``context`` writes capitalised mid-sentence
    (proper nouns) and on acronyms.

    >>> sentence_case("Council Approves New Budget For London", "The council met in London on Monday.")
    'Council approves new budget for London'
    """
    proper = {
        m.group(0)
        for m in re.finditer(
            r"(?<=[a-z,;:]\s)[A-Z][\w'\u2019-]*|(?<=[a-z]\s[\"'\u201c])[A-Z][\w'-]*", context
        )
    }
    words = text.split(" ")
    out: list[str] = []
    for i, word in enumerate(words):
        core = word.strip("\"'\u201c\u201d\u2018\u2019()[]:,;.!?")
        if i == 0:
            out.append(word[:1].upper() + word[1:] if word else word)
        elif (
            (core.isupper() and len(core) > 1)
            or core in proper
            or core == "I"
            or any(c.isdigit() for c in core)
        ):
            out.append(word)
        else:
            out.append(word.lower() if core[:1].isupper() else word)
    return " ".join(out)


def _content(text: str) -> set[str]:
    return {w.lower()[:6] for w in _WORD.findall(text) if w.lower() not in _STOP and len(w) > 2}
