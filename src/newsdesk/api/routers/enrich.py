"""``POST /enrich``: run the enrichment components on a posted article, storing nothing.

Editors only: it costs CPU (and loads models on first use).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from newsdesk.api.errors import responses
from newsdesk.api.security import require
from newsdesk.api.state import SettingsDep, StateDep, StoreDep
from newsdesk.auth import Role
from newsdesk.errors import InvalidInput
from newsdesk.ingest.validate import RecordInvalid, to_article

__all__ = ["router"]

router = APIRouter(tags=["enrich"], responses=responses(401, 403, 413, 422, 503))


class EnrichRequest(BaseModel):
    """An article (the ingest fields) and, optionally, which components to run."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "headline": "Harbour dredging contract awarded to local firm",
                    "body": "The port authority has awarded a three-year dredging contract ...",
                    "only": ["language", "reading_time", "summary"],
                }
            ]
        },
    )

    headline: str
    body: str = ""
    source_id: str | None = None
    url: str | None = None
    byline: str | None = None
    published_at: str | None = Field(default=None, description="ISO 8601 or RFC 2822.")
    section: str | None = None
    language: str | None = None
    source: str | None = None
    keywords: list[str] = Field(default_factory=list)
    only: Annotated[
        list[str] | None,
        Field(min_length=1, max_length=50, description="Components to run (default: every allowed one)."),
    ] = None


class LiveOutput(BaseModel):
    component: str
    version: str
    ref: str = Field(description="`component@version`.")
    value: Any
    confidence: float | None


class SkippedComponent(BaseModel):
    component: str
    reason: str


class EnrichResponse(BaseModel):
    article_id: str = Field(description="The id the article would have if it were stored.")
    outputs: list[LiveOutput]
    skipped: list[SkippedComponent] = Field(
        description="Components that could not run (e.g. not enough articles to learn from), with why."
    )
    seconds: float


@router.post("/enrich", response_model=EnrichResponse, dependencies=[require(Role.EDITOR)])
def enrich_article(
    payload: EnrichRequest, state: StateDep, store: StoreDep, settings: SettingsDep
) -> EnrichResponse:
    """Enrich the article through the registered components; nothing is stored."""
    fields = payload.model_dump(exclude={"only"}, exclude_none=True)
    try:
        article = to_article(fields, settings=settings.ingest, default_source=settings.api.default_source)
    except RecordInvalid as exc:
        name, value, message = exc.problems[0]
        raise InvalidInput(name or "article", value, message.removeprefix("expected ")) from None
    result = state.enricher().enrich(article, store, payload.only)
    return EnrichResponse(
        article_id=article.id,
        outputs=[
            LiveOutput(
                component=e.component, version=e.version, ref=e.ref, value=e.value, confidence=e.confidence
            )
            for e in result.outputs
        ],
        skipped=[SkippedComponent(component=s.component, reason=s.reason) for s in result.skipped],
        seconds=round(result.seconds, 4),
    )
