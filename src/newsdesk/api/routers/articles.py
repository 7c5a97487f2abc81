"""``/articles``: browse, read (with enrichments and revisions), ingest and delete stored articles.

Article ids contain ``/`` (``bbc:tech/001``), so the id is the rest of the path; an id that itself ends in
``/revisions`` cannot be read through ``GET /articles/{id}``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from newsdesk.api.errors import error_response, responses
from newsdesk.api.schemas import (
    ArticleBatch,
    ArticleList,
    ArticlePublic,
    ArticleSummary,
    IngestRejected,
    IngestResult,
    RecordOutcome,
    RecordRejection,
    RevisionList,
    RevisionPublic,
)
from newsdesk.api.security import require
from newsdesk.api.state import SettingsDep, StoreDep
from newsdesk.auth import Role
from newsdesk.errors import InvalidInput
from newsdesk.ingest.records import RecordsReport, ingest_records
from newsdesk.store import ArticleFilter

__all__ = ["router"]

router = APIRouter(prefix="/articles", tags=["articles"], responses=responses(401, 403, 422))

MAX_PAGE = 100
MAX_OFFSET = 1_000_000


@router.get("", response_model=ArticleList, dependencies=[require(Role.READER)])
def list_articles(
    store: StoreDep,
    section: Annotated[str | None, Query(max_length=200, description="Only this section.")] = None,
    source: Annotated[str | None, Query(max_length=200, description="Only this source.")] = None,
    since: Annotated[datetime | None, Query(description="Published at or after (UTC if no offset).")] = None,
    until: Annotated[datetime | None, Query(description="Published before (UTC if no offset).")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> ArticleList:
    """Newest articles first, with the total matching the filters."""
    filt = ArticleFilter(
        section=section, source=source, since=_instant("since", since), until=_instant("until", until)
    )
    rows = store.list_articles(filt, limit=limit, offset=offset)
    return ArticleList(
        total=store.count(filt), limit=limit, offset=offset, articles=[ArticleSummary.of(a) for a in rows]
    )


@router.post(
    "",
    response_model=IngestResult,
    dependencies=[require(Role.EDITOR)],
    responses={
        413: responses(413)[413],
        422: {
            "model": IngestRejected,
            "description": "The request is invalid, or `strict` and some records were rejected: then "
            "nothing was stored and `report` lists every rejection.",
        },
    },
)
def ingest_articles(
    batch: ArticleBatch, store: StoreDep, settings: SettingsDep
) -> IngestResult | JSONResponse:
    """Validate and store a batch of articles; every rejected record is reported by index, field, value
    and reason. Accepted records are stored even when others are rejected, unless ``strict``."""
    limit = settings.api.max_batch_articles
    if len(batch.articles) > limit:
        raise InvalidInput("articles", f"<{len(batch.articles)} records>", f"at most {limit} records")
    report = ingest_records(
        batch.articles,
        store,
        settings=settings,
        source=batch.source or settings.api.default_source,
        strict=batch.strict,
    )
    result = _result(report)
    if not report.stored:
        first = report.rejections[0]
        message = (
            f"{report.rejected} of {report.received} records rejected, nothing stored (strict); "
            f"first: record {first.index}, {first.field or 'record'}: {first.reason}"
        )
        return error_response(
            422, "records_rejected", message, first.field, extra={"report": result.model_dump(mode="json")}
        )
    return result


@router.get(
    "/{article_id:path}/revisions",
    response_model=RevisionList,
    dependencies=[require(Role.READER)],
    responses=responses(404),
)
def article_revisions(article_id: str, store: StoreDep) -> RevisionList:
    """Earlier versions of the article, kept when a re-ingest changed it, oldest first."""
    current = store.get(article_id, with_enrichments=False)
    return RevisionList(
        article_id=current.id,
        current_revision=current.revision,
        revisions=[RevisionPublic.of(r) for r in store.revisions(article_id)],
    )


@router.get(
    "/{article_id:path}",
    response_model=ArticlePublic,
    dependencies=[require(Role.READER)],
    responses=responses(404),
)
def get_article(article_id: str, store: StoreDep) -> ArticlePublic:
    """One article with every stored enrichment (component, version, value, confidence)."""
    return ArticlePublic.of(store.get(article_id))


@router.delete(
    "/{article_id:path}",
    status_code=204,
    response_class=Response,
    dependencies=[require(Role.EDITOR)],
    responses=responses(404),
)
def delete_article(article_id: str, store: StoreDep) -> Response:
    """Delete the article, its revisions, enrichments and vectors."""
    store.delete(article_id)
    return Response(status_code=204)


def _instant(name: str, value: datetime | None) -> datetime | None:
    """An aware datetime (naive ones are UTC), refused if it cannot be expressed in UTC."""
    if value is None:
        return None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    try:
        return aware.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidInput(name, value.isoformat(), "a date-time between years 1 and 9999 in UTC") from None


def _result(report: RecordsReport) -> IngestResult:
    return IngestResult(
        received=report.received,
        inserted=report.count("inserted"),
        updated=report.count("updated"),
        unchanged=report.count("unchanged"),
        duplicates=report.count("duplicate"),
        rejected=report.rejected,
        stored=report.stored,
        records=[
            RecordOutcome(index=r.index, id=r.id, status=r.status, duplicate_of=r.duplicate_of)
            for r in report.records
        ],
        rejections=[
            RecordRejection(index=r.index, field=r.field, value=r.value, reason=r.reason)
            for r in report.rejections
        ],
    )
