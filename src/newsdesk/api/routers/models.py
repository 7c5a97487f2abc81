"""``/models``: the registered models. Readers get predictions from the champions (each carries
``name@version``); admins list versions, promote (gated; ``force`` with a reason), roll back and read model
cards. A promotion or rollback takes effect in running services within ``lifecycle.reload_seconds``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, PlainTextResponse
from pydantic import BaseModel, Field

from newsdesk.api.errors import responses
from newsdesk.api.security import require
from newsdesk.api.state import StateDep
from newsdesk.auth import ApiKey, Role

__all__ = ["router"]

router = APIRouter(prefix="/models", tags=["models"], responses=responses(401, 403, 404, 422, 503))

NamePath = Annotated[str, Path(description="`sections` or `ner` (or `newsdesk-sections`, `newsdesk-ner`).")]
Admin = Annotated[ApiKey, require(Role.ADMIN)]
Reader = Annotated[ApiKey, require(Role.READER)]


def _actor(key: ApiKey) -> str:
    return f"key:{key.name or key.id}"


class PredictRequest(BaseModel):
    texts: list[Annotated[str, Field(max_length=100_000)]] = Field(min_length=1, max_length=256)


class PredictResponse(BaseModel):
    model: str = Field(description="The champion that answered, `name@version`.")
    predictions: list[Any]
    shadow: str | None = Field(description="The challenger that ran in shadow on the same input, if any.")


class PromoteRequest(BaseModel):
    version: str = Field(min_length=1, max_length=20)
    force: bool = Field(default=False, description="Override failed gates; needs `reason`.")
    reason: str | None = Field(default=None, max_length=2000)


class RollbackRequest(BaseModel):
    reason: str | None = Field(default=None, max_length=2000)


class PromotionResponse(BaseModel):
    model: str
    version: str
    ref: str
    previous: str | None
    forced: bool
    gates_passed: bool
    report_sha256: str | None


@router.post("/{name}/predict", response_model=PredictResponse)
def predict(name: NamePath, body: PredictRequest, state: StateDep, key: Reader) -> dict[str, Any]:
    """The champion's predictions (sections: section and probabilities; ner: entity spans)."""
    return state.champions().predict(name, list(body.texts)).to_dict()


@router.get("", response_model=list[dict[str, Any]])
def list_models_route(state: StateDep, key: Admin) -> list[dict[str, Any]]:
    """Every registered model: versions (newest first), aliases, gate status, champion history."""
    from newsdesk.lifecycle.promote import list_models

    return list_models(state.settings)


@router.post("/{name}/promote", response_model=PromotionResponse, responses=responses(409))
def promote_route(name: NamePath, body: PromoteRequest, state: StateDep, key: Admin) -> dict[str, Any]:
    """Make a version the champion if its gates pass (409 `gate_failed` lists the failed gates)."""
    from newsdesk.lifecycle.promote import promote

    result = promote(
        state.settings,
        name,
        body.version,
        actor=_actor(key),
        role=key.role,
        force=body.force,
        reason=body.reason,
    )
    return result.to_dict()


@router.post("/{name}/rollback", response_model=PromotionResponse)
def rollback_route(name: NamePath, body: RollbackRequest, state: StateDep, key: Admin) -> dict[str, Any]:
    """Give the champion alias back to the previous champion."""
    from newsdesk.lifecycle.promote import rollback

    return rollback(state.settings, name, actor=_actor(key), reason=body.reason).to_dict()


@router.get(
    "/{name}/versions/{version}/card",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/markdown": {}, "text/html": {}, "application/json": {}}}},
)
def card_route(
    name: NamePath,
    version: Annotated[str, Path(max_length=20)],
    state: StateDep,
    key: Admin,
    format: Annotated[Literal["markdown", "html", "json"], Query()] = "markdown",
) -> Any:
    """The version's model card."""
    from newsdesk.lifecycle.cards import model_card

    card = model_card(state.settings, name, version)
    if format == "html":
        return HTMLResponse(card.to_html())
    if format == "json":
        from fastapi.responses import JSONResponse

        return JSONResponse(card.to_dict())
    return PlainTextResponse(card.to_markdown(), media_type="text/markdown")
