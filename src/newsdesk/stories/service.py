"""What the shells call: list stories, show one with its timeline and change log, parse ``--since``.

The CLI (``newsdesk stories``) and the API (``GET /stories``, ``GET /stories/{id}``) only parse and format;
these functions read the story store on the archive's backend.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from newsdesk.errors import InvalidInput
from newsdesk.stories.store import open_stories

if TYPE_CHECKING:
    from newsdesk.settings import Settings
    from newsdesk.store import Backend

__all__ = ["list_stories", "parse_since", "show_story"]

_DURATION = re.compile(r"\s*(\d+)\s*([mhdw])\s*")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str | None, *, now: datetime | None = None) -> datetime | None:
    """A duration back from ``now`` (``24h``, ``7d``, ``2w``, ``90m``) or an ISO 8601 date or time (UTC
    when it names no zone).

    >>> parse_since("2d", now=datetime(2024, 1, 3, tzinfo=UTC)).isoformat()
    '2024-01-01T00:00:00+00:00'
    >>> parse_since("2024-01-01").isoformat()
    '2024-01-01T00:00:00+00:00'
    """
    if text is None or not text.strip():
        return None
    match = _DURATION.fullmatch(text)
    if match and int(match.group(1)) > 0:
        delta = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        return (now or datetime.now(UTC)) - delta
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("since", text, "a duration such as 24h or 7d, or an ISO 8601 date") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def list_stories(
    settings: Settings,
    store: Backend,
    *,
    since: str | datetime | None = None,
    section: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Stories seen since ``since`` (most recent first), without their article lists."""
    if limit < 1:
        raise InvalidInput("limit", limit, "an integer >= 1")
    when = parse_since(since) if isinstance(since, str) else since
    found = open_stories(store, settings.store_url).list_stories(
        since=when, section=section, limit=limit, offset=offset
    )
    return [{k: v for k, v in s.to_dict().items() if k != "articles"} for s in found]


def show_story(settings: Settings, store: Backend, story_id: str) -> dict[str, Any]:
    """The story, its timeline (each article's id, time, headline and source) and its merges and splits;
    :class:`~newsdesk.errors.NotFound` when there is no such story."""
    stories = open_stories(store, settings.store_url)
    story = stories.get_story(story_id)
    briefs = {a.id: a for a in store.get_many([a for a, _ in story.articles])}
    timeline = [
        {
            "id": a,
            "at": t.isoformat(),
            "headline": briefs[a].headline if a in briefs else None,
            "source": briefs[a].source if a in briefs else None,
        }
        for a, t in story.articles
    ]
    shown = story.to_dict()
    shown["articles"] = timeline
    shown["events"] = [e.to_dict() for e in stories.story_events(story_id)]
    return shown
