"""Ask the archive: retrieve with hybrid search, answer only from the retrieved passages, cite every claim.

1. The question runs through the hybrid search (:class:`~newsdesk.search.Searcher`) with the caller's
   filters; the best ``llm.ask_passages`` sentences of the top articles, by cosine similarity to the
   question (the archive's embedding model), are the passages, numbered in order of relevance.
2. When no article is found, when the best passage is less similar to the question than
   ``llm.ask_min_relevance``, or when the passages hold fewer than half of the question's names and
   numbers (:func:`question_anchors`: "1966", "World Cup"), the archive is said not to answer and no model
   is called.
3. The model answers from the numbered passages, citing each sentence like ``[2]``; ``NOT IN ARCHIVE`` is
   its way to say the passages do not answer.
4. The verifier judges every sentence against the passages only (each article's text with everything but
   its passages blanked, so evidence offsets still point into the article), and the policy
   (``llm.policy.ask``, ``flag`` by default) decides what is shown.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from newsdesk.errors import InvalidInput
from newsdesk.llm.base import Message, Usage
from newsdesk.llm.drafts import Draft, checked_items, draft_stats, judge
from newsdesk.llm.output import Item, ProductOutput
from newsdesk.llm.prompting import load_prompt, passage_block, task_line
from newsdesk.llm.providers.extractive import NOT_IN_ARCHIVE
from newsdesk.llm.writer import masked_source
from newsdesk.nlp.text import split_sentences

if TYPE_CHECKING:
    from newsdesk.llm.grounding import Source
    from newsdesk.llm.writer import Writer
    from newsdesk.search.hybrid import Searcher

__all__ = ["MAX_QUESTION_CHARS", "Passage", "ask", "missing_anchors", "question_anchors", "retrieve_passages"]

MAX_QUESTION_CHARS = 500
ARTICLES = 5
PER_ARTICLE = 3
_CITE = re.compile(r"\s*\[(\d{1,2})\](?:\s*\[(\d{1,2})\])*")
_LEADING_CITES = re.compile(r"^\s*(?:\[\d{1,2}\]\s*)+")
NO_ANSWER = "The archive does not answer this question."


@dataclass(frozen=True)
class Passage:
    number: int
    article_id: str
    headline: str
    text: str
    start: int  # offsets in the article's model text
    end: int
    relevance: float


def retrieve_passages(
    writer: Writer,
    searcher: Searcher,
    question: str,
    *,
    since: datetime | None = None,
    section: str | None = None,
) -> tuple[list[Passage], dict[str, Source]]:
    """The passages for ``question``, best first, and each cited article as a verifier source that holds
    only its passages."""
    import numpy as np

    from newsdesk.llm.grounding import Source
    from newsdesk.search.hybrid import SearchQuery

    page = searcher.search(SearchQuery(question, section=section, since=since, limit=ARTICLES))
    if not page.results:
        return [], {}
    articles = searcher.store.get_many([h.id for h in page.results])
    candidates: list[tuple[str, str, str, int, int]] = []
    masked: dict[str, str] = {}
    for article in articles:
        source, _, _ = masked_source(article)
        masked[article.id] = source.text
        cursor = len(article.headline) + 2
        for sentence in split_sentences(source.text[cursor:]):
            start = source.text.find(sentence, cursor)
            if start < 0 or len(sentence.split()) < 4:
                continue
            cursor = start + len(sentence)
            candidates.append((article.id, article.headline, sentence, start, cursor))
    if not candidates:
        return [], {}
    vectors = searcher.embedder.encode([question] + [c[2] for c in candidates])
    sims = np.asarray(vectors[1:] @ vectors[0])
    chosen: list[Passage] = []
    per_article: dict[str, int] = {}
    for i in np.argsort(-sims, kind="stable"):
        article_id, headline, text, start, end = candidates[int(i)]
        if per_article.get(article_id, 0) >= PER_ARTICLE:
            continue
        per_article[article_id] = per_article.get(article_id, 0) + 1
        chosen.append(Passage(len(chosen) + 1, article_id, headline, text, start, end, float(sims[int(i)])))
        if len(chosen) >= writer.settings.llm.ask_passages:
            break
    sources: dict[str, Source] = {}
    for article_id, text in masked.items():
        keep = [(p.start, p.end) for p in chosen if p.article_id == article_id]
        if not keep:
            continue
        chars = [" " if not ch.isspace() else ch for ch in text]
        for start, end in keep:
            chars[start:end] = text[start:end]
        sources[article_id] = Source(article_id, "".join(chars))
    return chosen, sources


def question_anchors(question: str) -> list[str]:
    """The names and numbers of ``question`` (capitalised words after its first, and words with digits):
    a passage that holds none of them is about something else.

    >>> question_anchors("Who won the 1966 football World Cup final?")
    ['1966', 'World', 'Cup']
    >>> question_anchors("How deep will the channel be dredged?")
    []
    """
    words = re.findall(r"[\w'\u2019.-]+", question)
    out = []
    for i, word in enumerate(words):
        word = word.strip(".'\u2019-")
        if not word:
            continue
        if any(c.isdigit() for c in word) or (i > 0 and word[0].isupper() and word.lower() not in ("i",)):
            out.append(word)
    return out


def missing_anchors(question: str, passages: list[Passage]) -> list[str]:
    """The question's anchors that none of the passages (or their headlines) contains."""
    text = " ".join(f"{p.headline} {p.text}" for p in passages).lower()
    return [a for a in question_anchors(question) if a.lower() not in text]


def _answer_drafts(text: str, passages: list[Passage]) -> list[Draft]:
    """One draft per answer sentence, its citation markers moved out of the text into ``citations`` (a
    marker the sentence splitter left at the start of the next sentence belongs to the one before)."""
    numbers = {p.number: p.article_id for p in passages}
    pieces: list[tuple[str, list[int]]] = []
    for sentence in split_sentences(text.replace(NOT_IN_ARCHIVE, "")):
        leading = _LEADING_CITES.match(sentence)
        if leading is not None and pieces:
            pieces[-1][1].extend(int(n) for n in re.findall(r"\d+", leading.group(0)))
            sentence = sentence[leading.end() :]
        cites = [int(n) for n in re.findall(r"\[(\d{1,2})\]", sentence)]
        claim = _CITE.sub("", sentence).strip()
        if claim:
            pieces.append((claim, cites))
    return [
        Draft(
            "answer",
            claim,
            {
                "citations": sorted(set(cites)),
                "cited_articles": sorted({numbers[n] for n in cites if n in numbers}),
            },
        )
        for claim, cites in pieces
    ]


def ask(
    writer: Writer,
    searcher: Searcher,
    question: str,
    *,
    since: datetime | None = None,
    section: str | None = None,
) -> ProductOutput:
    """An answer to ``question`` from the archive, every sentence checked and cited."""
    question = " ".join(question.split())
    if not question:
        raise InvalidInput("q", question, "a non-empty question")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidInput("q", question, f"at most {MAX_QUESTION_CHARS} characters")
    started = time.perf_counter()
    prompt = load_prompt("ask")
    passages, sources = retrieve_passages(writer, searcher, question, since=since, section=section)
    provider = writer.provider
    policy = writer.policy("ask")
    best = max((p.relevance for p in passages), default=0.0)
    passage_list = [
        {
            "n": p.number,
            "article_id": p.article_id,
            "headline": p.headline,
            "text": p.text,
            "relevance": round(p.relevance, 4),
        }
        for p in passages
    ]
    extra = {"question": question, "answered": False, "passages": passage_list}
    missing = missing_anchors(question, passages)
    anchors = question_anchors(question)
    reason = None
    if best < writer.settings.llm.ask_min_relevance:
        reason = (
            f"no passage is close enough to the question (best similarity {best:.2f}, "
            f"needed {writer.settings.llm.ask_min_relevance:.2f})"
        )
    elif anchors and len(missing) * 2 > len(anchors):
        reason = "the archive's passages do not mention " + ", ".join(missing)
    if reason is not None:
        output = ProductOutput(
            product="ask",
            items=[Item(NO_ANSWER, "ok", [], "no_answer")],
            model="none",
            prompt=prompt.ref,
            provider=provider.name,
            usage=Usage(),
            verifier=writer.verifier.version,
            policy=policy,
            sources=[],
            latency_ms=(time.perf_counter() - started) * 1000.0,
            notice=reason,
            extra=extra,
        )
        writer.log(output, None, question)
        return output
    system, user = prompt.render(
        task=task_line("ask"),
        question=question.replace("<", "&lt;").replace(">", "&gt;"),
        passages="\n".join(passage_block(p.number, p.article_id, p.text) for p in passages),
    )
    messages = [Message("system", system), Message("user", user)]
    options = writer.options(220)
    completion = writer.complete(prompt, messages, options)
    source_list = list(sources.values())
    if completion.text.strip().upper().startswith(NOT_IN_ARCHIVE):
        items = [Item(NO_ANSWER, "ok", [], "no_answer")]
        record = None
        notice = "the model found no answer in the passages"
    else:
        drafts = _answer_drafts(completion.text, passages)
        judged = judge(writer, drafts, source_list)
        extra.update(draft_stats(judged, completion.latency_ms))
        items, record = checked_items(
            writer,
            prompt,
            messages,
            options,
            completion,
            judged,
            lambda text: _answer_drafts(text, passages),
            source_list,
            policy,
            broken="the model wrote no answer" if not judged else None,
        )
        if not items:
            items = [Item(NO_ANSWER, "ok", [], "no_answer")]
        extra["answered"] = items[0].role == "answer"
        if extra["answered"]:
            extra["answer"] = " ".join(
                i.text + "".join(f" [{n}]" for n in i.extra.get("citations", [])) for i in items
            )
        notice = None
        if record is not None:
            notice = (
                f"The model's answer was withheld ({record.reason}); shown instead: the passages themselves."
            )
        elif any(not i.supported for i in items):
            notice = "Sentences marked supported=false are not backed by the archive."
    output = ProductOutput(
        product="ask",
        items=items,
        model=completion.model,
        prompt=prompt.ref,
        provider=provider.name,
        usage=completion.usage,
        verifier=writer.verifier.version,
        policy=policy,
        sources=sorted({p.article_id for p in passages}),
        latency_ms=(time.perf_counter() - started) * 1000.0,
        cached=completion.cached,
        fallback=record,
        notice=notice,
        extra=extra,
    )
    writer.log(output, None, question)
    return output
