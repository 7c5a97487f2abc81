"""The ``drift`` evaluation on the committed 100-article BBC sample, with fewer splits than the full run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import newsdesk.evaluate.drift as drift_eval
from newsdesk.errors import InvalidInput
from newsdesk.evaluate import run_eval
from newsdesk.evaluate.drift import wilson
from newsdesk.settings import Settings

SAMPLE = Path(__file__).parents[1] / "data" / "sections" / "bbc"


def test_wilson_interval() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    low, high = wilson(4, 100)
    assert low < 0.04 < high and high - low < 0.1
    assert wilson(0, 50)[0] == 0.0 and wilson(50, 50)[1] == 1.0


def test_drift_eval_on_the_sample(nlp_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drift_eval, "SPLITS", 12)
    monkeypatch.setattr(drift_eval, "DRAWS", 4)
    result = run_eval("drift", SAMPLE, nlp_settings)
    data = json.loads(result.to_json())
    assert data["task"] == "drift" and data["n"] == 100
    metrics, baseline, details = data["metrics"], data["baseline"], data["details"]
    assert metrics["alpha"] == nlp_settings.monitor.alpha
    # 100 articles: one window size (50), and 40 articles a side for the section shift
    assert list(details["no_drift"]) == ["50"] and list(details["section_shift"]) == ["40"]
    assert details["no_drift"]["50"]["runs"] == 12 and details["section_shift"]["40"]["runs"] == 4
    assert metrics["false_alarm_ci95_low"] <= metrics["false_alarm_rate"] <= metrics["false_alarm_ci95_high"]
    assert metrics["false_alarm_rate"] <= baseline["false_alarm_rate"]  # the correction only removes alarms
    assert metrics["power"] == 1.0  # disjoint sections: every draw is detected
    assert metrics["false_alarm_rate"] <= 1 / 12


def test_drift_eval_needs_two_windows(nlp_settings: Settings) -> None:
    with pytest.raises(InvalidInput, match="at least 100 articles"):
        run_eval("drift", SAMPLE, nlp_settings, limit=60)
