"""An article as editors see it: its machine outputs (section, topics, entities, summary, keyphrases), each
with accept, reject and correct, its related articles; and the feedback view of what editors said."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from newsdesk.api.state import service_state
from newsdesk.auth import Role
from newsdesk.errors import NewsdeskError
from newsdesk.web.deps import Viewer, check_form, page, page_router, respond

__all__ = ["router"]

router = page_router()

ArticleId = Annotated[str, Path(min_length=1, max_length=512)]


@router.get("/console/articles/{article_id:path}", summary="An article with its machine outputs")
def article_page(request: Request, article_id: ArticleId, viewer: Annotated[Viewer, page()]) -> Response:
    state = service_state(request)
    store = state.store()
    article = store.get(article_id)  # NotFound: the 404 page
    related: list[Any] = []
    related_note = None
    try:
        from newsdesk.search import related as find_related

        related = find_related(state.searcher(), article.id, limit=5)
    except NewsdeskError as exc:  # no vectors yet: say so, the page still serves
        related_note = str(exc)
    feedback = store.list_feedback(article_id=article.id)
    from newsdesk.monitor.feedback import feedback_kinds

    sections = sorted(store.sections())
    return respond(
        request,
        "article.html",
        viewer,
        title=article.headline,
        article=article,
        e=article.enrichments,
        related=related,
        related_note=related_note,
        feedback=feedback,
        feedback_kinds=feedback_kinds(),
        sections=sections,
    )


@router.post(
    "/console/articles/{article_id:path}/feedback",
    summary="Accept, reject or correct one machine output of an article",
)
def give_feedback(
    request: Request,
    article_id: ArticleId,
    viewer: Annotated[Viewer, page(Role.EDITOR)],
    kind: Annotated[str, Form(min_length=1, max_length=100)],
    action: Annotated[Literal["accept", "reject", "correct"], Form()],
    value: Annotated[str, Form(min_length=1, max_length=500)],
    correction: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_form(request, viewer, csrf_token)
    from urllib.parse import quote

    from newsdesk.monitor.feedback import record_feedback

    item = record_feedback(
        service_state(request).store(),
        article_id,
        kind=kind,
        action=action,
        value=value,
        correction=correction.strip() or None if action == "correct" else None,
        actor=viewer.actor,
    )
    return RedirectResponse(
        f"/console/articles/{quote(item.article_id, safe='/:')}?notice=feedback#feedback", status_code=303
    )


@router.get("/console/feedback", summary="Editors' feedback and the live precision it gives")
def feedback_page(
    request: Request,
    viewer: Annotated[Viewer, page(Role.EDITOR)],
    kind: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    from newsdesk.monitor.feedback import feedback_kinds, live_precision

    store = service_state(request).store()
    kinds = feedback_kinds()
    chosen = kind if kind in kinds else None
    items = store.list_feedback(kind=chosen)
    recent = list(reversed(items))[:limit]
    headlines = {b.id: b.headline for b in store.briefs(list({i.article_id for i in recent}))}
    return respond(
        request,
        "feedback.html",
        viewer,
        title="Feedback",
        items=recent,
        total=len(items),
        headlines=headlines,
        precision=live_precision(store, kind=chosen, period="all"),
        kinds=kinds,
        kind=chosen or "",
    )
