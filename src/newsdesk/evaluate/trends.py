"""``newsdesk eval trends``: how soon the stories of the UCI News Aggregator headlines trend, and how much of
the top 10 is noise.

The headlines (36 hours, 87 gold stories) are replayed in timestamp order. Every ``STEP_MINUTES`` the top
10 trends are taken over the ``WINDOW_HOURS`` (whole hours, the current one included up to now) against
everything before them (up to ``BASELINE_HOURS``), over the headlines' keyphrases (the ``keyphrases``
component, fitted on the file's headlines: unsupervised) and, unless ``entities=False``, their entities
(the ``entities`` component's spaCy NER and within-headline merging).

A trend *belongs to* a story when at least half of the window's headlines that carry its key are from that
story; otherwise it is **noise**. ``purity_mean`` is the mean share of the trend's window headlines that its
biggest story holds. For the ``TOP_STORIES`` stories with the most headlines, the latency is the
time from the story's first headline to the first snapshot whose top 10 holds a trend belonging to it.

Two rankers run on the same snapshots: the model (:func:`newsdesk.trends.find_trends`, gamma-Poisson
surprise) and, as the baseline, the keys most frequent in the window (no baseline, same ``min_count``).
Both fold a term whose window headlines mostly carry a better-ranked term into it (one entry per story).

Caveat, measured on the dev file: every story's headlines carry timestamps within one minute of each other
(the aggregator's collection batches, not publication times), so a story arrives whole and the latency mostly
measures the snapshot step and whether the story's terms win a top-10 place, not a slow build-up.
"""

from __future__ import annotations

import csv
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsdesk.evaluate.harness import EvalResult, task

if TYPE_CHECKING:
    from newsdesk.settings import Settings
    from newsdesk.trends.series import HourlyCounts

__all__ = ["Headline", "evaluate_trends", "read_headlines", "replay"]

STEP_MINUTES = 10
WINDOW_HOURS = 3
BASELINE_HOURS = 24
TOP = 10
TOP_STORIES = 20
SHARE = 0.5  # a trend belongs to the story holding at least this share of its window headlines
MIN_COUNT = 3

Term = tuple[str, str]  # (kind, key)
Ranker = Callable[[dict[str, "HourlyCounts"], int], list[Term]]
Snapshot = tuple[datetime, list[tuple[Term, str | None, float]]]


@dataclass(frozen=True)
class Headline:
    at: datetime
    title: str
    story: str


def read_headlines(path: Path, limit: int | None = None) -> list[Headline]:
    """The file's headlines in timestamp order (the first ``limit`` of them)."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = [
            Headline(datetime.fromtimestamp(int(r["TIMESTAMP"]) / 1000, UTC), r["TITLE"], r["STORY"])
            for r in csv.DictReader(f)
        ]
    rows.sort(key=lambda h: (h.at, h.title))
    return rows[:limit] if limit else rows


def _terms(heads: Sequence[Headline], settings: Settings, entities: bool) -> list[list[tuple[str, str, str]]]:
    """(kind, key, label) of each headline: its keyphrases and, with ``entities``, its entities."""
    from newsdesk.nlp.keyphrases import KeyphrasesComponent, phrase_key

    titles = [h.title for h in heads]
    kp = KeyphrasesComponent(top_k=5).fit_texts(titles)
    out = [[("keyphrase", phrase_key(p["phrase"]), p["phrase"]) for p in kp.extract(t, "")] for t in titles]
    if entities:
        from newsdesk.nlp.entities import EntitiesComponent, merge_mentions

        found = EntitiesComponent.from_settings(settings).mentions(titles)
        for terms, mentions in zip(out, found, strict=True):
            terms.extend(("entity", e["id"], e["name"]) for e in merge_mentions(mentions))
    return out


def _model_ranker(tables: dict[str, HourlyCounts], end_hour: int) -> list[Term]:
    from newsdesk.trends import TrendSpec, find_trends

    spec = TrendSpec(window_hours=WINDOW_HOURS, baseline_hours=BASELINE_HOURS, min_count=MIN_COUNT)
    return [(t.kind, t.key) for t in find_trends(tables, end_hour, spec, limit=TOP)]


def _frequency_ranker(tables: dict[str, HourlyCounts], end_hour: int) -> list[Term]:
    from newsdesk.trends.service import fold_items

    window = range(end_hour - WINDOW_HOURS, end_hour)
    counts = [
        (sum(c for h, c in series.items() if h in window), kind, key)
        for kind, table in tables.items()
        for key, series in table.counts.items()
    ]
    best = sorted((c for c in counts if c[0] >= MIN_COUNT), key=lambda c: (-c[0], c[1], c[2]))

    def docs(term: Term) -> set[str]:
        return {d for h, d in tables[term[0]].members.get(term[1], []) if h in window}

    return [term for term, _ in fold_items([(kind, key) for _, kind, key in best], docs, limit=TOP)]


def replay(
    heads: Sequence[Headline], terms: Sequence[Sequence[tuple[str, str, str]]], ranker: Ranker
) -> list[Snapshot]:
    """Snapshots every ``STEP_MINUTES``: (time, [(trend, the story it belongs to or None, that story's
    share of the trend's window headlines)])."""
    from newsdesk.trends.series import HourlyCounts, hour_of, hour_start

    tables: dict[str, HourlyCounts] = {"keyphrase": HourlyCounts(), "entity": HourlyCounts()}
    carriers: dict[Term, list[int]] = defaultdict(list)  # term -> indices of the headlines carrying it
    snapshots = []
    now, last, i = heads[0].at, heads[-1].at + timedelta(hours=WINDOW_HOURS), 0
    while now <= last:
        now += timedelta(minutes=STEP_MINUTES)
        while i < len(heads) and heads[i].at < now:
            for kind in tables:
                tables[kind].add(heads[i].at, [(k, label) for kd, k, label in terms[i] if kd == kind], str(i))
            for kind, key, _ in terms[i]:
                carriers[(kind, key)].append(i)
            i += 1
        end_hour = hour_of(now) + 1
        start = hour_start(end_hour - WINDOW_HOURS)
        owned = []
        for term in ranker(tables, end_hour):
            stories = Counter(heads[j].story for j in carriers[term] if start <= heads[j].at < now)
            story, n = stories.most_common(1)[0] if stories else (None, 0)
            share = n / sum(stories.values()) if n else 0.0
            owned.append((term, story if n and share >= SHARE else None, share))
        snapshots.append((now, owned))
    return snapshots


def _measure(heads: Sequence[Headline], snapshots: list[Snapshot]) -> dict[str, Any]:
    first: dict[str, datetime] = {}
    size: Counter[str] = Counter()
    for h in heads:
        first.setdefault(h.story, h.at)
        size[h.story] += 1
    top = [s for s, _ in size.most_common(TOP_STORIES)]
    latency: dict[str, float | None] = {}
    for story in top:
        hit = next(
            (t for t, owned in snapshots if any(s == story for _, s, _ in owned) and t >= first[story]), None
        )
        latency[story] = None if hit is None else round((hit - first[story]).total_seconds() / 60, 1)
    found = [v for v in latency.values() if v is not None]
    noise_per_snapshot = [sum(s is None for _, s, _ in owned) for _, owned in snapshots]
    shares = [share for _, owned in snapshots for _, _, share in owned]
    shown = [len(owned) for _, owned in snapshots]
    hours = (snapshots[-1][0] - snapshots[0][0]).total_seconds() / 3600 if snapshots else 0.0
    noise_keys = {term for _, owned in snapshots for term, s, _ in owned if s is None}
    return {
        "stories": len(top),
        "detected": len(found),
        "detected_share": round(len(found) / len(top), 3) if top else 0.0,
        "latency_minutes_median": statistics.median(found) if found else None,
        "latency_minutes_mean": round(statistics.fmean(found), 1) if found else None,
        "latency_minutes_max": max(found) if found else None,
        "detected_within_60_min": sum(v <= 60 for v in found),
        "trends_per_snapshot_mean": round(statistics.fmean(shown), 2) if shown else 0.0,
        "noise_per_snapshot_mean": round(statistics.fmean(noise_per_snapshot), 2) if shown else 0.0,
        "noise_share": round(sum(noise_per_snapshot) / max(1, sum(shown)), 3),
        "purity_mean": round(statistics.fmean(shares), 3) if shares else None,
        "distinct_noise_trends_per_hour": round(len(noise_keys) / hours, 2) if hours else None,
        "distinct_noise_trends_per_day": round(24 * len(noise_keys) / hours, 1) if hours else None,
        "latency_by_story": latency,
        "noise_examples": sorted(f"{k}: {key}" for k, key in noise_keys)[:15],
    }


@task("trends", dataset="uci-news-aggregator-head/dev.csv")
def evaluate_trends(path: Path, settings: Settings, limit: int | None) -> EvalResult:
    """Latency to the top 10 trends of the biggest UCI stories, and top-10 noise: gamma-Poisson surprise vs
    the most frequent terms of the window."""
    return run(path, settings, limit)


def run(path: Path, settings: Settings, limit: int | None, *, entities: bool = True) -> EvalResult:
    heads = read_headlines(path, limit)
    terms = _terms(heads, settings, entities)
    model = _measure(heads, replay(heads, terms, _model_ranker))
    baseline = _measure(heads, replay(heads, terms, _frequency_ranker))
    return EvalResult(
        task="trends",
        dataset=str(path),
        n=len(heads),
        model="gamma-Poisson surprise (newsdesk.trends), keyphrases" + (" + entities" if entities else ""),
        metrics={k: v for k, v in model.items() if k not in ("latency_by_story", "noise_examples")},
        baseline={k: v for k, v in baseline.items() if k not in ("latency_by_story", "noise_examples")},
        details={
            "protocol": f"snapshots every {STEP_MINUTES} min; top {TOP} over the last {WINDOW_HOURS} h "
            f"against up to {BASELINE_HOURS} h before; a trend belongs to a story holding >= {SHARE:.0%} "
            f"of its window headlines; the {TOP_STORIES} stories with the most headlines",
            "baseline": "the most frequent keyphrases/entities of the window (count >= 3)",
            "stories_total": len({h.story for h in heads}),
            "model_latency_by_story": model["latency_by_story"],
            "baseline_latency_by_story": baseline["latency_by_story"],
            "model_noise_examples": model["noise_examples"],
            "baseline_noise_examples": baseline["noise_examples"],
        },
    )
