"""Request and response models of the service (the public form of library objects)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from newsdesk.api.errors import ErrorInfo
from newsdesk.articles.model import Article, Enrichment
from newsdesk.store.base import Revision

__all__ = [
    "ArticleBatch",
    "ArticleList",
    "ArticlePublic",
    "ArticleSummary",
    "EnrichmentPublic",
    "IngestRejected",
    "IngestResult",
    "RevisionList",
]


class EnrichmentPublic(BaseModel):
    """One stored component output, traceable to the component and its version."""

    component: str
    version: str
    ref: str = Field(description="`component@version`.")
    value: Any
    confidence: float | None
    created_at: datetime
    current: bool = Field(description="Computed from the article's current content.")

    @classmethod
    def of(cls, e: Enrichment, content_hash: str) -> EnrichmentPublic:
        return cls(
            component=e.component,
            version=e.version,
            ref=e.ref,
            value=e.value,
            confidence=e.confidence,
            created_at=e.created_at,
            current=e.input_hash is None or e.input_hash == content_hash,
        )


class SubjectPublic(BaseModel):
    name: str | None = None
    code: str | None = None


class ArticleSummary(BaseModel):
    id: str
    source: str
    headline: str
    section: str | None
    language: str | None
    published_at: datetime | None
    url: str | None
    revision: int

    @classmethod
    def of(cls, a: Article) -> ArticleSummary:
        return cls(
            id=a.id,
            source=a.source,
            headline=a.headline,
            section=a.section,
            language=a.language,
            published_at=a.published_at,
            url=a.url,
            revision=a.revision,
        )


class ArticleContent(BaseModel):
    """An article's stored fields (without enrichments)."""

    id: str
    source: str
    source_id: str | None
    headline: str
    body: str
    url: str | None
    byline: str | None
    published_at: datetime | None
    section: str | None
    language: str | None
    keywords: list[str]
    subjects: list[SubjectPublic]
    extra: dict[str, Any]
    content_hash: str
    revision: int
    ingested_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def fields_of(cls, a: Article) -> dict[str, Any]:
        return {
            "id": a.id,
            "source": a.source,
            "source_id": a.source_id,
            "headline": a.headline,
            "body": a.body,
            "url": a.url,
            "byline": a.byline,
            "published_at": a.published_at,
            "section": a.section,
            "language": a.language,
            "keywords": list(a.keywords),
            "subjects": [SubjectPublic(name=s.name, code=s.code) for s in a.subjects],
            "extra": dict(a.extra),
            "content_hash": a.content_hash,
            "revision": a.revision,
            "ingested_at": a.ingested_at,
            "updated_at": a.updated_at,
        }

    @classmethod
    def of(cls, a: Article) -> ArticleContent:
        return cls(**cls.fields_of(a))


class ArticlePublic(ArticleContent):
    """An article with its enrichments, each carrying ``component@version``."""

    enrichments: list[EnrichmentPublic]

    @classmethod
    def of(cls, a: Article) -> ArticlePublic:
        enrichments = [EnrichmentPublic.of(e, a.content_hash) for e in a.enrichments.values()]
        return cls(**cls.fields_of(a), enrichments=enrichments)


class ArticleList(BaseModel):
    total: int = Field(description="Articles matching the filters.")
    limit: int
    offset: int
    articles: list[ArticleSummary]


class RevisionPublic(BaseModel):
    revision: int
    content_hash: str
    replaced_at: datetime
    article: ArticleContent

    @classmethod
    def of(cls, r: Revision) -> RevisionPublic:
        return cls(
            revision=r.revision,
            content_hash=r.content_hash,
            replaced_at=r.replaced_at,
            article=ArticleContent.of(r.article),
        )


class RevisionList(BaseModel):
    article_id: str
    current_revision: int
    revisions: list[RevisionPublic] = Field(description="Earlier versions, oldest first.")


class ArticleBatch(BaseModel):
    """Articles to store: JSON objects with the canonical ingest fields (``headline``, ``body``,
    ``source_id``, ``url``, ``byline``, ``published_at``, ``section``, ``language``, ``source``,
    ``keywords``, ``subjects``, ``extra``; ``id`` and ``title`` are accepted as aliases)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "articles": [
                        {
                            "source_id": "2024-001",
                            "headline": "Harbour dredging contract awarded",
                            "body": "The port authority has awarded ...",
                            "published_at": "2024-05-02T08:15:00Z",
                            "section": "business",
                        }
                    ],
                    "strict": False,
                }
            ]
        },
    )

    articles: list[Any] = Field(
        min_length=1, description="Article objects; each is validated on its own and reported by index."
    )
    strict: bool = Field(default=False, description="Store nothing if any record is rejected (then 422).")
    source: str | None = Field(
        default=None,
        max_length=200,
        description="Source of records that name none (default: settings.api.default_source).",
    )


class RecordOutcome(BaseModel):
    index: int
    id: str
    status: Literal["inserted", "updated", "unchanged", "duplicate"]
    duplicate_of: str | None = None


class RecordRejection(BaseModel):
    index: int = Field(description="Position of the record in `articles`.")
    field: str | None
    value: str | None
    reason: str


class IngestResult(BaseModel):
    received: int
    inserted: int
    updated: int
    unchanged: int
    duplicates: int
    rejected: int
    stored: bool = Field(description="False when `strict` refused the batch: nothing was written.")
    records: list[RecordOutcome] = Field(description="One entry per accepted record, in order.")
    rejections: list[RecordRejection] = Field(description="Every problem of every rejected record.")


class IngestRejected(BaseModel):
    """A strict batch with rejected records: the error, and the full report (nothing was stored)."""

    error: ErrorInfo
    report: IngestResult
