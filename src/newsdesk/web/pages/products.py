"""The newsroom's products as editors see them: stories (articles about one news event), trends (what is
rising now), entity pages, headline experiments, and briefs and headline ideas written by the configured
generator and checked by the verifier.

Each page calls the library functions the JSON API's routers call (:mod:`newsdesk.stories.service`,
:func:`newsdesk.trends.top_trends`, :func:`newsdesk.entities.build_entity_pages`,
:class:`newsdesk.experiments.service.ExperimentService`, :mod:`newsdesk.llm`), never the API itself, and
shows an empty state when there is nothing yet (stories before clustering ran, trends without dated
articles). The writing page lives at ``/console/write/{article id}``: the article page's route takes every
path under ``/console/articles/``, so ``/console/articles/{id}/write`` would be read as an article id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import Form, Path, Query, Request
from fastapi.responses import Response

from newsdesk.api.state import service_state
from newsdesk.auth import Role
from newsdesk.errors import InvalidInput, NewsdeskError, NotFound
from newsdesk.llm.headlines import MAX_IDEAS
from newsdesk.web.deps import Viewer, check_form, page, page_router, respond

__all__ = ["PER_PAGE", "Sparkline", "router", "sparkline"]

router = page_router()

PER_PAGE = 25
_MAX_PAGE = 400  # deep enough for any archive's list; bounds the offset a URL can ask for
_RECENT = 10  # an entity's recent articles shown

StoryId = Annotated[str, Path(min_length=1, max_length=64, description="A story's id (`st-...`).")]
EntityId = Annotated[
    str, Path(min_length=3, max_length=300, description="An entity id (`person:tony-blair`).")
]
ExperimentId = Annotated[str, Path(min_length=1, max_length=32, description="The experiment's id.")]
ArticleId = Annotated[str, Path(min_length=1, max_length=512)]
PageNo = Annotated[int, Query(alias="page", ge=1, le=_MAX_PAGE)]


def _pager(path: str, params: dict[str, Any]) -> Any:
    """``link(page=2)``: ``path`` with ``params`` (empty ones left out) and the change."""

    def link(**change: Any) -> str:
        merged = {**params, **change}
        kept = {k: v for k, v in merged.items() if v not in ("", None) and not (k == "page" and v == 1)}
        query = urlencode(kept)
        return f"{path}?{query}" if query else path

    return link


# -- stories -------------------------------------------------------------------------------------------------
@router.get("/console/stories", summary="Stories: articles about the same news event, grouped")
def stories_page(
    request: Request,
    viewer: Annotated[Viewer, page()],
    since: Annotated[str, Query(max_length=40, description="24h, 7d, or an ISO date.")] = "",
    section: Annotated[str, Query(max_length=100)] = "",
    page_: PageNo = 1,
) -> Response:
    from newsdesk.stories.service import list_stories

    state = service_state(request)
    store = state.store()
    params = {"since": since.strip(), "section": section.strip()}
    error: InvalidInput | None = None
    stories: list[dict[str, Any]] = []
    try:
        stories = list_stories(
            state.settings,
            store,
            since=params["since"] or None,
            section=params["section"] or None,
            limit=PER_PAGE + 1,
            offset=(page_ - 1) * PER_PAGE,
        )
    except InvalidInput as exc:
        error = exc
    return respond(
        request,
        "stories.html",
        viewer,
        status=422 if error else 200,
        title="Stories",
        stories=stories[:PER_PAGE],
        more=len(stories) > PER_PAGE,
        page=page_,
        params=params,
        sections=sorted(store.sections()),
        link=_pager("/console/stories", params),
        error=error,
    )


@router.get("/console/stories/{story_id}", summary="A story: its articles in time order, merges and splits")
def story_page(request: Request, story_id: StoryId, viewer: Annotated[Viewer, page()]) -> Response:
    from newsdesk.stories.service import show_story

    state = service_state(request)
    story = show_story(state.settings, state.store(), story_id)  # NotFound: the 404 page
    return respond(request, "story.html", viewer, title=story["label"] or story["id"], story=story)


# -- trends --------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Sparkline:
    """An inline bar chart of counts (one bar per hour): its size, its bars ``(x, y, width, height)`` and
    the sentence that stands for it (the ``aria-label`` and ``<title>``)."""

    width: int
    height: int
    bars: list[tuple[float, float, float, float]]
    text: str


def sparkline(counts: list[int], *, width: int = 120, height: int = 24, unit: str = "hour") -> Sparkline:
    """The layout of ``counts`` as a sparkline.

    >>> s = sparkline([0, 2, 1, 4])
    >>> len(s.bars), s.bars[-1][3], s.text
    (3, 24.0, '7 articles over 4 hours; peak 4 in hour 4')
    """
    top = max(counts, default=0)
    step = width / max(1, len(counts))
    bar = round(max(step - 0.5, 0.5), 2)
    bars = []
    for i, n in enumerate(counts):
        if n > 0:
            tall = round(height * n / top, 2)
            bars.append((round(i * step, 2), round(height - tall, 2), bar, tall))
    peak = counts.index(top) + 1 if counts else 0
    text = f"{sum(counts)} articles over {len(counts)} {unit}s" + (
        f"; peak {top} in {unit} {peak}" if top else ""
    )
    return Sparkline(width=width, height=height, bars=bars, text=text)


@router.get("/console/trends", summary="What is rising now, against each topic's and entity's own baseline")
def trends_page(
    request: Request,
    viewer: Annotated[Viewer, page()],
    window: Annotated[str, Query(max_length=10, description="The recent span: 24h, 3d, 1w.")] = "24h",
    baseline: Annotated[str, Query(max_length=10, description="The span before it to compare with.")] = "28d",
    kind: Literal["", "topic", "entity", "keyphrase", "story"] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    as_of: Annotated[
        str, Query(max_length=40, description="End of the window: an ISO time, `latest` or `now`.")
    ] = "latest",
) -> Response:
    from newsdesk.trends import KINDS, story_labels, top_trends

    state = service_state(request)
    store = state.store()
    window, baseline, as_of = window.strip(), baseline.strip(), as_of.strip() or "latest"
    params: dict[str, Any] = {
        "window": window,
        "baseline": baseline,
        "kind": kind,
        "limit": limit,
        "as_of": as_of,
    }
    report = None
    error: InvalidInput | None = None
    try:
        report = top_trends(
            store,
            window=window,
            baseline=baseline,
            kind=kind or None,
            limit=limit,
            as_of=None if as_of == "now" else as_of,
            labels=story_labels(state.settings, store),
        )
    except InvalidInput as exc:
        error = exc
    rows = [(t, sparkline(t.hourly)) for t in report.trends] if report is not None else []
    return respond(
        request,
        "trends.html",
        viewer,
        status=422 if error else 200,
        title="Trends",
        report=report,
        rows=rows,
        params=params,
        kinds=list(KINDS),
        error=error,
    )


# -- entities ------------------------------------------------------------------------------------------------
@router.get("/console/entities", summary="The archive's people, organisations and places")
def entities_page(
    request: Request,
    viewer: Annotated[Viewer, page()],
    q: Annotated[str, Query(max_length=200, description="Name or alias contains.")] = "",
    type: Literal["", "person", "organisation", "place"] = "",
    page_: PageNo = 1,
) -> Response:
    from newsdesk.entities import build_entity_pages

    state = service_state(request)
    params = {"q": q.strip(), "type": type}
    found = build_entity_pages(state.settings, state.store()).list(
        type=type or None, query=params["q"] or None
    )
    start = (page_ - 1) * PER_PAGE
    return respond(
        request,
        "entities.html",
        viewer,
        title=f"Entities: {params['q']}" if params["q"] else "Entities",
        entities=found[start : start + PER_PAGE],
        total=len(found),
        page=page_,
        pages=max(1, -(-len(found) // PER_PAGE)),
        params=params,
        link=_pager("/console/entities", params),
    )


@router.get("/console/entities/{entity_id}", summary="An entity: aliases, articles, related entities")
def entity_page(
    request: Request,
    entity_id: EntityId,
    viewer: Annotated[Viewer, page()],
    period: Literal["month", "week"] = "month",
) -> Response:
    from newsdesk.entities import build_entity_pages
    from newsdesk.monitor.report import bar_chart_data

    state = service_state(request)
    store = state.store()
    pages = build_entity_pages(state.settings, store, period=period)
    entity = pages.get(entity_id)  # NotFound: the 404 page
    ids = pages.article_ids(entity.id)[:_RECENT]
    briefs = {b.id: b for b in store.briefs(ids)}
    recent = [briefs[i] for i in ids if i in briefs]
    chart = bar_chart_data(
        [(bucket, float(n)) for bucket, n in entity.timeline.items()],
        title=f"Articles mentioning {entity.name}, by {period}",
    )
    return respond(
        request,
        "entity.html",
        viewer,
        title=entity.name,
        entity=entity,
        asked=entity_id,
        recent=recent,
        chart=chart,
        period=period,
    )


# -- experiments ---------------------------------------------------------------------------------------------
def _experiments(request: Request) -> Any:
    from newsdesk.experiments.service import ExperimentService

    state = service_state(request)
    return ExperimentService.open(state.settings, state.store())


@router.get("/console/experiments", summary="Headline and subject-line experiments, with their live readouts")
def experiments_page(
    request: Request,
    viewer: Annotated[Viewer, page(Role.EDITOR)],
    status: Literal["", "draft", "running", "stopped"] = "",
    kind: Literal["", "headline", "subject_line", "any"] = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> Response:
    service = _experiments(request)
    listed = service.list_experiments(status=status or None, kind=kind or None, limit=limit)
    rows = [(e, service.readout(e)) for e in listed]
    return respond(
        request,
        "experiments.html",
        viewer,
        title="Experiments",
        rows=rows,
        params={"status": status, "kind": kind},
    )


@router.get("/console/experiments/{experiment_id}", summary="An experiment: arms, tests, decision and why")
def experiment_page(
    request: Request, experiment_id: ExperimentId, viewer: Annotated[Viewer, page(Role.EDITOR)]
) -> Response:
    service = _experiments(request)
    experiment = service.get(experiment_id)  # NotFound: the 404 page
    return respond(
        request,
        "experiment.html",
        viewer,
        title=experiment.name,
        experiment=experiment,
        readout=service.readout(experiment),
        decisions=service.decisions(experiment.id),
    )


# -- briefs and headline ideas -------------------------------------------------------------------------------
def _write_page(
    request: Request, viewer: Viewer, article: Any, *, status: int = 200, **context: Any
) -> Response:
    settings = service_state(request).settings
    context.setdefault("outputs", [])
    context.setdefault("error", None)
    context.setdefault("form", {"what": "both", "n": 5, "kind": "headline"})
    return respond(
        request,
        "write.html",
        viewer,
        status=status,
        title=f"Write: {article.headline}",
        article=article,
        provider=settings.llm.provider,
        max_ideas=MAX_IDEAS,
        **context,
    )


@router.get("/console/write/{article_id:path}", summary="Ask the generator for a brief and headline ideas")
def write_form(
    request: Request, article_id: ArticleId, viewer: Annotated[Viewer, page(Role.EDITOR)]
) -> Response:
    article = service_state(request).store().get(article_id)  # NotFound: the 404 page
    return _write_page(request, viewer, article)


@router.post(
    "/console/write/{article_id:path}",
    summary="A brief and headline ideas of the article, each claim with the verifier's mark and evidence",
)
def write_products(
    request: Request,
    article_id: ArticleId,
    viewer: Annotated[Viewer, page(Role.EDITOR)],
    what: Annotated[Literal["both", "brief", "headlines"], Form()] = "both",
    n: Annotated[int, Form(ge=1, le=MAX_IDEAS)] = 5,
    kind: Annotated[Literal["headline", "subject"], Form()] = "headline",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_form(request, viewer, csrf_token)
    from newsdesk.api.errors import status_for
    from newsdesk.llm.brief import write_brief
    from newsdesk.llm.headlines import write_headlines

    state = service_state(request)
    article = state.store().get(article_id)  # NotFound: the 404 page
    form = {"what": what, "n": n, "kind": kind}
    outputs: list[dict[str, Any]] = []
    try:
        if what in ("both", "brief"):
            outputs.append(write_brief(state.writer(), [article]).to_dict())
        if what in ("both", "headlines"):
            outputs.append(write_headlines(state.writer(), article, n=n, kind=kind).to_dict())
    except NotFound:
        raise
    except NewsdeskError as exc:  # the model server is down or slow: say so on the page, keep what came
        status, _ = status_for(exc)
        return _write_page(request, viewer, article, status=status, outputs=outputs, error=exc, form=form)
    return _write_page(request, viewer, article, outputs=outputs, form=form)
