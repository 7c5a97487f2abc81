"""The action a drift alert suggests names what moved: the sources whose share changed, else the test's own
account of the change (one source alone is always 100% of both windows)."""

from __future__ import annotations

from newsdesk.monitor.checks import _drift_checks
from newsdesk.monitor.drift import DriftReport, DriftTest


def report(*tests: DriftTest) -> DriftReport:
    return DriftReport("reference", "current", 200, 200, 0.05, list(tests))


def length_test(drifted: bool = True) -> DriftTest:
    moved = "articles got shorter: median 410 -> 120 words, 31% -> 88% under 150 words"
    return DriftTest("length", "input", 0.7, 1e-9, 0.7, 0.01, drifted, {"moved": moved})


def test_a_single_source_names_what_moved_instead_of_shares() -> None:
    [check] = _drift_checks(report(length_test()), {"wire": {"reference": 1.0, "current": 1.0}})
    assert check.status == "alert"
    assert "100%->100%" not in check.action and "largest shifts" not in check.action
    assert "articles got shorter: median 410 -> 120 words" in check.action
    assert "no source's share" in check.action


def test_sources_whose_share_moved_are_named() -> None:
    sources = {
        "wire": {"reference": 0.5, "current": 0.8},
        "blog": {"reference": 0.3, "current": 0.1},
        "desk": {"reference": 0.2, "current": 0.1},
        "still": {"reference": 0.0012, "current": 0.0014},  # 0% -> 0%: not a shift
    }
    [check] = _drift_checks(report(length_test()), sources)
    assert "largest shifts: wire 50%->80%, blog 30%->10%, desk 20%->10%" in check.action
    assert "still" not in check.action


def test_no_action_without_drift() -> None:
    [check] = _drift_checks(report(length_test(drifted=False)), {"wire": {"reference": 1.0, "current": 1.0}})
    assert (check.status, check.action) == ("ok", "")


def test_a_test_without_a_moved_detail_is_named() -> None:
    test = DriftTest("missing:byline", "input", 0.0, 1e-6, 0.4, 0.01, True, {})
    [check] = _drift_checks(report(test), {"wire": {"reference": 1.0, "current": 1.0}})
    assert "investigate what changed (missing:byline)" in check.action
