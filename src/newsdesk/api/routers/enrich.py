"""``POST /enrich``: run the enrichment components on a posted article, storing nothing (editors only: it
costs CPU and loads models on first use); ``GET /enrich/status``: how far the archive's enrichment is, the
background job and which features are ready (readers; see :mod:`newsdesk.pipeline.progress`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

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


class ComponentStatus(BaseModel):
    name: str = Field(description="The enrichment component.")
    done: int = Field(description="Articles with its output.")
    total: int = Field(description="Articles in the archive.")
    ready: bool = Field(description="Every article has its output.")


class JobOut(BaseModel):
    state: Literal["not_started", "running", "finished", "failed", "interrupted"] = Field(
        description="The background job (`newsdesk demo --serve`'s worker); `interrupted`: its process is "
        "gone before it finished (running the command again resumes it)."
    )
    pid: int | None
    started_at: datetime | None
    heartbeat_at: datetime | None = Field(description="Written every 2 s while it runs.")
    finished_at: datetime | None
    step: str = Field(description="What it is doing, e.g. `enriching: embedding 640/5094`, or `done`.")
    error: str | None
    log: str | None = Field(description="Its log file, on the service's machine.")


class Features(BaseModel):
    search_text: bool = Field(description="Full-text search (as soon as there are articles).")
    search_vector: bool = Field(description="Every article has its vector: search by meaning, related.")
    tags: bool = Field(description="IPTC topics on every article (topic filters).")
    entities: bool = Field(description="Entities on every article (entity filters and pages).")
    stories: bool = Field(description="Stories are built.")
    trends: bool = Field(description="Stories built and topics, entities and keyphrases complete.")
    recommendations: bool = Field(description="There are reader events to learn from.")
    briefs: bool = Field(description="Every article has its summary.")


class EnrichStatusOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "articles": 5094,
                    "components": [{"name": "embedding", "done": 640, "total": 5094, "ready": False}],
                    "job": {
                        "state": "running",
                        "pid": 4242,
                        "started_at": "2026-12-04T22:40:00+00:00",
                        "heartbeat_at": "2026-12-04T22:43:10+00:00",
                        "finished_at": None,
                        "step": "enriching: embedding 640/5094",
                        "error": None,
                        "log": ".newsdesk/demo/logs/demo-worker.log",
                    },
                    "features": {
                        "search_text": True,
                        "search_vector": False,
                        "tags": False,
                        "entities": False,
                        "stories": False,
                        "trends": False,
                        "recommendations": True,
                        "briefs": False,
                    },
                }
            ]
        }
    )

    articles: int
    components: list[ComponentStatus] = Field(description="Per component, in the order they run.")
    job: JobOut
    features: Features


@router.get(
    "/enrich/status",
    response_model=EnrichStatusOut,
    dependencies=[require(Role.READER)],
    responses=responses(401, 403),
)
def enrich_status(store: StoreDep, settings: SettingsDep) -> EnrichStatusOut:
    """How far the archive's enrichment is, the background job's state, and which features are ready."""
    from newsdesk.pipeline.progress import enrich_status as status_of

    return EnrichStatusOut.model_validate(status_of(settings, store).to_dict())
