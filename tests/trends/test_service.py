"""Trends read from a store: real Reuters background counts (March 1987) stored as enrichments, a planted
harbour strike found on its day and not before, every kind, and what is refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from newsdesk.errors import InvalidInput
from newsdesk.settings import Settings
from newsdesk.store import open_store
from newsdesk.store.base import ArticleStore
from newsdesk.trends import TrendSpec, find_trends, hour_of, parse_hours, top_trends
from newsdesk.trends.service import count_store
from trendseed import BURST, BURST_DAY, BURST_ENTITY, seed


@pytest.fixture
def seeded(store: ArticleStore) -> ArticleStore:
    seed(store)
    return store


def test_planted_story_trends_on_its_day_over_real_background(seeded: ArticleStore) -> None:
    report = top_trends(seeded, as_of=BURST_DAY + timedelta(days=1), baseline="13d", limit=5)
    assert report.articles > 500 and report.baseline_articles > 4000
    top = [(t.kind, t.key) for t in report.trends]
    assert top[0] == ("entity", BURST_ENTITY)
    burst = report.trends[0]
    assert burst.count == 12 and burst.baseline == 0 and sum(burst.hourly[9:17]) == 12
    # the strike's phrase and topic ride on the same twelve articles: folded into one entry
    assert burst.related == [BURST, BURST] and ("keyphrase", BURST) not in top
    unfolded = find_trends(
        count_store(
            seeded,
            ["keyphrase", "entity"],
            since=BURST_DAY - timedelta(days=13),
            until=BURST_DAY + timedelta(days=1),
        ),
        hour_of(BURST_DAY + timedelta(days=1)),
        TrendSpec(baseline_hours=12 * 24),
        fold=1.01,
    )
    assert [(t.kind, t.key) for t in unfolded[:2]] == [("entity", BURST_ENTITY), ("keyphrase", BURST)]
    assert report.empty_kinds == ["story"]  # no story enrichment in this workspace: skipped, not an error
    day_before = top_trends(seeded, as_of=BURST_DAY, baseline="12d")
    assert "harbour strike" not in {t.key for t in day_before.trends}


def test_one_kind_and_latest(seeded: ArticleStore) -> None:
    report = top_trends(seeded, kind="keyphrase", as_of="latest", baseline="13d", limit=3)
    assert report.kinds == ["keyphrase"] and len(report.trends) <= 3
    assert report.trends[0].key == "harbour strike"
    assert top_trends(seeded, kind="story", as_of="latest").trends == []


def test_refusals(store: ArticleStore) -> None:
    with pytest.raises(InvalidInput, match="kind"):
        top_trends(store, kind="weather")
    with pytest.raises(InvalidInput, match="window"):
        top_trends(store, window="soon")
    with pytest.raises(InvalidInput, match="as_of"):
        top_trends(store, as_of="yesterday")
    assert parse_hours("3d") == 72


def test_monitoring_report_section(seeded: ArticleStore, tmp_path: Path) -> None:
    from newsdesk.monitor.report import trends_section

    page = trends_section(seeded)  # type: ignore[arg-type]  # the test store is a backend
    assert "<h2>Trends</h2>" in page and page.count("<svg") == 2
    assert "entity: dock-workers-union (+ harb" in page  # bar labels are cut at 34 characters
    empty = open_store(Settings(home=tmp_path / "empty"))
    try:
        assert "Nothing is rising" in trends_section(empty)
    finally:
        empty.close()


def test_stories_trend_when_the_story_enrichment_exists(store: ArticleStore) -> None:
    seed(store, stories=True)
    report = top_trends(store, kind="story", as_of=BURST_DAY + timedelta(days=1), baseline="13d", limit=3)
    assert report.empty_kinds == []
    assert (report.trends[0].key, report.trends[0].label) == ("st-harbour", "Harbour strike")


def test_story_values_in_every_shape() -> None:
    from newsdesk.trends.keys import story_keys

    assert story_keys("st-1") == [("st-1", "st-1")]
    assert story_keys({"story_id": "st-2"}) == [("st-2", "st-2")]
    assert story_keys([{"id": "st-3", "label": "Fed"}, "st-4"]) == [("st-3", "Fed"), ("st-4", "st-4")]
    assert story_keys(None) == [] and story_keys({"label": "no id"}) == []
