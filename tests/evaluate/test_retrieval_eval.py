"""The ``retrieval`` evaluation: shape and sanity on the committed 15-article BBC sample and 12 XSum records;
the full BBC News Summary run against its MRR@10 target is a quality gate (``test_quality_gates.py``)."""

from __future__ import annotations

import json
from pathlib import Path

from newsdesk.evaluate import run_eval
from newsdesk.settings import Settings

DATA = Path(__file__).parents[1] / "data"
SAMPLE = DATA / "summaries"


def test_eval_on_the_committed_sample(nlp_settings: Settings) -> None:
    result = run_eval("retrieval", SAMPLE, nlp_settings).to_dict()
    json.dumps(result)
    assert result["task"] == "retrieval" and result["n"] == 15
    assert set(result["baseline"]) == {"text", "vector"}
    for scores in (result["metrics"], result["baseline"]["text"], result["baseline"]["vector"]):
        assert 0.0 <= scores["mrr@10"] <= 1.0
        assert scores["recall@1"] <= scores["recall@10"]
    # fifteen articles, each summary an extract of its own article: every mode finds nearly all of them
    assert result["metrics"]["mrr@10"] >= 0.9


def test_eval_on_an_xsum_sample(nlp_settings: Settings) -> None:
    """Abstractive one-sentence summaries as queries (paraphrases, not extracts)."""
    result = run_eval("retrieval", DATA / "xsum" / "dev.jsonl", nlp_settings).to_dict()
    assert result["n"] == 12 and result["details"]["queries"].startswith("xsum")
    assert result["metrics"]["mrr@10"] >= 0.8
