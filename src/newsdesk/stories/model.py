"""What a story is, as data: the story, its members and the change log of merges and splits."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["Story", "StoryEvent", "StoryItem", "story_id_for"]


def story_id_for(article_id: str) -> str:
    """A story's id, derived from the id of its first article, so a re-run from scratch on the same input
    gives the same ids.

    >>> story_id_for("a1")
    'st-f29bc91bbdab'
    """
    return "st-" + hashlib.sha1(article_id.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class StoryItem:
    """One article as the clusterer sees it: its id, when it was published, its unit vector (headline and
    lede) and its text for the lexical overlap."""

    article_id: str
    at: datetime
    vector: Any
    text: str


@dataclass(frozen=True, slots=True)
class StoryEvent:
    """A change of the clustering beyond a join: ``merge`` (``sources`` folded into ``story_id``) or
    ``split`` (``targets`` cut out of ``story_id``), with the articles that moved."""

    action: str
    story_id: str
    others: tuple[str, ...]
    articles: tuple[str, ...]
    at: datetime
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "story_id": self.story_id,
            "others": list(self.others),
            "articles": list(self.articles),
            "at": self.at.isoformat(),
            "score": self.score,
        }


@dataclass(slots=True)
class Story:
    """A story as stored and shown: label, summary, key entities and topics, and its timeline."""

    id: str
    label: str
    first_seen: datetime
    last_seen: datetime
    articles: list[tuple[str, datetime]] = field(default_factory=list)  # (article id, published), by time
    summary: str = ""
    entities: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    section: str | None = None
    version: str = ""

    @property
    def size(self) -> int:
        return len(self.articles)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "summary": self.summary,
            "entities": list(self.entities),
            "topics": list(self.topics),
            "section": self.section,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "size": self.size,
            "articles": [{"id": a, "at": t.isoformat()} for a, t in self.articles],
            "version": self.version,
        }
