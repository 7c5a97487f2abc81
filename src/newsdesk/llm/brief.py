"""The newsletter brief: a one-sentence lede, a "why it matters" sentence and 2 to 4 bullets, checked.

Use::

    from newsdesk.llm import Writer, write_brief

    out = write_brief(Writer(settings), [store.get(article_id)])
    [(item.role, item.verdict) for item in out.items]   # [('lede', 'ok'), ('why_it_matters', 'ok'), ...]

The model's reply is parsed leniently (:func:`parse_brief`), every sentence is judged by the verifier, and
the product's policy (``llm.policy.brief``, ``withhold`` by default) decides what is shown: a brief with an
unsupported claim, or without a lede and two bullets, is replaced whole by the extractive brief.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from newsdesk.llm.base import Message
from newsdesk.llm.drafts import Draft, checked_items, draft_stats, judge, parse_json_object, strip_list_marker
from newsdesk.llm.output import ProductOutput
from newsdesk.llm.prompting import article_block, load_prompt, task_line
from newsdesk.llm.writer import masked_source, require_articles
from newsdesk.nlp.text import split_sentences

if TYPE_CHECKING:
    from newsdesk.articles.model import Article
    from newsdesk.llm.writer import Writer

__all__ = ["BRIEF_SCHEMA", "MAX_ARTICLES", "parse_brief", "write_brief"]

_BULLET = re.compile(r"^(?:[-*\u2022\u2013]|\d{1,2}[.)])\s+")
_LABEL = re.compile(r"^(?:lede|why it matters|summary)\s*:\s*", re.IGNORECASE)
MAX_ARTICLES = 10
MAX_BULLETS = 4
BRIEF_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "lede": {"type": "string"},
        "why_it_matters": {"type": "string"},
        "bullets": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 4},
    },
    "required": ["lede", "why_it_matters", "bullets"],
    "additionalProperties": False,
}


def parse_brief(text: str) -> list[Draft]:
    """The lede, why-it-matters and bullet drafts of a model's reply: its JSON, else its sentences in order.

    >>> reply = '{"lede": "A.", "why_it_matters": "B.", "bullets": ["C", "D"]}'
    >>> [(d.role, d.text) for d in parse_brief(reply)]
    [('lede', 'A.'), ('why_it_matters', 'B.'), ('bullet', 'C'), ('bullet', 'D')]
    >>> [d.role for d in parse_brief("Rates rose. Loans cost more. - Banks moved. - Savers gain.")]
    ['lede', 'why_it_matters', 'bullet', 'bullet']
    """
    data = parse_json_object(text)
    drafts: list[Draft] = []
    if data is not None:
        lede = data.get("lede") or data.get("headline") or ""
        why = data.get("why_it_matters") or data.get("why") or ""
        listed = data.get("bullets") or []
        if isinstance(lede, str) and lede.strip():
            drafts.append(Draft("lede", lede.strip()))
        if isinstance(why, str) and why.strip():
            drafts.append(Draft("why_it_matters", why.strip()))
        if isinstance(listed, list):
            drafts += [
                Draft("bullet", strip_list_marker(b)) for b in listed if isinstance(b, str) and b.strip()
            ]
        if drafts:
            return drafts[: 2 + MAX_BULLETS]
    prose: list[str] = []
    bullets: list[str] = []
    for line in text.replace(" - ", "\n- ").splitlines():
        stripped = line.strip()
        if not stripped or stripped.endswith(":") or stripped.startswith("```"):
            continue
        if _BULLET.match(stripped):
            bullets.append(strip_list_marker(stripped))
        else:
            prose += [s for s in split_sentences(_LABEL.sub("", stripped)) if s.strip()]
    if not bullets:
        bullets = prose[2:]
    roles = ["lede", "why_it_matters"]
    drafts = [Draft(role, piece) for role, piece in zip(roles, prose, strict=False)]
    return drafts + [Draft("bullet", b) for b in bullets[:MAX_BULLETS] if b]


def _shape_problem(drafts: Sequence[Draft]) -> str | None:
    roles = [d.role for d in drafts]
    if "lede" not in roles:
        return "the model wrote no lede"
    bullets = roles.count("bullet")
    if bullets < 2:
        return f"the model wrote {bullets} bullet(s); a brief has 2 to 4"
    return None


def write_brief(writer: Writer, articles: Sequence[Article]) -> ProductOutput:
    """A checked newsletter brief of ``articles`` (1 to :data:`MAX_ARTICLES`; the first leads)."""
    require_articles(articles, MAX_ARTICLES)
    started = time.perf_counter()
    prompt = load_prompt("brief")
    sources, blocks = [], []
    for article in articles:
        source, headline, body = masked_source(article)
        sources.append(source)
        meta = {
            "source": article.source,
            "published": article.published_at.date().isoformat() if article.published_at else "",
        }
        blocks.append(article_block(article.id, headline, body, meta))
    provider = writer.provider
    system, user = prompt.render(
        plain=not provider.supports_json,
        task=task_line("brief", articles=len(articles)),
        articles="\n".join(blocks),
    )
    messages = [Message("system", system), Message("user", user)]
    options = writer.options(350, BRIEF_SCHEMA)
    completion = writer.complete(prompt, messages, options)
    drafts = parse_brief(completion.text)
    judged = judge(writer, drafts, sources)
    policy = writer.policy("brief")
    items, record = checked_items(
        writer,
        prompt,
        messages,
        options,
        completion,
        judged,
        parse_brief,
        sources,
        policy,
        broken=_shape_problem(drafts),
    )
    notice = None
    if record is not None:
        notice = (
            f"The model's brief was withheld ({record.reason}); shown instead: sentences from the articles."
        )
    elif any(not i.supported for i in items):
        notice = "Claims marked supported=false are not backed by the articles."
    elif len(items) < len(judged):
        notice = f"{len(judged) - len(items)} sentence(s) left out: not supported by the articles."
    output = ProductOutput(
        product="brief",
        items=items,
        model=completion.model,
        prompt=prompt.ref,
        provider=provider.name,
        usage=completion.usage,
        verifier=writer.verifier.version,
        policy=policy,
        sources=[a.id for a in articles],
        latency_ms=(time.perf_counter() - started) * 1000.0,
        cached=completion.cached,
        fallback=record,
        notice=notice,
        extra=draft_stats(judged, completion.latency_ms),
    )
    writer.log(output, articles[0].id, "\n\n".join(a.model_text for a in articles))
    return output
