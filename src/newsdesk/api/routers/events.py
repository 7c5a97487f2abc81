"""``POST /events``: the site's backend (holding a reader key) reports what readers did with articles
(impressions, clicks, dwell, newsletter opens), in batches.

Each event is judged on its own (:func:`newsdesk.recommend.events.validate_events`): the valid ones are
stored, the others reported with their index, field, value and what is allowed. The answer is 200 when
anything was stored (or the batch was empty) and 422 when every event was refused, in the error shape with
the same report beside it. A rejected reader id is described, never repeated.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from newsdesk.api.errors import error_response, responses
from newsdesk.api.security import require
from newsdesk.api.state import StateDep
from newsdesk.auth import ApiKey, Role
from newsdesk.recommend.readers import record_events

__all__ = ["router"]

router = APIRouter(tags=["readers"], responses=responses(401, 403, 413, 422, 503))

Reader = Annotated[ApiKey, require(Role.READER)]


class EventsIn(BaseModel):
    events: list[Any] = Field(
        description="Reader events: objects with reader, article_id, kind (impression, click, dwell, open), "
        "at (ISO 8601; naive is UTC), dwell_s (for dwell), and optionally impression and source."
    )


class RejectionOut(BaseModel):
    index: int
    field: str
    value: Any
    reason: str


class EventsOut(BaseModel):
    accepted: int = Field(description="Events stored.")
    rejected: list[RejectionOut] = Field(description="One entry per bad field of each refused event.")


@router.post("/events", response_model=EventsOut)
def post_events(body: EventsIn, state: StateDep, key: Reader) -> Any:
    """Store a batch of reader events; report the refused ones (422 when none was stored)."""
    report: dict[str, Any] = record_events(state.settings, state.store(), body.events).to_dict()
    if body.events and not report["accepted"]:
        first = report["rejected"][0]
        return _all_rejected(len(body.events), first, report)
    return report


def _all_rejected(n: int, first: dict[str, Any], report: dict[str, Any]) -> JSONResponse:
    message = f"all {n} events were refused; the first: {first['field']}: expected {first['reason']}"
    return error_response(
        422, "invalid_input", message, f"events[{first['index']}].{first['field']}", extra=report
    )
