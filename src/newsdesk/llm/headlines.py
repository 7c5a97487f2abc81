"""Headline and subject-line ideas: N variants within the length limit and the style rules, each checked.

Style rules (settings ``llm.headline_max_chars`` (70), ``llm.subject_max_chars`` (50) and
``llm.banned_phrases``):
an idea is put in sentence case (capitals kept only on the article's proper nouns and on acronyms), loses
closing full stops and wrapping quotes, and is dropped, with the reason, when it is too long, contains a
banned phrase, ends in "!" or repeats another idea. Every remaining idea is one claim for the verifier:
under ``withhold`` an unsupported idea is replaced by the next extractive idea (verdict ``withheld``, the
model's text kept in ``rejected``); under ``flag`` it is shown ``flagged``. When the model writes fewer
usable ideas than asked, extractive ideas fill the list (``by: extractive``).

Headline ideas (not subject lines: the scorer learned from headline clicks, not e-mail opens) are then
ordered by the headline scorer (:func:`~newsdesk.experiments.scoring.served_scorer`: the promoted
``newsdesk-headlines`` model, else the bundled one), best first; each carries its ``score`` and the
``scorer`` (``name@version``) that gave it, and so does the output. Without a scorer (it cannot load) the
order is the checked order, unchanged.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

from newsdesk.errors import InvalidInput
from newsdesk.llm.base import Message
from newsdesk.llm.drafts import Draft, Judged, draft_stats, judge, parse_json_object, strip_list_marker
from newsdesk.llm.output import Item, ProductOutput
from newsdesk.llm.prompting import article_block, load_prompt, task_line
from newsdesk.llm.providers.extractive import sentence_case
from newsdesk.llm.writer import masked_source

if TYPE_CHECKING:
    from newsdesk.articles.model import Article
    from newsdesk.llm.writer import Writer
    from newsdesk.settings import Settings

__all__ = ["MAX_IDEAS", "Ranker", "parse_ideas", "rank_ideas", "style_problem", "write_headlines"]

logger = logging.getLogger(__name__)

Kind = Literal["headline", "subject"]
MAX_IDEAS = 20
IDEAS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"ideas": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 20}},
    "required": ["ideas"],
    "additionalProperties": False,
}


def parse_ideas(text: str) -> list[str]:
    """The ideas in a model's reply: its JSON list, else one per line.

    >>> parse_ideas('{"ideas": ["Rates rise", "Banks move"]}')
    ['Rates rise', 'Banks move']
    >>> parse_ideas('Here are ideas:\\n1. "Rates rise"\\n2. Banks move.')
    ['Rates rise', 'Banks move']
    """
    data = parse_json_object(text)
    raw: list[Any]
    if data is not None and isinstance(data.get("ideas"), list):
        raw = data["ideas"]
    else:
        raw = [line for line in text.splitlines() if line.strip() and not line.strip().endswith(":")]
    out = []
    for item in raw:
        if not isinstance(item, str):
            continue
        idea = strip_list_marker(item).strip().strip("\"'\u201c\u201d\u2018\u2019").strip()
        idea = idea.rstrip(".").strip()
        if idea:
            out.append(idea)
    return out


def style_problem(idea: str, max_chars: int, banned: list[str]) -> str | None:
    """Why ``idea`` breaks the style rules, or None.

    >>> style_problem("Shocking news about rates", 70, ["shocking"])
    "contains the banned phrase 'shocking'"
    """
    if len(idea) > max_chars:
        return f"{len(idea)} characters; the limit is {max_chars}"
    lowered = idea.lower()
    for phrase in banned:
        if phrase.lower() in lowered:
            return f"contains the banned phrase '{phrase}'"
    if idea.endswith("!"):
        return "ends with an exclamation mark"
    if len(idea.split()) < 3:
        return "fewer than 3 words"
    return None


class Ranker(Protocol):
    """What orders headline ideas: a reference (``name@version``) and one score per headline."""

    @property
    def ref(self) -> str: ...

    def score(self, headlines: Sequence[str]) -> list[float]: ...


def served_ranker(settings: Settings) -> Ranker | None:
    """The served headline scorer, or None when it cannot be loaded (logged, never raised: ideas are
    still shown, in their checked order)."""
    try:
        from newsdesk.experiments.scoring import served_scorer

        return served_scorer(settings)
    except Exception as exc:  # a missing extra, model or bundle must not stop the product
        logger.warning("headline ideas left unranked: the headline scorer did not load (%s)", exc)
        return None


def rank_ideas(items: list[Item], ranker: Ranker) -> list[Item]:
    """``items`` best first by ``ranker``'s score (ties keep their order), each with its ``score`` and
    ``scorer`` in ``extra``."""
    scores = ranker.score([i.text for i in items])
    scored = [
        dataclasses.replace(i, extra={**i.extra, "score": round(s, 4), "scorer": ranker.ref})
        for i, s in zip(items, scores, strict=True)
    ]
    order = sorted(range(len(scored)), key=lambda k: -scores[k])
    return [scored[k] for k in order]


def write_headlines(
    writer: Writer,
    article: Article,
    *,
    n: int = 5,
    kind: Kind = "headline",
    ranker: Ranker | Literal[False] | None = None,
) -> ProductOutput:
    """``n`` checked headline (or email subject-line) ideas for ``article``; headline ideas ranked by
    ``ranker`` (default: the served headline scorer; ``False``: not ranked)."""
    if kind not in ("headline", "subject"):
        raise InvalidInput("kind", kind, "'headline' or 'subject'")
    if not 1 <= n <= MAX_IDEAS:
        raise InvalidInput("n", n, f"an integer from 1 to {MAX_IDEAS}")
    started = time.perf_counter()
    settings = writer.settings.llm
    max_chars = settings.headline_max_chars if kind == "headline" else settings.subject_max_chars
    prompt = load_prompt("headlines")
    source, headline, body = masked_source(article)
    context = headline + "\n" + body
    label = "headline" if kind == "headline" else "email subject line"
    provider = writer.provider
    system, user = prompt.render(
        plain=not provider.supports_json,
        task=task_line("headlines", n=n, kind=kind, max_chars=max_chars),
        articles=article_block(article.id, headline, body, {"source": article.source}),
        n=n,
        kind=label,
        kind_plural=label + "s",
        max_chars=max_chars,
    )
    messages = [Message("system", system), Message("user", user)]
    options = writer.options(60 + 30 * n, IDEAS_SCHEMA)
    completion = writer.complete(prompt, messages, options)
    policy = writer.policy("headlines")

    dropped: list[dict[str, str]] = []
    seen: set[str] = set()

    def usable(ideas: list[str], by: str) -> list[Draft]:
        out = []
        for raw in ideas:
            idea = sentence_case(raw, context)
            problem = style_problem(idea, max_chars, settings.banned_phrases)
            if problem is None and idea.lower() in seen:
                problem = "repeats another idea"
            if problem is not None:
                if by != "extractive":
                    dropped.append({"text": idea, "reason": problem})
                continue
            seen.add(idea.lower())
            out.append(Draft(kind, idea, {"chars": len(idea), "by": by}))
        return out

    model_judged = judge(writer, usable(parse_ideas(completion.text), provider.name), [source])
    spare: list[Judged] = []
    if provider.name != "extractive":
        fb = writer.complete(prompt, messages, options, provider=writer.extractive)
        spare = [
            j for j in judge(writer, usable(parse_ideas(fb.text), "extractive"), [source]) if j.supported
        ]

    items: list[Item] = []
    for j in model_judged:
        if j.supported:
            items.append(Item(j.draft.text, "ok", j.claims, kind, extra=j.draft.extra))
        elif policy == "flag":
            items.append(Item(j.draft.text, "flagged", j.claims, kind, extra=j.draft.extra))
        elif spare:
            s = spare.pop(0)
            items.append(
                Item(s.draft.text, "withheld", s.claims, kind, rejected=j.rejected(), extra=s.draft.extra)
            )
        else:
            dropped.append({"text": j.draft.text, "reason": "not supported by the article"})
        if len(items) >= n:
            break
    while len(items) < n and spare:
        s = spare.pop(0)
        items.append(Item(s.draft.text, "ok", s.claims, kind, extra=s.draft.extra))
    scorer = None
    if kind == "headline" and ranker is not False and items:
        chosen = ranker if ranker is not None else served_ranker(writer.settings)
        if chosen is not None:
            items, scorer = rank_ideas(items, chosen), chosen.ref
    unsupported = sum(not j.supported for j in model_judged)
    notice = None
    if unsupported:
        notice = f"{unsupported} of the model's ideas were not supported by the article" + (
            " and were replaced." if policy == "withhold" else " and are flagged."
        )
    output = ProductOutput(
        product="headlines",
        items=items,
        model=completion.model,
        prompt=prompt.ref,
        provider=provider.name,
        usage=completion.usage,
        verifier=writer.verifier.version,
        policy=policy,
        sources=[article.id],
        latency_ms=(time.perf_counter() - started) * 1000.0,
        cached=completion.cached,
        notice=notice,
        extra={
            "kind": kind,
            "max_chars": max_chars,
            "dropped": dropped,
            **({"scorer": scorer} if scorer else {}),
            **draft_stats(model_judged, completion.latency_ms),
        },
    )
    writer.log(output, article.id, article.model_text)
    return output
