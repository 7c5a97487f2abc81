"""Live quality of the recommendations: what served slates earned, per product and model version.

Every served slate is in the event store's slate log with its id, its model and version and its articles.
A read is credited to a slate when the reader clicked, dwelt on or opened (from a newsletter) one of its
articles within ``window`` after it was served: directly, when the site sent the slate's id back as the
event's ``impression``, or else by the same reader and article. Per product and ``kind@version``:

- ``slates``, ``readers`` (distinct, hashed) and ``shown`` (articles shown);
- ``ctr``: credited reads over articles shown; ``slate_ctr``: share of slates with a credited read;
- ``coverage``: distinct articles shown over the articles in the catalogue;
- ``single_topic_share``: share of slates (of 2 or more articles with a known topic) all of one topic;
- ``topic_diversity``: mean share of article pairs in a slate of different topics.

Comparing two versions served side by side (a champion and a challenger in an A/B split, or before and
after a promotion) is what the gates' offline figures cannot tell: whether readers read more.

>>> from datetime import UTC, datetime
>>> from newsdesk.recommend.store import SlateRecord
>>> from newsdesk.recommend.model import ReaderEvent
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> slates = [SlateRecord("r1", t, "recommendations", "hybrid", "1", {}, ["a", "b"], "s1")]
>>> reads = [ReaderEvent("r1", "b", "click", t, impression="s1")]
>>> row = slate_quality(slates, reads, topics={"a": "sport", "b": "sport"}, catalogue_size=10)[0]
>>> row["ctr"], row["slate_ctr"], row["single_topic_share"], row["coverage"]
(0.5, 1.0, 1.0, 0.2)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from newsdesk.errors import InvalidInput

if TYPE_CHECKING:
    from newsdesk.recommend.model import ReaderEvent
    from newsdesk.recommend.store import SlateRecord
    from newsdesk.settings import Settings
    from newsdesk.store import Backend

__all__ = ["live_quality", "slate_quality"]

READS = ("click", "dwell", "open")


def slate_quality(
    slates: Sequence[SlateRecord],
    reads: Sequence[ReaderEvent],
    *,
    topics: Mapping[str, str],
    catalogue_size: int,
    window: timedelta = timedelta(hours=24),
) -> list[dict[str, Any]]:
    """The figures of the module docstring for ``slates``, crediting ``reads`` (one row per product and
    model version, most slates first)."""
    by_slate: dict[str, set[str]] = defaultdict(set)
    by_reader: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for e in reads:
        if e.kind not in READS:
            continue
        if e.impression:
            by_slate[e.impression].add(e.article_id)
        by_reader[(e.reader, e.article_id)].append(e.at)
    groups: dict[tuple[str, str], list[SlateRecord]] = defaultdict(list)
    for s in slates:
        groups[(s.product, f"{s.kind}@{s.version}")].append(s)
    rows = []
    for (product, model), served in groups.items():
        shown = credited = hit_slates = judged = single = 0
        pairs_diff = pairs = 0
        articles: set[str] = set()
        for s in served:
            articles.update(s.articles)
            shown += len(s.articles)
            direct = by_slate.get(s.slate_id, set()) if s.slate_id else set()
            hits = {
                a
                for a in s.articles
                if a in direct or any(s.at <= t <= s.at + window for t in by_reader.get((s.reader, a), ()))
            }
            credited += len(hits)
            hit_slates += bool(hits)
            known = [topics[a] for a in s.articles if topics.get(a)]
            if len(known) >= 2:
                judged += 1
                single += len(set(known)) == 1
                for i in range(len(known)):
                    for j in range(i + 1, len(known)):
                        pairs += 1
                        pairs_diff += known[i] != known[j]
        rows.append(
            {
                "product": product,
                "model": model,
                "slates": len(served),
                "readers": len({s.reader for s in served}),
                "shown": shown,
                "reads": credited,
                "ctr": round(credited / shown, 4) if shown else 0.0,
                "slate_ctr": round(hit_slates / len(served), 4),
                "coverage": round(len(articles) / catalogue_size, 4) if catalogue_size else 0.0,
                "single_topic_share": round(single / judged, 4) if judged else None,
                "topic_diversity": round(pairs_diff / pairs, 4) if pairs else None,
            }
        )
    return sorted(rows, key=lambda r: (-r["slates"], r["product"], r["model"]))


def live_quality(
    settings: Settings,
    store: Backend,
    *,
    since: datetime | None = None,
    now: datetime | None = None,
    window_hours: float = 24.0,
) -> dict[str, Any]:
    """Live quality of the slates served since ``since`` (default: the last 7 days) in ``store``."""
    from newsdesk.recommend.catalogue import archive_catalogue
    from newsdesk.recommend.store import open_events

    if window_hours <= 0:
        raise InvalidInput("window_hours", window_hours, "a positive number of hours")
    end = now or datetime.now(UTC)
    start = since or end - timedelta(days=7)
    events = open_events(store, settings.store_url)
    slates = [s for s in events.served(start) if s.at <= end]
    window = timedelta(hours=window_hours)
    reads = list(events.events(since=start, until=end + window, kinds=READS))
    catalogue = archive_catalogue(settings, store, vectors=False)
    topics = dict(zip(catalogue.ids, catalogue.topics, strict=True))
    return {
        "since": start.isoformat(),
        "until": end.isoformat(),
        "window_hours": window_hours,
        "catalogue": len(catalogue),
        "models": slate_quality(slates, reads, topics=topics, catalogue_size=len(catalogue), window=window),
    }
