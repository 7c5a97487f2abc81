"""From scored candidates to the slate a reader sees: the editorial and product rules, in one place.

In order:

1. **Filters.** Articles the reader has read, editorial exclusions, excluded sections, and articles older
   than ``max_age_days`` are dropped.
2. **Pins.** Editorial pins open the slate, in their order (unless read, excluded or unknown).
3. **Freshness.** Each candidate's relevance (its model score turned into a rank share in (0, 1], so scores
   of any scale mix) is blended with its freshness, ``2^(-age / half_life)``::

       value = (1 - freshness) x relevance + freshness x 2^(-age / half_life)

4. **Diversity and one article per story.** The slate is filled greedily by maximal marginal relevance: the
   next pick maximises ``(1 - diversity) x value - diversity x similarity``, where similarity to the slate so
   far is the highest of 1 for a shared topic (section or category) and the cosine of the two articles'
   vectors. With ``one_per_story`` a candidate whose story (or near-duplicate set) is already in the slate is
   skipped.

Each slate item says why it is there (``pinned``, ``recommended``), its relevance and the value it won with,
so an editor can see the rules at work.

>>> import numpy as np
>>> from newsdesk.recommend.model import Catalogue
>>> cat = Catalogue(["a", "b", "c", "d"], np.array([0.0, 0.0, 0.0, 0.0]), ["sport", "sport", "politics", ""],
...                 ["s1", "s1", "s2", "s3"])
>>> rules = SlateRules(n=3, diversity=0.5, freshness=0.0, max_age_days=1e9)
>>> [i.article_id for i in build_slate([("a", 4.0), ("b", 3.0), ("c", 2.0), ("d", 1.0)], cat, rules=rules,
...                                       history=["d"], at=0.0)]
['a', 'c']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from newsdesk.errors import InvalidInput

if TYPE_CHECKING:
    from newsdesk.recommend.model import Catalogue
    from newsdesk.settings import RecommendSettings

__all__ = ["SlateItem", "SlateRules", "build_slate"]


@dataclass(frozen=True)
class SlateRules:
    """The rules :func:`build_slate` applies (see the module docstring); :meth:`from_settings` reads them
    from ``settings.recommend``."""

    n: int = 10
    diversity: float = 0.3
    freshness: float = 0.1
    half_life_hours: float = 24.0
    max_age_days: float = 30.0
    one_per_story: bool = True
    pins: tuple[str, ...] = ()
    exclusions: frozenset[str] = field(default_factory=frozenset)
    excluded_sections: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not 1 <= self.n <= 100:
            raise InvalidInput("n", self.n, "an integer from 1 to 100")
        for name in ("diversity", "freshness"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise InvalidInput(name, value, "a number from 0 to 1")

    @classmethod
    def from_settings(cls, settings: RecommendSettings, *, n: int | None = None) -> SlateRules:
        return cls(
            n=settings.slate_size if n is None else n,
            diversity=settings.diversity,
            freshness=settings.freshness,
            half_life_hours=settings.half_life_hours,
            max_age_days=settings.max_age_days,
            one_per_story=settings.one_per_story,
            pins=tuple(settings.pins),
            exclusions=frozenset(settings.exclusions),
            excluded_sections=frozenset(settings.excluded_sections),
        )


@dataclass(frozen=True)
class SlateItem:
    article_id: str
    reason: str  # "pinned" or "recommended"
    score: float  # the model's score (nan for a pin the model did not score)
    relevance: float  # the score's rank share among the candidates, in (0, 1]
    value: float  # what the item won its place with (relevance blended with freshness)
    topic: str
    story: str

    def to_dict(self) -> dict[str, Any]:
        def num(x: float) -> float | None:
            return None if math.isnan(x) else round(x, 6)

        return {
            "article_id": self.article_id,
            "reason": self.reason,
            "score": num(self.score),
            "relevance": num(self.relevance),
            "value": num(self.value),
            "topic": self.topic,
            "story": self.story,
        }


def build_slate(
    scored: Sequence[tuple[str, float]],
    catalogue: Catalogue,
    *,
    rules: SlateRules,
    history: Sequence[str] = (),
    at: float,
) -> list[SlateItem]:
    """The slate for one reader: ``scored`` candidates (article id, model score; nan scores rank last)
    through the rules, at POSIX time ``at``. Candidates outside ``catalogue`` are skipped."""
    import numpy as np

    read = set(history)

    def allowed(article_id: str) -> bool:
        if article_id in read or article_id in rules.exclusions or article_id not in catalogue.index:
            return False
        return catalogue.topics[catalogue.index[article_id]] not in rules.excluded_sections

    slate: list[SlateItem] = []
    stories: set[str] = set()
    scores = dict(scored)
    for pin in rules.pins:
        if len(slate) >= rules.n:
            break
        if allowed(pin) and pin not in {s.article_id for s in slate}:
            i = catalogue.index[pin]
            s = float(scores.get(pin, math.nan))
            slate.append(
                SlateItem(pin, "pinned", s, math.nan, math.nan, catalogue.topics[i], catalogue.stories[i])
            )
            stories.add(catalogue.stories[i])

    pinned = {s.article_id for s in slate}
    horizon = rules.max_age_days * 86400.0
    pool: list[tuple[int, float]] = []
    for article_id, score in scored:
        if article_id in pinned or not allowed(article_id):
            continue
        i = catalogue.index[article_id]
        published = float(catalogue.published[i])
        if not math.isnan(published) and at - published > horizon:
            continue
        pool.append((i, float(score)))
    if not pool or len(slate) >= rules.n:
        return slate

    # relevance: rank share, so any model's scale mixes with freshness; nan scores share the bottom rank
    raw = np.array([s for _, s in pool], dtype=np.float64)
    filled = np.where(np.isnan(raw), -np.inf, raw)
    order = np.argsort(-filled, kind="stable")
    ranks = np.empty(len(pool))
    ranks[order] = np.arange(len(pool))
    relevance = 1.0 - ranks / len(pool)
    relevance[np.isinf(filled)] = 1.0 / len(pool)
    times = np.array([float(catalogue.published[i]) for i, _ in pool])
    age_h = np.where(np.isnan(times), np.inf, np.maximum(0.0, at - times) / 3600.0)
    fresh = np.power(0.5, age_h / rules.half_life_hours)
    value = (1 - rules.freshness) * relevance + rules.freshness * fresh

    vectors = catalogue.vectors
    rows = [i for i, _ in pool]
    vec = vectors[rows] if vectors is not None else None
    chosen_rows = [catalogue.index[s.article_id] for s in slate]
    chosen_vec = [vectors[r] for r in chosen_rows] if vectors is not None else []
    chosen_topics = {catalogue.topics[r] for r in chosen_rows if catalogue.topics[r]}
    similarity = np.zeros(len(pool))
    if vec is not None and chosen_vec:
        similarity = np.maximum(similarity, (vec @ np.stack(chosen_vec).T).max(axis=1))
    remaining = np.ones(len(pool), dtype=bool)
    while len(slate) < rules.n and remaining.any():
        topic_hit = np.array([catalogue.topics[r] in chosen_topics for r in rows], dtype=np.float64)
        penalty = np.maximum(similarity, topic_hit)
        mmr = (1 - rules.diversity) * value - rules.diversity * penalty
        mmr[~remaining] = -np.inf
        k = int(np.argmax(mmr))
        remaining[k] = False
        r = rows[k]
        story = catalogue.stories[r]
        if rules.one_per_story and story in stories:
            continue
        slate.append(
            SlateItem(
                catalogue.ids[r],
                "recommended",
                pool[k][1],
                float(relevance[k]),
                float(value[k]),
                catalogue.topics[r],
                story,
            )
        )
        stories.add(story)
        if catalogue.topics[r]:
            chosen_topics.add(catalogue.topics[r])
        if vec is not None:
            similarity = np.maximum(similarity, vec @ vec[k])
    return slate
