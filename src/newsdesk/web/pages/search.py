"""Search for editors: the hybrid searcher with filters, and facets counted over the top results.

With a query, the page asks the searcher for its top :data:`FACET_DEPTH` results once, shows them
:data:`PER_PAGE` at a time, and counts sections, sources, months, topics (IPTC) and entities among them; a
facet is a link that adds its filter. Without a query it lists the archive newest first, filtered.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import Response

from newsdesk.api.state import service_state
from newsdesk.errors import InvalidInput
from newsdesk.search import SearchQuery
from newsdesk.search.hybrid import MAX_LIMIT, MAX_OFFSET
from newsdesk.store import ArticleFilter
from newsdesk.web.deps import Viewer, page, page_router, respond

__all__ = ["FACET_DEPTH", "PER_PAGE", "Facets", "facets_of", "router"]

router = page_router()

PER_PAGE = 20
FACET_DEPTH = MAX_LIMIT  # results the facets are counted over
_FACET_VALUES = 8  # values shown per facet


@dataclass
class Facets:
    section: list[tuple[str, int]] = field(default_factory=list)
    source: list[tuple[str, int]] = field(default_factory=list)
    month: list[tuple[str, int]] = field(default_factory=list)
    topic: list[tuple[str, str, int]] = field(default_factory=list)  # qcode, label, count
    entity: list[tuple[str, str, int]] = field(default_factory=list)  # id, name, count


def facets_of(store: Any, hits: list[Any]) -> Facets:
    """Facet counts over ``hits`` (search hits or articles: ``id``, ``section``, ``source``,
    ``published_at``); topics and entities from the stored ``iptc`` and ``entities`` enrichments."""
    ids = [h.id for h in hits]
    sections = Counter(h.section for h in hits if h.section)
    sources = Counter(h.source for h in hits)
    months = Counter(h.published_at.strftime("%Y-%m") for h in hits if h.published_at)
    topics: Counter[tuple[str, str]] = Counter()
    for value in store.enrichments_of("iptc", ids).values():
        seen = set()
        for tag in value or []:
            for node in [tag, *tag.get("ancestors", [])]:
                if node.get("qcode") and node["qcode"] not in seen:
                    seen.add(node["qcode"])
                    topics[(node["qcode"], node.get("label") or node["qcode"])] += 1
    entities: Counter[tuple[str, str]] = Counter()
    for value in store.enrichments_of("entities", ids).values():
        for entity in {(e["id"], e.get("name") or e["id"]) for e in value or [] if e.get("id")}:
            entities[entity] += 1
    return Facets(
        section=sections.most_common(_FACET_VALUES),
        source=sources.most_common(_FACET_VALUES),
        month=sorted(months.items(), reverse=True)[:_FACET_VALUES],
        topic=[(q, label, n) for (q, label), n in topics.most_common(_FACET_VALUES)],
        entity=[(i, name, n) for (i, name), n in entities.most_common(_FACET_VALUES)],
    )


def _day(name: str, value: str | None, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(name, value, "a date as YYYY-MM-DD") from None
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start + timedelta(days=1) if end else start


def _month_range(month: str) -> tuple[str, str]:
    """``2005-02`` -> the first and last day of that month, as the date filters take them."""
    year, mon = (int(p) for p in month.split("-"))
    first = date(year, mon, 1)
    last = (date(year + mon // 12, mon % 12 + 1, 1)) - timedelta(days=1)
    return first.isoformat(), last.isoformat()


@router.get("/console/search", summary="Search the archive, with filters and facets")
def search_page(
    request: Request,
    viewer: Annotated[Viewer, page()],
    q: Annotated[str, Query(max_length=500)] = "",
    section: Annotated[str, Query(max_length=200)] = "",
    source: Annotated[str, Query(max_length=200)] = "",
    since: Annotated[str, Query(max_length=10, description="YYYY-MM-DD")] = "",
    until: Annotated[str, Query(max_length=10, description="YYYY-MM-DD (inclusive)")] = "",
    topic: Annotated[str, Query(max_length=200)] = "",
    entity: Annotated[str, Query(max_length=300)] = "",
    mode: Literal["hybrid", "text", "vector"] = "hybrid",
    page_: Annotated[int, Query(alias="page", ge=1, le=MAX_OFFSET // PER_PAGE)] = 1,
) -> Response:
    state = service_state(request)
    store = state.store()
    params = {
        "q": q.strip(),
        "section": section,
        "source": source,
        "since": since,
        "until": until,
        "topic": topic,
        "entity": entity,
        "mode": mode,
    }
    active = {k: v for k, v in params.items() if v and k not in ("q", "mode")}

    def link(**change: Any) -> str:
        merged = {**params, **change}
        if "page" not in change:
            merged.pop("page", None)
        return "/console/search?" + urlencode({k: v for k, v in merged.items() if v not in ("", None)})

    context: dict[str, Any] = {
        "params": params,
        "active": active,
        "link": link,
        "month_range": _month_range,
        "sections": sorted(store.sections()),
        "error": None,
        "hits": [],
        "total": 0,
        "page": page_,
        "pages": 1,
        "facets": Facets(),
        "took_ms": None,
        "retrievers": [],
        "listing": not params["q"],
    }
    try:
        start, end = _day("since", since), _day("until", until, end=True)
        if start and end and start >= end:
            raise InvalidInput("until", until, f"a day on or after since ({since})")
        if params["q"]:
            offset = (page_ - 1) * PER_PAGE
            deep = offset + PER_PAGE <= FACET_DEPTH
            query = SearchQuery(
                params["q"],
                section=section or None,
                source=source or None,
                since=start,
                until=end,
                topic=topic or None,
                entity=entity or None,
                limit=FACET_DEPTH if deep else PER_PAGE,
                offset=0 if deep else offset,
                mode=mode,
            )
            found = state.searcher().search(query)
            hits = found.results
            context["facets"] = facets_of(store, hits[:FACET_DEPTH])
            context["hits"] = hits[offset : offset + PER_PAGE] if deep else hits
            context["total"] = found.total
            context["took_ms"] = found.took_ms
            context["retrievers"] = found.retrievers
        else:
            filt = ArticleFilter(section=section or None, source=source or None, since=start, until=end)
            context["total"] = store.count(filt)
            listed = store.list_articles(filt, limit=PER_PAGE, offset=(page_ - 1) * PER_PAGE)
            context["hits"] = listed
            context["facets"] = facets_of(store, listed)
        context["pages"] = max(1, min(-(-context["total"] // PER_PAGE), MAX_OFFSET // PER_PAGE))
    except InvalidInput as exc:
        context["error"] = exc
    title = f"Search: {params['q']}" if params["q"] else "Browse the archive"
    return respond(request, "search.html", viewer, title=title, **context)
