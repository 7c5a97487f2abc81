"""Reading finished tests from a CSV file and reading them out: ``newsdesk experiments analyze FILE``.

Two shapes are read (the header decides):

- the Upworthy Research Archive's: one row per package, ``clickability_test_id, headline, impressions,
  clicks`` (other columns kept: ``winner``, ``significance``, ``test_week``);
- newsdesk's own: ``experiment, variant, impressions, clicks``.

:func:`analyze_test` gives one test's verdict: the chi-square test over all variants, the best variant's
pairwise z-tests against each other variant with Holm's correction, and the Bayesian probability that each
variant is best with its expected loss. The best variant **wins** when every Holm-adjusted comparison with it
is significant at ``alpha``; otherwise the test has no winner.

>>> rows = [{"experiment": "t1", "variant": "a", "impressions": "1000", "clicks": "100"},
...         {"experiment": "t1", "variant": "b", "impressions": "1000", "clicks": "140"}]
>>> verdict = analyze_test(read_rows(rows)["t1"])
>>> verdict.winner, round(verdict.prob_best[verdict.best], 3)
('b', 0.997)
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsdesk.errors import InvalidInput, UnreadableSource

__all__ = ["TestVerdict", "Variant", "analyze_test", "archive_agreement", "read_rows", "read_tests"]

_SHAPES = {
    "upworthy": ("clickability_test_id", "headline"),
    "newsdesk": ("experiment", "variant"),
}


@dataclass(frozen=True)
class Variant:
    name: str
    impressions: int
    clicks: int
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TestVerdict:
    """One test read out."""

    __test__ = False  # not a pytest class

    test: str
    variants: list[Variant]
    chi_square_p: float
    best: int  # index of the variant with the highest click rate
    p_adjusted: list[float | None]  # Holm-adjusted p of each variant against the best (None for the best)
    prob_best: list[float]
    expected_loss: list[float]
    winner: str | None
    alpha: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "winner": self.winner,
            "alpha": self.alpha,
            "chi_square_p": self.chi_square_p,
            "variants": [
                {
                    "name": v.name,
                    "impressions": v.impressions,
                    "clicks": v.clicks,
                    "rate": v.clicks / v.impressions,
                    "p_vs_best_holm": self.p_adjusted[i],
                    "prob_best": self.prob_best[i],
                    "expected_loss": self.expected_loss[i],
                    **({"archive_winner": v.extra["winner"]} if "winner" in v.extra else {}),
                }
                for i, v in enumerate(self.variants)
            ],
        }


def _int(row: Mapping[str, Any], key: str, line: int) -> int:
    value = row.get(key)
    try:
        return int(float(str(value)))
    except (TypeError, ValueError):
        raise InvalidInput(f"row {line}: {key}", value, "a whole number") from None


def read_rows(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[Variant]]:
    """Tests by id from rows of either shape, in the order first seen."""
    tests: dict[str, list[Variant]] = {}
    shape: tuple[str, str] | None = None
    for line, row in enumerate(rows, start=2):
        if shape is None:
            shape = next((s for s in _SHAPES.values() if all(k in row for k in s)), None)
            if shape is None:
                raise InvalidInput(
                    "header",
                    sorted(row),
                    "the columns clickability_test_id, headline, impressions, clicks "
                    "(Upworthy) or experiment, variant, impressions, clicks (newsdesk)",
                )
        test_key, name_key = shape
        impressions, clicks = _int(row, "impressions", line), _int(row, "clicks", line)
        if impressions < 0 or clicks < 0:
            raise InvalidInput(f"row {line}: impressions/clicks", (impressions, clicks), "counts >= 0")
        if clicks > impressions:
            raise InvalidInput(f"row {line}: clicks", clicks, f"at most the impressions ({impressions})")
        extra = {k: str(v) for k, v in row.items() if k not in (test_key, name_key, "impressions", "clicks")}
        tests.setdefault(str(row[test_key]), []).append(
            Variant(str(row[name_key]), impressions, clicks, extra)
        )
    return tests


def read_tests(path: Path) -> dict[str, list[Variant]]:
    """Tests by id from a CSV file of either shape."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            return read_rows(csv.DictReader(handle))
    except OSError as exc:
        raise UnreadableSource(f"cannot read {path}: {exc}") from exc


def analyze_test(
    variants: list[Variant], *, test: str = "", alpha: float = 0.05, seed: int = 0, draws: int = 100_000
) -> TestVerdict:
    """The verdict on one finished test (see the module docstring)."""
    from newsdesk.experiments.analysis import chi_square_test, pairwise_vs_reference
    from newsdesk.experiments.bayesian import posterior

    if len(variants) < 2:
        raise InvalidInput("variants", [v.name for v in variants], "at least 2 variants in a test")
    if any(v.impressions == 0 for v in variants):
        raise InvalidInput("impressions", [v.impressions for v in variants], "at least 1 per variant")
    clicks = [v.clicks for v in variants]
    impressions = [v.impressions for v in variants]
    chi = chi_square_test(clicks, impressions)
    pairs = pairwise_vs_reference(clicks, impressions, reference=None, alpha=alpha)
    best = pairs[0].reference if pairs else 0
    adjusted: list[float | None] = [None] * len(variants)
    for pair in pairs:
        adjusted[pair.variant] = float(pair.p_adjusted)
    post = posterior(clicks, impressions, seed=seed, draws=draws)
    wins = bool(pairs) and all(p.significant for p in pairs)
    return TestVerdict(
        test=test,
        variants=variants,
        chi_square_p=float(chi.p_value),
        best=best,
        p_adjusted=adjusted,
        prob_best=[float(x) for x in post.prob_best],
        expected_loss=[float(x) for x in post.expected_loss],
        winner=variants[best].name if wins else None,
        alpha=alpha,
    )


def archive_agreement(verdicts: Iterable[TestVerdict]) -> dict[str, Any] | None:
    """How often the verdicts agree with a ``winner`` column the file carries (Upworthy's own flags), or
    None when it has none. Upworthy chose its winners by its own rule, so this is agreement, not accuracy."""
    both = same = ours_only = theirs_only = neither = different = 0
    seen = False
    for verdict in verdicts:
        flagged = [v.name for v in verdict.variants if v.extra.get("winner", "").lower() == "true"]
        if any("winner" in v.extra for v in verdict.variants):
            seen = True
        else:
            continue
        if verdict.winner is None and not flagged:
            neither += 1
        elif verdict.winner is None:
            theirs_only += 1
        elif not flagged:
            ours_only += 1
        else:
            both += 1
            if verdict.winner in flagged:
                same += 1
            else:
                different += 1
    if not seen:
        return None
    total = neither + theirs_only + ours_only + both
    return {
        "tests": total,
        "agreement": (neither + same) / total if total else None,
        "no_winner_in_either": neither,
        "same_winner": same,
        "different_winner": different,
        "winner_only_ours": ours_only,
        "winner_only_archive": theirs_only,
    }
