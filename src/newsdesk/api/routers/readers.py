"""``/readers``: a reader's history for editors (``GET /readers/{id}/history``) and forgetting a reader for
admins (``DELETE /readers/{id}``: their events, the slates served to them and experiment events keyed by
them, in one transaction; the answer counts the rows deleted per table). ``{id}`` is the reader id the site
knows; it is hashed before it reaches the store.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from newsdesk.api.errors import responses
from newsdesk.api.security import require
from newsdesk.api.state import StateDep
from newsdesk.auth import ApiKey, Role
from newsdesk.recommend.readers import forget_reader, reader_history

__all__ = ["router"]

router = APIRouter(prefix="/readers", tags=["readers"], responses=responses(401, 403, 422, 503))

ReaderPath = Annotated[str, Path(min_length=1, max_length=128, description="The site's id of the reader.")]
Editor = Annotated[ApiKey, require(Role.EDITOR)]
Admin = Annotated[ApiKey, require(Role.ADMIN)]
Kind = Literal["impression", "click", "dwell", "open"]


@router.get("/{reader_id}/history", response_model=list[dict[str, Any]])
def history_route(
    reader_id: ReaderPath,
    state: StateDep,
    key: Editor,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    kind: Annotated[
        list[Kind] | None, Query(description="Kinds to list (default: click, dwell, open).")
    ] = None,
) -> list[dict[str, Any]]:
    """The reader's latest events, newest first, with each article's headline."""
    return reader_history(state.settings, state.store(), reader_id, limit=limit, kinds=kind)


@router.delete("/{reader_id}", response_model=dict[str, int])
def forget_route(reader_id: ReaderPath, state: StateDep, key: Admin) -> dict[str, int]:
    """Forget the reader: delete everything kept of them; table -> rows deleted."""
    return forget_reader(state.settings, state.store(), reader_id, actor=f"key:{key.name or key.id}")
