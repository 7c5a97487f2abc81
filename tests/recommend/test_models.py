"""The contract every recommendation model kind meets (fit, score, top, save/load, no reader ids), on a
synthetic MIND-format sample (``tests/mindsample.py``), and what each kind is for (cold start, new articles,
co-clicks, folding readers in)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mindsample import write_mind_sample
from newsdesk.errors import NotFitted
from newsdesk.evaluate.recommend import news_vectors
from newsdesk.recommend.mind import catalogue_from_mind, impression_events, read_behaviors, read_news
from newsdesk.recommend.model import Catalogue, ReaderEvent, Recommender
from newsdesk.recommend.models import (
    MODELS,
    CoClickRecommender,
    ContentRecommender,
    HybridRecommender,
    ImplicitMFRecommender,
    ItemModel,
    PopularityRecommender,
    load_model,
)

SALT = "test-salt"
SMALL_MF = {"factors": 8, "iterations": 5}

MAKERS: dict[str, Callable[[], Any]] = {
    "popularity": PopularityRecommender,
    "coclick": CoClickRecommender,
    "content": ContentRecommender,
    "mf": lambda: ImplicitMFRecommender(**SMALL_MF),
    "hybrid": lambda: HybridRecommender(params={"mf": SMALL_MF}),
}


@pytest.fixture(scope="module")
def mind(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic MIND-format dataset of 200 impressions (the folder holding ``MINDsmall_train/``)."""
    return write_mind_sample(tmp_path_factory.mktemp("mind"), impressions=200, seed=0)


@pytest.fixture(scope="module")
def sample(mind: Path) -> tuple[list[Any], list[ReaderEvent], Catalogue]:
    impressions = sorted(read_behaviors(mind, salt=SALT), key=lambda i: i.at)
    news = read_news(mind)
    catalogue = catalogue_from_mind(impressions, news)
    catalogue.vectors = news_vectors(news, catalogue.ids, dims=16)
    catalogue.has_vector = np.linalg.norm(catalogue.vectors, axis=1) > 0
    return impressions, impression_events(impressions[:150]), catalogue


@pytest.fixture(scope="module")
def fitted(sample: tuple[list[Any], list[ReaderEvent], Catalogue]) -> dict[str, Any]:
    _, events, catalogue = sample
    return {name: make().fit(events, catalogue) for name, make in MAKERS.items()}


def test_the_registry_holds_every_kind() -> None:
    assert set(MODELS) == set(MAKERS)
    for name, cls in MODELS.items():
        assert cls.name == name


@pytest.mark.parametrize("name", MAKERS)
def test_unfitted_models_say_so(name: str) -> None:
    model = MAKERS[name]()
    for call in (
        lambda: model.score(["N1"], ["N2"], datetime.now(UTC)),
        lambda: model.top([], datetime.now(UTC), 5),
        lambda: model.save("/nonexistent"),
    ):
        with pytest.raises(NotFitted):
            call()


@pytest.mark.parametrize("name", MAKERS)
def test_score_and_top_follow_the_contract(name: str, fitted: dict[str, Any], sample: Any) -> None:
    impressions, _, catalogue = sample
    model = fitted[name]
    assert isinstance(model, Recommender)
    imp = impressions[-1]
    scores = model.score(list(imp.history), [*imp.candidates, "NOT-AN-ARTICLE"], imp.at)
    assert scores.shape == (len(imp.candidates) + 1,) and scores.dtype == float
    assert math.isnan(scores[-1])
    history = list(impressions[0].history)
    exclude = [catalogue.ids[0]]
    top = model.top(history, imp.at, 10, exclude=exclude)
    ids = [a for a, _ in top]
    assert 0 < len(ids) <= 10 and len(set(ids)) == len(ids)
    assert not set(ids) & {*history, *exclude}
    values = [s for _, s in top]
    assert values == sorted(values, reverse=True)


@pytest.mark.parametrize("name", MAKERS)
def test_save_load_round_trip_without_reader_ids(
    name: str, fitted: dict[str, Any], sample: Any, mind: Path, tmp_path: Path
) -> None:
    impressions, _, _ = sample
    model = fitted[name]
    folder = model.save(tmp_path / name)
    again = load_model(folder)
    assert type(again) is type(model)
    for imp in impressions[150:160]:
        a = model.score(list(imp.history), list(imp.candidates), imp.at)
        b = again.score(list(imp.history), list(imp.candidates), imp.at)
        np.testing.assert_allclose(a, b, rtol=1e-6, equal_nan=True)
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files and {p.suffix for p in files} <= {".json", ".npz"}
    readers = {i.reader for i in impressions}
    raw = {line.split("\t")[1] for line in (mind / "MINDsmall_train/behaviors.tsv").read_text().splitlines()}
    assert len(raw) > 100 and all(r.startswith("U") for r in raw)
    for path in files:
        data = path.read_bytes()
        for reader in readers | raw:
            assert reader.encode() not in data, f"{path.name} holds reader id {reader}"


def test_popularity_prefers_what_is_clicked_per_showing() -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    cat = Catalogue(["hit", "shown", "new"], np.zeros(3), [""] * 3, ["hit", "shown", "new"])
    events = []
    for i in range(20):
        events.append(ReaderEvent(f"r{i}", "shown", "impression", t, impression=f"s{i}"))
        events.append(ReaderEvent(f"r{i}", "hit", "impression", t, impression=f"s{i}"))
        if i % 2:
            events.append(ReaderEvent(f"r{i}", "hit", "click", t, impression=f"s{i}"))
    model = PopularityRecommender().fit(events, cat)
    assert [a for a, _ in model.top([], t, 3)] == ["hit", "new", "shown"]  # never shown: the base rate
    later = model.partial_fit([ReaderEvent("r", "shown", "click", t + timedelta(hours=1), impression="x")])
    assert later.score([], ["shown"], t)[0] > 0


def _two_tribes() -> tuple[list[ReaderEvent], Catalogue, datetime]:
    """Readers of politics click p0..p5, readers of sport s0..s5."""
    t = datetime(2026, 1, 1, tzinfo=UTC)
    ids = [f"p{i}" for i in range(6)] + [f"s{i}" for i in range(6)]
    rng = np.random.default_rng(0)
    events = []
    for r in range(60):
        tribe = "p" if r % 2 else "s"
        for i in rng.choice(6, 4, replace=False):
            events.append(ReaderEvent(f"r{r}", f"{tribe}{i}", "click", t))
    return events, Catalogue(ids, np.zeros(len(ids)), [""] * len(ids), ids), t


@pytest.mark.parametrize("cls", [CoClickRecommender, ImplicitMFRecommender])
def test_collaborative_models_follow_the_reader(cls: type[ItemModel]) -> None:
    events, cat, t = _two_tribes()
    model: Any = cls(**({"factors": 4} if cls is ImplicitMFRecommender else {}))
    model.fit(events, cat)
    scores = model.score(["p0", "p1"], ["p2", "s2"], t)
    assert scores[0] > scores[1]
    assert np.isnan(model.score([], ["p2"], t)).all()  # no history: nothing known


def test_also_read_and_online_coclicks() -> None:
    events, cat, t = _two_tribes()
    model = CoClickRecommender().fit(events, cat)
    assert {a for a, _ in model.also_read("p0", 3)} <= {f"p{i}" for i in range(6)}
    assert model.also_read("nowhere") == []
    fresh = Catalogue([*cat.ids, "new"], np.zeros(len(cat) + 1), [""] * (len(cat) + 1), [*cat.ids, "new"])
    model = CoClickRecommender().fit(events, fresh)
    assert np.isnan(model.score(["p0"], ["new"], t)[0])
    model.learn(["p0", "p1"], ["new", "s1"], ["new"])
    assert model.score(["p0"], ["new"], t)[0] > 0


def test_cold_start_reader_gets_popularity(fitted: dict[str, Any], sample: Any) -> None:
    impressions, _, _ = sample
    at = impressions[-1].at
    hybrid, popularity = fitted["hybrid"], fitted["popularity"]
    assert [a for a, _ in hybrid.top([], at, 10)] == [a for a, _ in popularity.top([], at, 10)]


def test_new_article_with_a_vector_is_scored_by_content(sample: Any) -> None:
    _, events, catalogue = sample
    have = np.flatnonzero(catalogue.has_vector)
    read, similar, other = (catalogue.ids[i] for i in have[:3])
    vectors = np.vstack([catalogue.vectors, catalogue.vectors[have[0]] + 0.01])
    cat = Catalogue(
        [*catalogue.ids, "JUST-PUBLISHED"],
        np.r_[catalogue.published, np.nan],
        [*catalogue.topics, ""],
        [*catalogue.stories, "JUST-PUBLISHED"],
        vectors=vectors,
        has_vector=np.r_[catalogue.has_vector, True],
    )
    at = datetime(2019, 11, 15, tzinfo=UTC)
    content = ContentRecommender().fit(events, cat)
    scores = content.score([read], ["JUST-PUBLISHED", similar, other], at)
    assert np.isfinite(scores).all() and scores[0] == scores.max()
    hybrid = HybridRecommender(params={"mf": SMALL_MF}).fit(events, cat)
    mixed = hybrid.score([read], ["JUST-PUBLISHED", similar, other], at)
    assert np.isfinite(mixed[0]) and mixed[0] == mixed.max()
    # and a vector added after fitting is recommendable at once
    content.add("MINUTE-OLD", cat.vectors[have[0]])
    assert content.top([read], at, 1)[0][0] == "MINUTE-OLD"


def test_top_is_fast_at_100k_articles() -> None:
    rng = np.random.default_rng(0)
    n = 100_000
    ids = [f"a{i}" for i in range(n)]
    vectors = rng.normal(size=(n, 32)).astype(np.float32)
    cat = Catalogue(ids, np.zeros(n), [""] * n, ids, vectors=vectors)
    t = datetime(2026, 1, 1, tzinfo=UTC)
    events = [
        ReaderEvent(f"r{r}", ids[a], kind, t, impression=f"i{r}")
        for r in range(3000)
        for a in rng.integers(0, n, 5)
        for kind in ("impression", "click")
    ]
    history = ids[:30]
    for model in (
        PopularityRecommender(),
        CoClickRecommender(),
        ContentRecommender(),
        ImplicitMFRecommender(8, iterations=2),
    ):
        model.fit(events, cat)
        model.top(history, t, 10)
        started = time.perf_counter()
        for _ in range(10):
            model.top(history, t, 10)
        per_call = (time.perf_counter() - started) / 10
        assert per_call < 0.010, f"{model.name}: {per_call * 1000:.1f} ms per top()"  # ~1-3 ms measured
