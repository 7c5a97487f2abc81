"""The provider protocol: chat messages in; text, token counts, model name and latency out.

A :class:`Provider` is how text is generated: a model run in-process (``local``), an OpenAI-compatible
server (``openai``), AWS Bedrock (``bedrock``) or no language model at all (``extractive``). Providers are
found by name in :data:`providers` (a :class:`~newsdesk.registry.Registry`; plug-ins add theirs through the
``newsdesk.llm_providers`` entry-point group) and built from the settings by :func:`open_provider`.

Nothing a provider returns reaches a reader unchecked: the products (:mod:`newsdesk.llm.products`) send
every generated sentence through the verifier (:mod:`newsdesk.llm.grounding`).

>>> m = Message("user", "Hello")
>>> m.to_dict()
{'role': 'user', 'content': 'Hello'}
>>> Usage(12, 30).total_tokens
42
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from newsdesk.errors import InvalidInput
from newsdesk.registry import Registry

if TYPE_CHECKING:
    from newsdesk.settings import Settings

__all__ = [
    "ROLES",
    "Completion",
    "GenerationOptions",
    "Message",
    "Provider",
    "ProviderFactory",
    "Usage",
    "messages_digest",
    "open_provider",
    "providers",
]

Role = Literal["system", "user", "assistant"]
ROLES: tuple[str, ...] = ("system", "user", "assistant")


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message."""

    role: Role
    content: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InvalidInput("message.role", self.role, "one of " + ", ".join(ROLES))
        if not isinstance(self.content, str):
            raise InvalidInput("message.content", self.content, "a string")

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one call (as the provider counted them; 0 when it does not say)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass(frozen=True, slots=True)
class GenerationOptions:
    """How to generate: the same for every provider.

    ``json_schema``: ask for JSON matching this schema where the provider can constrain its output
    (OpenAI-compatible ``response_format``, Bedrock tool use); other providers get the request in the prompt
    only, so callers always parse defensively. ``seed`` makes sampling repeatable where supported.
    """

    max_tokens: int = 400
    temperature: float = 0.0
    stop: tuple[str, ...] = ()
    json_schema: Mapping[str, Any] | None = None
    seed: int | None = 0

    def __post_init__(self) -> None:
        if not 1 <= self.max_tokens <= 32_768:
            raise InvalidInput("max_tokens", self.max_tokens, "an integer from 1 to 32768")
        if not 0.0 <= self.temperature <= 2.0:
            raise InvalidInput("temperature", self.temperature, "a number from 0 to 2")

    def key(self) -> dict[str, Any]:
        """What the cache key includes."""
        out = asdict(self)
        out["stop"] = list(self.stop)
        out["json_schema"] = dict(self.json_schema) if self.json_schema is not None else None
        return out


@dataclass(frozen=True, slots=True)
class Completion:
    """What one call returned."""

    text: str
    model: str
    provider: str
    usage: Usage = field(default_factory=Usage)
    latency_ms: float = 0.0
    finish_reason: str | None = None  # "stop", "length", "refusal", ...
    cached: bool = False

    @property
    def tokens_per_second(self) -> float | None:
        if self.latency_ms <= 0 or self.usage.completion_tokens <= 0:
            return None
        return self.usage.completion_tokens / (self.latency_ms / 1000.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "model": self.model,
            "provider": self.provider,
            "usage": self.usage.to_dict(),
            "latency_ms": round(self.latency_ms, 3),
            "finish_reason": self.finish_reason,
            "cached": self.cached,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Completion:
        usage = data.get("usage") or {}
        return cls(
            text=str(data["text"]),
            model=str(data["model"]),
            provider=str(data["provider"]),
            usage=Usage(int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))),
            latency_ms=float(data.get("latency_ms", 0.0)),
            finish_reason=data.get("finish_reason"),
            cached=bool(data.get("cached", False)),
        )


@runtime_checkable
class Provider(Protocol):
    """How text is generated. Implementations are safe to call from one thread at a time; the products
    serialise calls to a provider that is not thread-safe (``thread_safe = False``).

    Failures raise :class:`~newsdesk.errors.ProviderError` subclasses: ``ProviderUnavailable`` (cannot be
    reached, timed out), ``ProviderFailed`` (an error status after the retries, a malformed response),
    ``ProviderRefused`` (the model or service refused the request).
    """

    name: str  # the registry name: "local", "openai", "bedrock", "extractive"
    model: str  # the model that writes, as recorded in outputs
    supports_json: bool  # whether json_schema constrains the output (not only asks for it)
    thread_safe: bool

    def complete(self, messages: Sequence[Message], options: GenerationOptions) -> Completion: ...

    def stream(self, messages: Sequence[Message], options: GenerationOptions) -> Iterator[str]:
        """The completion's text in pieces as they are generated."""
        ...

    def close(self) -> None: ...


ProviderFactory = Callable[["Settings"], Provider]

providers: Registry[ProviderFactory] = Registry("llm_providers")
"""Provider name -> factory taking the settings. Built-ins register in :mod:`newsdesk.llm.providers`."""


def open_provider(settings: Settings, name: str | None = None) -> Provider:
    """The provider ``name`` (default ``settings.llm.provider``) built from the settings."""
    import newsdesk.llm.providers  # noqa: F401  (registers the built-ins)

    chosen = name or settings.llm.provider
    try:
        factory = providers.get(chosen)
    except Exception:
        raise InvalidInput("llm.provider", chosen, "one of " + ", ".join(providers.names())) from None
    return factory(settings)


def messages_digest(messages: Sequence[Message]) -> str:
    """A stable SHA-256 of the messages (the cache's input hash).

    >>> messages_digest([Message("user", "hi")])[:12]
    'b03d228fdf33'
    """
    payload = json.dumps([m.to_dict() for m in messages], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
