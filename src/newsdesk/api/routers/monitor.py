"""Editors' feedback on an article (``/articles/{id}/feedback``) and monitoring views (``/monitor/...``).

Editors accept, reject or correct the sections, tags and entities newsdesk showed, and the outputs of
plug-in model kinds (the kinds of feedback come from :func:`newsdesk.monitor.feedback.feedback_kinds`, which
validates them); readers see an article's feedback and live quality; admins query the prediction log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from newsdesk.api.errors import responses
from newsdesk.api.security import require
from newsdesk.api.state import StateDep, StoreDep
from newsdesk.auth import ApiKey, Role

__all__ = ["router"]

router = APIRouter(tags=["monitoring"], responses=responses(401, 403, 404, 422))

ArticleId = Annotated[str, Path(min_length=1, max_length=512)]


class FeedbackRequest(BaseModel):
    kind: str = Field(
        min_length=1,
        max_length=100,
        description="A feedback kind: `section`, `tag`, `entity`, or one a plug-in model kind adds "
        "(anything else: 422 naming the kinds there are).",
    )
    action: Literal["accept", "reject", "correct"]
    value: str = Field(min_length=1, max_length=500, description="The shown section, tag qcode or entity id.")
    correction: str | None = Field(default=None, max_length=500, description="The right value (`correct`).")
    model: str | None = Field(
        default=None, max_length=300, description="`name@version` that showed it (default: the stored one)."
    )


class FeedbackItem(BaseModel):
    id: int | None
    article_id: str
    kind: str
    action: str
    value: str
    correction: str | None
    model: str | None
    actor: str
    created_at: str


@router.post("/articles/{article_id:path}/feedback", response_model=FeedbackItem, status_code=201)
def add_feedback(
    article_id: ArticleId,
    body: FeedbackRequest,
    store: StoreDep,
    key: Annotated[ApiKey, require(Role.EDITOR)],
) -> dict[str, Any]:
    """Accept, reject or correct a shown section, tag or entity (who: the API key's name)."""
    from newsdesk.monitor.feedback import record_feedback

    item = record_feedback(
        store,
        article_id,
        kind=body.kind,
        action=body.action,
        value=body.value,
        correction=body.correction,
        model=body.model,
        actor=f"key:{key.name or key.id}",
    )
    return item.to_dict()


@router.get("/articles/{article_id:path}/feedback", response_model=list[FeedbackItem])
def article_feedback(
    article_id: ArticleId, store: StoreDep, key: Annotated[ApiKey, require(Role.READER)]
) -> list[dict[str, Any]]:
    """The article's feedback, oldest first."""
    store.get(article_id, with_enrichments=False)  # 404 for an unknown article
    return [i.to_dict() for i in store.list_feedback(article_id=article_id)]


@router.get("/monitor/quality")
def quality(
    store: StoreDep,
    key: Annotated[ApiKey, require(Role.READER)],
    period: Annotated[Literal["day", "week", "all"], Query()] = "all",
    kind: Annotated[str | None, Query(min_length=1, max_length=100, description="A feedback kind.")] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601 with a timezone.")] = None,
) -> list[dict[str, Any]]:
    """Live precision of shown outputs per model version (and period), from editors' feedback."""
    from newsdesk.monitor.feedback import live_precision

    return live_precision(store, kind=kind, since=since, period=period)


@router.get("/monitor/predictions")
def predictions(
    state: StateDep,
    key: Annotated[ApiKey, require(Role.ADMIN)],
    model: Annotated[str | None, Query(max_length=200)] = None,
    source: Annotated[Literal["api", "pipeline"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[dict[str, Any]]:
    """The prediction log, newest first."""
    from newsdesk.monitor.predictions import prediction_log

    log = prediction_log(state.settings)
    return [] if log is None else [p.to_dict() for p in log.query(model=model, source=source, limit=limit)]
