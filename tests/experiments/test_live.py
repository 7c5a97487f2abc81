"""The live readout of an experiment from its hourly buckets, and Thompson-sampling allocation weights."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from scipy.stats import binomtest

from newsdesk.errors import InvalidInput
from newsdesk.experiments import msprt, pairwise_vs_reference, prob_b_beats_a, two_proportion_ztest
from newsdesk.experiments.live import allocation_weights, read_experiment, variant_totals, wilson_interval
from newsdesk.experiments.model import BucketCounts, Experiment, new_experiment

T0 = datetime(2026, 12, 1, 8, tzinfo=UTC)


def experiment(n: int = 2, **kwargs: Any) -> Experiment:
    texts = ["Cuts bite", "What the budget means", "Five things", "A <script>x</script>"][:n]
    return new_experiment(
        kind="headline", name="Budget", variants=texts, owner="ana", experiment_id="e1", **kwargs
    )


def hourly(key: str, counts: list[tuple[int, int]], **rails: list[int]) -> list[BucketCounts]:
    return [
        BucketCounts("e1", key, T0 + timedelta(hours=h), n, c, {k: v[h] for k, v in rails.items()})
        for h, (n, c) in enumerate(counts)
    ]


def test_two_variants_read_out_like_the_library() -> None:
    e = experiment()
    buckets = hourly("A", [(5000, 100)] * 4) + hourly("B", [(5000, 130)] * 4)
    r = read_experiment(e, buckets, now=T0 + timedelta(hours=5))
    a, b = r.variants
    assert (a.trials, a.successes, b.trials, b.successes) == (20_000, 400, 20_000, 520)
    assert (a.ci_low, a.ci_high) == pytest.approx(binomtest(400, 20_000).proportion_ci(method="wilson"))
    z = two_proportion_ztest(400, 20_000, 520, 20_000, alpha=e.alpha)
    assert r.fixed_horizon is not None and r.fixed_horizon.test == "z-test"
    assert r.fixed_horizon.p_value == pytest.approx(z.p_value)
    assert r.fixed_horizon.comparisons[0].difference == pytest.approx(z.difference)
    assert b.prob_best == pytest.approx(prob_b_beats_a(400, 20_000, 520, 20_000), abs=0.005)
    track = r.sequential[0]
    direct = msprt(
        np.cumsum([100] * 4), np.cumsum([5000] * 4), np.cumsum([130] * 4), np.cumsum([5000] * 4), tau=e.tau
    )
    assert [look.p_value for look in track.looks] == pytest.approx(direct.p_values.tolist())
    assert [look.ci_low for look in track.looks] == pytest.approx(direct.ci_low.tolist())
    assert track.rejected and r.recommendation.summary == "stop: B wins" and r.recommendation.variant == "B"


def test_zero_traffic_says_no_data_yet() -> None:
    r = read_experiment(experiment(3, planned_size=1000), [], now=T0)
    assert r.recommendation.summary == "no data yet" and r.recommendation.action == "keep running"
    assert r.fixed_horizon is None and r.sequential == () and r.progress == 0
    assert all(v.rate is None and v.prob_best is None for v in r.variants)
    json.dumps(r.to_dict(), allow_nan=False)


def test_a_variant_without_traffic_is_waited_for() -> None:
    e = experiment(3, guardrails=["unsubscribes"])
    buckets = hourly("A", [(1000, 20)], unsubscribes=[1]) + hourly("B", [(1000, 60)], unsubscribes=[1])
    r = read_experiment(e, buckets, now=T0 + timedelta(hours=1))
    assert r.variants[2].rate is None and r.variants[2].prob_best is None
    assert r.fixed_horizon is None
    assert [t.variant for t in r.sequential] == ["B"]
    assert {c.variant: c.status for c in r.guardrails}["C"] == "no data yet"
    assert r.recommendation.action == "keep running"
    assert any("no data yet for C" in reason for reason in r.recommendation.reasons)
    json.dumps(r.to_dict(), allow_nan=False)


def test_more_variants_get_chi_square_and_holm_against_the_control() -> None:
    e = experiment(3)
    buckets = hourly("A", [(3000, 60)]) + hourly("B", [(3000, 66)]) + hourly("C", [(3000, 100)])
    r = read_experiment(e, buckets, now=T0 + timedelta(hours=1))
    assert r.fixed_horizon is not None and r.fixed_horizon.test == "chi-square"
    expected = pairwise_vs_reference([60, 66, 100], [3000, 3000, 3000], reference=0)
    got = {c.variant: c.p_adjusted for c in r.fixed_horizon.comparisons}
    assert got == pytest.approx({"B": expected[0].p_adjusted, "C": expected[1].p_adjusted})
    # The sequential tests split alpha over the two treatments.
    assert all(t.alpha == pytest.approx(0.025) for t in r.sequential)


def test_the_first_look_waits_for_both_arms_and_an_empty_ci_is_json_ready() -> None:
    buckets = hourly("A", [(100, 0), (100, 0), (100, 3)]) + hourly("B", [(0, 0), (100, 0), (100, 2)])
    r = read_experiment(experiment(), buckets, now=T0 + timedelta(hours=3))
    track = r.sequential[0]
    assert [look.bucket for look in track.looks] == [T0 + timedelta(hours=1), T0 + timedelta(hours=2)]
    assert track.looks[0].ci_high == float("inf")
    d = r.to_dict()
    assert d["sequential"][0]["looks"][0]["ci_high"] is None
    json.dumps(d, allow_nan=False)


def test_buckets_after_now_are_left_out() -> None:
    buckets = hourly("A", [(100, 5), (100, 5)]) + hourly("B", [(100, 5), (100, 5)])
    r = read_experiment(experiment(), buckets, now=T0 + timedelta(minutes=30))
    assert r.variants[0].trials == 100 and r.notes


def test_a_harmful_winner_is_not_shipped() -> None:
    e = experiment(guardrails=[{"name": "unsubscribes", "tolerance": 0.1}])
    buckets = hourly("A", [(20_000, 400)], unsubscribes=[200]) + hourly(
        "B", [(20_000, 520)], unsubscribes=[400]
    )
    r = read_experiment(e, buckets, now=T0 + timedelta(hours=1))
    assert r.sequential[0].rejected
    (check,) = r.guardrails
    assert check.status == "fail" and check.margin == pytest.approx(0.1 * 0.01)
    assert r.recommendation.summary == "stop: A wins"


def test_a_harmless_winner_passes_its_guardrails() -> None:
    e = experiment(
        guardrails=[{"name": "unsubscribes", "tolerance": 0.2}, {"name": "scroll", "higher_is_better": True}]
    )
    buckets = hourly("A", [(100_000, 2000)], unsubscribes=[1000], scroll=[50_000]) + hourly(
        "B", [(100_000, 2300)], unsubscribes=[1000], scroll=[50_100]
    )
    r = read_experiment(e, buckets, now=T0 + timedelta(hours=1))
    assert {c.name: c.status for c in r.guardrails} == {"unsubscribes": "pass", "scroll": "pass"}
    assert r.recommendation.summary == "stop: B wins"


def test_an_unproven_guardrail_keeps_it_running() -> None:
    e = experiment(guardrails=["unsubscribes"])
    buckets = hourly("A", [(20_000, 400)], unsubscribes=[10]) + hourly(
        "B", [(20_000, 520)], unsubscribes=[10]
    )
    r = read_experiment(e, buckets, now=T0 + timedelta(hours=1))
    assert r.guardrails[0].status == "inconclusive"
    assert r.recommendation.action == "keep running"


def test_planned_size_reached_without_a_difference() -> None:
    e = experiment(planned_size=10_000)
    buckets = hourly("A", [(10_000, 200)]) + hourly("B", [(10_000, 201)])
    r = read_experiment(e, buckets, now=T0 + timedelta(hours=1))
    assert r.progress == 1.0 and r.recommendation.summary == "stop: no difference"


def test_a_a_streams_rarely_declare_a_winner() -> None:
    rng = np.random.default_rng(8)
    e = experiment()
    wins = 0
    streams = 150
    for _ in range(streams):
        counts = rng.binomial(400, 0.03, size=(2, 48))
        buckets = hourly("A", [(400, int(c)) for c in counts[0]]) + hourly(
            "B", [(400, int(c)) for c in counts[1]]
        )
        wins += read_experiment(e, buckets, now=T0 + timedelta(days=3)).recommendation.action == "stop"
    assert wins / streams <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / streams)


def test_refusals() -> None:
    e = experiment()
    with pytest.raises(InvalidInput, match="experiment_id"):
        read_experiment(e, [BucketCounts("other", "A", T0, 1, 0)], now=T0)
    with pytest.raises(InvalidInput, match="variant"):
        read_experiment(e, [BucketCounts("e1", "Z", T0, 1, 0)], now=T0)
    with pytest.raises(InvalidInput, match="now"):
        read_experiment(e, [], now=datetime(2026, 1, 1))


def test_wilson_matches_scipy() -> None:
    for c, n in [(0, 20), (3, 20), (20, 20), (150, 10_000)]:
        assert wilson_interval(c, n) == pytest.approx(binomtest(c, n).proportion_ci(method="wilson"))


def test_even_allocation_and_thompson_before_traffic_are_even() -> None:
    assert (
        allocation_weights(experiment(3), {"A": (1000, 10), "B": (1000, 90), "C": (1000, 10)}) == [1 / 3] * 3
    )
    e = experiment(3, allocation="thompson")
    assert allocation_weights(e, {"A": (1000, 10), "B": (1000, 90)}) == [1 / 3] * 3


def test_thompson_weights_are_the_holdout_plus_prob_best() -> None:
    e = experiment(2, allocation="thompson", holdout=0.2)
    w = allocation_weights(e, {"A": (3000, 60), "B": (3000, 75)})
    p_b = prob_b_beats_a(60, 3000, 75, 3000)
    assert sum(w) == pytest.approx(1.0)
    assert w[1] == pytest.approx(0.1 + 0.8 * p_b, abs=0.01)
    assert min(w) >= 0.1
    assert w == allocation_weights(e, {"A": (3000, 60), "B": (3000, 75)})  # seeded


def test_variant_totals_sum_the_buckets() -> None:
    buckets = hourly("A", [(10, 1), (20, 2)])
    assert variant_totals(experiment(), buckets) == {"A": (30, 3), "B": (0, 0)}


def test_the_readout_is_traceable_to_its_inputs() -> None:
    e = experiment()
    buckets = hourly("A", [(100, 5), (100, 6)]) + hourly("B", [(100, 7), (100, 8)])
    now = T0 + timedelta(hours=3)
    r = read_experiment(e, buckets, now=now)
    assert r.component == "newsdesk.experiments.live.v1" and len(r.input_hash) == 64
    assert read_experiment(e, buckets[::-1], now=now).input_hash == r.input_hash  # order does not matter
    assert read_experiment(e, buckets[:-1], now=now).input_hash != r.input_hash
