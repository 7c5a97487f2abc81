"""``/healthz`` (the process answers), ``/readyz`` (the store opens and answers) and ``/metrics``.

None of them needs a key: orchestrators and Prometheus call them. ``/metrics`` exposes only request counts
and latencies per route; keep it off the public internet like any scrape endpoint.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from newsdesk import __version__
from newsdesk.api.errors import error_response, responses
from newsdesk.api.metrics import CONTENT_TYPE_LATEST
from newsdesk.api.state import StateDep
from newsdesk.errors import NewsdeskError
from newsdesk.store.migrations import MIGRATIONS

__all__ = ["router"]

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    version: str


class Ready(BaseModel):
    status: str
    schema_version: int | None
    expected_schema_version: int
    articles: int


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """Liveness: the process is up and answering."""
    # async: answered on the event loop, so a liveness probe never waits for a free request thread
    return Health(status="ok", version=__version__)


@router.get("/readyz", response_model=Ready, responses=responses(503))
def readyz(state: StateDep) -> Ready | JSONResponse:
    """Readiness: the store opens, answers a query, and has this code's schema."""
    try:
        store = state.store()
        articles = store.count()
        version = getattr(store, "schema_version", None)
        expected = int(getattr(store, "expected_schema_version", len(MIGRATIONS)))
    except NewsdeskError as exc:
        return error_response(503, "not_ready", f"the store is not ready: {exc}")
    except Exception as exc:  # e.g. sqlite3.Error on a closed or broken connection
        return error_response(503, "not_ready", f"the store is not ready: {type(exc).__name__}: {exc}")
    if version is not None and version != expected:
        return error_response(
            503, "not_ready", f"the store has schema version {version}; this newsdesk needs {expected}"
        )
    return Ready(status="ready", schema_version=version, expected_schema_version=expected, articles=articles)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text exposition."}},
)
def metrics(state: StateDep) -> Response:
    """Request counts and latency histograms by method, route template and status."""
    return Response(state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
