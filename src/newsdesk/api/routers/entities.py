"""``/entities``: the archive's entity pages (readers) and editors' merges, splits and renames (kept as
``entity-page`` feedback, so later builds respect them). Ids look like ``person:tony-blair``; a page may be
asked for by any id it groups (``person:blair``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from newsdesk.api.errors import responses
from newsdesk.api.security import require
from newsdesk.api.state import SettingsDep, StoreDep
from newsdesk.auth import ApiKey, Role
from newsdesk.entities import build_entity_pages, merge_entities, rename_entity, split_entity

__all__ = ["router"]

router = APIRouter(prefix="/entities", tags=["entities"], responses=responses(401, 403, 404, 422))

IdPath = Annotated[str, Path(min_length=3, max_length=300, description="An entity id (`person:tony-blair`).")]
Editor = Annotated[ApiKey, require(Role.EDITOR)]


def _actor(key: ApiKey) -> str:
    return f"key:{key.name or key.id}"


class MergeRequest(BaseModel):
    into: str = Field(min_length=3, max_length=300, description="The entity it is one with.")


class SplitRequest(BaseModel):
    member: str = Field(min_length=3, max_length=300, description="The grouped id that is another entity.")


class RenameRequest(BaseModel):
    name: str = Field(min_length=1, max_length=200)


@router.get("", response_model=list[dict[str, Any]], dependencies=[require(Role.READER)])
def list_route(
    store: StoreDep,
    settings: SettingsDep,
    type: Annotated[Literal["person", "organisation", "place"] | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=200, description="Name or alias contains.")] = None,
    min_articles: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[dict[str, Any]]:
    """Entities by article count, most first (without co-occurrences)."""
    pages = build_entity_pages(settings, store).list(
        type=type, query=q, min_articles=min_articles, limit=limit
    )
    return [p.to_dict() for p in pages]


@router.get("/{entity_id}", response_model=dict[str, Any], dependencies=[require(Role.READER)])
def show_route(
    entity_id: IdPath,
    store: StoreDep,
    settings: SettingsDep,
    period: Annotated[Literal["month", "week"], Query(description="The timeline's buckets.")] = "month",
) -> dict[str, Any]:
    """One entity's page: aliases, members, counts, first and last seen, co-occurring entities, timeline."""
    return build_entity_pages(settings, store, period=period).get(entity_id).to_dict()


@router.get("/{entity_id}/articles", response_model=dict[str, Any], dependencies=[require(Role.READER)])
def articles_route(
    entity_id: IdPath,
    store: StoreDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """The entity's articles, newest first: `{entity, total, items}`, each item
    `{id, headline, section, published_at}`."""
    pages = build_entity_pages(settings, store)
    ids = pages.article_ids(entity_id)
    items = [
        {
            "id": b.id,
            "headline": b.headline,
            "section": b.section,
            "published_at": b.published_at.isoformat() if b.published_at else None,
        }
        for b in store.briefs(ids[offset : offset + limit])
    ]
    return {"entity": pages.resolve(entity_id), "total": len(ids), "items": items}


@router.post("/{entity_id}/merge", response_model=dict[str, Any])
def merge_route(
    entity_id: IdPath, body: MergeRequest, store: StoreDep, settings: SettingsDep, key: Editor
) -> dict[str, Any]:
    """Record that the entity and `into` are one; returns the merged page."""
    return merge_entities(settings, store, entity_id, body.into, actor=_actor(key)).to_dict()


@router.post("/{entity_id}/split", response_model=dict[str, Any])
def split_route(
    entity_id: IdPath, body: SplitRequest, store: StoreDep, settings: SettingsDep, key: Editor
) -> dict[str, Any]:
    """Record that `member` is not this entity; returns the member's own page."""
    return split_entity(settings, store, entity_id, body.member, actor=_actor(key)).to_dict()


@router.post("/{entity_id}/rename", response_model=dict[str, Any])
def rename_route(
    entity_id: IdPath, body: RenameRequest, store: StoreDep, settings: SettingsDep, key: Editor
) -> dict[str, Any]:
    """Record the name the entity is shown with (its id stays); returns its page."""
    return rename_entity(settings, store, entity_id, body.name, actor=_actor(key)).to_dict()
