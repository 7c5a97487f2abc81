"""Validating newsdesk.experiments on the Upworthy Research Archive's exploratory headline tests.

Three checks, on the tests outside the weeks whose randomisation the archive flags as unreliable
(test_week 201326..201402) and without the archive's two-winner anomaly:

1. agreement of a fixed-horizon verdict (chi-square over all packages at alpha, then the best package
   against every other by z-tests with Holm's correction; a winner only when all are significant) with the
   archive's ``winner`` flags, per test;
2. the A/A false positive rate under peeking: both arms get a test's pooled click rate and its mean
   impressions per package, seen at ``--looks`` looks; the mSPRT's always-valid p-value against a
   fixed-horizon z-test checked at every look;
3. Thompson sampling replayed on each test's observed click rates (taken as the truth) over the test's
   total impressions: clicks gained against an even split, and how often the best package is identified.

    python benchmarks/experiments_replay.py [--csv PATH] [--tests N] [--looks K] [--tau T] [--seed S] [--json]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=CSV)
    parser.add_argument("--tests", type=int, default=0, help="tests for the replays (0: all)")
    parser.add_argument("--looks", type=int, default=20)
    parser.add_argument("--tau", type=float, default=0.005)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    start = time.perf_counter()
    tests = load(args.csv)
    sample = tests
    if args.tests:
        idx = np.random.default_rng(args.seed).choice(
            len(tests), size=min(args.tests, len(tests)), replace=False
        )
        sample = [tests[i] for i in sorted(idx)]
    report = {
        "winner_agreement": agreement(tests, args.alpha),
        "aa_peeking": aa_false_positives(sample, args.looks, args.tau, args.alpha, args.seed),
        "thompson": thompson(sample, args.seed),
        "seconds": 0.0,
    }
    report["seconds"] = round(time.perf_counter() - start, 1)
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
