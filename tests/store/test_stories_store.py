"""Stories as data, on every backend: a build's stories, removals, events and state are kept together;
stories list by recency, section and time; events are found from either side."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from newsdesk.errors import NotFound
from newsdesk.settings import Settings
from newsdesk.store import Backend
from newsdesk.stories.model import Story, StoryEvent
from newsdesk.stories.store import StoryStore, open_stories

T0 = datetime(2014, 3, 10, 16, tzinfo=UTC)


@pytest.fixture
def stories(store: Backend, settings: Settings) -> StoryStore:
    return open_stories(store, settings.store_url)


def _story(story_id: str, hours: int, section: str | None = "business", size: int = 2) -> Story:
    arts = [(f"{story_id}-a{i}", T0 + timedelta(hours=hours + i)) for i in range(size)]
    return Story(
        story_id,
        f"Label of {story_id}",
        arts[0][1],
        arts[-1][1],
        arts,
        summary="A summary.",
        entities=["Fed"],
        topics=["economy"],
        section=section,
        version="cluster@1",
    )


def test_the_store_protocol_is_met(stories: StoryStore) -> None:
    assert isinstance(stories, StoryStore)


def test_a_build_round_trips(stories: StoryStore) -> None:
    assert stories.clusterer_state() is None
    a, b = _story("st-a", 0), _story("st-b", 5, section="tech", size=3)
    merge = StoryEvent("merge", "st-a", ("st-old",), ("x1", "x2"), T0, 0.31)
    stories.save_build([a, b], [], [merge], ("cluster@1", b"\x00state\xff"))
    assert stories.get_story("st-a") == a
    assert stories.get_story("st-b").articles == b.articles
    assert [s.id for s in stories.list_stories()] == ["st-b", "st-a"]
    assert [s.id for s in stories.list_stories(section="tech")] == ["st-b"]
    assert [s.id for s in stories.list_stories(since=T0 + timedelta(hours=3))] == ["st-b"]
    assert [s.id for s in stories.list_stories(limit=1, offset=1)] == ["st-a"]
    assert stories.story_events() == [merge]
    assert stories.story_events("st-old") == [merge] and stories.story_events("st-b") == []
    assert stories.clusterer_state() == ("cluster@1", b"\x00state\xff")
    with pytest.raises(NotFound):
        stories.get_story("st-missing")


def test_a_later_build_updates_removes_and_appends(stories: StoryStore) -> None:
    stories.save_build([_story("st-a", 0), _story("st-b", 1)], [], [], ("v1", b"1"))
    grown = _story("st-a", 0, size=4)
    split = StoryEvent("split", "st-a", ("st-c",), ("y",), T0, 0.01)
    stories.save_build([grown, _story("st-c", 2)], ["st-b"], [split], ("v1", b"2"))
    assert stories.get_story("st-a").size == 4
    assert {s.id for s in stories.list_stories()} == {"st-a", "st-c"}
    assert stories.clusterer_state() == ("v1", b"2")
    assert stories.story_events("st-c") == [split]
    stories.clear_stories()
    assert stories.list_stories() == [] and stories.clusterer_state() is None
    assert stories.story_events() == []
