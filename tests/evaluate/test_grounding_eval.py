"""The ``grounding`` evaluation on the committed SummaC samples (``tests/data/summac``: 6 consistent and 6
inconsistent items of each file), and its training helpers on synthetic rows."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from newsdesk.evaluate import run_eval
from newsdesk.evaluate.grounding import (
    SummacItem,
    balanced_accuracy,
    fit_model,
    fold_assignment,
    load_summac,
    out_of_fold,
)
from newsdesk.llm.grounding import FEATURES
from newsdesk.llm.grounding.model import SIGNS
from newsdesk.settings import Settings

SAMPLE = Path(__file__).parents[1] / "data" / "summac"


def test_load_summac_folder_and_file() -> None:
    items = load_summac(SAMPLE)
    assert len(items) == 36
    assert {i.file for i in items} == {"factcc", "summeval", "xsumfaith-dev"}
    assert all(sum(i.label for i in items if i.file == f) == 6 for f in ("factcc", "summeval"))
    assert not any("\\'" in i.claim for i in items)  # XSumFaith's escaped quotes undone
    assert not any(" ." in i.claim or " 's" in i.claim for i in items)  # SummEval's tokenisation undone
    assert len(load_summac(SAMPLE / "factcc.json", limit=5)) == 5


def test_load_summac_rejects_other_files(tmp_path: Path) -> None:
    from newsdesk.errors import UnreadableSource

    (tmp_path / "x.json").write_text(json.dumps({"a": {"text": "no claim"}}))
    with pytest.raises(UnreadableSource, match="not a SummaC file"):
        load_summac(tmp_path)
    with pytest.raises(UnreadableSource):
        load_summac(tmp_path / "empty-folder-does-not-exist")


def test_balanced_accuracy() -> None:
    assert balanced_accuracy([1, 1, 0, 0], [1, 1, 0, 0]) == 1.0
    assert balanced_accuracy([1, 1, 1, 0], [1, 1, 1, 1]) == 0.5
    assert balanced_accuracy([1, 0, 0, 0], [0, 0, 0, 1]) == pytest.approx(1 / 3, abs=1e-4)


def _synthetic(n: int = 120, seed: int = 0) -> tuple[list[list[float]], list[SummacItem]]:
    rng = random.Random(seed)
    rows, items = [], []
    for k in range(n):
        label = int(k % 3 != 0)
        support = rng.gauss(0.75 if label else 0.55, 0.1)
        flag = float(rng.random() < 0.2)
        row = [support if sign > 0 else flag for sign in SIGNS]
        row[FEATURES.index("log_length")] = rng.uniform(1, 4)  # no signal
        rows.append(row)
        items.append(SummacItem("f" + str(k % 2), str(k), "doc", "claim", label))
    return rows, items


def test_fit_model_keeps_signs_and_finds_a_threshold() -> None:
    rows, items = _synthetic()
    model = fit_model(rows, items, [False] * len(rows), [False] * len(rows))
    assert all(sign * c >= 0 for sign, c in zip(SIGNS, model.coef, strict=True))
    assert 0 < model.threshold < 1 and len(model.coef) == len(FEATURES)
    predicted = [int(model.probability(r) >= model.threshold) for r in rows]
    assert balanced_accuracy([i.label for i in items], predicted) > 0.75


def test_out_of_fold_never_trains_on_the_item() -> None:
    rows, items = _synthetic()
    folds = fold_assignment(items)
    assert sorted(set(folds)) == [0, 1, 2, 3, 4]
    for f in range(5):  # stratified: every fold holds items of each file and label
        assert {(i.file, i.label) for i, g in zip(items, folds, strict=True) if g == f} == {
            ("f0", 0),
            ("f0", 1),
            ("f1", 0),
            ("f1", 1),
        }
    probabilities, predicted = out_of_fold(rows, items, [False] * 120, [False] * 120)
    assert len(probabilities) == len(predicted) == 120
    assert balanced_accuracy([i.label for i in items], predicted) > 0.7


def test_grounding_eval_on_the_sample(nlp_settings: Settings) -> None:
    result = run_eval("grounding", SAMPLE, nlp_settings, limit=12)
    assert result.task == "grounding" and result.n == 36
    assert result.model.startswith("grounding@")
    keys = {
        "balanced_accuracy_factcc",
        "balanced_accuracy_summeval",
        "balanced_accuracy_xsumfaith",
        "balanced_accuracy_mean",
    }
    assert set(result.metrics) == keys
    assert set(result.baseline) == keys | {"name"}
    assert all(0.0 <= result.metrics[k] <= 1.0 and 0.0 <= result.baseline[k] <= 1.0 for k in keys)
    assert "bundled model" in result.details["protocol"]  # 6 items per class: too few to cross-validate
    assert result.details["items_per_file"] == {"factcc": 12, "summeval": 12, "xsumfaith-dev": 12}
    alarms = result.details["extractive_false_alarms"]  # 12 BBC articles with --limit 12
    assert alarms["articles"] == 12 and alarms["claims"] > 50 and alarms["rate"] <= 0.02
    json.loads(result.to_json())


def test_grounding_eval_on_one_file(nlp_settings: Settings) -> None:
    result = run_eval("grounding", SAMPLE / "summeval.json", nlp_settings, limit=5)
    assert result.n == 5 and set(result.metrics) == {"balanced_accuracy"}
    assert set(result.baseline) == {"balanced_accuracy", "name"}
