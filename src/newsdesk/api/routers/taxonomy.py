"""``/taxonomy``: browse the bundled IPTC Media Topics (what the ``iptc`` component tags with)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from newsdesk.api.errors import responses
from newsdesk.api.security import require
from newsdesk.auth import Role
from newsdesk.nlp.taxonomy import Concept, Taxonomy

__all__ = ["router"]

router = APIRouter(
    prefix="/taxonomy",
    tags=["taxonomy"],
    dependencies=[require(Role.READER)],
    responses=responses(401, 403, 422),
)


class TopicSummary(BaseModel):
    qcode: str = Field(description="e.g. `medtop:04000000`.")
    label: str
    uri: str
    level: int = Field(description="1 at the top level.")
    retired: bool
    retired_at: str | None

    @classmethod
    def of(cls, c: Concept, taxonomy: Taxonomy) -> TopicSummary:
        return cls(
            qcode=c.qcode,
            label=c.label,
            uri=c.uri,
            level=taxonomy.level(c.qcode),
            retired=not c.active,
            retired_at=c.retired,
        )


class TopicList(BaseModel):
    release: str
    licence: str
    topics: list[TopicSummary]


class TopicDetail(TopicSummary):
    definition: str


class TopicView(BaseModel):
    release: str
    topic: TopicDetail
    ancestors: list[TopicSummary] = Field(description="Top level first.")
    children: list[TopicSummary]


@router.get("/topics", response_model=TopicList)
def list_topics(
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Search labels (case-insensitive) at every level."),
    ] = None,
    include_retired: Annotated[bool, Query(description="Also list retired topics.")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> TopicList:
    """The top-level topics, or with ``q`` every topic whose label contains it."""
    tax = Taxonomy.bundled()
    if q is None:
        found = tax.top_level()
    else:
        needle = q.casefold().strip()
        found = sorted(
            (c for c in tax if needle in c.label.casefold() and (include_retired or c.active)),
            key=lambda c: (not c.label.casefold().startswith(needle), tax.level(c.qcode), c.label),
        )
    return TopicList(
        release=tax.release, licence=tax.licence, topics=[TopicSummary.of(c, tax) for c in found[:limit]]
    )


@router.get("/topics/{qcode}", response_model=TopicView, responses=responses(404))
def get_topic(
    qcode: str,
    include_retired: Annotated[bool, Query(description="Also list retired children.")] = False,
) -> TopicView:
    """One topic (retired ones too, flagged), its ancestors and its children."""
    tax = Taxonomy.bundled()
    concept = tax.get(qcode)
    return TopicView(
        release=tax.release,
        topic=TopicDetail(**TopicSummary.of(concept, tax).model_dump(), definition=concept.definition),
        ancestors=[TopicSummary.of(c, tax) for c in tax.ancestors(concept.qcode)],
        children=[
            TopicSummary.of(c, tax) for c in tax.children(concept.qcode, include_retired=include_retired)
        ],
    )
