"""``newsdesk eval recommend`` on a synthetic MIND-format sample (200 impressions, ``tests/mindsample.py``;
MIND itself may not be redistributed): the protocol runs end to end and reports every model's figures. The
full-dataset figures are gated by ``test_quality_gates.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from mindsample import write_mind_sample
from newsdesk.evaluate import run_eval
from newsdesk.evaluate.recommend import split_by_time
from newsdesk.recommend.mind import read_behaviors
from newsdesk.settings import Settings

IMPRESSIONS = 200
ACCURACY = {"auc", "mrr", "ndcg@5", "ndcg@10", "impressions", "skipped"}
BEYOND = {
    "coverage",
    "intra_list_diversity",
    "diversity_slates",
    "novelty",
    "freshness_hours",
    "single_topic_share",
}


@pytest.fixture(scope="module")
def mind(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic MIND-format dataset (the folder holding ``MINDsmall_train/``)."""
    return write_mind_sample(tmp_path_factory.mktemp("mind"), impressions=IMPRESSIONS, seed=0)


@pytest.fixture(scope="module")
def result(mind: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    settings = Settings(home=tmp_path_factory.mktemp("home"))
    return run_eval("recommend", mind, settings).to_dict()


def test_every_model_is_reported(result: dict) -> None:
    assert result["task"] == "recommend"
    assert set(result["metrics"]) == ACCURACY | BEYOND == set(result["baseline"])
    models = result["details"]["models"]
    assert set(models) == {"popularity", "popularity-clicks", "coclick", "content", "mf", "hybrid", "random"}
    for figures in models.values():
        assert set(figures) == ACCURACY | BEYOND
        assert 0 <= figures["auc"] <= 1 and 0 <= figures["ndcg@10"] <= 1
    # the same figures of the slates a reader would see (the rankings through the service's slate rules)
    assert set(result["details"]["slates"]) == set(models)
    for figures in result["details"]["slates"].values():
        assert set(figures) == BEYOND and 0 < figures["coverage"] <= 1
    assert result["n"] == models["hybrid"]["impressions"] > 0
    assert result["metrics"] == models["hybrid"] and result["baseline"] == models["popularity"]
    # the sample's articles differ in appeal, so recent click-through beats the random floor
    assert models["popularity"]["auc"] > models["random"]["auc"]
    assert models["popularity"]["ndcg@10"] > models["random"]["ndcg@10"]


def test_the_protocol_is_recorded(result: dict) -> None:
    details = result["details"]
    assert details["split"]["train"] + details["split"]["test"] == IMPRESSIONS
    assert details["split"]["train_period"][1] < details["split"]["cut"]
    assert set(details["chosen"]) == {"popularity", "coclick", "mf", "hybrid"}
    assert details["validation"]["impressions"]["validation"] > 0
    assert 0 < details["knowledge"]["candidates_known_to_content"] < 1
    assert "online" in details


def test_the_split_is_by_time_and_never_splits_a_second(mind: Path) -> None:
    impressions = read_behaviors(mind, salt="s")
    early, late = split_by_time(impressions, 0.8)
    assert len(early) + len(late) == IMPRESSIONS and 150 <= len(early) <= 160
    assert max(i.at for i in early) < min(i.at for i in late)
    # a cut that would fall between two impressions of the same second moves before both
    ordered = sorted(impressions, key=lambda i: (i.at, i.impression_id))
    tie = next(j for j in range(len(ordered) - 1) if ordered[j].at == ordered[j + 1].at)
    early, late = split_by_time(impressions, (tie + 1.5) / len(ordered))
    assert len(early) <= tie and late[0].at == ordered[tie].at
