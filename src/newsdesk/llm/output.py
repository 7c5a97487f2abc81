"""What every generative product returns: one JSON shape for briefs, headline ideas and answers.

``{"product", "items": [{"text", "verdict", "claims": [{"text", "supported", "score", "evidence":
[{"article_id", "sentence", "start", "end"}]}]}], "model", "prompt", "provider", "usage"}``, plus what makes
the output traceable and checkable: the verifier's version, the source article ids, whether the extractive
fallback replaced the model's text (and why), the latency and whether the completion came from the cache.

An item's ``verdict``:

- ``ok``: the text is shown and every claim in it is supported by the sources;
- ``flagged``: the text is shown with its unsupported claims marked (``supported: false``), under the
  ``flag`` policy;
- ``withheld``: the model's text is not shown; ``text`` is what replaced it (sentences copied from the
  sources by the extractive fallback, each checked), and ``rejected`` keeps the model's text and the
  verifier's reasons for editors and the prediction log.

Nothing unsupported is ever marked ``ok``: :meth:`Item.__post_init__` refuses it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from newsdesk.llm.base import Usage

if TYPE_CHECKING:
    from newsdesk.llm.grounding import ClaimCheck

__all__ = ["Fallback", "Item", "ProductOutput", "Verdict"]

Verdict = Literal["ok", "flagged", "withheld"]


@dataclass(frozen=True)
class Item:
    """One piece of a product's output (the lede, a bullet, one headline idea, the answer)."""

    text: str
    verdict: Verdict
    claims: Sequence[ClaimCheck]
    role: str  # "lede", "why_it_matters", "bullet", "headline", "subject", "answer", "no_answer"
    rejected: Mapping[str, Any] | None = None  # the model's text the verifier withheld, with its claims
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.verdict == "ok" and not all(c.supported for c in self.claims):
            raise AssertionError(f"an item with unsupported claims cannot be 'ok': {self.text!r}")

    @property
    def supported(self) -> bool:
        return all(c.supported for c in self.claims)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "verdict": self.verdict,
            "role": self.role,
            "claims": [c.to_dict() for c in self.claims],
        }
        out.update(self.extra)
        if self.rejected is not None:
            out["rejected"] = dict(self.rejected)
        return out


@dataclass(frozen=True)
class Fallback:
    """Why the extractive fallback replaced the model's output."""

    reason: str
    unsupported_claims: int
    replaced_provider: str
    replaced_model: str
    rejected: Sequence[Mapping[str, Any]] = ()  # the model's items: role, text, claims

    def to_dict(self) -> dict[str, Any]:
        return {
            "used": True,
            "reason": self.reason,
            "unsupported_claims": self.unsupported_claims,
            "replaced_provider": self.replaced_provider,
            "replaced_model": self.replaced_model,
            "by": "extractive",
            "rejected": [dict(r) for r in self.rejected],
        }


@dataclass(frozen=True)
class ProductOutput:
    product: str
    items: Sequence[Item]
    model: str
    prompt: str  # product@version
    provider: str
    usage: Usage
    verifier: str
    policy: str
    sources: Sequence[str]
    latency_ms: float
    cached: bool = False
    fallback: Fallback | None = None
    notice: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def claims(self) -> list[ClaimCheck]:
        return [c for item in self.items for c in item.claims]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "product": self.product,
            "items": [i.to_dict() for i in self.items],
            "model": self.model,
            "prompt": self.prompt,
            "provider": self.provider,
            "usage": self.usage.to_dict(),
            "verifier": self.verifier,
            "policy": self.policy,
            "sources": list(self.sources),
            "fallback": self.fallback.to_dict() if self.fallback is not None else {"used": False},
            "notice": self.notice,
            "latency_ms": round(self.latency_ms, 1),
            "cached": self.cached,
        }
        out.update(self.extra)
        return out

    def log_record(self) -> dict[str, Any]:
        """The compact record the prediction log keeps (tokens, verdicts, fallback)."""
        claims = self.claims
        return {
            "prompt": self.prompt,
            "provider": self.provider,
            "model": self.model,
            "usage": self.usage.to_dict(),
            "verdicts": [i.verdict for i in self.items],
            "claims": len(claims),
            "unsupported": sum(not c.supported for c in claims),
            "rejected_claims": sum(
                len(i.rejected.get("claims", [])) for i in self.items if i.rejected is not None
            ),
            "fallback": self.fallback is not None,
            "cached": self.cached,
            "verifier": self.verifier,
        }
