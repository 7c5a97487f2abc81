"""Stories: articles about the same news event, grouped incrementally across sources and days.

- :mod:`~newsdesk.stories.cluster`: :class:`StoryClusterer`, one article at a time (join, merge, split,
  time gaps), deterministic given the input order;
- :mod:`~newsdesk.stories.lexical`: hashed words under a running IDF, the clusterer's lexical half;
- :mod:`~newsdesk.stories.model`: :class:`Story`, :class:`StoryEvent`, :class:`StoryItem`.

- :mod:`~newsdesk.stories.build`: :func:`build_stories` (settings, store) -> :class:`BuildSummary`, the
  incremental build from the archive that the CLI (``newsdesk stories build``) and the demo call;
- :mod:`~newsdesk.stories.store`: the :class:`StoryStore` protocol (SQL on SQLite and PostgreSQL);
- :mod:`~newsdesk.stories.service`: what ``newsdesk stories list|show`` and ``GET /stories`` call.

``newsdesk eval stories`` measures it (:mod:`newsdesk.evaluate.stories`).
"""

from __future__ import annotations

from newsdesk.stories.build import BuildSummary, build_stories
from newsdesk.stories.cluster import ClusterConfig, StoryClusterer
from newsdesk.stories.model import Story, StoryEvent, StoryItem, story_id_for
from newsdesk.stories.store import StoryStore

__all__ = [
    "BuildSummary",
    "ClusterConfig",
    "Story",
    "StoryClusterer",
    "StoryEvent",
    "StoryItem",
    "StoryStore",
    "build_stories",
    "story_id_for",
]
