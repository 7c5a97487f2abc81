"""The machinery every generative product shares: the provider, the cache, the verifier, the log.

A :class:`Writer` is built once per process (the CLI builds one per command, the service one per app) and
passed to the products (:func:`~newsdesk.llm.brief.write_brief`, :func:`~newsdesk.llm.headlines.
write_headlines`, :func:`~newsdesk.llm.ask.ask`). It

- opens the provider named by ``settings.llm.provider`` on first use, and the ``extractive`` one for
  fallbacks;
- caches completions (:mod:`newsdesk.llm.cache`) by provider, model, prompt version and input hash;
- checks text against its sources with the verifier (:mod:`newsdesk.llm.grounding`), after masking the
  sentences of the sources that speak to a model (:mod:`newsdesk.llm.injection`);
- logs every product output to the prediction log with its tokens and latency, as model ``llm-<product>``
  at version ``<product>@<prompt version>+<provider>:<model>``, so ``newsdesk monitor predictions
  --summary`` shows each product's cost and speed per version.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from newsdesk.errors import InvalidInput
from newsdesk.llm.base import Completion, GenerationOptions, Message, Provider, Usage, open_provider
from newsdesk.llm.cache import CompletionCache, cache_key
from newsdesk.llm.injection import mask

if TYPE_CHECKING:
    from newsdesk.articles.model import Article
    from newsdesk.llm.grounding import ClaimCheck, Source, Verifier
    from newsdesk.llm.output import ProductOutput
    from newsdesk.llm.prompting import Prompt
    from newsdesk.settings import Settings

__all__ = ["Writer", "masked_source"]


def masked_source(article: Article) -> tuple[Source, str, str]:
    """The article as the verifier's source (its model text, suspect sentences blanked) and its masked
    headline and body (what the model is shown)."""
    from newsdesk.llm.grounding import Source

    text = mask(article.model_text)
    cut = len(article.headline)
    return Source(article.id, text), text[:cut], text[cut + 2 :]


class Writer:
    """Provider, cache, verifier and prediction log for the generative products."""

    def __init__(
        self,
        settings: Settings,
        *,
        provider: Provider | None = None,
        verifier: Verifier | None = None,
        cache: bool | None = None,
        log: bool = True,
        source: str = "library",
    ) -> None:
        self.settings = settings
        self._provider = provider
        self._verifier = verifier
        self._extractive: Provider | None = None
        use_cache = settings.llm.cache if cache is None else cache
        self.cache = CompletionCache(settings.cache_dir / "llm.sqlite3") if use_cache else None
        self._log_enabled = log and settings.monitor.log_predictions
        self.source = source
        self._lock = threading.Lock()
        self._call_lock = threading.Lock()
        self._local = threading.local()

    # -- parts, built on first use --------------------------------------------------------------------

    @property
    def provider(self) -> Provider:
        if self._provider is None:
            with self._lock:
                if self._provider is None:
                    self._provider = open_provider(self.settings)
        return self._provider

    @property
    def extractive(self) -> Provider:
        if self._extractive is None:
            self._extractive = open_provider(self.settings, "extractive")
        return self._extractive

    @property
    def verifier(self) -> Verifier:
        if self._verifier is None:
            with self._lock:
                if self._verifier is None:
                    from newsdesk.llm.grounding import Verifier

                    self._verifier = Verifier.from_settings(self.settings)
        return self._verifier

    def policy(self, product: str) -> str:
        return self.settings.llm.policy.get(product, "withhold")

    def options(self, max_tokens: int, json_schema: Mapping[str, Any] | None = None) -> GenerationOptions:
        return GenerationOptions(
            max_tokens=min(max_tokens, self.settings.llm.max_tokens),
            temperature=self.settings.llm.temperature,
            json_schema=json_schema,
        )

    # -- calls ----------------------------------------------------------------------------------------

    def complete(
        self,
        prompt: Prompt,
        messages: Sequence[Message],
        options: GenerationOptions,
        *,
        provider: Provider | None = None,
    ) -> Completion:
        """One completion, from the cache when the same request was answered before."""
        chosen = provider if provider is not None else self.provider
        if options.json_schema is not None and not chosen.supports_json:
            # the prompt describes the shape already; a schema pasted into it only confuses small models
            options = dataclasses.replace(options, json_schema=None)
        key = cache_key(chosen.name, chosen.model, prompt.ref, messages, options)
        on_piece = getattr(self._local, "on_piece", None) if provider is None else None
        if self.cache is not None and chosen.name != "extractive":
            hit = self.cache.get(key)
            if hit is not None:
                if on_piece is not None:
                    on_piece(hit.text)
                return hit
        if on_piece is not None:
            completion = self._streamed(chosen, messages, options, on_piece)
        elif chosen.thread_safe:
            completion = chosen.complete(messages, options)
        else:
            with self._call_lock:
                completion = chosen.complete(messages, options)
        if self.cache is not None and chosen.name != "extractive":
            self.cache.put(key, completion, prompt.ref)
        return completion

    @contextmanager
    def streaming(self, on_piece: Callable[[str], None]) -> Iterator[None]:
        """While inside, this thread's calls to the configured provider stream: ``on_piece`` gets the draft
        text as it is generated (unchecked: the product's result, checked, comes after). A cached completion
        arrives as one piece. Streamed calls count completion tokens as the pieces received, and no prompt
        tokens, where the provider's stream does not report usage."""
        self._local.on_piece = on_piece
        try:
            yield
        finally:
            self._local.on_piece = None

    def _streamed(
        self,
        chosen: Provider,
        messages: Sequence[Message],
        options: GenerationOptions,
        on_piece: Callable[[str], None],
    ) -> Completion:
        started = time.perf_counter()
        pieces: list[str] = []
        for piece in chosen.stream(messages, options):
            pieces.append(piece)
            on_piece(piece)
        return Completion(
            text="".join(pieces),
            model=chosen.model,
            provider=chosen.name,
            usage=Usage(0, len(pieces)),
            latency_ms=(time.perf_counter() - started) * 1000.0,
            finish_reason="stop",
        )

    def check(self, text: str, sources: Sequence[Source]) -> list[ClaimCheck]:
        """The verifier's judgement of every claim in ``text``."""
        if not text.strip():
            return []
        return self.verifier.check(text, sources)

    def log(self, output: ProductOutput, article_id: str | None, input_text: str) -> None:
        """Record ``output`` in the prediction log (a failure to log never fails the product)."""
        if not self._log_enabled:
            return
        from newsdesk.monitor.predictions import prediction_log

        try:
            log = prediction_log(self.settings)
            if log is None:
                return
            claims = output.claims
            confidence = sum(c.supported for c in claims) / len(claims) if claims else None
            log.log(
                source=self.source,
                model=f"llm-{output.product}",
                version=f"{output.prompt}+{output.provider}:{output.model}",
                items=[(article_id, input_text, output.log_record(), confidence)],
                latency_ms=output.latency_ms,
            )
        except Exception as exc:
            import logging

            logging.getLogger(__name__).warning("prediction log: %s: %s", type(exc).__name__, exc)

    def close(self) -> None:
        if self._provider is not None:
            self._provider.close()
        if self.cache is not None:
            self.cache.close()


def require_articles(articles: Sequence[Article], most: int) -> None:
    if not articles:
        raise InvalidInput("ids", [], "at least one article id")
    if len(articles) > most:
        raise InvalidInput("ids", [a.id for a in articles], f"at most {most} articles")
