"""Governance for data scientists: a version's model card, the audit trail with its verification, the
monitoring figures live (drift, predictions, live quality, trends, alerts) and the prediction log.

The card and the monitoring figures are the same partials the standalone documents use
(``reports/_card_body.html`` on :func:`newsdesk.lifecycle.cards.card_context`, the section partials of
``reports/monitor.html`` on :func:`newsdesk.monitor.report.report_context`), so the console never shows a
figure the reports compute differently. Every list is newest first, a page at a time, and every query
parameter is bounded (out of bounds: the 422 page).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import Form, Path, Query, Request
from fastapi.responses import Response

from newsdesk.api.state import service_state
from newsdesk.auth import Role
from newsdesk.errors import AuditTampered, InvalidInput, NotFound
from newsdesk.web.deps import Viewer, check_form, page, page_router, respond

__all__ = ["router"]

router = page_router()

ModelName = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.\-]+$")]
Version = Annotated[str, Path(min_length=1, max_length=20, pattern=r"^[0-9]+$")]
ModelFilter = Annotated[
    str,
    Query(
        max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$", description="Only this model's (empty: every model)."
    ),
]
PageNumber = Annotated[int, Query(alias="page", ge=1, le=1000, description="Which page, from 1.")]
PageSize = Annotated[int, Query(ge=1, le=200, description="Rows per page.")]

_OUTPUT_SHOWN = 160  # characters of a logged output shown in the prediction log's table
_MAX_PREDICTION_ROWS = 20_000  # how deep the prediction log pages: page x limit stays under it


def _link(path: str, params: dict[str, Any], **changes: Any) -> str:
    """``path`` with ``params`` updated by ``changes`` as its query (empty values left out)."""
    merged = {**params, **changes}
    query = urlencode({k: v for k, v in merged.items() if v not in ("", None)})
    return f"{path}?{query}" if query else path


def _labelled(table: Any, label: str) -> dict[str, Any]:
    """A table of the report partials with an accessible name (``reports/_tables.html`` shows it as
    ``aria-label``)."""
    return {**table, "label": label}


# -- the model card -------------------------------------------------------------------------------------


@router.get("/console/models/{name}/{version}", summary="A model version's card")
def card_page(
    request: Request, name: ModelName, version: Version, viewer: Annotated[Viewer, page(Role.ADMIN)]
) -> Response:
    from newsdesk.lifecycle.cards import card_context, model_card
    from newsdesk.lifecycle.registry import ModelRegistry

    settings = service_state(request).settings
    if name not in ModelRegistry(settings).names():
        raise NotFound(f"no registered model named {name!r}")
    context = card_context(model_card(settings, name, version))  # NotFound for an unknown version
    card = dict(context["card"])
    card["sections"] = [
        {**s, "table": _labelled(s["table"], s["heading"]) if s["table"] is not None else None}
        for s in context["card"]["sections"]
    ]
    return respond(request, "card.html", viewer, title=f"{name} v{version}", card=card)


# -- the audit trail ------------------------------------------------------------------------------------

_SEQ = re.compile(r"\(seq (\d+)\)")


@router.get("/console/audit", summary="The audit trail of model decisions, and whether it verifies")
def audit_page(
    request: Request,
    viewer: Annotated[Viewer, page(Role.ADMIN)],
    model: ModelFilter = "",
    action: Annotated[
        str, Query(max_length=40, description="Only this action's (empty: every action).")
    ] = "",
    page_number: PageNumber = 1,
    limit: PageSize = 50,
) -> Response:
    from newsdesk.lifecycle.audit import ACTIONS, audit_log

    if action and action not in ACTIONS:
        raise InvalidInput("action", action, "one of " + ", ".join(ACTIONS))
    log = audit_log(service_state(request).settings)
    verification = log.verify()
    flagged = {int(seq) for problem in verification.problems for seq in _SEQ.findall(problem)}
    unreadable: str | None = None
    try:
        entries = list(reversed(log.entries(model=model or None, action=action or None)))
    except AuditTampered as exc:
        entries, unreadable = [], str(exc)
    total = len(entries)
    pages = max(1, -(-total // limit))
    shown = [
        {
            "entry": e,
            "flagged": e.seq in flagged,
            "changed": e.hash != e.expected_hash(),
            "details": json.dumps(e.details, ensure_ascii=False, sort_keys=True) if e.details else "",
        }
        for e in entries[(page_number - 1) * limit : page_number * limit]
    ]
    params = {"model": model, "action": action, "limit": limit if limit != 50 else ""}
    return respond(
        request,
        "audit.html",
        viewer,
        title="Audit trail",
        verification=verification,
        unreadable=unreadable,
        rows=shown,
        total=total,
        page_number=page_number,
        pages=pages,
        prev_link=_link("/console/audit", params, page=page_number - 1) if page_number > 1 else None,
        next_link=_link("/console/audit", params, page=page_number + 1) if page_number < pages else None,
        model=model,
        action=action,
        actions=ACTIONS,
        limit=limit,
        path=str(log.path),
    )


# -- monitoring -----------------------------------------------------------------------------------------


Days = Annotated[int, Query(ge=1, le=365, description="How many days back the figures go.")]


@router.get("/console/monitor", summary="Drift, predictions, live quality, trends and alerts, live")
def monitor_page(request: Request, viewer: Annotated[Viewer, page(Role.ADMIN)], days: Days = 30) -> Response:
    return _monitor(request, viewer, days, check=False)


@router.post("/console/monitor/check", summary="Run a drift check now (no alerts sent) and show the page")
def monitor_check(
    request: Request,
    viewer: Annotated[Viewer, page(Role.ADMIN)],
    days: Annotated[int, Form(ge=1, le=365)] = 30,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """A check writes the workspace's gauges (``monitor/gauges.json``), as ``newsdesk monitor check``
    does, so it is a form that carries the session's CSRF token, not a link."""
    check_form(request, viewer, csrf_token)
    return _monitor(request, viewer, days, check=True)


def _monitor(request: Request, viewer: Viewer, days: int, *, check: bool) -> Response:
    from newsdesk.monitor.report import report_context

    state = service_state(request)
    settings, store = state.settings, state.store()
    result = None
    if check:
        from newsdesk.monitor.checks import run_checks

        result = run_checks(settings, store, window="7d", notify=False)
    context: dict[str, Any] = dict(report_context(settings, store, check=result, days=days))
    drift, predictions, quality = context["drift"], context["predictions"], context["quality"]
    if drift is not None:
        context["drift"] = {**drift, "checks": _labelled(drift["checks"], "Drift checks")}
    if predictions is not None:
        context["predictions"] = {
            **predictions,
            "summary": _labelled(predictions["summary"], "Predictions per model, version and source"),
        }
    context["quality"] = {**quality, "overall": _labelled(quality["overall"], "Live precision per model")}
    context["alerts"] = _labelled(context["alerts"], "Recent alerts")
    empty = (
        drift is None
        and (predictions is None or not predictions["summary"]["rows"])
        and not quality["overall"]["rows"]
        and context["trends"]["surprise"] is None
        and not context["alerts"]["rows"]
    )
    return respond(request, "monitor.html", viewer, title="Monitoring", empty=empty, checked=check, **context)


# -- the prediction log ---------------------------------------------------------------------------------


def _compact(output: Any) -> str:
    text = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False, default=str)
    return text if len(text) <= _OUTPUT_SHOWN else text[: _OUTPUT_SHOWN - 1] + "\u2026"


@router.get("/console/predictions", summary="The prediction log, newest first")
def predictions_page(
    request: Request,
    viewer: Annotated[Viewer, page(Role.ADMIN)],
    model: ModelFilter = "",
    source: Annotated[
        Literal["", "api", "pipeline"], Query(description="api or pipeline (empty: both).")
    ] = "",
    page_number: PageNumber = 1,
    limit: PageSize = 50,
) -> Response:
    from newsdesk.monitor.predictions import prediction_log

    if page_number * limit > _MAX_PREDICTION_ROWS:
        raise InvalidInput("page", page_number, f"a page within the newest {_MAX_PREDICTION_ROWS:,} rows")
    log = prediction_log(service_state(request).settings)
    rows: list[dict[str, Any]] = []
    models: list[str] = []
    more = False
    if log is not None:
        found = log.query(model=model or None, source=source or None, limit=page_number * limit + 1)
        more = len(found) > page_number * limit
        for p in found[(page_number - 1) * limit : page_number * limit]:
            rows.append({"p": p, "output": _compact(p.output)})
        models = sorted({str(s["model"]) for s in log.summary()} | ({model} if model else set()))
    params = {"model": model, "source": source, "limit": limit if limit != 50 else ""}
    return respond(
        request,
        "predictions.html",
        viewer,
        title="Predictions",
        logging=log is not None,
        rows=rows,
        models=models,
        model=model,
        source=source,
        limit=limit,
        page_number=page_number,
        prev_link=_link("/console/predictions", params, page=page_number - 1) if page_number > 1 else None,
        next_link=_link("/console/predictions", params, page=page_number + 1) if more else None,
    )
