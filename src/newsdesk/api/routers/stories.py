"""``/stories``: stories (articles about the same news event, grouped across sources and days) for readers:
``GET /stories`` lists them, ``GET /stories/{id}`` shows one with its timeline and its merges and splits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from newsdesk.api.errors import responses
from newsdesk.api.security import require
from newsdesk.api.state import StateDep
from newsdesk.auth import ApiKey, Role
from newsdesk.stories.service import list_stories, show_story

__all__ = ["router"]

router = APIRouter(prefix="/stories", tags=["stories"], responses=responses(401, 403, 404, 422, 503))

Reader = Annotated[ApiKey, require(Role.READER)]


@router.get("", response_model=list[dict[str, Any]])
def list_route(
    state: StateDep,
    key: Reader,
    since: Annotated[str | None, Query(max_length=40, description="24h, 7d, or an ISO date.")] = None,
    section: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[dict[str, Any]]:
    """Stories, most recently seen first (without their article lists)."""
    return list_stories(
        state.settings, state.store(), since=since, section=section, limit=limit, offset=offset
    )


@router.get("/{story_id}", response_model=dict[str, Any])
def show_route(
    story_id: Annotated[str, Path(min_length=1, max_length=64)], state: StateDep, key: Reader
) -> dict[str, Any]:
    """The story: label, summary, entities, topics, timeline of its articles, merges and splits."""
    return show_story(state.settings, state.store(), story_id)
