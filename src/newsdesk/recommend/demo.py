"""The demo newsroom's readers: simulated traffic for the recommendations to learn from, and a reader
session that shows clicks posted through the API changing what is recommended next.

The bundled BBC corpus has no reader logs, so :func:`simulate_readers` invents a week of them with the
shape real logs have: each reader follows one or two sections, most reads fall in them, and within a
section a few articles draw most clicks (a Zipf law). They are synthetic and say so (``source: demo``);
the models' quality is measured on real logs (MIND, ``newsdesk eval recommend``), not on these.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsdesk.settings import Settings
    from newsdesk.store import Backend

__all__ = ["reader_session", "simulate_readers"]

READER_PREFIX = "demo-reader-"


def simulate_readers(
    settings: Settings,
    store: Backend,
    *,
    readers: int = 300,
    seed: int = 7,
    now: datetime | None = None,
    source: str = "bbc",
) -> dict[str, int]:
    """A week of impressions and clicks by ``readers`` simulated readers of ``source``'s articles, written
    through :func:`~newsdesk.recommend.readers.record_events` (so they are validated and hashed like live
    traffic). Idempotent: a second call writes nothing when the first reader already has events."""
    from newsdesk.recommend.model import hash_reader
    from newsdesk.recommend.readers import record_events
    from newsdesk.recommend.store import open_events
    from newsdesk.store.base import ArticleFilter

    events = open_events(store, settings.store_url)
    salt = settings.recommend.salt.get_secret_value()
    if events.count_events(hash_reader(f"{READER_PREFIX}0001", salt)):
        return {"accepted": 0, "rejected": 0}
    rng = random.Random(seed)
    by_section: dict[str, list[str]] = {}
    for brief in store.briefs(store.ids(ArticleFilter(source=source))):
        by_section.setdefault(brief.section or "", []).append(brief.id)
    sections = sorted(s for s in by_section if s)
    if not sections:
        return {"accepted": 0, "rejected": 0}
    for ids in by_section.values():
        rng.shuffle(ids)  # which articles are the section's hits
    end = now or datetime.now(UTC)
    raw: list[dict[str, Any]] = []
    for r in range(1, readers + 1):
        reader = f"{READER_PREFIX}{r:04d}"
        liked = rng.sample(sections, k=rng.choice((1, 1, 2)))
        for visit in range(rng.randint(2, 8)):
            at = end - timedelta(hours=rng.uniform(1, 24 * 7))
            impression = f"{reader}-v{visit}"
            shown = [_pick(rng, by_section[rng.choice(sections)]) for _ in range(8)]
            clicked = [
                _pick(rng, by_section[rng.choice(liked) if rng.random() < 0.85 else rng.choice(sections)])
                for _ in range(rng.randint(1, 3))
            ]
            for article_id in dict.fromkeys(shown + clicked):
                raw.append(_event(reader, article_id, "impression", at, impression))
            for k, article_id in enumerate(dict.fromkeys(clicked)):
                raw.append(
                    _event(reader, article_id, "click", at + timedelta(seconds=20 * (k + 1)), impression)
                )
    accepted = rejected = 0
    size = settings.recommend.max_batch_events
    for start in range(0, len(raw), size):
        batch = record_events(settings, store, raw[start : start + size], now=end + timedelta(minutes=1))
        accepted += len(batch.accepted)
        rejected += len(batch.rejected)
    return {"accepted": accepted, "rejected": rejected}


def _pick(rng: random.Random, ids: list[str]) -> str:
    """An article of ``ids``, the first ones far more often (Zipf, exponent 1)."""
    weights = [1.0 / (k + 1) for k in range(len(ids))]
    return rng.choices(ids, weights=weights, k=1)[0]


def _event(reader: str, article_id: str, kind: str, at: datetime, impression: str) -> dict[str, Any]:
    return {
        "reader": reader,
        "article_id": article_id,
        "kind": kind,
        "at": at.isoformat(),
        "impression": impression,
        "source": "demo",
    }


def reader_session(
    get: Callable[[str], Any],
    post: Callable[[str, Any], Any],
    *,
    reader: str = "demo-visitor",
    section: str = "tech",
    clicks: int = 3,
) -> dict[str, Any]:
    """A new reader's visit, through the service's routes: ask for recommendations, click ``clicks``
    articles of ``section`` among them (or, when none is shown, the section's first articles), and ask again.

    ``get(path)`` and ``post(path, json)`` return the decoded JSON of a call (an HTTP client against the
    running service, or a FastAPI test client). Returns both slates and the share of ``section`` in each.
    """
    before = get(f"/readers/{reader}/recommendations?n=10")
    shown = [i for i in before["items"] if i.get("section") == section]
    chosen = [i["article_id"] for i in shown][:clicks]
    if len(chosen) < clicks:
        for item in get(f"/articles?section={section}&limit={clicks * 3}")["articles"]:
            article_id = str(item["id"])
            if article_id not in chosen:
                chosen.append(article_id)
            if len(chosen) >= clicks:
                break
    now = datetime.now(UTC)
    posted = post(
        "/events",
        {
            "events": [
                {
                    "reader": reader,
                    "article_id": a,
                    "kind": "click",
                    "at": (now - timedelta(seconds=k)).isoformat(),
                }
                for k, a in enumerate(chosen)
            ]
        },
    )
    after = get(f"/readers/{reader}/recommendations?n=10")

    def share(slate: dict[str, Any]) -> float:
        items = slate["items"]
        return sum(i.get("section") == section for i in items) / len(items) if items else 0.0

    return {
        "reader": reader,
        "section": section,
        "clicked": chosen,
        "accepted": posted.get("accepted"),
        "before": before,
        "after": after,
        "share_before": share(before),
        "share_after": share(after),
        "clicked_shown_again": sorted(set(chosen) & {i["article_id"] for i in after["items"]}),
    }
