"""Where the pipeline and the live enricher hand their outputs to the prediction log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsdesk.articles.model import Article
    from newsdesk.nlp.base import Output
    from newsdesk.settings import Settings

__all__ = ["log_outputs"]


def log_outputs(
    settings: Settings,
    source: str,
    component: str,
    version: str,
    articles: Sequence[Article],
    outputs: Sequence[Output],
    latency_ms: float | None,
) -> None:
    """Log one batch of component outputs (vectors are not logged; their shape is)."""
    from newsdesk.monitor.predictions import prediction_log

    log = prediction_log(settings)
    if log is None or not articles:
        return
    items: list[tuple[str | None, str, Any, float | None]] = []
    for article, output in zip(articles, outputs, strict=True):
        value: Any = output.value
        if value is None and output.vector is not None:
            value = {"vector_dim": len(output.vector), "model": output.vector_model}
        confidence = None if output.confidence is None else float(output.confidence)
        items.append((article.id or None, article.model_text, value, confidence))
    log.log(
        source=source,
        model=component,
        version=version,
        items=items,
        latency_ms=latency_ms,
        languages=[a.language for a in articles],
    )
