"""``newsdesk eval stories`` on the committed UCI sample (embedder replaced by hashed character 3-grams):
the report holds the held-out folds, the one-shot baselines of the same run and the whole-file figure."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdesk.evaluate.harness import run_eval
from newsdesk.settings import Settings
from storyhelpers import SAMPLE, CharEmbedder


def test_the_stories_task_reports_bcubed_against_baselines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import newsdesk.nlp.embed as embed

    monkeypatch.setattr(embed, "embedder_for", lambda config: CharEmbedder())
    result = run_eval("stories", SAMPLE, Settings(home=tmp_path / "home"))
    assert result.task == "stories" and result.n == 255
    assert set(result.metrics) == {"precision", "recall", "f1"} and 0.5 < result.metrics["f1"] <= 1.0
    assert len(result.details["folds"]) == 3
    assert {
        "tfidf_average_linkage_held_out",
        "minilm_average_linkage_held_out",
        "tfidf_average_linkage_same_file",
        "minilm_average_linkage_same_file",
    } == set(result.baseline)
    assert result.details["incremental_default"]["stories"] >= 8
