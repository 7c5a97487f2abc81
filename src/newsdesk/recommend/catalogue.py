"""The archive as a :class:`~newsdesk.recommend.model.Catalogue`: every article a slate may show, with what
the models and the slate rules read of it.

- ``published``: the article's publication time (its ingest time is not known here, so NaN when none);
- ``topics``: its section, else its first top-level IPTC Media Topic, else '';
- ``stories``: the story the stories build put it in; an article outside every story is grouped with its
  near-duplicates (the ``near_duplicates`` component's matches, joined transitively), else stands alone;
- ``vectors``: the archive's embeddings of the configured model (zero rows where an article has none).

Reading the catalogue touches every article once; the recommendation service keeps it in memory and
reads it again when the archive's change token moves.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from newsdesk.recommend.model import Catalogue

if TYPE_CHECKING:
    from newsdesk.settings import Settings
    from newsdesk.store import Backend

__all__ = ["archive_catalogue"]

STORY_PAGE = 1_000


def archive_catalogue(settings: Settings, store: Backend, *, vectors: bool = True) -> Catalogue:
    """The catalogue of every article in ``store`` (see the module docstring); without ``vectors``, the
    embeddings are not read (what live-quality reports need)."""
    import numpy as np

    from newsdesk.nlp.embed import EmbedderConfig

    ids: list[str] = []
    published: list[float] = []
    topics: list[str] = []
    titles: list[str] = []
    for brief in _briefs(store):
        ids.append(brief.id)
        published.append(brief.published_at.timestamp() if brief.published_at else math.nan)
        topics.append(brief.section or "")
        titles.append(brief.headline)
    position = {a: i for i, a in enumerate(ids)}
    iptc = store.enrichments_of("iptc", [a for a, t in zip(ids, topics, strict=True) if not t])
    for article_id, tags in iptc.items():
        top = _top_topic(tags)
        if top:
            topics[position[article_id]] = top

    stories = _stories(settings, store, ids)
    model = EmbedderConfig.from_settings(settings).vector_model
    found, matrix = store.get_vectors(model) if vectors else ([], None)
    unit = has_vector = None
    if len(found):
        matrix = np.asarray(matrix, dtype=np.float32)
        unit = np.zeros((len(ids), matrix.shape[1]), dtype=np.float32)
        has_vector = np.zeros(len(ids), dtype=bool)
        rows = [position[a] for a in found if a in position]
        keep = [k for k, a in enumerate(found) if a in position]
        norms = np.linalg.norm(matrix[keep], axis=1, keepdims=True)
        unit[rows] = matrix[keep] / np.maximum(norms, 1e-12)
        has_vector[rows] = True
    return Catalogue(
        ids=ids,
        published=np.array(published, dtype=np.float64),
        topics=topics,
        stories=stories,
        vectors=unit,
        has_vector=has_vector,
        titles=titles,
    )


def _briefs(store: Backend) -> Any:
    ids = store.ids()
    for start in range(0, len(ids), 500):
        yield from store.briefs(ids[start : start + 500])


def _top_topic(tags: Any) -> str:
    if not isinstance(tags, list):
        return ""
    for tag in tags:
        if isinstance(tag, dict):
            ancestors = tag.get("ancestors") or []
            top = ancestors[0] if ancestors else tag
            if isinstance(top, dict) and top.get("label"):
                return str(top["label"])
    return ""


def _stories(settings: Settings, store: Backend, ids: list[str]) -> list[str]:
    """Each article's story id, else its near-duplicate set's smallest id, else its own id."""
    from newsdesk.stories.store import open_stories

    parent = {a: a for a in ids}

    def find(a: str) -> str:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for article_id, matches in store.enrichment_values("near_duplicates"):
        if article_id not in parent or not isinstance(matches, list):
            continue
        for m in matches:
            other = m.get("id") if isinstance(m, dict) else None
            if other in parent:
                x, y = find(article_id), find(str(other))
                if x != y:
                    parent[max(x, y)] = min(x, y)
    story_of: dict[str, str] = {}
    stories = open_stories(store, settings.store_url)
    offset = 0
    while True:
        page = stories.list_stories(limit=STORY_PAGE, offset=offset)
        for story in page:
            for article_id, _ in story.articles:
                story_of[article_id] = story.id
        if len(page) < STORY_PAGE:
            break
        offset += STORY_PAGE
    # a near-duplicate set takes the story of any of its members, so a wire copy shares its original's story
    group_story: dict[str, str] = {}
    for a in ids:
        if a in story_of:
            group_story.setdefault(find(a), story_of[a])
    return [story_of.get(a) or group_story.get(find(a)) or f"dup:{find(a)}" for a in ids]
