"""The Article: what every later capability reads from the archive.

An article's ``id`` is stable: ``<source>:<source_id>`` when the source gives an id, else
``<source>:#<content hash>``. Its ``content_hash`` changes whenever any stored field changes; the store
uses it to tell an update (keep the old version as a revision) from a no-op re-ingest. ``fingerprint``
hashes only the normalised headline and body, for exact de-duplication across ids.

>>> a = Article.create(source="bbc", source_id="business/001", headline="Ad sales boost profit", body="...")
>>> a.id
'bbc:business/001'
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

__all__ = ["Article", "Enrichment", "Subject", "fingerprint_of"]


class Subject(BaseModel):
    """A subject given by the source: a name, a code (``medtop:04000000``, a URI), or both."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = None
    code: str | None = None

    def label(self) -> str:
        return self.name or self.code or ""


class Enrichment(BaseModel):
    """One output of an enrichment component, traceable to the component and model version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    component: str
    version: str
    value: Any
    confidence: float | None = None
    created_at: AwareDatetime
    input_hash: str | None = None  # the article's content_hash when this was computed

    @property
    def ref(self) -> str:
        """``component@version``, the name every output carries."""
        return f"{self.component}@{self.version}"


class Article(BaseModel):
    """A stored news article. Build one with :meth:`create` so the ids and hashes are derived."""

    model_config = ConfigDict(extra="forbid")

    id: str
    source: str
    source_id: str | None = None
    headline: str = Field(min_length=1)
    body: str = ""
    url: str | None = None
    byline: str | None = None
    published_at: AwareDatetime | None = None
    section: str | None = None
    language: str | None = None
    keywords: list[str] = Field(default_factory=list)
    subjects: list[Subject] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)
    content_hash: str = ""
    fingerprint: str = ""
    revision: int = 1
    ingested_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    enrichments: dict[str, Enrichment] = Field(default_factory=dict)

    @classmethod
    def create(cls, **fields: Any) -> Article:
        """Validate ``fields`` and derive ``id``, ``content_hash`` and ``fingerprint``."""
        fields.setdefault("id", "")
        article = cls(**fields)
        return article.with_hashes()

    @classmethod
    def _trusted(cls, fields: dict[str, Any]) -> Article:
        """An article from complete, already validated ``fields`` (every field given), without validation.

        What ``model_construct`` does, minus its per-field default handling: the validator builds tens of
        thousands of these per second.
        """
        article = cls.__new__(cls)
        object.__setattr__(article, "__dict__", fields)
        object.__setattr__(article, "__pydantic_fields_set__", set(fields))
        object.__setattr__(article, "__pydantic_extra__", None)
        object.__setattr__(article, "__pydantic_private__", None)
        return article

    def with_hashes(self) -> Article:
        """Return this article with ``fingerprint``, ``content_hash`` and (if empty) ``id`` filled in."""
        copy = self.model_copy()
        copy._fill_hashes()
        return copy

    def _fill_hashes(self) -> None:
        """In place, for articles built with ``model_construct`` by trusted code (the validator)."""
        fp = fingerprint_of(self.headline, self.body)
        if not self.id:
            self.id = f"{self.source}:{self.source_id}" if self.source_id else f"{self.source}:#{fp[:20]}"
        self.fingerprint = fp
        self.content_hash = _content_hash(self)

    @property
    def model_text(self) -> str:
        """What a model reads of the article: the headline, a blank line, the body. Every component and
        the prediction log use this one text, so a model sees the same input in training and serving."""
        return f"{self.headline}\n\n{self.body}"

    def content_fields(self) -> dict[str, Any]:
        """The fields whose change makes a new revision, in JSON-ready form."""
        return {
            "source_id": self.source_id,
            "headline": self.headline,
            "body": self.body,
            "url": self.url,
            "byline": self.byline,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "section": self.section,
            "language": self.language,
            "keywords": self.keywords,
            "subjects": [s.model_dump(exclude_none=True) for s in self.subjects],
            "extra": self.extra,
        }


def fingerprint_of(headline: str, body: str) -> str:
    """Hash of the case-folded, whitespace-collapsed headline and body."""
    text = " ".join(headline.split()).casefold() + "\n" + " ".join(body.split()).casefold()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_HASH_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str)  # built once: dumps() is slow
# What _HASH_JSON.encode runs, built once instead of per call (JSONEncoder.encode makes a new C encoder every
# time). Same output; without the circular-reference bookkeeping, a value that contains itself raises
# RecursionError instead of ValueError (ingest rejects such extras before hashing).
_C_MAKE_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)  # (not in the type stubs)
_HASH_ENCODE: Any = (
    _C_MAKE_ENCODER(None, str, json.encoder.encode_basestring, None, ": ", ", ", True, False, True)
    if _C_MAKE_ENCODER is not None
    else None
)


def _hash_json(value: Any) -> str:
    if _HASH_ENCODE is None:  # pragma: no cover - CPython always has the C encoder
        return _HASH_JSON.encode(value)
    return "".join(_HASH_ENCODE(value, 0))


def _content_hash(article: Article) -> str:
    # The SHA-256 of: each text field UTF-8 encoded (surrogatepass) and followed by 0x1F, or 0x00 for
    # None (joined first: one encode and one update instead of eight); then the JSON of keywords,
    # subjects and extra.
    parts = [
        "\x00" if value is None else value + "\x1f"
        for value in (
            article.source_id,
            article.headline,
            article.body,
            article.url,
            article.byline,
            utc_iso(article.published_at),  # the instant, as stored: not the offset it was written with
            article.section,
            article.language,
        )
    ]
    h = hashlib.sha256("".join(parts).encode("utf-8", "surrogatepass"))
    extras = (article.keywords, [(s.name, s.code) for s in article.subjects], article.extra)
    h.update(_hash_json(extras).encode("utf-8"))
    return h.hexdigest()


def utc_iso(value: datetime | None) -> str | None:
    """Store form of a datetime: ISO 8601 in UTC, sortable as text."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat()
