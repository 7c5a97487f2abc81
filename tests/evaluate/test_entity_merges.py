"""``entity-merges``: the committed, self-labelled BBC mention set is well formed and large enough, the
pairwise scores are right, and the task runs (on a few of its articles) with its baseline beside it."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from newsdesk.evaluate.entity_merges import load_mentions, pairwise
from newsdesk.evaluate.harness import run_eval
from newsdesk.settings import Settings

DATASET = Path(__file__).resolve().parents[1] / "data" / "entity-mentions" / "bbc-entity-mentions.jsonl"


def test_the_labelled_set() -> None:
    rows = load_mentions(DATASET)
    entities = [r for r in rows if r["type"] != "none"]
    assert len(entities) >= 300
    assert {r["type"] for r in rows} == {"person", "organisation", "place", "none"}
    assert all(r["gold"].split(":", 1)[0] == r["type"] for r in entities)
    assert len({(r["article_id"], r["surface"]) for r in rows}) == len(rows)  # one line per form per article
    assert len({r["article_id"] for r in rows}) >= 40
    golds = Counter(r["gold"] for r in entities)
    assert golds["person:tony-blair"] >= 8 and golds["person:michael-howard"] >= 8


def test_pairwise_scores() -> None:
    assert pairwise(["a", "a", "b", "b"], ["x", "x", "x", "y"]) == {
        "precision": 0.5,
        "recall": 0.3333,
        "f1": 0.4,
        "pairs_predicted": 2,
        "pairs_gold": 3,
        "pairs_correct": 1,
    }
    assert pairwise(["a", "b"], ["x", "y"])["precision"] == 1.0  # nothing merged, nothing wrong


def test_the_task_runs_with_its_baseline(nlp_settings: Settings) -> None:
    result = run_eval("entity-merges", DATASET, nlp_settings, limit=4)
    assert result.details["articles"] == 4 and result.n > 20
    assert set(result.metrics) >= {"precision", "recall", "f1"}
    assert result.baseline["exact_string_match"]["precision"] <= 1.0
    assert result.metrics["recall"] > result.baseline["exact_string_match"]["recall"]
    assert "self-labelled" in json.dumps(result.details)
