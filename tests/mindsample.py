"""A synthetic MIND-format dataset for the recommendation tests (``tests/recommend``, ``tests/evaluate``).

MIND itself (Microsoft Research License Terms) may not be redistributed, so no line of it is committed: this
module writes, deterministically from a seed, files in exactly MIND's format
(``MINDsmall_train/behaviors.tsv`` and ``news.tsv``, see :mod:`newsdesk.recommend.mind`) with the structure
of the real subset. Every id, title, entity and URL is invented (news ``N900001``..., readers ``U900001``...,
impressions ``900001``...; URLs on the reserved ``.example`` domain; titles are word salad from a small word
list per category; the entities' Wikidata-style ids are made up).

What it models, so that the tests and the evaluation protocol have something real to find:

- readers with one or two favourite categories: their history (clicked before the log) and their clicks
  lean towards them, so co-clicks and content carry signal; a few readers have an empty history, some
  readers come back for several impressions;
- articles with a skewed appeal (Pareto): a few are clicked often; each article is shown as a candidate for
  a day and a half after its first showing and is most clicked while fresh, so the recent click-through rate
  (popularity) beats random;
- 5 days of impressions (a few sharing a second), 5-40 candidates each with 1-3 clicks; histories reference
  older articles that are never candidates, and one history repeats an id (MIND's do);
- only part of the news ids have a ``news.tsv`` row (as in the shared subset, many ids are referenced with
  none), plus rows of ids never referenced; some titles hold double quotes (so MIND needs ``QUOTE_NONE``),
  some rows have title/abstract entities (JSON), some an empty abstract.

>>> sample = generate_mind_sample(impressions=20, seed=1)
>>> len(sample.impressions), sample.impressions[0].user.startswith("U9")
(20, True)
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = ["MindSample", "SampleImpression", "generate_mind_sample", "write_mind_sample"]

START = datetime(2019, 11, 9, tzinfo=UTC)
DAYS = 5
SHOWN_FOR = timedelta(hours=36)
FRESH_HALF_LIFE_H = 18.0

#: category: (weight, subcategories, topic words, invented entities)
CATEGORIES: dict[str, tuple[int, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "news": (
        30,
        ("newsus", "newspolitics", "newsworld", "newscrime"),
        ("council", "senate", "vote", "mayor", "court", "police", "election", "bill", "governor", "protest"),
        ("Riverside Council", "Governor Alvarez", "Northport Police"),
    ),
    "sports": (
        28,
        ("football_nfl", "basketball_nba", "baseball_mlb", "soccer"),
        ("coach", "quarterback", "playoff", "season", "goal", "injury", "trade", "league", "score", "rookie"),
        ("Harbor Hawks", "Valley Comets", "Coach Brennan"),
    ),
    "finance": (
        8,
        ("markets", "personalfinance", "finance-companies"),
        ("stocks", "market", "shares", "earnings", "bank", "rates", "investors", "savings", "tax", "profit"),
        ("Northwind Bank", "Contoso Motors", "Fabrikam Inc"),
    ),
    "foodanddrink": (
        7,
        ("recipes", "restaurants", "newstrends"),
        ("recipe", "dinner", "pie", "chef", "restaurant", "turkey", "baking", "wine", "soup", "dessert"),
        ("Chef Okafor", "Maple Street Diner"),
    ),
    "lifestyle": (
        7,
        ("lifestyleroyals", "lifestylebuzz", "shop-holidays"),
        ("family", "wedding", "holiday", "style", "gift", "home", "pets", "shopping", "royal", "friends"),
        ("Duchess Elara", "Willowbrook Mall"),
    ),
    "weather": (
        6,
        ("weathertopstories", "weathernews"),
        ("storm", "snow", "forecast", "cold", "rain", "winds", "freeze", "temperatures", "flood", "frost"),
        ("Lake Pinecrest", "Storm Greta"),
    ),
    "travel": (
        5,
        ("travelnews", "traveltripideas"),
        ("airport", "flight", "hotel", "beach", "cruise", "trip", "airline", "island", "passport", "resort"),
        ("Bayside Airport", "Coral Island"),
    ),
    "health": (
        5,
        ("wellness", "medical", "weightloss"),
        ("doctors", "study", "sleep", "diet", "vaccine", "exercise", "heart", "hospital", "flu", "fitness"),
        ("Mercy Hospital", "Dr. Lindqvist"),
    ),
    "autos": (
        4,
        ("autosnews", "autosenthusiasts"),
        ("truck", "engine", "recall", "sedan", "electric", "driver", "dealer", "mileage", "crash", "pickup"),
        ("Contoso Motors", "Roadster X9"),
    ),
}
COMMON = ("new", "week", "after", "report", "why", "first", "big", "says", "plan", "more", "best", "local")


@dataclass(frozen=True)
class SampleImpression:
    """One line of the synthetic ``behaviors.tsv``, as written."""

    impression_id: str
    user: str
    at: datetime
    history: tuple[str, ...]
    slate: tuple[tuple[str, int], ...]

    @property
    def time(self) -> str:
        """MIND's time format: ``M/D/YYYY h:mm:ss AM``, no leading zeros on month, day and hour."""
        hour = self.at.hour % 12 or 12
        half = "AM" if self.at.hour < 12 else "PM"
        return f"{self.at.month}/{self.at.day}/{self.at.year} {hour}:{self.at:%M:%S} {half}"

    @property
    def candidates(self) -> tuple[str, ...]:
        return tuple(a for a, _ in self.slate)

    @property
    def labels(self) -> tuple[int, ...]:
        return tuple(y for _, y in self.slate)

    def line(self) -> str:
        slate = " ".join(f"{a}-{y}" for a, y in self.slate)
        return "\t".join([self.impression_id, self.user, self.time, " ".join(self.history), slate])


@dataclass(frozen=True)
class MindSample:
    """The synthetic dataset: impressions in file order and ``news.tsv`` rows (8 fields each) in file order,
    with the counts a reader of the files must find."""

    impressions: tuple[SampleImpression, ...]
    news: tuple[tuple[str, ...], ...]

    @property
    def users(self) -> set[str]:
        return {i.user for i in self.impressions}

    @property
    def candidates(self) -> int:
        return sum(len(i.slate) for i in self.impressions)

    @property
    def clicks(self) -> int:
        return sum(sum(i.labels) for i in self.impressions)

    @property
    def empty_histories(self) -> int:
        return sum(not i.history for i in self.impressions)

    @property
    def referenced(self) -> set[str]:
        """Every news id the impressions name (histories and candidates)."""
        return {a for i in self.impressions for a in (*i.history, *i.candidates)}

    def write(self, folder: Path) -> Path:
        """Writes ``folder/MINDsmall_train/{behaviors,news}.tsv``; returns ``folder``."""
        target = Path(folder) / "MINDsmall_train"
        target.mkdir(parents=True, exist_ok=True)
        behaviors = "".join(i.line() + "\n" for i in self.impressions)
        (target / "behaviors.tsv").write_text(behaviors, encoding="utf-8", newline="")
        news = "".join("\t".join(row) + "\n" for row in self.news)
        (target / "news.tsv").write_text(news, encoding="utf-8", newline="")
        return Path(folder)


def _title(rng: random.Random, words: tuple[str, ...], entity: str | None, quote: str) -> tuple[str, int]:
    """A word-salad title of topic and common words (with ``entity`` in it, and quotes when ``quote`` is
    'lead' or 'inner'); and the offset of the entity (-1 without one)."""
    picked = [rng.choice(words) for _ in range(rng.randint(2, 4))]
    picked += rng.sample(COMMON, rng.randint(1, 3))
    rng.shuffle(picked)
    if quote == "inner":
        picked[1] = f'"{picked[1]}'
        picked[2] = f'{picked[2]}"'
    if quote == "lead":
        picked[0] = f'"{picked[0]}'
        picked[1] = f'{picked[1]}"'
    text = " ".join(picked)
    text = text[0].upper() + text[1:] if quote != "lead" else '"' + text[1].upper() + text[2:]
    if entity is None:
        return text, -1
    at = len(text) + 1 if quote == "lead" else rng.choice([0, len(text) + 1])
    return (f"{entity} {text}" if at == 0 else f"{text} {entity}"), at


def _entities(rng: random.Random, name: str, offset: int) -> str:
    """MIND's entity JSON for one surface form (an invented entity with a made-up Wikidata-style id)."""
    entity = {
        "Label": name,
        "Type": rng.choice("GOP"),
        "WikidataId": f"Q{9_900_000 + (sum(map(ord, name)) * 7919) % 99_991}",
        "Confidence": round(rng.uniform(0.9, 1.0), 3),
        "OccurrenceOffsets": [offset],
        "SurfaceForms": [name],
    }
    return json.dumps([entity])


def _news_row(rng: random.Random, news_id: str, category: str, number: int) -> tuple[str, ...]:
    _, subcategories, words, entities = CATEGORIES[category]
    quote = "lead" if number % 23 == 3 else "inner" if number % 17 == 5 else ""
    entity = rng.choice(entities) if rng.random() < 0.6 else None
    title, offset = _title(rng, words, entity, quote)
    title_entities = _entities(rng, entity, offset) if entity is not None else "[]"
    abstract, abstract_entities = "", "[]"
    if rng.random() < 0.9:
        abstract, at = _title(rng, words, entity if rng.random() < 0.3 else None, "")
        abstract += "."
        if at >= 0 and entity is not None:
            abstract_entities = _entities(rng, entity, at)
    url = f"https://news.example/mind/{news_id}.html"
    return (
        news_id,
        category,
        rng.choice(subcategories),
        title,
        abstract,
        url,
        title_entities,
        abstract_entities,
    )


def _weighted_sample(rng: random.Random, items: list[str], weights: list[float], k: int) -> list[str]:
    """``k`` distinct items drawn with probability proportional to their weights (Efraimidis-Spirakis)."""
    keys = [(rng.random() ** (1.0 / w), item) for item, w in zip(items, weights, strict=True)]
    return [item for _, item in sorted(keys, reverse=True)[:k]]


def generate_mind_sample(*, impressions: int = 200, seed: int = 0) -> MindSample:
    """The synthetic dataset of ``impressions`` impressions (at least 1), the same for the same seed."""
    rng = random.Random(seed)
    names = list(CATEGORIES)
    cat_weights = [CATEGORIES[c][0] for c in names]

    n_news = max(40, 2 * impressions)
    n_old = n_news // 4  # published before the log: read in histories, never candidates
    ids = [f"N{900_001 + i}" for i in range(n_news)]
    category = {a: rng.choices(names, cat_weights)[0] for a in ids}
    appeal = {a: min(rng.paretovariate(1.3), 40.0) for a in ids}
    old, live = ids[:n_old], ids[n_old:]
    span = DAYS * 24 * 3600
    first_shown = {a: START + timedelta(seconds=rng.uniform(-0.5 * 86400, span - 0.5 * 86400)) for a in live}

    n_readers = max(1, round(impressions * 0.75))
    readers = [f"U{900_001 + i}" for i in range(n_readers)]
    likes = {r: set(rng.choices(names, cat_weights, k=rng.choice((1, 1, 2)))) for r in readers}
    empty = set(rng.sample(readers, max(1, round(n_readers * 0.04)))) if n_readers > 1 else set()

    def taste(reader: str, article: str) -> float:
        return 6.0 if category[article] in likes[reader] else 1.0

    history: dict[str, tuple[str, ...]] = {}
    for r in readers:
        if r in empty:
            history[r] = ()
            continue
        k = min(rng.randint(2, 30), len(old))
        picked = _weighted_sample(rng, old, [appeal[a] * taste(r, a) for a in old], k)
        history[r] = tuple(picked)
    repeat = next((r for r in readers if len(history[r]) >= 3), None)
    if repeat is not None:  # MIND histories sometimes name an article twice
        h = history[repeat]
        history[repeat] = (*h[:2], h[0], *h[2:])

    who = rng.sample(readers, min(n_readers, impressions))
    activity = [rng.paretovariate(1.0) for _ in readers]
    who += rng.choices(readers, activity, k=impressions - len(who))
    times: list[datetime] = []
    for _ in range(impressions):
        if times and rng.random() < 0.03:
            times.append(rng.choice(times))  # two readers in the same second
        else:
            times.append(START + timedelta(seconds=rng.randrange(span)))

    out: list[SampleImpression] = []
    impression_ids = rng.sample(range(900_001, 900_001 + 10 * impressions), impressions)
    for number, (reader, at) in enumerate(zip(who, times, strict=True)):
        alive = [a for a in live if first_shown[a] <= at < first_shown[a] + SHOWN_FOR]
        if len(alive) < 5:
            alive = sorted(live, key=lambda a: abs((first_shown[a] - at).total_seconds()))[:5]
        k = min(rng.randint(5, 40), len(alive))
        slate = _weighted_sample(rng, alive, [math.sqrt(appeal[a]) for a in alive], k)
        n_clicks = min(rng.choices((1, 2, 3), (75, 18, 7))[0], k - 1)

        def pull(a: str, at: datetime = at, reader: str = reader) -> float:
            age_h = max((at - first_shown[a]).total_seconds(), 0.0) / 3600
            return appeal[a] * taste(reader, a) * 0.5 ** (age_h / FRESH_HALF_LIFE_H)

        clicked = set(_weighted_sample(rng, slate, [pull(a) for a in slate], n_clicks))
        rng.shuffle(slate)
        out.append(
            SampleImpression(
                str(impression_ids[number]),
                reader,
                at,
                history[reader],
                tuple((a, int(a in clicked)) for a in slate),
            )
        )
    rng.shuffle(out)  # MIND's file order is not time order
    lead = next((i for i, imp in enumerate(out) if len(imp.history) >= 2), 0)
    out[0], out[lead] = out[lead], out[0]  # the first line has a history (the tests read it)

    referenced = sorted({a for imp in out for a in (*imp.history, *imp.candidates)})
    with_row = [a for a in referenced if rng.random() < 0.45]
    extra = [f"N{900_001 + n_news + i}" for i in range(max(5, n_news // 12))]  # rows no impression names
    for a in extra:
        category[a] = rng.choices(names, cat_weights)[0]
    rows_ids = with_row + extra
    rng.shuffle(rows_ids)
    news = tuple(_news_row(rng, a, category[a], n) for n, a in enumerate(rows_ids))
    return MindSample(tuple(out), news)


def write_mind_sample(folder: Path, *, impressions: int = 200, seed: int = 0) -> Path:
    """Writes the synthetic dataset under ``folder/MINDsmall_train/``; returns ``folder`` (what
    :func:`~newsdesk.recommend.mind.read_behaviors`, ``read_news`` and ``newsdesk eval recommend`` take)."""
    return generate_mind_sample(impressions=impressions, seed=seed).write(folder)
