"""``/trends``: what is rising now (topics, entities, keyphrases, stories) against its own baseline."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from newsdesk.api.errors import responses
from newsdesk.api.security import require
from newsdesk.api.state import SettingsDep, StoreDep
from newsdesk.auth import Role
from newsdesk.trends import story_labels, top_trends

__all__ = ["router"]

router = APIRouter(
    prefix="/trends", tags=["trends"], dependencies=[require(Role.READER)], responses=responses(401, 403, 422)
)


class TrendPublic(BaseModel):
    kind: str = Field(description="topic, entity, keyphrase or story.")
    key: str = Field(
        description="A qcode, `section:<name>`, a canonical entity id, a phrase key or a story id."
    )
    label: str
    count: int = Field(description="Articles mentioning it in the window.")
    expected: float = Field(description="What its own baseline predicts for the window.")
    ratio: float
    baseline: int = Field(description="Articles mentioning it in the baseline.")
    surprise: float = Field(description="-log10 of the probability of at least `count` (negative binomial).")
    p_value: float
    hourly: list[int] = Field(description="The window's counts hour by hour, oldest first.")
    related: list[str] = Field(
        description="Weaker trends carried by the same articles, folded into this one."
    )


class TrendList(BaseModel):
    as_of: datetime
    window_hours: int
    baseline_hours: int
    kinds: list[str]
    articles: int = Field(description="Dated, enriched articles in the window.")
    baseline_articles: int
    empty_kinds: list[str] = Field(
        description="Kinds with no stored values (e.g. no `story` enrichment yet)."
    )
    trends: list[TrendPublic]


@router.get("", response_model=TrendList)
def list_trends(
    store: StoreDep,
    settings: SettingsDep,
    window: Annotated[str, Query(max_length=10, description="The recent span: 24h, 3d, 1w.")] = "24h",
    baseline: Annotated[str, Query(max_length=10, description="The span before it to compare with.")] = "28d",
    kind: Annotated[Literal["topic", "entity", "keyphrase", "story"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    as_of: Annotated[
        str | None,
        Query(max_length=40, description="End of the window: an ISO time (UTC if no offset), or `latest`."),
    ] = None,
) -> TrendList:
    """The most surprising rises, best first (the model: `newsdesk.trends.model`)."""
    labels = story_labels(settings, store)
    report = top_trends(
        store, window=window, baseline=baseline, kind=kind, limit=limit, as_of=as_of, labels=labels
    )
    return TrendList.model_validate(report.to_dict())
