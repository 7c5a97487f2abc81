"""Incremental story clustering on real UCI headlines: same input order, same stories; merges and splits
recorded; time gaps start new stories."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from newsdesk.errors import InvalidInput
from newsdesk.evaluate.stories import bcubed
from newsdesk.stories.cluster import ClusterConfig, StoryClusterer
from newsdesk.stories.model import StoryItem
from storyhelpers import sample_items

CONFIG = ClusterConfig(join=0.3, merge=0.2, embedding_weight=0.5)


def test_a_rerun_from_scratch_on_the_same_order_gives_the_same_stories_and_events() -> None:
    items, gold = sample_items()
    first, second = StoryClusterer(CONFIG), StoryClusterer(CONFIG)
    first.add_many(items)
    second.add_many(items)
    assert first.assignment == second.assignment  # tolerance: none, the clustering is deterministic
    assert first.events == second.events
    assert bcubed(first.labels(i.article_id for i in items), gold)["f1"] > 0.6


def test_adding_one_article_at_a_time_equals_a_batch() -> None:
    items, _ = sample_items()
    batch = StoryClusterer(CONFIG)
    batch.add_many(items)
    single = StoryClusterer(CONFIG)
    for item in items:
        single.add(item)
    assert single.stories() == batch.stories()


def test_merges_are_recorded_and_moved_articles_follow() -> None:
    items, _ = sample_items()
    c = StoryClusterer(CONFIG)
    c.add_many(items)
    merges = [e for e in c.events if e.action == "merge"]
    assert merges
    stories = c.stories()
    for e in merges:
        assert e.score >= CONFIG.merge and e.others[0] not in stories
        assert all(c.assignment[a] in stories for a in e.articles)
    assert sum(len(m) for m in stories.values()) == len(items)


def _unit(*xs: float) -> np.ndarray:
    v = np.asarray(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_a_drifting_story_splits_and_the_split_is_recorded() -> None:
    cfg = ClusterConfig(join=0.3, merge=0.9, split=0.5, embedding_weight=1.0, min_split=3, split_every=1)
    t0 = datetime(2014, 3, 10, tzinfo=UTC)
    c = StoryClusterer(cfg)
    # a story on e1, then articles half-way (joins), then articles that drift to e2
    vectors = [_unit(1, 0.05 * i, 0) for i in range(4)] + [_unit(0.55, 1, 0)] * 2 + [_unit(0.1, 1, 0.1)] * 4
    for i, v in enumerate(vectors):
        c.add(StoryItem(f"a{i}", t0 + timedelta(hours=i), v, ""))
    splits = [e for e in c.events if e.action == "split"]
    assert splits, c.stories()
    split = splits[0]
    assert split.score < cfg.split
    assert {c.assignment["a0"], c.assignment["a9"]} == {split.story_id, split.others[0]}
    assert c.assignment["a0"] == split.story_id  # the story keeps the half with its first article


def test_the_same_topic_after_the_gap_is_a_new_story() -> None:
    items, _ = sample_items()
    c = StoryClusterer(CONFIG)
    first = c.add(items[0])
    later = replace(items[0], article_id="later", at=items[0].at + timedelta(days=CONFIG.gap_days + 1))
    assert c.add(later) != first
    soon = replace(items[0], article_id="soon", at=items[0].at + timedelta(days=1))
    assert c.add(soon) in {first, c.assignment["later"]}


def test_thresholds_are_checked() -> None:
    with pytest.raises(InvalidInput, match="split"):
        ClusterConfig(merge=0.2, split=0.3)
    with pytest.raises(InvalidInput, match="embedding_weight"):
        ClusterConfig(embedding_weight=2.0)


def test_the_saved_state_resumes_exactly_and_is_not_a_pickle() -> None:
    """Half the headlines, saved and loaded (``stories.state``), then the other half: the same stories and
    events as one uninterrupted run, across merges and the vectors of merged-away stories."""
    import pickle

    from newsdesk.stories import state

    items, _ = sample_items()
    whole = StoryClusterer(CONFIG)
    whole.add_many(items)
    half = len(items) // 2
    first = StoryClusterer(CONFIG)
    first.add_many(items[:half])
    assert any(e.action == "merge" for e in first.events)  # the saved state holds merged-away rows
    events = list(first.events)
    resumed = state.loads(state.dumps(first))
    resumed.add_many(items[half:])
    assert resumed.assignment == whole.assignment
    assert events + resumed.events == whole.events
    assert resumed.stories() == whole.stories()
    with pytest.raises(InvalidInput, match="story_state"):
        state.loads(pickle.dumps(first))
    with pytest.raises(InvalidInput, match="story_state"):
        state.loads(b"not a state")
