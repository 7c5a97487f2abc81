"""``/search`` and ``/articles/{id}/related``: hybrid search and related articles over the archive.

Both routes are ``async``: when the searcher is ready (built, indexes in step with the store) and the query's
vector is cached, the search runs on the event loop, since it is a few milliseconds of work holding the
interpreter lock, where a thread hop would only add cost (measured: 1.4 ms less CPU per search request).
Otherwise (first use, articles written since the last search, or a new query for the embedding model, which
releases the lock while it computes) it runs in the thread pool, keeping that work off the loop.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from newsdesk.api.errors import responses
from newsdesk.api.security import require
from newsdesk.api.state import StateDep
from newsdesk.auth import Role
from newsdesk.search import RelatedHit, Searcher, SearchQuery, related
from newsdesk.search.hybrid import MAX_LIMIT, MAX_OFFSET, MAX_QUERY_CHARS
from newsdesk.search.related import MAX_RELATED

__all__ = ["router"]

router = APIRouter(tags=["search"], dependencies=[require(Role.READER)], responses=responses(401, 403, 422))


class WhyOut(BaseModel):
    matched_terms: list[str] = Field(description="Query words found in the article (by stem).")
    text_rank: int | None = Field(description="Rank in the full-text results (1 = best), if there.")
    text_score: float | None = Field(description="BM25 score, higher is better.")
    semantic_rank: int | None = Field(description="Rank in the vector results, if there.")
    semantic_score: float | None = Field(description="Cosine similarity of query and article.")


class HitOut(BaseModel):
    id: str
    headline: str
    score: float = Field(description="Reciprocal-rank-fusion score (hybrid), BM25 (text) or cosine (vector).")
    snippet: str = Field(description="HTML-escaped passage with query words in <mark>.")
    section: str | None
    source: str
    published_at: str | None
    why: WhyOut
    duplicates: list[str] = Field(description="Near-duplicate copies of this story folded under it.")


class SearchOut(BaseModel):
    query: str
    total: int = Field(description="Ranked results available to page through.")
    offset: int
    limit: int
    mode: str
    retrievers: list[str] = Field(description="The retrievers that ran ('text', 'vector').")
    filters: dict[str, Any]
    took_ms: float
    results: list[HitOut]


class RelatedOut(BaseModel):
    id: str
    headline: str
    score: float
    similarity: float
    shared_entities: list[str]
    shared_topics: list[str]
    section: str | None
    published_at: str | None


class RelatedList(BaseModel):
    id: str
    results: list[RelatedOut]


@router.get("/search", response_model=SearchOut)
async def search(
    state: StateDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="What to look for.")],
    section: Annotated[str | None, Query(max_length=200)] = None,
    source: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[datetime | None, Query(description="Published on or after (with a timezone).")] = None,
    until: Annotated[datetime | None, Query(description="Published before (with a timezone).")] = None,
    topic: Annotated[str | None, Query(max_length=200, description="IPTC Media Topic qcode.")] = None,
    entity: Annotated[str | None, Query(max_length=300, description="Canonical entity id.")] = None,
    mode: Literal["hybrid", "text", "vector"] = "hybrid",
    collapse: Annotated[bool, Query(description="Fold near-duplicate copies under the best one.")] = True,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Response:
    """Hybrid search: full text and meaning, fused; filters; highlighted snippets; why each result."""
    query = SearchQuery(
        q,
        section=section,
        source=source,
        since=since,
        until=until,
        topic=topic,
        entity=entity,
        limit=limit,
        offset=offset,
        mode=mode,
        collapse=collapse,
    )
    searcher = state.ready_searcher()
    if searcher is not None and not searcher.needs_model(query):
        page = searcher.search(query)
    else:
        page = await run_in_threadpool(lambda: state.searcher().search(query))
    # the page is built by the library from typed dataclasses: sent as is, not re-validated against
    # SearchOut (which documents it), sparing the busiest route a second pass over every hit
    return Response(json.dumps(page.to_dict(), ensure_ascii=False), media_type="application/json")


@router.get("/articles/{article_id:path}/related", response_model=RelatedList, responses=responses(404))
async def related_articles(
    state: StateDep,
    article_id: str,
    limit: Annotated[int, Query(ge=1, le=MAX_RELATED)] = 5,
    diversity: Annotated[
        float, Query(ge=0.0, le=1.0, description="0: pure relevance; 1: most varied.")
    ] = 0.3,
    recency: Annotated[
        float | None, Query(gt=0, le=36500, description="Prefer newer articles: half-life in days.")
    ] = None,
) -> dict[str, Any]:
    """Related stories: nearest neighbours, shared entities and topics; no duplicates; diversified."""

    def find(searcher: Searcher) -> list[RelatedHit]:
        return related(searcher, article_id, limit=limit, diversity=diversity, recency_half_life_days=recency)

    searcher = state.ready_searcher()
    hits = find(searcher) if searcher is not None else await run_in_threadpool(lambda: find(state.searcher()))
    return {"id": article_id, "results": [h.to_dict() for h in hits]}
