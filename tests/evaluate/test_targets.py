"""The targets table and its checks: figures, bounds taken from the same result, mappings, missing figures,
pending targets, and the message a regression prints."""

from __future__ import annotations

import pytest

from newsdesk.errors import InvalidInput
from newsdesk.evaluate.harness import EvalResult
from newsdesk.evaluate.targets import TARGETS, Target, check


def _result(**metrics: object) -> EvalResult:
    return EvalResult(
        task="sections",
        dataset="bbc",
        n=2127,
        model="m",
        metrics={"accuracy": 0.9831, "ece": 0.0069, "per_class": {"a": 0.9, "b": 0.6}, **metrics},
        baseline={"accuracy": 0.9779},
    )


def test_a_number_bound() -> None:
    [verdict] = Target("sections", "metrics.accuracy", ">=", 0.978, source="t").check(_result())
    assert verdict.met and not verdict.failed and verdict.value == 0.9831 and verdict.limit == 0.978
    assert str(verdict) == "sections metrics.accuracy = 0.9831, target >= 0.978: met"


def test_a_regression_prints_figure_and_target() -> None:
    [verdict] = Target("sections", "metrics.accuracy", ">=", 0.978).check(_result(accuracy=0.9712))
    assert verdict.failed
    assert str(verdict) == "sections metrics.accuracy = 0.9712, target >= 0.978: MISSED"


def test_a_bound_from_the_same_result_with_an_offset() -> None:
    target = Target("sections", "metrics.accuracy", ">", "baseline.accuracy", 0.01)
    [verdict] = target.check(_result())
    assert verdict.limit == pytest.approx(0.9879) and not verdict.met
    assert str(verdict) == (
        "sections metrics.accuracy = 0.9831, target > baseline.accuracy + 0.01 (0.9879): MISSED"
    )


def test_a_mapping_checks_every_value() -> None:
    verdicts = Target("sections", "metrics.per_class", ">=", 0.7).check(_result())
    assert [(v.figure, v.met) for v in verdicts] == [
        ("metrics.per_class.a", True),
        ("metrics.per_class.b", False),
    ]


def test_a_missing_figure_or_bound_is_missed() -> None:
    [verdict] = Target("sections", "metrics.recall", ">=", 0.5).check(_result())
    assert verdict.value is None and verdict.failed and "= missing" in str(verdict)
    [verdict] = Target("sections", "metrics.accuracy", ">=", "baseline.recall").check(_result())
    assert verdict.failed


def test_a_pending_target_is_reported_not_gated() -> None:
    [verdict] = Target("sections", "metrics.accuracy", ">=", 0.985, pending=True).check(_result())
    assert not verdict.met and not verdict.failed
    assert str(verdict).endswith("not met yet (pending)")


def test_unknown_comparison() -> None:
    with pytest.raises(InvalidInput, match="op"):
        Target("sections", "metrics.accuracy", "~", 0.9)  # type: ignore[arg-type]


def test_check_takes_the_task_rows_of_the_table() -> None:
    verdicts = check(_result())
    rows = [t for t in TARGETS if t.task == "sections"]
    assert len(verdicts) == len(rows) and {v.task for v in verdicts} == {"sections"}
    assert check(EvalResult("no-such-task", "", 0, "", {}, {})) == []
