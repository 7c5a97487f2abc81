"""Models for data scientists: every registered model with its versions, aliases and gate reports, and
promotion and rollback from the page (a refused promotion shows every failed gate)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from newsdesk.api.state import service_state
from newsdesk.auth import Role
from newsdesk.errors import GateFailed, InvalidInput, NotFound
from newsdesk.web.deps import Viewer, check_form, page, page_router, respond

__all__ = ["router"]

router = page_router()

ModelName = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.\-]+$")]
Version = Annotated[str, Path(min_length=1, max_length=20, pattern=r"^[0-9]+$")]


@router.get("/console/models", summary="Registered models, their champions and challengers")
def models_page(request: Request, viewer: Annotated[Viewer, page(Role.ADMIN)]) -> Response:
    from newsdesk.lifecycle.promote import list_models

    models = list_models(service_state(request).settings)
    return respond(request, "models.html", viewer, title="Models", models=models)


def _model(settings: Any, name: str) -> dict[str, Any]:
    from newsdesk.lifecycle.evaluation import latest_report
    from newsdesk.lifecycle.promote import list_models

    for model in list_models(settings):
        if model["name"] == name:
            for version in model["versions"]:
                version["report"] = latest_report(settings, name, str(version["version"]))
            return model
    raise NotFound(f"no registered model named {name!r}")


def _model_page(
    request: Request, viewer: Viewer, name: str, *, status: int = 200, refused: str | None = None
) -> Response:
    model = _model(service_state(request).settings, name)
    reasons = [r.strip() for r in refused.split(";")] if refused else []
    return respond(
        request,
        "model.html",
        viewer,
        status=status,
        title=name,
        model=model,
        refused=refused,
        reasons=reasons,
    )


@router.get("/console/models/{name}", summary="One model: versions, aliases, gate reports")
def model_page(request: Request, name: ModelName, viewer: Annotated[Viewer, page(Role.ADMIN)]) -> Response:
    return _model_page(request, viewer, name)


@router.post("/console/models/{name}/promote", summary="Promote a version (through its gates)")
def promote_version(
    request: Request,
    name: ModelName,
    viewer: Annotated[Viewer, page(Role.ADMIN)],
    version: Annotated[str, Form(min_length=1, max_length=20, pattern=r"^[0-9]+$")],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_form(request, viewer, csrf_token)
    from newsdesk.lifecycle.promote import promote

    settings = service_state(request).settings
    try:
        promote(settings, name, version, actor=viewer.actor, role=viewer.role)
    except GateFailed as exc:
        return _model_page(request, viewer, name, status=409, refused=str(exc))
    except InvalidInput as exc:
        return _model_page(request, viewer, name, status=422, refused=str(exc))
    return RedirectResponse(f"/console/models/{name}?notice=promoted", status_code=303)


@router.post("/console/models/{name}/rollback", summary="Roll back to the previous champion")
def rollback_version(
    request: Request,
    name: ModelName,
    viewer: Annotated[Viewer, page(Role.ADMIN)],
    reason: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_form(request, viewer, csrf_token)
    from newsdesk.lifecycle.promote import rollback

    rollback(service_state(request).settings, name, actor=viewer.actor, reason=reason.strip() or None)
    return RedirectResponse(f"/console/models/{name}?notice=rolled-back", status_code=303)
