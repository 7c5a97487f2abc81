"""Build stories from the archive, incrementally: :func:`build_stories`.

A build reads the articles no story holds yet, in publication order (then id), embeds their headline and
lede with the project's embedder, and adds them one at a time to the :class:`~newsdesk.stories.cluster.
StoryClusterer` saved by the previous build. It then writes, in one transaction of the story store, the
stories it changed (described by :mod:`newsdesk.stories.describe`), the stories merged away, the new merge
and split events and the clusterer's state; and a ``story`` enrichment (``{"story_id": ...}``) for every
article whose story changed, under ``story@<version>``.

The version names the clustering: code, thresholds and embedding model. When it differs from the saved
state's (a new model, new thresholds), the build re-clusters from scratch, so every ``story`` enrichment is
rewritten under the new version, as with any other component.

Call it from a demo or a schedule::

    from newsdesk.stories.build import build_stories
    summary = build_stories(settings, store)   # BuildSummary; summary.to_dict() for JSON
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from newsdesk.errors import InvalidInput
from newsdesk.stories import state as story_state
from newsdesk.stories.cluster import ClusterConfig, StoryClusterer
from newsdesk.stories.describe import describe_story, lede
from newsdesk.stories.model import StoryItem
from newsdesk.stories.store import StoryStore, open_stories

_log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from newsdesk.articles.model import Article
    from newsdesk.settings import Settings
    from newsdesk.store import Backend

__all__ = ["CODE_VERSION", "COMPONENT", "BuildSummary", "build_stories", "clustering_version"]

COMPONENT = "story"
CODE_VERSION = "1"
_DESCRIBE_READS = 20  # latest members read for a story's entities, topics and sections


@dataclass
class BuildSummary:
    """What a build did."""

    version: str
    added: int
    stories: int
    changed: int
    removed: int
    merges: int
    splits: int
    rebuilt: bool
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def clustering_version(config: ClusterConfig, model: str) -> str:
    """``<code>.<model>.<hash of the thresholds>``: what the ``story`` enrichments are recorded under."""
    digest = hashlib.sha256(json.dumps(asdict(config), sort_keys=True).encode()).hexdigest()[:10]
    return f"{CODE_VERSION}.{model}.{digest}"


def _when(article: Article) -> datetime:
    return article.published_at or article.ingested_at or datetime.fromtimestamp(0, UTC)


def _text(article: Article) -> str:
    first = lede(article)
    return f"{article.headline}\n{first}" if first else article.headline


def build_stories(
    settings: Settings,
    store: Backend,
    *,
    config: ClusterConfig | None = None,
    embedder: Any = None,
    rebuild: bool = False,
) -> BuildSummary:
    """Add the archive's new articles to stories (see the module docstring); returns what changed."""
    from newsdesk.nlp.embed import EmbedderConfig, embedder_for

    started = time.perf_counter()
    config = config or ClusterConfig()
    embedder = embedder or embedder_for(EmbedderConfig.from_settings(settings))
    version = clustering_version(config, str(embedder.identity))
    stories = open_stories(store, settings.store_url)
    saved = stories.clusterer_state()
    rebuilt = saved is not None and (rebuild or saved[0] != version)
    clusterer: StoryClusterer | None = None
    if saved is not None and not rebuilt:
        try:
            clusterer = story_state.loads(saved[1])
        except InvalidInput as exc:  # an older format (a pickle) or a damaged row: stories are derived data
            _log.warning("the stored story state cannot be read (%s): re-clustering the archive", exc)
            rebuilt = True
    if clusterer is None:
        if rebuilt:
            stories.clear_stories()
        clusterer = StoryClusterer(config)

    before = dict(clusterer.assignment)
    known = set(before)
    new_ids = [i for i in store.ids() if i not in known]
    new = sorted(store.get_many(new_ids), key=lambda a: (_when(a), a.id))
    vectors = embedder.encode([_text(a) for a in new]) if new else []
    clusterer.events = []
    for article, vector in zip(new, vectors, strict=True):
        clusterer.add(StoryItem(article.id, _when(article), vector, _text(article)))

    moved = [a for a, s in clusterer.assignment.items() if before.get(a) != s]
    members = clusterer.stories()
    changed = sorted({clusterer.assignment[a] for a in moved})
    removed = sorted(set(before.values()) - set(members))
    described = [_describe(store, clusterer, s, members[s], version) for s in changed]
    events = list(clusterer.events)
    clusterer.events = []
    saved_state = (version, story_state.dumps(clusterer))
    _write(store, stories, described, removed, events, saved_state, moved, version)
    return BuildSummary(
        version=version,
        added=len(new),
        stories=len(members),
        changed=len(changed),
        removed=len(removed),
        merges=sum(e.action == "merge" for e in events),
        splits=sum(e.action == "split" for e in events),
        rebuilt=rebuilt,
        seconds=round(time.perf_counter() - started, 2),
    )


def _describe(
    store: Backend, clusterer: StoryClusterer, story: str, members: list[tuple[str, datetime]], version: str
) -> Any:
    central = store.get(clusterer.central(story))
    latest = [a for a, _ in members[-_DESCRIBE_READS:]]
    articles = [store.get(a) for a in latest]
    return describe_story(story, members, central, articles, version)


def _write(
    store: Backend,
    stories: StoryStore,
    described: list[Any],
    removed: list[str],
    events: list[Any],
    state: tuple[str, bytes],
    moved: list[str],
    version: str,
) -> None:
    from newsdesk.articles.model import Enrichment
    from newsdesk.store.base import EnrichmentWrite

    now = datetime.now(UTC)
    hashes = {a.id: a.content_hash for a in store.get_many(moved)}
    clusterer_of = {a: s.id for s in described for a, _ in s.articles}
    writes = [
        EnrichmentWrite(
            a,
            [
                Enrichment(
                    component=COMPONENT,
                    version=version,
                    value={"story_id": clusterer_of[a]},
                    created_at=now,
                    input_hash=hashes.get(a),
                )
            ],
        )
        for a in moved
        if a in clusterer_of
    ]
    with store.transaction():
        store.write_enrichments(writes)
        stories.save_build(described, removed, events, state)
