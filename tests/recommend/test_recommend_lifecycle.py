"""Each recommendation model kind through the lifecycle: trained on the newsroom's own reader events (the
BBC sample's archive with simulated readers), evaluated on the later impressions, gated with its kind's
default gates, registered and promoted; a worse challenger refused; the hybrid champion then served by
the recommendation service under its registered name."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsdesk.errors import GateFailed
from newsdesk.lifecycle.evaluation import evaluate_version
from newsdesk.lifecycle.promote import promote
from newsdesk.lifecycle.serving import Champions
from newsdesk.lifecycle.train import train_model
from newsdesk.recommend.demo import simulate_readers
from newsdesk.recommend.lifecycle import impressions_from_events
from newsdesk.recommend.service import Recommendations, recommend_for
from newsdesk.recommend.store import open_events
from newsdesk.settings import Settings
from newsdesk.store import open_store

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
KINDS = ["popularity", "coclick", "content", "mf", "hybrid"]


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory: pytest.TempPathFactory, archive_home: Path) -> Settings:
    import shutil

    home = tmp_path_factory.mktemp("recommend-lifecycle") / "home"
    shutil.copytree(archive_home, home)
    settings = Settings(home=home)
    settings.lifecycle.reload_seconds = 0.0
    store = open_store(settings)
    try:
        simulate_readers(settings, store, readers=250, now=datetime.now(UTC))
    finally:
        store.close()
    return settings


def test_store_events_become_impressions_with_earlier_reads_as_history(newsroom: Settings) -> None:
    store = open_store(newsroom)
    try:
        events = list(open_events(store, newsroom.store_url).events())
    finally:
        store.close()
    impressions = impressions_from_events(events)
    assert len(impressions) > 500
    for imp in impressions[:200]:
        assert len(imp.candidates) == len(imp.labels) and sum(imp.labels) >= 1
        mine = [e for e in events if e.reader == imp.reader and e.kind == "click" and e.at < imp.at]
        assert set(imp.history) <= {e.article_id for e in mine}
    assert [i.at for i in impressions] == sorted(i.at for i in impressions)


def test_every_kind_is_trained_gated_and_promoted(newsroom: Settings) -> None:
    store = open_store(newsroom)
    try:
        results = {
            kind: train_model(newsroom, f"recommend-{kind}", actor="t", store=store, params={"tune": "false"})
            for kind in KINDS
        }
    finally:
        store.close()
    for kind, result in results.items():
        assert result.ref == f"newsdesk-recommend-{kind}@1"
        assert 0.5 < result.metrics["auc"] <= 1.0, (kind, result.metrics)
        report = evaluate_version(newsroom, f"recommend-{kind}", 1, actor="t")
        assert report.passed, report.summary()
        promote(newsroom, f"recommend-{kind}", 1, actor="t")
    # the learned models beat the editors' default on readers with section tastes
    assert results["hybrid"].metrics["auc"] > results["popularity"].metrics["auc"]

    # a challenger that knows nothing (every part weighted 0 but popularity, decayed to nothing in an hour,
    # without its click-through prior) is refused against the champion
    store = open_store(newsroom)
    try:
        worse = train_model(
            newsroom,
            "recommend-hybrid",
            actor="t",
            store=store,
            params={
                "tune": "false",
                "weight.coclick": 0,
                "weight.content": 0,
                "weight.mf": 0,
                "popularity.half_life_hours": 0.01,
                "popularity.ctr_prior": 0,
            },
        )
    finally:
        store.close()
    assert worse.metrics["auc"] < results["hybrid"].metrics["auc"]
    with pytest.raises(GateFailed, match="auc"):
        promote(newsroom, "recommend-hybrid", 2, actor="t")

    # the service serves the promoted hybrid, by name and version
    store = open_store(newsroom)
    champions = Champions(newsroom)
    try:
        engine = Recommendations(newsroom, store, champions)
        out = recommend_for(engine, "demo-reader-0001", n=5)
        assert out["model"] == "newsdesk-recommend-hybrid@1"
        assert len(out["items"]) == 5
    finally:
        champions.close()
        store.close()
