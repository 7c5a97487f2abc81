"""The gamma-Poisson trend model over real Reuters-21578 hourly counts (March 1987, with its real weekly
rhythm): planted bursts are found at the planted time, weekly seasonality and small counts are not trends."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdesk.errors import InvalidInput
from newsdesk.trends import HourlyCounts, TrendSpec, find_trends, hour_of, score
from newsdesk.trends.model import fit_prior, nb_tail

REUTERS = Path(__file__).resolve().parents[1] / "data" / "trends" / "reuters-hourly.csv"
START = datetime(1987, 3, 1, tzinfo=UTC)
SPEC = TrendSpec(window_hours=24, baseline_hours=21 * 24)


def reuters() -> HourlyCounts:
    table = HourlyCounts()
    with REUTERS.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            hour = hour_of(datetime.strptime(row["hour"], "%Y-%m-%dT%H").replace(tzinfo=UTC))
            if row["key"] == "*":
                table.add_total(hour, int(row["count"]))
            else:
                table.add_count(hour, row["key"], int(row["count"]))
    return table


def midnight(day: int) -> int:
    return hour_of(START + timedelta(days=day))


DAYS = range(22, 37)  # windows ending 1987-03-23 .. 04-06, each with three weeks of baseline


def trending_days(table: HourlyCounts, key: str, spec: TrendSpec = SPEC) -> list[int]:
    return [d for d in DAYS if key in {s.key for s in score(table, midnight(d), spec)}]


def test_background_is_real_and_weekly() -> None:
    table = reuters()
    per_weekday = [0] * 7
    for hour, n in table.totals.items():
        per_weekday[(hour // 24 + 3) % 7] += n
    assert sum(table.totals.values()) > 12_000
    assert per_weekday[5] * 10 < per_weekday[1]  # Saturdays are quiet


@pytest.mark.parametrize(
    ("key", "day", "extra"), [("coffee", 24, 15), ("cpi", 30, 15), ("gold", 33, 15), ("new-name", 26, 6)]
)
def test_planted_burst_is_found_at_the_planted_time(key: str, day: int, extra: int) -> None:
    table = reuters()
    before = trending_days(table, key)
    burst = midnight(day - 1)
    for i in range(extra):  # spread over the working hours of that day
        table.add_count(burst + 9 + i % 8, key, 1)
    after = trending_days(table, key)
    assert set(after) - set(before) == {day}
    found = find_trends({"topic": table}, midnight(day), SPEC, limit=5)
    assert key in [t.key for t in found]
    hit = next(t for t in found if t.key == key)
    assert sum(hit.hourly) == hit.count and hit.ratio >= 2


def test_a_weekly_key_is_not_a_trend_on_its_own_day() -> None:
    """A key seen only on Thursdays (as a weekly release) trends on none of them with its weekday profile,
    and would without it."""
    table = reuters()
    for day in range(0, 37):
        if (START + timedelta(days=day)).weekday() == 3:
            for i in range(6):
                table.add_count(midnight(day) + 14 + i, "weekly-release", 1)
    assert trending_days(table, "weekly-release") == []
    flat = TrendSpec(window_hours=24, baseline_hours=21 * 24, seasonal_strength=1e9)
    assert trending_days(table, "weekly-release", flat) != []


def test_quiet_days_raise_no_false_trends() -> None:
    """The real money-supply topic (weekly US figures) never trends, and Saturdays (a tenth of a weekday's
    articles) produce nothing. (Sunday 29 March does: the dollar's slide against the yen, a real story.)"""
    table = reuters()
    assert trending_days(table, "money-supply") == []
    for d in DAYS:
        if (START + timedelta(days=d - 1)).weekday() == 5:
            assert score(table, midnight(d), SPEC) == [], d


def test_small_counts_are_not_trends() -> None:
    table = reuters()
    day = 30
    table.add_count(midnight(day - 1) + 10, "rare-name", 2)  # new, but only twice
    for d in range(5, 29, 3):
        table.add_count(midnight(d) + 11, "steady", 1)  # once every three days
    for h in (10, 12, 14):
        table.add_count(midnight(day - 1) + h, "steady", 1)  # three today: above, not much above
    keys = {s.key for s in score(table, midnight(day), SPEC)}
    assert "rare-name" not in keys
    assert "steady" not in keys


def test_nb_tail_and_prior() -> None:
    assert nb_tail(0, 1.0, 1.0, 1.0) == 1.0
    poisson_like = nb_tail(5, 1e6, 1e6, 2.0)  # Poisson(2): P(X >= 5) = 0.0527
    assert poisson_like == pytest.approx(0.0527, abs=1e-3)
    assert nb_tail(5, 0.5, 0.25, 1.0) > poisson_like  # same mean, gamma spread: heavier tail
    prior = fit_prior([5, 5, 5, 5], 100.0)  # identical keys: a tight prior at 0.05
    assert prior.shape / prior.rate == pytest.approx(0.05) and prior.shape >= 99


def test_spec_is_validated() -> None:
    with pytest.raises(InvalidInput, match="window_hours"):
        TrendSpec(window_hours=0)
    with pytest.raises(InvalidInput, match="alpha"):
        TrendSpec(alpha=1.5)


def test_empty_baseline_gives_nothing() -> None:
    table = HourlyCounts()
    table.add(START, ["a", "b"])
    assert score(table, hour_of(START) + 1, SPEC) == []
