"""From a model's raw text to checked items: parsing drafts leniently, judging them, applying the policy.

Small models ignore format requests, so parsing never trusts the shape: JSON when there is an object to
read, else lines and sentences. Whatever comes out is only a draft until the verifier has judged every
claim in it; :func:`apply_policy` then decides what is shown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from newsdesk.llm.output import Fallback, Item

if TYPE_CHECKING:
    from newsdesk.llm.base import Completion, GenerationOptions, Message
    from newsdesk.llm.grounding import ClaimCheck, Source
    from newsdesk.llm.prompting import Prompt
    from newsdesk.llm.writer import Writer

__all__ = [
    "Draft",
    "Judged",
    "apply_policy",
    "draft_stats",
    "judge",
    "parse_json_object",
    "strip_list_marker",
]

_OBJECT = re.compile(r"\{.*\}", re.S)
_MARKER = re.compile(r"^\s*(?:[-*\u2022\u2013]|\d{1,2}[.)]|[a-z][.)])\s+")


@dataclass(frozen=True)
class Draft:
    role: str
    text: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Judged:
    draft: Draft
    claims: list[ClaimCheck]

    @property
    def supported(self) -> bool:
        return all(c.supported for c in self.claims)

    def rejected(self) -> dict[str, Any]:
        return {
            "role": self.draft.role,
            "text": self.draft.text,
            "claims": [c.to_dict() for c in self.claims],
        }


def draft_stats(judged: Sequence[Judged], generation_ms: float) -> dict[str, Any]:
    """What the model wrote before the policy acted: its claims, how many the verifier did not support,
    and how long the provider took (for tokens per second)."""
    claims = [c for j in judged for c in j.claims]
    return {
        "draft_claims": len(claims),
        "draft_unsupported": sum(not c.supported for c in claims),
        "generation_ms": round(generation_ms, 1),
    }


def parse_json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in ``text`` (a model may wrap it in prose or a code fence), or None.

    >>> parse_json_object('Sure! ```json {"a": [1, 2]} ```')
    {'a': [1, 2]}
    >>> parse_json_object("no json here") is None
    True
    """
    match = _OBJECT.search(text)
    if match is None:
        return None
    candidate = match.group(0)
    for end in range(len(candidate), 0, -1):
        if candidate[end - 1] != "}":
            continue
        try:
            value = json.loads(candidate[:end])
        except ValueError:
            continue
        return value if isinstance(value, dict) else None
    return None


def strip_list_marker(line: str) -> str:
    """``"2. Rates rise"`` -> ``"Rates rise"``; bullets and dashes too."""
    return _MARKER.sub("", line, count=1).strip()


def judge(writer: Writer, drafts: Sequence[Draft], sources: Sequence[Source]) -> list[Judged]:
    """Every draft with the verifier's verdict on each of its claims."""
    return [Judged(d, writer.check(d.text, sources)) for d in drafts if d.text.strip()]


def checked_items(
    writer: Writer,
    prompt: Prompt,
    messages: Sequence[Message],
    options: GenerationOptions,
    completion: Completion,
    judged: Sequence[Judged],
    parse: Callable[[str], list[Draft]],
    sources: Sequence[Source],
    policy: str,
    *,
    broken: str | None = None,
) -> tuple[list[Item], Fallback | None]:
    """:func:`apply_policy` for a product's judged drafts, asking the extractive provider for the fallback
    (parsed by ``parse`` and judged) only when the model's output needs one. The extractive provider's own
    output has no fallback and is never judged broken."""
    provider = writer.provider
    extractive = provider.name == "extractive"
    fallback = None
    if not extractive and (broken is not None or not all(j.supported for j in judged)):
        fb = writer.complete(prompt, messages, options, provider=writer.extractive)
        fallback = judge(writer, parse(fb.text), sources)
    return apply_policy(
        policy,
        judged,
        fallback,
        replaced_provider=provider.name,
        replaced_model=completion.model,
        broken=None if extractive else broken,
    )


def apply_policy(
    policy: str,
    judged: Sequence[Judged],
    fallback: Sequence[Judged] | None,
    *,
    replaced_provider: str,
    replaced_model: str,
    broken: str | None = None,
) -> tuple[list[Item], Fallback | None]:
    """Items to show, and the fallback record when the model's output was withheld.

    ``fallback`` is the extractive version of the same output (already judged), or None when the model
    *is* the extractive provider. ``broken`` says why the model's output is unusable whatever its claims
    (it did not write the asked shape).

    - every claim supported and not broken: the model's items, ``ok``;
    - ``flag``: the model's items, unsupported ones ``flagged`` (a broken output falls back as below);
    - ``withhold``: the fallback's supported items, ``withheld``; the model's text is kept in the fallback
      record. When there is no fallback (the extractive provider wrote the output), its supported items
      only, ``ok``, and no record. Fallback items the verifier does not support are left out: nothing
      unsupported is shown
      under this policy.
    """
    unsupported = sum(not c.supported for j in judged for c in j.claims)
    if unsupported == 0 and broken is None:
        return [Item(j.draft.text, "ok", j.claims, j.draft.role, extra=j.draft.extra) for j in judged], None
    if policy == "flag" and broken is None:
        items = [
            Item(
                j.draft.text, "ok" if j.supported else "flagged", j.claims, j.draft.role, extra=j.draft.extra
            )
            for j in judged
        ]
        return items, None
    reason = broken if broken is not None else f"{unsupported} claim(s) not supported by the sources"
    record = Fallback(
        reason=reason,
        unsupported_claims=unsupported,
        replaced_provider=replaced_provider,
        replaced_model=replaced_model,
        rejected=[j.rejected() for j in judged],
    )
    if fallback is None:  # the extractive provider's own output: show only what is supported
        items = [
            Item(j.draft.text, "ok", j.claims, j.draft.role, extra=j.draft.extra)
            for j in judged
            if j.supported
        ]
        return items, None
    items = [
        Item(j.draft.text, "withheld", j.claims, j.draft.role, extra={**j.draft.extra, "by": "extractive"})
        for j in fallback
        if j.supported
    ]
    return items, record
