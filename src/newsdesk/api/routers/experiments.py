"""``/experiments``: headline and subject-line tests. Editors create, start, stop and read them and name
winners (each decision audited); the site's and the newsletter's traffic, holding reader keys, asks which
variant a unit sees (``GET /experiments/{id}/assign?unit=``) and posts what happened
(``POST /experiments/{id}/events``). A bad event refuses its whole batch (422, nothing written); events for
an experiment that is not running are a 409.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from newsdesk.api.errors import responses
from newsdesk.api.security import require
from newsdesk.api.state import StateDep
from newsdesk.auth import ApiKey, Role
from newsdesk.experiments.service import ExperimentService

__all__ = ["router"]

router = APIRouter(prefix="/experiments", tags=["experiments"], responses=responses(401, 403, 404, 422, 503))

IdPath = Annotated[str, Path(min_length=1, max_length=32, description="The experiment's id.")]
Editor = Annotated[ApiKey, require(Role.EDITOR)]
Reader = Annotated[ApiKey, require(Role.READER)]


def _actor(key: ApiKey) -> str:
    return f"key:{key.name or key.id}"


def _service(state: Any) -> ExperimentService:
    return ExperimentService.open(state.settings, state.store())


class VariantIn(BaseModel):
    key: str | None = Field(default=None, max_length=32)
    text: str = Field(min_length=1, max_length=500)


class GuardrailIn(BaseModel):
    name: str = Field(min_length=1, max_length=32)
    tolerance: float = Field(default=0.05, gt=0, lt=1)
    higher_is_better: bool = False


class CreateRequest(BaseModel):
    kind: Literal["headline", "subject_line", "any"]
    name: str = Field(min_length=1, max_length=200)
    variants: list[str | VariantIn] = Field(min_length=2, max_length=26)
    metric: Literal["clicks/impressions", "opens/sends"] | None = None
    article_id: str | None = Field(default=None, max_length=200)
    guardrails: list[str | GuardrailIn] = Field(default_factory=list, max_length=10)
    planned_size: int | None = Field(default=None, ge=1)
    allocation: Literal["even", "thompson"] = "even"
    holdout: float = Field(default=0.1, ge=0, lt=1)
    alpha: float = Field(default=0.05, gt=0, lt=1)
    tau: float = Field(default=0.005, gt=0, lt=1)
    keep_raw: bool = False
    id: str | None = Field(default=None, max_length=32, description="Chosen id; generated when omitted.")
    start: bool = Field(default=False, description="Start it at once.")


class StopRequest(BaseModel):
    winner: str | None = Field(default=None, max_length=32, description="Name the winner as it stops.")
    reason: str | None = Field(default=None, max_length=2000)


class WinnerRequest(BaseModel):
    variant: str = Field(min_length=1, max_length=32)
    reason: str | None = Field(
        default=None,
        max_length=2000,
        description="Needed when the readout recommends otherwise (an override).",
    )


class EventsRequest(BaseModel):
    events: list[dict[str, Any]] = Field(
        default_factory=list,
        max_length=10_000,
        description="Single events: `{variant, type, unit?, at?}`; type `impression`/`click` "
        "(or `send`/`open`) or a guardrail's name.",
    )
    counts: list[dict[str, Any]] = Field(
        default_factory=list,
        max_length=10_000,
        description="Aggregates: `{variant, impressions, clicks, guardrails?, at?}` (or sends and opens).",
    )


@router.post("", status_code=201, response_model=dict[str, Any], responses=responses(409))
def create_route(body: CreateRequest, state: StateDep, key: Editor) -> dict[str, Any]:
    """Create an experiment (a draft, or running with `start`)."""
    service = _service(state)
    fields = body.model_dump(exclude={"id", "start"}, exclude_none=True)
    fields["variants"] = [
        v.model_dump(exclude_none=True) if isinstance(v, VariantIn) else v for v in body.variants
    ]
    fields["guardrails"] = [g.model_dump() if isinstance(g, GuardrailIn) else g for g in body.guardrails]
    experiment = service.create(actor=_actor(key), experiment_id=body.id, **fields)
    if body.start:
        experiment = service.start(experiment.id, actor=_actor(key))
    return experiment.to_dict()


@router.get("", response_model=list[dict[str, Any]])
def list_route(
    state: StateDep,
    key: Editor,
    status: Annotated[Literal["draft", "running", "stopped"] | None, Query()] = None,
    kind: Annotated[Literal["headline", "subject_line", "any"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[dict[str, Any]]:
    """Experiments, newest first."""
    return [e.to_dict() for e in _service(state).list_experiments(status=status, kind=kind, limit=limit)]


@router.get("/{experiment_id}", response_model=dict[str, Any])
def show_route(experiment_id: IdPath, state: StateDep, key: Editor) -> dict[str, Any]:
    """The experiment, its live readout (tests, posteriors, sequential bounds, guardrails, the
    recommendation) and its decisions."""
    service = _service(state)
    experiment = service.get(experiment_id)
    return {
        "experiment": experiment.to_dict(),
        "readout": service.readout(experiment).to_dict(),
        "decisions": [d.to_dict() for d in service.decisions(experiment_id)],
    }


@router.get("/{experiment_id}/report", response_class=HTMLResponse)
def report_route(experiment_id: IdPath, state: StateDep, key: Editor) -> HTMLResponse:
    """The experiment's report: one self-contained HTML page with its charts."""
    return HTMLResponse(_service(state).report(experiment_id))


@router.post("/{experiment_id}/start", response_model=dict[str, Any], responses=responses(409))
def start_route(experiment_id: IdPath, state: StateDep, key: Editor) -> dict[str, Any]:
    """Start a draft."""
    return _service(state).start(experiment_id, actor=_actor(key)).to_dict()


@router.post("/{experiment_id}/stop", response_model=dict[str, Any], responses=responses(409))
def stop_route(experiment_id: IdPath, body: StopRequest, state: StateDep, key: Editor) -> dict[str, Any]:
    """Stop a running experiment, optionally naming the winner."""
    service = _service(state)
    return service.stop(experiment_id, actor=_actor(key), winner=body.winner, reason=body.reason).to_dict()


@router.post("/{experiment_id}/winner", response_model=dict[str, Any], responses=responses(409))
def winner_route(experiment_id: IdPath, body: WinnerRequest, state: StateDep, key: Editor) -> dict[str, Any]:
    """Name the winner of a stopped experiment (an override of the readout needs a reason)."""
    service = _service(state)
    return service.declare_winner(
        experiment_id, body.variant, actor=_actor(key), reason=body.reason
    ).to_dict()


@router.get("/{experiment_id}/assign", response_model=dict[str, Any], responses=responses(409))
def assign_route(
    experiment_id: IdPath,
    state: StateDep,
    key: Reader,
    unit: Annotated[str, Query(min_length=1, max_length=200, description="The reader's or the send's id.")],
) -> dict[str, Any]:
    """The variant ``unit`` sees: the same on every call while the allocation holds."""
    return _service(state).assign(experiment_id, unit).to_dict()


@router.post("/{experiment_id}/events", response_model=dict[str, Any], responses=responses(409))
def events_route(experiment_id: IdPath, body: EventsRequest, state: StateDep, key: Reader) -> dict[str, Any]:
    """Record impressions and clicks (or sends and opens, and guardrail events): all or nothing."""
    return _service(state).record(experiment_id, events=body.events, counts=body.counts).to_dict()
