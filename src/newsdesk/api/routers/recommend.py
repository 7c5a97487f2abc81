"""Reader recommendations: ``GET /readers/{id}/recommendations`` ("more for you": a slate for one reader,
from their own events) and ``GET /articles/{id}/also-read`` (what readers of an article also read). Each
response names the model and version that chose it; each reader slate is logged for traceability."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from starlette.concurrency import run_in_threadpool

from newsdesk.api.errors import responses
from newsdesk.api.security import require
from newsdesk.api.state import StateDep
from newsdesk.auth import ApiKey, Role
from newsdesk.recommend.service import MAX_N, also_read, recommend_for

__all__ = ["router"]

router = APIRouter(tags=["recommendations"], responses=responses(401, 403, 404, 422, 503))

Reader = Annotated[ApiKey, require(Role.READER)]
Editor = Annotated[ApiKey, require(Role.EDITOR)]


@router.get("/readers/{reader_id}/recommendations", response_model=dict[str, Any])
async def recommendations_route(
    reader_id: Annotated[str, Path(min_length=1, max_length=128)],
    state: StateDep,
    key: Reader,
    n: Annotated[int | None, Query(ge=1, le=MAX_N, description="Slate size (default: settings).")] = None,
) -> dict[str, Any]:
    """A slate of articles for the reader: read articles left out, one per story, diversified by topic,
    editorial pins first. A reader with no events gets popular and fresh articles."""
    engine = await run_in_threadpool(state.recommender)
    return await run_in_threadpool(recommend_for, engine, reader_id, n=n)


@router.get("/articles/{article_id:path}/also-read", response_model=dict[str, Any])
async def also_read_route(
    article_id: str,
    state: StateDep,
    key: Reader,
    n: Annotated[int, Query(ge=1, le=MAX_N)] = 5,
) -> dict[str, Any]:
    """Articles that readers of this article also read (co-clicks), topped up by content similarity."""
    engine = await run_in_threadpool(state.recommender)
    return await run_in_threadpool(also_read, engine, article_id, n=n)


@router.get("/recommendations/quality", response_model=dict[str, Any])
async def quality_route(
    state: StateDep,
    key: Editor,
    since: Annotated[str | None, Query(max_length=40, description="24h, 7d, or an ISO date.")] = "7d",
    window_hours: Annotated[float, Query(gt=0, le=24 * 30, description="Hours a read is credited.")] = 24.0,
) -> dict[str, Any]:
    """Live quality of the served slates per product and model version (reads credited, CTR, coverage,
    topic diversity): how each version does with readers."""
    from newsdesk.recommend.quality import live_quality
    from newsdesk.stories.service import parse_since

    return await run_in_threadpool(
        live_quality, state.settings, state.store(), since=parse_since(since), window_hours=window_hours
    )
