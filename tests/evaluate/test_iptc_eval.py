"""The ``iptc-zeroshot`` evaluation on the committed AG News sample (JSON shape, the mapping, better than
chance); the full run on the 3,780 AG News rows against the 85% target is a quality gate
(``test_quality_gates.py``, targets in ``newsdesk.evaluate.targets``)."""

from __future__ import annotations

import json
from pathlib import Path

from newsdesk.evaluate.harness import run_eval
from newsdesk.evaluate.iptc import AG_MAPPING, ag_class_of
from newsdesk.nlp.iptc import IptcTagger
from newsdesk.nlp.taxonomy import Taxonomy
from newsdesk.settings import Settings

SAMPLE = Path(__file__).parents[1] / "data" / "iptc" / "ag-news-sample.csv"
CLASSES = ["World", "Sports", "Business", "Sci/Tech"]


def test_mapping_covers_the_taxonomy(nlp_settings: Settings) -> None:
    tax = Taxonomy.bundled()
    assert {c.qcode for c in tax.top_level()} <= set(AG_MAPPING)
    assert all(tax.get(q).active for q in AG_MAPPING)
    index = IptcTagger.from_settings(nlp_settings).index
    by_label = {c.label: ag_class_of(index, i) for i, c in enumerate(index.concepts)}
    assert len(by_label) > 1000 and set(by_label.values()) == {1, 2, 3, 4}
    assert by_label["tennis"] == 2 and by_label["corporate earnings"] == 3 and by_label["election"] == 1
    assert by_label["software and applications"] == 4  # under economy, but AG files it as Sci/Tech
    assert by_label["insider trading"] == 3  # under crime, but business news


def test_eval_on_the_sample(nlp_settings: Settings) -> None:
    result = run_eval("iptc-zeroshot", SAMPLE, nlp_settings)
    data = json.loads(result.to_json())
    assert set(data) >= {"task", "dataset", "n", "model", "metrics", "baseline", "details", "seconds"}
    assert data["task"] == "iptc-zeroshot" and data["n"] == 200 and data["model"].startswith("iptc@1+")
    metrics, baseline, details = data["metrics"], data["baseline"], data["details"]
    for scores in (metrics, baseline, details["zero_shot_without_adaptation"]):
        assert 0.0 <= scores["macro_f1"] <= 1.0 and 0.0 <= scores["accuracy"] <= 1.0
        assert set(scores["per_class_accuracy"]) == set(CLASSES)
    assert 0.0 <= metrics["ece"] <= 1.0 and 0.25 <= metrics["mean_confidence"] <= 1.0
    matrix = details["confusion"]["matrix"]
    assert details["confusion"]["labels"] == CLASSES
    assert [sum(row) for row in matrix] == [50, 50, 50, 50]  # the sample has 50 rows per class
    assert sum(matrix[i][i] for i in range(4)) == round(metrics["accuracy"] * 200)
    # 200 rows are too few to self-train on: the tagger stays zero-shot, and still far better than chance
    assert details["adaptation"]["articles"] == 0
    assert metrics["accuracy"] >= 0.6 > 0.25

