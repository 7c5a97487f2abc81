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


def test_a_state_that_cannot_be_read_is_never_unpickled_and_the_archive_is_reclustered(
    settings: Settings, store: Backend
) -> None:
    """An older build's pickled state (or a damaged row) is not loaded: the build re-clusters instead."""
    import pickle

    store.upsert(sample_articles(60))
    first = build_stories(settings, store, config=CONFIG, embedder=CharEmbedder())
    before = _stories(settings, store)
    stories = open_stories(store, settings.store_url)
    stories.save_build([], [], [], (first.version, pickle.dumps({"not": "a state"})))
    again = build_stories(settings, store, config=CONFIG, embedder=CharEmbedder())
    assert again.rebuilt and again.added == 60
    assert _stories(settings, store) == before
    saved = stories.clusterer_state()
    assert saved is not None and saved[1][:2] == b"PK"  # an npz archive, read without pickle


def test_story_trends_are_named_by_the_stored_story_label(settings: Settings, store: Backend) -> None:
    """``trends.story_labels`` (used by the CLI, the API, the report and the demo) names a story trend by
    the built story's label; other kinds and unknown stories keep their own label."""
    from newsdesk.trends import top_trends
    from newsdesk.trends.service import story_labels

    store.upsert(sample_articles())
    build_stories(settings, store, config=CONFIG, embedder=CharEmbedder())
    label = story_labels(settings, store)
    biggest = open_stories(store, settings.store_url).list_stories(limit=1)[0]
    assert label("story", biggest.id) == biggest.label
    assert label("story", "st-not-stored") is None and label("entity", biggest.id) is None
    report = top_trends(store, kind="story", window="6h", as_of="latest", labels=label, limit=20)
    stored = {s.id: s.label for s in open_stories(store, settings.store_url).list_stories(limit=1000)}
    assert report.trends and all(t.label == stored[t.key] for t in report.trends)
