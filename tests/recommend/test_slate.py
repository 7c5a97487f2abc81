"""The slate rules: read articles filtered, one per story, diversity over topics and vectors, freshness,
editorial pins and exclusions, the age horizon."""

from __future__ import annotations

import math

import numpy as np
import pytest

from newsdesk.errors import InvalidInput
from newsdesk.recommend.model import Catalogue
from newsdesk.recommend.slate import SlateRules, build_slate
from newsdesk.settings import RecommendSettings

DAY = 86400.0
NOW = 100 * DAY


def catalogue(vectors: np.ndarray | None = None) -> Catalogue:
    # ten articles: a..e in sport (a and b one story), f..h politics, i..j tech; published a day apart
    ids = list("abcdefghij")
    topics = ["sport"] * 5 + ["politics"] * 3 + ["tech"] * 2
    stories = ["s-ab", "s-ab", "c", "d", "e", "f", "g", "h", "i", "j"]
    published = np.array([NOW - k * DAY for k in range(10)], dtype=np.float64)
    return Catalogue(ids, published, topics, stories, vectors=vectors)


def scored() -> list[tuple[str, float]]:
    # the model loves sport: relevance falls from a to j
    return [(a, 10.0 - k) for k, a in enumerate("abcdefghij")]


def ids(slate: list) -> list[str]:
    return [s.article_id for s in slate]


def test_read_articles_are_filtered_and_one_article_per_story() -> None:
    rules = SlateRules(n=5, diversity=0.0, freshness=0.0, max_age_days=1e6)
    slate = build_slate(scored(), catalogue(), rules=rules, history=["c"], at=NOW)
    assert "c" not in ids(slate)
    assert ids(slate) == ["a", "d", "e", "f", "g"]  # b shares a's story
    everything = build_slate(
        scored(),
        catalogue(),
        rules=SlateRules(n=10, diversity=0.0, freshness=0.0, max_age_days=1e6, one_per_story=False),
        at=NOW,
    )
    assert ids(everything)[:2] == ["a", "b"]


def test_diversity_spreads_topics_where_relevance_alone_would_not() -> None:
    plain = build_slate(
        scored(), catalogue(), rules=SlateRules(n=3, diversity=0.0, freshness=0.0, max_age_days=1e6), at=NOW
    )
    varied = build_slate(
        scored(), catalogue(), rules=SlateRules(n=3, diversity=0.5, freshness=0.0, max_age_days=1e6), at=NOW
    )
    assert {s.topic for s in plain} == {"sport"}
    assert {s.topic for s in varied} == {"sport", "politics", "tech"}
    assert varied[0].article_id == "a"  # the most relevant still leads


def test_vectors_count_as_similarity_too() -> None:
    # no topics: d is a near copy of a by vector, so diversity prefers e after a
    vectors = np.eye(10, dtype=np.float32)
    vectors[3] = vectors[0]
    cat = catalogue(vectors)
    cat.topics = [""] * 10
    slate = build_slate(
        scored(),
        cat,
        rules=SlateRules(n=3, diversity=0.5, freshness=0.0, max_age_days=1e6, one_per_story=True),
        history=["b", "c"],
        at=NOW,
    )
    assert ids(slate)[0] == "a"
    assert "d" not in ids(slate)


def test_freshness_lifts_new_articles() -> None:
    reversed_scores = [(a, float(k)) for k, a in enumerate("abcdefghij")]  # the model prefers old ones
    stale = build_slate(
        reversed_scores,
        catalogue(),
        rules=SlateRules(n=1, diversity=0.0, freshness=0.0, max_age_days=1e6),
        at=NOW,
    )
    fresh = build_slate(
        reversed_scores,
        catalogue(),
        rules=SlateRules(n=1, diversity=0.0, freshness=1.0, max_age_days=1e6),
        at=NOW,
    )
    assert ids(stale) == ["j"] and ids(fresh) == ["a"]


def test_age_horizon_pins_and_exclusions() -> None:
    rules = SlateRules(
        n=4,
        diversity=0.0,
        freshness=0.0,
        max_age_days=3.5,
        pins=("j", "x", "c"),
        exclusions=frozenset({"a"}),
        excluded_sections=frozenset({"politics"}),
    )
    slate = build_slate(scored(), catalogue(), rules=rules, history=["c"], at=NOW)
    # pins first (an unknown pin and a read one are skipped), even past the horizon; then b, d by relevance;
    # a is excluded, e is older than 3.5 days
    assert ids(slate) == ["j", "b", "d"]
    assert slate[0].reason == "pinned" and math.isnan(slate[0].relevance)
    assert all(s.reason == "recommended" for s in slate[1:])


def test_unscored_candidates_rank_last_and_unknown_ones_are_skipped() -> None:
    given = [("zz", 99.0), ("a", math.nan), ("b", 1.0)]
    slate = build_slate(
        given,
        catalogue(),
        rules=SlateRules(n=5, diversity=0.0, freshness=0.0, max_age_days=1e6, one_per_story=False),
        at=NOW,
    )
    assert ids(slate) == ["b", "a"]
    assert slate[1].to_dict()["score"] is None


def test_rules_from_settings_and_bad_rules() -> None:
    settings = RecommendSettings(slate_size=7, pins=["p1"], exclusions=["x"], diversity=0.4)
    rules = SlateRules.from_settings(settings)
    assert (rules.n, rules.pins, rules.exclusions, rules.diversity) == (7, ("p1",), frozenset({"x"}), 0.4)
    with pytest.raises(InvalidInput, match="diversity"):
        SlateRules(diversity=1.5)
    with pytest.raises(InvalidInput, match="n: 0"):
        SlateRules(n=0)
