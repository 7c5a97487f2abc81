"""Building stories from a store of real UCI headlines: incremental builds equal one build from scratch,
the ``story`` enrichment is traced to ``story@version``, and a new clustering version re-clusters."""

from __future__ import annotations

from newsdesk.settings import Settings
from newsdesk.store import Backend
from newsdesk.stories.build import COMPONENT, build_stories
from newsdesk.stories.cluster import ClusterConfig
from newsdesk.stories.store import open_stories
from storyhelpers import CharEmbedder, sample_articles

CONFIG = ClusterConfig(join=0.3, merge=0.2, embedding_weight=0.5)


def _stories(settings: Settings, store: Backend) -> dict[str, list[str]]:
    found = open_stories(store, settings.store_url).list_stories(limit=1000)
    return {s.id: [a for a, _ in s.articles] for s in found}


def test_builds_in_steps_equal_one_build_from_scratch(settings: Settings, store: Backend) -> None:
    articles = sample_articles()
    half = len(articles) // 2
    store.upsert(articles[:half])
    first = build_stories(settings, store, config=CONFIG, embedder=CharEmbedder())
    assert first.added == half and not first.rebuilt
    store.upsert(articles[half:])
    second = build_stories(settings, store, config=CONFIG, embedder=CharEmbedder())
    assert second.added == len(articles) - half
    stepwise = _stories(settings, store)
    assert build_stories(settings, store, config=CONFIG, embedder=CharEmbedder()).added == 0

    again = build_stories(settings, store, config=CONFIG, embedder=CharEmbedder(), rebuild=True)
    assert again.rebuilt and again.added == len(articles)
    # tolerance: none here, the articles arrive in the same order (all of the first half is older)
    assert _stories(settings, store) == stepwise
    assert sum(len(m) for m in stepwise.values()) == len(articles)


def test_each_article_carries_its_story_as_an_enrichment(settings: Settings, store: Backend) -> None:
    store.upsert(sample_articles(60))
    summary = build_stories(settings, store, config=CONFIG, embedder=CharEmbedder())
    stories = open_stories(store, settings.store_url)
    story = stories.list_stories(limit=1)[0]
    article = store.get(story.articles[0][0])
    enrichment = article.enrichments[COMPONENT]
    assert enrichment.value == {"story_id": story.id}
    assert enrichment.ref == f"story@{summary.version}"
    assert story.label in {store.get(a).headline for a, _ in story.articles}
    assert story.section and story.summary and story.first_seen <= story.last_seen


def test_a_new_version_reclusters_and_rewrites_the_enrichments(settings: Settings, store: Backend) -> None:
    store.upsert(sample_articles(60))
    old = build_stories(settings, store, config=CONFIG, embedder=CharEmbedder())
    new = build_stories(settings, store, config=ClusterConfig(join=0.35), embedder=CharEmbedder())
    assert new.rebuilt and new.version != old.version and new.added == 60
    versions = {store.get(a).enrichments[COMPONENT].version for a in store.ids()}
    assert versions == {new.version}


def test_merges_are_recorded_in_the_store(settings: Settings, store: Backend) -> None:
    store.upsert(sample_articles())
    summary = build_stories(settings, store, config=CONFIG, embedder=CharEmbedder())
    events = open_stories(store, settings.store_url).story_events()
    assert summary.merges == sum(e.action == "merge" for e in events) > 0
