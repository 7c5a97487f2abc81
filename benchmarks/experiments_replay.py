"""Validating newsdesk.experiments on the Upworthy Research Archive's exploratory headline tests.

Seven checks, on the tests outside the weeks whose randomisation the archive flags as unreliable
(test_week 201326..201402) and without the archive's two-winner anomaly:

1. agreement of a fixed-horizon verdict (chi-square over all packages at alpha, then the best package
   against every other by z-tests with Holm's correction; a winner only when all are significant) with the
   archive's ``winner`` flags, per test;
2. the A/A false positive rate under peeking: both arms get a test's pooled click rate and its mean
   impressions per package, seen at ``--looks`` looks; the mSPRT's always-valid p-value against a
   fixed-horizon z-test checked at every look;
3. Thompson sampling replayed on each test's observed click rates (taken as the truth) over the test's
   total impressions: clicks gained against an even split, and how often the best package is identified;
4. tau chosen from past tests: :func:`tau_from_history` on the tests of the earlier weeks, then the mSPRT's
   power and mean sample size on the later weeks' tests at that tau and at multiples of it (and at the
   default), so one sees whether the archive's own choice is near the best;
5. power and sample size saved: each test's first two packages replayed as a stream (Bernoulli at their
   observed rates, ``--seeds`` streams per test) watched every ``--look-every`` impressions per arm up to the
   test's planned horizon (its mean impressions per package); the mSPRT's power (share of streams rejecting
   by the horizon) and mean sample size at stopping, against a fixed-horizon z-test of the same power (the
   horizon scaled by one factor over all tests until its mean power equals the mSPRT's). Over all tests, and
   over the tests with a real difference (the pair's z-test significant on the archive's counts);
6. the A/A false positive rate at several peeking schedules (every 100, every 1000 impressions per arm,
   10 looks), mSPRT against a z-test read at every look;
7. Thompson sampling's regret curve: cumulative regret (clicks lost against always showing the best package)
   over the first ``--regret-horizon`` impressions of every test, averaged, against the even split; written
   as CSV and JSON under ``--out``.

    python benchmarks/experiments_replay.py [--quick] [--csv PATH] [--tests N] [--seeds S] [--out D] [--json]

``--quick`` (under a minute) replays a sample of tests with fewer streams.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

CSV = Path("/work/shared/data/upworthy-exploratory/upworthy_clean.csv")
OUT = ROOT / ".benchmarks" / "experiments_replay"
BROKEN_WEEKS = range(201326, 201403)


def load(path: Path) -> list[dict[str, Any]]:
    """One record per test: impressions, clicks and winner flags per package."""
    tests: dict[str, dict[str, Any]] = defaultdict(lambda: {"n": [], "c": [], "w": [], "week": 0})
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            t = tests[row["clickability_test_id"]]
            t["n"].append(int(float(row["impressions"])))
            t["c"].append(int(float(row["clicks"])))
            t["w"].append(row["winner"] == "True")
            t["week"] = int(row["test_week"])
    out = []
    for tid, t in tests.items():
        if t["week"] in BROKEN_WEEKS or sum(t["w"]) > 1 or len(t["n"]) < 2 or min(t["n"]) == 0:
            continue
        out.append({"id": tid, **t})
    return out


def verdict(clicks: list[int], impressions: list[int], alpha: float) -> int | None:
    """Index of the declared winner, or None."""
    from newsdesk.experiments import chi_square_test, pairwise_vs_reference

    if chi_square_test(clicks, impressions).p_value > alpha:
        return None
    pairs = pairwise_vs_reference(clicks, impressions, reference=None, alpha=alpha)
    return pairs[0].reference if all(p.significant for p in pairs) else None


def agreement(tests: list[dict[str, Any]], alpha: float) -> dict[str, Any]:
    both_none = same = ours_only = theirs_only = different = 0
    for t in tests:
        ours = verdict(t["c"], t["n"], alpha)
        theirs = t["w"].index(True) if any(t["w"]) else None
        if ours is None and theirs is None:
            both_none += 1
        elif ours is not None and theirs is not None:
            same, different = (same + 1, different) if ours == theirs else (same, different + 1)
        elif ours is not None:
            ours_only += 1
        else:
            theirs_only += 1
    total = len(tests)
    return {
        "tests": total,
        "agree": round((both_none + same) / total, 4),
        "both_no_winner": both_none,
        "same_winner": same,
        "different_winner": different,
        "winner_ours_only": ours_only,
        "winner_archive_only": theirs_only,
    }


def aa_false_positives(
    tests: list[dict[str, Any]], looks: int, tau: float, alpha: float, seed: int
) -> dict[str, Any]:
    from scipy.stats import norm

    from newsdesk.experiments import msprt

    rng = np.random.default_rng(seed)
    seq = naive = 0
    for t in tests:
        rate = sum(t["c"]) / sum(t["n"])
        per_arm = max(looks, int(np.mean(t["n"])))
        edges = np.linspace(0, per_arm, looks + 1).astype(int)
        n = edges[1:]
        a = rng.binomial(np.diff(edges), rate).cumsum()
        b = rng.binomial(np.diff(edges), rate).cumsum()
        seq += bool(msprt(a, n, b, n, tau=tau, alpha=alpha).p_values[-1] <= alpha)
        pooled = (a + b) / (2 * n)
        se = np.sqrt(pooled * (1 - pooled) * 2 / n)
        z = np.where(se > 0, (b - a) / n / np.where(se > 0, se, 1), 0)
        naive += bool((np.abs(z) > norm.ppf(1 - alpha / 2)).any())
    k = len(tests)
    return {
        "streams": k,
        "looks": looks,
        "tau": tau,
        "msprt_fpr": round(seq / k, 4),
        "peeking_ztest_fpr": round(naive / k, 4),
        "mc_se": round(float(np.sqrt(alpha * (1 - alpha) / k)), 4),
    }


def thompson(tests: list[dict[str, Any]], seed: int) -> dict[str, Any]:
    from newsdesk.experiments import replay

    gained = even = oracle = 0.0
    found = 0
    for i, t in enumerate(tests):
        rates = np.array(t["c"]) / np.array(t["n"])
        total = int(sum(t["n"]))
        r = replay(rates.tolist(), impressions=total, batch=min(total, max(100, total // 200)), seed=seed + i)
        gained += r.clicks_gained
        even += r.clicks_even
        oracle += total * (rates.max() - rates.mean())
        found += r.best_identified
    return {
        "tests": len(tests),
        "clicks_gained": round(gained),
        "gain_over_even_pct": round(100 * gained / even, 2),
        "share_of_oracle_gain_pct": round(100 * gained / oracle, 1),
        "best_identified": round(found / len(tests), 4),
    }


def _streams(
    rates: tuple[float, float], horizon: int, step: int, seeds: int, rng: np.random.Generator
) -> Any:
    """Cumulative counts of ``seeds`` streams of two arms seen every ``step`` units per arm up to ``horizon``
    (and at the horizon itself)."""
    looks = np.unique(np.r_[np.arange(step, horizon, step), horizon]).astype(int)
    inc = np.diff(np.r_[0, looks])
    a = rng.binomial(inc, rates[0], size=(seeds, inc.size)).cumsum(axis=1)
    b = rng.binomial(inc, rates[1], size=(seeds, inc.size)).cumsum(axis=1)
    return looks, a, b


def _stop(a: Any, b: Any, looks: Any, tau: float, alpha: float) -> tuple[bool, int]:
    """Whether the mSPRT rejects by the last look, and the units per arm it has seen when it stops."""
    from newsdesk.experiments import msprt

    first = msprt(a, looks, b, looks, tau=tau, alpha=alpha).first_rejection(alpha)
    return (first is not None, int(looks[first if first is not None else -1]))


def _z_power(pa: Any, pb: Any, n: Any, alpha: float) -> Any:
    """Power of the two-sided fixed-horizon z-test with ``n`` units per arm (the design module's formula)."""
    from scipy.stats import norm

    z = norm.ppf(1 - alpha / 2)
    pbar = (pa + pb) / 2
    se0 = np.sqrt(2 * pbar * (1 - pbar) / n)
    se1 = np.sqrt((pa * (1 - pa) + pb * (1 - pb)) / n)
    se1 = np.where(se1 > 0, se1, 1e-12)
    d = np.abs(pb - pa)
    return norm.cdf((d - z * se0) / se1) + norm.cdf((-d - z * se0) / se1)


Plan = tuple[float, float, int, int]  # control rate, treatment rate, units per arm at the horizon, look step


def _archive_plan(t: dict[str, Any], step: int) -> Plan:
    """A test's control and first treatment (its first two packages) up to its own horizon (mean impressions
    per package), seen every ``step`` units per arm."""
    return t["c"][0] / t["n"][0], t["c"][1] / t["n"][1], max(1, int(np.mean(t["n"]))), step


def _power_rows(
    plans: list[Plan], taus: list[float], alpha: float, seeds: int, seed: int
) -> dict[float, dict[str, Any]]:
    """Per tau: each plan's mSPRT power and mean units per arm at stopping, on the same simulated streams."""
    rng = np.random.default_rng(seed)
    out: dict[float, dict[str, Any]] = {tau: {"power": [], "stop": []} for tau in taus}
    for pa, pb, horizon, step in plans:
        looks, a, b = _streams((pa, pb), horizon, step, seeds, rng)
        for tau in taus:
            runs = [_stop(a[s], b[s], looks, tau, alpha) for s in range(seeds)]
            out[tau]["power"].append(np.mean([r for r, _ in runs]))
            out[tau]["stop"].append(np.mean([n for _, n in runs]))
    return out


def _savings(plans: list[Plan], base: Any, power: Any, stop: Any, alpha: float) -> dict[str, Any]:
    """The mSPRT's power and mean sample size against the fixed-horizon z-test of the same mean power: every
    plan's ``base`` size scaled by one factor, found by bisection (mean z-test power increases with it)."""
    pa = np.array([p[0] for p in plans])
    pb = np.array([p[1] for p in plans])
    base = np.asarray(base, dtype=float)
    target = float(np.mean(power))
    lo, hi = 1e-3, 1e3
    for _ in range(60):
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if np.mean(_z_power(pa, pb, mid * base, alpha)) < target else (lo, mid)
    factor = float(np.sqrt(lo * hi))
    fixed = float(np.sum(np.ceil(factor * base)))
    return {
        "tests": len(plans),
        "msprt_power": round(target, 4),
        "msprt_mean_units_per_arm": round(float(np.mean(stop)), 1),
        "msprt_max_units_per_arm": round(float(np.mean([p[2] for p in plans])), 1),
        "ztest_power_at_base": round(float(np.mean(_z_power(pa, pb, base, alpha))), 4),
        "base_mean_units_per_arm": round(float(np.mean(base)), 1),
        "same_power_fixed_factor_on_base": round(factor, 3),
        "same_power_fixed_mean_units_per_arm": round(fixed / len(plans), 1),
        "sample_size_saved_pct": round(100 * (1 - float(np.sum(stop)) / fixed), 1),
    }


def _significant(t: dict[str, Any], alpha: float) -> bool:
    from newsdesk.experiments import two_proportion_ztest

    return two_proportion_ztest(t["c"][0], t["n"][0], t["c"][1], t["n"][1]).p_value <= alpha


def _designed_plan(t: dict[str, Any], reach: float, max_units: int) -> tuple[Plan, int] | None:
    """The pair sized the way a test is designed: ``n80`` units per arm give the fixed z-test 80% power on
    the pair's true difference; the mSPRT may run to ``reach * n80``, looking about 60 times on the way."""
    from newsdesk.experiments import sample_size

    pa, pb, _, _ = _archive_plan(t, 1)
    if not (0 < pa < 1 and 0 < pb < 1) or pa == pb:
        return None
    n80 = sample_size(pa, pb - pa, power=0.8).per_variant
    if n80 * reach > max_units:
        return None
    horizon = int(reach * n80)
    return (pa, pb, horizon, max(50, horizon // 60)), n80


def power_and_savings(
    tests: list[dict[str, Any]], tau: float, alpha: float, seeds: int, step: int, seed: int
) -> dict[str, Any]:
    real = [t for t in tests if _significant(t, alpha)]
    out: dict[str, Any] = {"tau": round(tau, 5), "streams_per_test": seeds}
    for name, chosen in (("archive_horizon_all", tests), ("archive_horizon_real_difference", real)):
        plans = [_archive_plan(t, step) for t in chosen]
        rows = _power_rows(plans, [tau], alpha, seeds, seed)[tau]
        out[name] = _savings(plans, [p[2] for p in plans], rows["power"], rows["stop"], alpha)
    for reach in (1.0, 2.0, 3.0):
        designed = [d for d in (_designed_plan(t, reach, 400_000) for t in real) if d is not None]
        plans = [d[0] for d in designed]
        rows = _power_rows(plans, [tau], alpha, seeds, seed)[tau]
        out[f"designed_real_difference_msprt_to_{reach:g}x_n80"] = _savings(
            plans, [d[1] for d in designed], rows["power"], rows["stop"], alpha
        )
    return out


def tau_by_time(
    tests: list[dict[str, Any]], default: float, alpha: float, seeds: int, step: int, seed: int
) -> dict[str, Any]:
    from newsdesk.experiments.sequential import tau_from_history

    cut = float(np.median([t["week"] for t in tests]))
    earlier = [t for t in tests if t["week"] < cut]
    later = [t for t in tests if t["week"] >= cut]
    chosen = tau_from_history([t["c"] for t in earlier], [t["n"] for t in earlier])
    in_sample = tau_from_history([t["c"] for t in later], [t["n"] for t in later])
    grid = sorted({round(chosen.tau * m, 6) for m in (0.25, 0.5, 1.0, 2.0, 4.0)} | {default})
    rows = _power_rows([_archive_plan(t, step) for t in later], grid, alpha, seeds, seed)
    table = [
        {
            "tau": tau,
            "chosen": tau == round(chosen.tau, 6),
            "power": round(float(np.mean(rows[tau]["power"])), 4),
            "mean_units_per_arm": round(float(np.mean(rows[tau]["stop"])), 1),
        }
        for tau in grid
    ]
    best = max(table, key=lambda r: r["power"])
    return {
        "split_week": cut,
        "earlier_tests": len(earlier),
        "later_tests": len(later),
        "tau_chosen_on_earlier": round(chosen.tau, 5),
        "comparisons": chosen.comparisons,
        "observed_sd_of_differences": round(chosen.observed_sd, 5),
        "noise_sd": round(chosen.noise_sd, 5),
        "tau_fitted_on_later_for_reference": round(in_sample.tau, 5),
        "best_tau_on_later": best["tau"],
        "power_by_tau_on_later": table,
        "_chosen": chosen.tau,
    }


def aa_schedules(
    tests: list[dict[str, Any]], tau: float, alpha: float, seeds: int, seed: int
) -> dict[str, Any]:
    from scipy.stats import norm

    from newsdesk.experiments import msprt

    rng = np.random.default_rng(seed)
    z = norm.ppf(1 - alpha / 2)
    out: dict[str, Any] = {"tau": round(tau, 5), "streams": len(tests) * seeds}
    for name in ("every_100", "every_1000", "10_looks"):
        seq = naive = 0
        for t in tests:
            rate = sum(t["c"]) / sum(t["n"])
            horizon = max(10, int(np.mean(t["n"])))
            step = {"every_100": 100, "every_1000": 1000}.get(name, max(1, horizon // 10))
            looks, a, b = _streams((rate, rate), horizon, step, seeds, rng)
            for s in range(seeds):
                seq += bool(msprt(a[s], looks, b[s], looks, tau=tau, alpha=alpha).p_values[-1] <= alpha)
            pooled = (a + b) / (2 * looks)
            se = np.sqrt(pooled * (1 - pooled) * 2 / looks)
            stat = np.where(se > 0, (b - a) / looks / np.where(se > 0, se, 1), 0)
            naive += int((np.abs(stat) > z).any(axis=1).sum())
        k = len(tests) * seeds
        out[name] = {"msprt_fpr": round(seq / k, 4), "peeking_ztest_fpr": round(naive / k, 4)}
    out["mc_se"] = round(float(np.sqrt(alpha * (1 - alpha) / out["streams"])), 4)
    return out


def regret(tests: list[dict[str, Any]], horizon: int, seed: int, out: Path) -> dict[str, Any]:
    from newsdesk.experiments.bandit import regret_curve

    curves = []
    evens = []
    for i, t in enumerate(tests):
        rates = (np.array(t["c"]) / np.array(t["n"])).tolist()
        c = regret_curve(rates, impressions=horizon, batch=100, seed=seed + i)
        curves.append(c.thompson)
        evens.append(c.even)
    shown = c.impressions
    thompson, even = np.mean(curves, axis=0), np.mean(evens, axis=0)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "regret_curve.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["impressions", "thompson_regret", "even_regret"])
        writer.writerows(
            [int(n), round(float(a), 4), round(float(b), 4)]
            for n, a, b in zip(shown, thompson, even, strict=True)
        )
    curve = {
        "impressions": shown.tolist(),
        "thompson": thompson.round(4).tolist(),
        "even": even.round(4).tolist(),
    }
    (out / "regret_curve.json").write_text(json.dumps({"tests": len(tests), **curve}))
    points = [p for p in (1000, 2000, 5000, 10_000, 20_000, 50_000) if p <= horizon]
    at = {
        str(p): {
            "thompson": round(float(thompson[p // 100 - 1]), 2),
            "even": round(float(even[p // 100 - 1]), 2),
            "thompson_share_of_even": round(float(thompson[p // 100 - 1] / even[p // 100 - 1]), 3),
        }
        for p in points
    }
    return {"tests": len(tests), "horizon": horizon, "mean_regret_clicks_at": at, "written": str(out)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=CSV)
    parser.add_argument("--quick", action="store_true", help="a sample of tests, fewer streams (< 1 min)")
    parser.add_argument("--tests", type=int, default=0, help="tests for the replays (0: all)")
    parser.add_argument("--looks", type=int, default=20)
    parser.add_argument("--tau", type=float, default=0.005, help="tau of the A/A check of section 2")
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--seeds", type=int, default=20, help="streams per test for power and A/A checks")
    parser.add_argument("--look-every", type=int, default=100, help="units per arm between looks (power)")
    parser.add_argument("--regret-horizon", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.tests, args.seeds = args.tests or 150, min(args.seeds, 4)

    start = time.perf_counter()
    tests = load(args.csv)
    sample = tests
    if args.tests:
        idx = np.random.default_rng(args.seed).choice(
            len(tests), size=min(args.tests, len(tests)), replace=False
        )
        sample = [tests[i] for i in sorted(idx)]
    bandit_sample = sample[:40] if args.quick else sample  # the stop rule's P(best) makes this the slow one
    report: dict[str, Any] = {"winner_agreement": agreement(tests, args.alpha)}
    report["aa_peeking"] = aa_false_positives(sample, args.looks, args.tau, args.alpha, args.seed)
    report["thompson"] = thompson(bandit_sample, args.seed)
    taus = tau_by_time(sample, args.tau, args.alpha, max(2, args.seeds // 2), args.look_every, args.seed)
    tau = taus.pop("_chosen")
    report["tau_by_time"] = taus
    report["power_and_savings"] = power_and_savings(
        sample, tau, args.alpha, args.seeds, args.look_every, args.seed
    )
    report["aa_schedules"] = aa_schedules(sample, tau, args.alpha, max(1, args.seeds // 2), args.seed)
    report["regret"] = regret(sample, args.regret_horizon, args.seed, args.out)
    report["seconds"] = round(time.perf_counter() - start, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(report, indent=2))
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for section, values in report.items():
        print(section, values if not isinstance(values, dict) else "")
        if isinstance(values, dict):
            for key, value in values.items():
                print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
