"""Stories: articles about the same news event, grouped incrementally across sources and days.

- :mod:`~newsdesk.stories.cluster`: :class:`StoryClusterer`, one article at a time (join, merge, split,
  time gaps), deterministic given the input order;
- :mod:`~newsdesk.stories.lexical`: hashed words under a running IDF, the clusterer's lexical half;
- :mod:`~newsdesk.stories.model`: :class:`Story`, :class:`StoryEvent`, :class:`StoryItem`.

``newsdesk eval stories`` measures it (:mod:`newsdesk.evaluate.stories`).
"""

from __future__ import annotations

from newsdesk.stories.cluster import ClusterConfig, StoryClusterer
from newsdesk.stories.model import Story, StoryEvent, StoryItem, story_id_for

__all__ = ["ClusterConfig", "Story", "StoryClusterer", "StoryEvent", "StoryItem", "story_id_for"]
