"""The shared vocabulary of reader recommendations: events, the catalogue of recommendable articles, and
the :class:`Recommender` contract every model kind implements.

Privacy by design: a :class:`ReaderEvent` carries a *hashed* reader id (:func:`hash_reader`, a keyed
HMAC-SHA-256 under ``settings.recommend.salt``), never the id a client sent. Models learn item-side state
only (popularity counts, co-click neighbours, item factors): a reader's side is derived at request time from
their events in the store, so forgetting a reader's events forgets everything derived from them, and no
model holds or exports a reader id.

>>> hash_reader("U123", "pepper") == hash_reader("U123", "pepper"), len(hash_reader("U123", "pepper"))
(True, 32)
>>> hash_reader("U123", "pepper") != hash_reader("U123", "salt")
True
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "EVENT_KINDS",
    "Catalogue",
    "ReaderEvent",
    "Recommender",
    "hash_reader",
]

EVENT_KINDS = ("impression", "click", "dwell", "open")
"""``impression``: an article was shown; ``click``: it was opened from a slate or page; ``dwell``: seconds
spent reading it (``dwell_s``); ``open``: a newsletter that carried it was opened."""

HASH_CHARS = 32


def hash_reader(raw: str, salt: str) -> str:
    """The stored form of reader id ``raw``: the first 32 hex digits of HMAC-SHA-256 keyed by ``salt``."""
    digest = hmac.new(salt.encode("utf-8"), raw.encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:HASH_CHARS]


@dataclass(frozen=True)
class ReaderEvent:
    """One thing a reader did with one article, at a time (UTC)."""

    reader: str  # hashed (hash_reader); never the raw id
    article_id: str
    kind: str  # one of EVENT_KINDS
    at: datetime
    dwell_s: float | None = None  # for kind == "dwell"
    impression: str | None = None  # the slate, page view or newsletter send the event belongs to
    source: str = "api"  # api, mind, jsonl, newsletter, demo

    def to_dict(self) -> dict[str, Any]:
        return {
            "reader": self.reader,
            "article_id": self.article_id,
            "kind": self.kind,
            "at": self.at.isoformat(),
            "dwell_s": self.dwell_s,
            "impression": self.impression,
            "source": self.source,
        }


@dataclass
class Catalogue:
    """The recommendable articles and what the models may know of each, by position.

    ``published`` holds POSIX seconds (NaN when unknown); ``topics`` a section or category ('' unknown);
    ``stories`` the story (or near-duplicate set) id, defaulting to the article's own id; ``vectors`` an
    (n, d) float32 matrix of unit-length embeddings whose rows are zero where an article has none
    (``has_vector`` says which), or None when the archive has no vectors at all.
    """

    ids: list[str]
    published: np.ndarray
    topics: list[str]
    stories: list[str]
    vectors: np.ndarray | None = None
    has_vector: np.ndarray | None = None
    titles: list[str] = field(default_factory=list)
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {a: i for i, a in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def positions(self, article_ids: Sequence[str]) -> list[int]:
        """Positions of the ids that are in the catalogue (unknown ids are skipped)."""
        return [self.index[a] for a in article_ids if a in self.index]


@runtime_checkable
class Recommender(Protocol):
    """What every recommendation model kind is: fitted on events (item-side state only), then asked to
    score candidate articles for a reader described by their history.

    ``score`` returns one float per candidate, higher is better, comparable within one call only; a model
    that knows nothing about a candidate gives it ``nan`` (the hybrid then leans on the models that do).
    """

    name: ClassVar[str]

    def fit(self, events: Sequence[ReaderEvent], catalogue: Catalogue) -> Recommender: ...

    def score(self, history: Sequence[str], candidates: Sequence[str], at: datetime) -> np.ndarray: ...
