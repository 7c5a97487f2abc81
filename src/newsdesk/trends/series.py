"""Hourly count series: how often each key (a topic, an entity, a phrase, a story) was seen per hour, and
how many articles there were per hour (the exposure every key's expectation scales with).

Hours are integers (hours since the Unix epoch, UTC), so series are plain dicts and the scoring code in
:mod:`newsdesk.trends.model` needs no dates.

>>> from datetime import UTC, datetime
>>> table = HourlyCounts()
>>> table.add(datetime(2014, 3, 10, 17, 5, tzinfo=UTC), ["fed", "taper"])
>>> table.add(datetime(2014, 3, 10, 17, 40, tzinfo=UTC), ["fed"])
>>> h = hour_of(datetime(2014, 3, 10, 17, tzinfo=UTC))
>>> table.totals[h], table.counts["fed"][h]
(2, 2)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

__all__ = ["HourlyCounts", "hour_of", "hour_start", "weekday"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def hour_of(moment: datetime) -> int:
    """The hour ``moment`` falls in, as hours since the epoch (a naive time is read as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int((moment - _EPOCH).total_seconds() // 3600)


def hour_start(hour: int) -> datetime:
    """The start of ``hour`` (hours since the epoch) as an aware UTC datetime."""
    return _EPOCH + timedelta(hours=hour)


def weekday(hour: int) -> int:
    """Monday 0 .. Sunday 6 of ``hour`` (1970-01-01 was a Thursday).

    >>> weekday(hour_of(datetime(2014, 3, 10, tzinfo=UTC)))  # a Monday
    0
    """
    return (hour // 24 + 3) % 7


@dataclass
class HourlyCounts:
    """Per-hour article totals and per-key counts; a key counts once per article however often it
    appears in it. ``labels`` keeps a readable name per key (the last one given); ``members``, the (hour,
    article id) pairs of each key when :meth:`add` is given the article's id, so trends carried by the
    same articles can be folded into one."""

    totals: dict[int, int] = field(default_factory=dict)
    counts: dict[str, dict[int, int]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    members: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    def add(self, moment: datetime, keys: Iterable[str | tuple[str, str]], doc: str | None = None) -> None:
        """Count one article published at ``moment`` with ``keys`` (a key, or a (key, label) pair); ``doc``
        (its id) is remembered per key when given."""
        hour = hour_of(moment)
        self.totals[hour] = self.totals.get(hour, 0) + 1
        seen: set[str] = set()
        for item in keys:
            key, label = (item, item) if isinstance(item, str) else item
            if key in seen:
                continue
            seen.add(key)
            series = self.counts.setdefault(key, {})
            series[hour] = series.get(hour, 0) + 1
            self.labels[key] = label
            if doc is not None:
                self.members.setdefault(key, []).append((hour, doc))

    def add_count(self, hour: int, key: str, count: int) -> None:
        """Add ``count`` mentions of ``key`` at ``hour`` without touching the totals (to plant a burst,
        or to load counts kept elsewhere; pair it with :meth:`add_total`)."""
        series = self.counts.setdefault(key, {})
        series[hour] = series.get(hour, 0) + count
        self.labels.setdefault(key, key)

    def add_total(self, hour: int, count: int) -> None:
        """Add ``count`` articles at ``hour``."""
        self.totals[hour] = self.totals.get(hour, 0) + count

    def span(self) -> tuple[int, int] | None:
        """(first hour, last hour + 1) with any article, or None when empty."""
        if not self.totals:
            return None
        return min(self.totals), max(self.totals) + 1
