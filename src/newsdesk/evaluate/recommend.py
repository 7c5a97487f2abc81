"""``newsdesk eval recommend``: reader recommendations on MIND impressions (who was shown which articles and
which they clicked), ranked by each model kind against the clicks, later in time than anything fitted.

Protocol. The impressions are sorted by time (then id). The earliest 80% are the **train** period and the
latest 20% the **test** period: the cut is the time of the first test impression (reported as
``details.split``). Hyperparameters and the hybrid's weights are chosen on a **validation** split carved
from the train period alone (its latest 20%, models fitted on its earliest 80%), never on test impressions;
the models are then refitted on the whole train period with the chosen values.

Causal honesty. ALS and content are fitted on the train period only (the readers' histories, which MIND
records as clicks before the log began, and the train-period clicks). Popularity and co-click learn
**online**: before an impression is scored, every impression strictly earlier than it (test-period ones
included, their clicks too) is folded in (popularity's ``partial_fit``, co-click's ``learn``), as a serving
system would; nothing at or after the scored impression's time is used. A catalogue article's
``published`` (the first time it was shown) is at or before every impression that shows it.

Each test impression's candidates are scored; per impression AUC, MRR, nDCG@5 and nDCG@10 (MIND's
definitions, :mod:`newsdesk.recommend.metrics`) are averaged, skipping impressions with no click or only
clicks (``skipped``). Beyond accuracy, each model's top 10 of every test impression's candidates gives the
slates for coverage (of the test period's distinct candidates), intra-list diversity and single-topic share
(by MIND category, where an article has a news row; ``diversity_slates`` counts the slates with two articles
of known category, the only ones these two figures judge), novelty (against train-period clicks) and freshness
(median hours since first shown). ``metrics`` are the hybrid's, ``baseline`` popularity's (the tuned
CTR model); ``details.models`` holds every model, with ``popularity-clicks`` (decayed click counts, the
editors' default) and ``random`` for reference, and ``details.knowledge`` what each model could use.

Caveat: the shared subset is a 3% sample of MINDsmall_train whose news rows were sampled independently, so
only a few percent of candidates have text: content barely contributes here.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from newsdesk.evaluate.harness import EvalResult, task
from newsdesk.recommend.metrics import (
    auc,
    coverage,
    freshness,
    intra_list_diversity,
    mrr,
    ndcg_at_k,
    novelty,
    ranked,
    single_topic_share,
)

if TYPE_CHECKING:
    from newsdesk.recommend.mind import Impression
    from newsdesk.recommend.model import Catalogue, ReaderEvent
    from newsdesk.settings import Settings

__all__ = ["evaluate_recommend", "news_vectors", "replay", "split_by_time"]

TRAIN_SHARE = 0.8
VALIDATION_SHARE = 0.2  # the latest share of the train period
TOP = 10
VECTOR_DIMS = 64
POPULARITY_GRID = {"half_life_hours": (6.0, 24.0, 72.0), "ctr_prior": (0.0, 3.0, 10.0, 30.0)}
COCLICK_GRID = {"neighbours": (20, 100), "fresh_weight": (0.0, 30.0, 300.0, 3000.0)}
MF_GRID = {"factors": (16, 64)}
WEIGHT_GRID = {"coclick": (0.0, 0.3, 1.0, 3.0), "mf": (0.0, 0.3, 1.0, 3.0), "content": (0.0, 0.3)}
NORMALISERS = ("rank", "z")

Scorer = Any  # a fitted model: score(history, candidates, at) -> np.ndarray


def split_by_time(
    impressions: Sequence[Impression], share: float
) -> tuple[list[Impression], list[Impression]]:
    """The earliest ``share`` of the impressions (sorted by time, then id) and the rest; impressions at the
    cut's time all go to the later side, so no earlier side impression is as late as a later one."""
    ordered = sorted(impressions, key=lambda i: (i.at, i.impression_id))
    cut = int(len(ordered) * share)
    while 0 < cut < len(ordered) and ordered[cut - 1].at == ordered[cut].at:
        cut -= 1
    return ordered[:cut], ordered[cut:]


def _slate_events(imp: Impression) -> list[ReaderEvent]:
    from newsdesk.recommend.model import ReaderEvent

    out = []
    for article, label in zip(imp.candidates, imp.labels, strict=True):
        out.append(ReaderEvent(imp.reader, article, "impression", imp.at, None, imp.impression_id, "mind"))
        if label:
            out.append(ReaderEvent(imp.reader, article, "click", imp.at, None, imp.impression_id, "mind"))
    return out


Learner = Callable[["Impression"], None]


def learners_of(*models: Any) -> list[Learner]:
    """How each online model learns from an impression: popularity from its events, co-click from the
    reader's history and clicks (:meth:`CoClickRecommender.learn`)."""
    from newsdesk.recommend.models import CoClickRecommender, PopularityRecommender

    out: list[Learner] = []
    for model in models:
        if isinstance(model, PopularityRecommender):
            out.append(_events_learner(model))
        elif isinstance(model, CoClickRecommender):
            out.append(_coclick_learner(model))
    return out


def _events_learner(model: Any) -> Learner:
    def learn(imp: Impression) -> None:
        model.partial_fit(_slate_events(imp))

    return learn


def _coclick_learner(model: Any) -> Learner:
    def learn(imp: Impression) -> None:
        model.learn(
            imp.history, imp.candidates, [a for a, y in zip(imp.candidates, imp.labels, strict=True) if y]
        )

    return learn


def replay(
    models: Mapping[str, Scorer], scored: Sequence[Impression], learners: Sequence[Learner] = ()
) -> dict[str, list[np.ndarray]]:
    """Each model's scores for each impression of ``scored`` (in time order); before an impression is
    scored, every learner is given each impression strictly earlier than it."""
    out: dict[str, list[np.ndarray]] = {name: [] for name in models}
    fed = 0
    for i, imp in enumerate(scored):
        while fed < i and scored[fed].at < imp.at:
            for learner in learners:
                learner(scored[fed])
            fed += 1
        for name, model in models.items():
            out[name].append(np.asarray(model.score(list(imp.history), list(imp.candidates), imp.at), float))
    return out


def _judged(scored: Sequence[Impression]) -> list[int]:
    """Positions of the impressions with both clicked and unclicked candidates."""
    return [i for i, imp in enumerate(scored) if 0 < sum(imp.labels) < len(imp.labels)]


def accuracy(scored: Sequence[Impression], scores: Sequence[np.ndarray]) -> dict[str, Any]:
    """Mean AUC, MRR, nDCG@5 and nDCG@10 over the judged impressions (nan scores rank last)."""
    judged = _judged(scored)
    figures: dict[str, list[float]] = {"auc": [], "mrr": [], "ndcg@5": [], "ndcg@10": []}
    for i in judged:
        labels, s = scored[i].labels, np.nan_to_num(scores[i], nan=-np.inf)
        figures["auc"].append(auc(labels, s))
        figures["mrr"].append(mrr(labels, s))
        figures["ndcg@5"].append(ndcg_at_k(labels, s, 5))
        figures["ndcg@10"].append(ndcg_at_k(labels, s, 10))
    out: dict[str, Any] = {k: round(float(np.mean(v)), 4) if v else math.nan for k, v in figures.items()}
    out["impressions"] = len(judged)
    out["skipped"] = len(scored) - len(judged)
    return out


def beyond_accuracy(
    scored: Sequence[Impression],
    scores: Sequence[np.ndarray],
    catalogue: Catalogue,
    clicks: Mapping[str, float],
) -> dict[str, Any]:
    """Figures of the top-10 slates the scores make of each impression's candidates."""
    slates = [[imp.candidates[j] for j in ranked(s)[:TOP]] for imp, s in zip(scored, scores, strict=True)]
    return _slate_stats(scored, slates, catalogue, clicks)


def slate_figures(
    scored: Sequence[Impression],
    scores: Sequence[np.ndarray],
    catalogue: Catalogue,
    clicks: Mapping[str, float],
    settings: Settings,
) -> dict[str, Any]:
    """:func:`beyond_accuracy` of the slates a reader would see: each impression's candidates, ranked by
    the scores, through the service's slate rules (``settings.recommend``: freshness, topic and vector
    diversity by maximal marginal relevance, one per story; the history is filtered out), ten long."""
    from newsdesk.recommend.slate import SlateRules, build_slate

    rules = SlateRules.from_settings(settings.recommend, n=TOP)
    slates = []
    for imp, s in zip(scored, scores, strict=True):
        built = build_slate(
            list(zip(imp.candidates, (float(x) for x in s), strict=True)),
            catalogue,
            rules=rules,
            history=imp.history,
            at=imp.at.timestamp(),
        )
        slates.append([item.article_id for item in built])
    return _slate_stats(scored, slates, catalogue, clicks)


def _slate_stats(
    scored: Sequence[Impression], slates: list[list[str]], catalogue: Catalogue, clicks: Mapping[str, float]
) -> dict[str, Any]:
    pool = {a for imp in scored for a in imp.candidates}
    topic_of = {a: t for a, t in zip(catalogue.ids, catalogue.topics, strict=True) if t}
    published = {
        a: float(p) for a, p in zip(catalogue.ids, catalogue.published, strict=True) if not math.isnan(p)
    }
    return {
        "coverage": round(coverage(slates, max(len(pool), 1)), 4),
        "intra_list_diversity": intra_list_diversity(slates, topic_of),
        "diversity_slates": sum(sum(a in topic_of for a in slate) >= 2 for slate in slates),
        "novelty": round(novelty(slates, clicks), 4),
        "freshness_hours": round(freshness(slates, published, [imp.at for imp in scored]), 2),
        "single_topic_share": round(single_topic_share(slates, topic_of), 4),
    }


def _fast(scored: Sequence[Impression], scores: Sequence[np.ndarray]) -> float:
    """The validation criterion: mean AUC + mean nDCG@10 over judged impressions."""
    judged = _judged(scored)
    if not judged:
        return 0.0
    a = [auc(scored[i].labels, np.nan_to_num(scores[i], nan=-np.inf)) for i in judged]
    n = [ndcg_at_k(scored[i].labels, np.nan_to_num(scores[i], nan=-np.inf), 10) for i in judged]
    return float(np.mean(a) + np.mean(n))


def news_vectors(news: Sequence[dict[str, Any]], ids: Sequence[str], dims: int = VECTOR_DIMS) -> np.ndarray:
    """Unit LSA vectors (TF-IDF of category, subcategory, title and abstract, truncated SVD) of the news rows,
    one row per id of ``ids`` (zero where an id has no row). Unsupervised and item-side: no clicks used."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectors = np.zeros((len(ids), dims), dtype=np.float32)
    index = {a: i for i, a in enumerate(ids)}
    rows = [r for r in news if r["news_id"] in index]
    if len(rows) < 3:
        return vectors
    texts = [" ".join(str(r[k]) for k in ("category", "subcategory", "title", "abstract")) for r in rows]
    tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(texts)
    k = max(1, min(dims, tfidf.shape[0] - 1, tfidf.shape[1] - 1))
    lsa = TruncatedSVD(n_components=k, random_state=0).fit_transform(tfidf)
    lsa /= np.maximum(np.linalg.norm(lsa, axis=1, keepdims=True), 1e-12)
    for r, v in zip(rows, lsa, strict=True):
        vectors[index[r["news_id"]], :k] = v
    return vectors


class _Random:
    """Uniform scores, seeded per impression: the floor every model must clear."""

    def score(self, history: Sequence[str], candidates: Sequence[str], at: Any) -> np.ndarray:
        seed = zlib.crc32(f"{at.isoformat()} {' '.join(candidates)}".encode())
        return np.random.default_rng(seed).random(len(candidates))


def _best(
    grid: Mapping[str, Sequence[Any]], run: Callable[[dict[str, Any]], float]
) -> tuple[dict[str, Any], dict[str, float]]:
    """The grid point with the highest ``run`` value (the first on ties), and every point's value."""
    tried: dict[str, float] = {}
    best: tuple[float, dict[str, Any]] = (-math.inf, {})
    for values in product(*grid.values()):
        params = dict(zip(grid, values, strict=True))
        value = run(params)
        tried[",".join(f"{k}={v}" for k, v in params.items())] = round(value, 4)
        if value > best[0]:
            best = (value, params)
    return best[1], tried


def _fit_parts(
    events: Sequence[ReaderEvent], catalogue: Catalogue, chosen: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    from newsdesk.recommend.models import (
        CoClickRecommender,
        ContentRecommender,
        ImplicitMFRecommender,
        PopularityRecommender,
    )

    parts: dict[str, Any] = {
        "popularity": PopularityRecommender(**chosen.get("popularity", {})).fit(events, catalogue),
        "coclick": CoClickRecommender(**chosen.get("coclick", {})).fit(events, catalogue),
        "mf": ImplicitMFRecommender(**chosen.get("mf", {})).fit(events, catalogue),
    }
    if catalogue.vectors is not None:
        parts["content"] = ContentRecommender().fit(events, catalogue)
    return parts


def tune(train: Sequence[Impression], catalogue: Catalogue) -> tuple[dict[str, Any], dict[str, Any]]:
    """Parameters of each part and the hybrid's weights, chosen on the train period's latest
    ``VALIDATION_SHARE`` with models fitted on the rest; and the validation figures of every try."""
    from newsdesk.recommend.mind import impression_events
    from newsdesk.recommend.models import CoClickRecommender, ImplicitMFRecommender, PopularityRecommender

    fit, val = split_by_time(train, 1 - VALIDATION_SHARE)
    events = impression_events(fit)

    def popularity(p: dict[str, Any]) -> float:
        model = PopularityRecommender(**p).fit(events, catalogue)
        return _fast(val, replay({"m": model}, val, learners_of(model))["m"])

    def static(cls: Any) -> Callable[[dict[str, Any]], float]:
        def run(p: dict[str, Any]) -> float:
            model = cls(**p).fit(events, catalogue)
            return _fast(val, replay({"m": model}, val, learners_of(model))["m"])

        return run

    chosen: dict[str, Any] = {}
    tried: dict[str, Any] = {"impressions": {"fit": len(fit), "validation": len(val)}}
    chosen["popularity"], tried["popularity"] = _best(POPULARITY_GRID, popularity)
    chosen["coclick"], tried["coclick"] = _best(COCLICK_GRID, static(CoClickRecommender))
    chosen["mf"], tried["mf"] = _best(MF_GRID, static(ImplicitMFRecommender))
    parts = _fit_parts(events, catalogue, chosen)
    cached = replay(parts, val, learners_of(*parts.values()))
    grid = {k: v for k, v in WEIGHT_GRID.items() if k in parts} | {"normaliser": NORMALISERS}
    chosen["hybrid"], tried["hybrid"] = _best(grid, lambda p: _fast(val, _mix(cached, p)))
    return chosen, tried


def _mix(cached: Mapping[str, Sequence[np.ndarray]], params: Mapping[str, Any]) -> list[np.ndarray]:
    """The hybrid's scores from the parts' cached scores (as :class:`HybridRecommender` combines them)."""
    from newsdesk.recommend.models.hybrid import normalise

    weights = {"popularity": 1.0} | {k: float(v) for k, v in params.items() if k != "normaliser"}
    out = []
    for i in range(len(cached["popularity"])):
        total = sum(w * normalise(cached[k][i], params["normaliser"]) for k, w in weights.items() if w > 0)
        out.append(np.asarray(total))
    return out


def _knowledge(
    scored: Sequence[Impression], parts: Mapping[str, Any], earlier: Sequence[Impression]
) -> dict[str, float]:
    """What the models could use on the scored impressions: shares of candidates (and of readers)."""
    seen = {a for imp in earlier for a in imp.candidates}
    candidates = [a for imp in scored for a in imp.candidates]
    shown_before = 0
    for imp in scored:  # time order: an impression's candidates count as seen only for later ones
        shown_before += sum(a in seen for a in imp.candidates)
        seen.update(imp.candidates)

    def share(flags: Sequence[bool]) -> float:
        return round(sum(flags) / max(len(flags), 1), 4)

    out = {"candidates_shown_before": round(shown_before / max(len(candidates), 1), 4)}
    for name, attr in (("coclick", "known_"), ("mf", "known_"), ("content", "has_vector_")):
        if name in parts:
            m = parts[name]
            out[f"candidates_known_to_{name}"] = share(
                [bool(getattr(m, attr)[m.index_[a]]) for a in candidates]
            )
    out["readers_with_history"] = share([bool(imp.history) for imp in scored])
    return out


@task("recommend", dataset="mind-small-subset")
def evaluate_recommend(path: Path, settings: Settings, limit: int | None) -> EvalResult:
    """Reader recommendations on MIND impressions, later in time than training: AUC, MRR and nDCG of
    popularity, co-click, content, ALS and the hybrid, with beyond-accuracy figures of their top 10."""
    from newsdesk.recommend.mind import catalogue_from_mind, impression_events, read_behaviors, read_news
    from newsdesk.recommend.models import HybridRecommender, PopularityRecommender

    impressions = sorted(
        read_behaviors(path, salt=settings.recommend.salt.get_secret_value()),
        key=lambda i: (i.at, i.impression_id),
    )[:limit]
    news = read_news(path)
    catalogue = catalogue_from_mind(impressions, news)
    catalogue.vectors = news_vectors(news, catalogue.ids)
    catalogue.has_vector = np.linalg.norm(catalogue.vectors, axis=1) > 0
    train, test = split_by_time(impressions, TRAIN_SHARE)
    chosen, tried = tune(train, catalogue)

    events = impression_events(train)
    parts = _fit_parts(events, catalogue, chosen)
    weights = {k: v for k, v in chosen["hybrid"].items() if k != "normaliser"}
    hybrid = HybridRecommender.of(parts, {"popularity": 1.0} | weights, chosen["hybrid"]["normaliser"])
    clicks_model = PopularityRecommender(half_life_hours=1e6, ctr_prior=0.0).fit(events, catalogue)
    models = {"popularity-clicks": clicks_model, **parts, "hybrid": hybrid, "random": _Random()}
    scores = replay(models, test, learners_of(*parts.values(), clicks_model))

    clicks = Counter(a for imp in train for a, y in zip(imp.candidates, imp.labels, strict=True) if y)
    figures = {
        name: accuracy(test, s) | beyond_accuracy(test, s, catalogue, clicks) for name, s in scores.items()
    }
    slates = {name: slate_figures(test, s, catalogue, clicks, settings) for name, s in scores.items()}
    return EvalResult(
        task="recommend",
        dataset=str(path),
        n=figures["hybrid"]["impressions"],
        model="hybrid ("
        + ", ".join(f"{k} {w:g}" for k, w in hybrid.weights.items())
        + f"; {hybrid.normaliser})",
        metrics=figures["hybrid"],
        baseline=figures["popularity"],
        details={
            "models": figures,
            "slates": slates,
            "chosen": chosen,
            "validation": tried,
            "split": {
                "train": len(train),
                "test": len(test),
                "cut": test[0].at.isoformat() if test else None,
                "train_period": [train[0].at.isoformat(), train[-1].at.isoformat()] if train else None,
            },
            "knowledge": _knowledge(test, parts, train),
            "online": "popularity and co-click (also as the hybrid's parts) fold in every impression "
            "strictly before the scored one, test-period ones included; ALS and content use the train "
            "period only",
        },
    )
