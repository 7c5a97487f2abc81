"""The console's home: the archive at a glance, enrichment's progress, and what is ready to use."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import Response

from newsdesk.api.state import ServiceState, service_state
from newsdesk.web.deps import Viewer, page, page_router, respond

__all__ = ["overview", "router"]

router = page_router()


def overview(state: ServiceState) -> dict[str, Any]:
    """The archive's size and sections, and the enrichment progress
    (:func:`~newsdesk.pipeline.progress.enrich_status`)."""
    store = state.store()
    out: dict[str, Any] = {"articles": store.count(), "sections": store.sections(), "progress": None}
    from newsdesk.pipeline.progress import enrich_status

    out["progress"] = enrich_status(state.settings, store)
    return out


@router.get("/", summary="The console's home page")
def home(request: Request, viewer: Annotated[Viewer, page()]) -> Response:
    return respond(request, "home.html", viewer, title="Home", **overview(service_state(request)))


@router.get("/console/progress", summary="Enrichment progress (a fragment the home page refreshes)")
def progress_fragment(request: Request, viewer: Annotated[Viewer, page()]) -> Response:
    return respond(request, "_progress.html", viewer, **overview(service_state(request)))
