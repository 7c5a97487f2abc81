"""The recommendation models as governed model kinds: ``recommend-popularity``, ``recommend-coclick``,
``recommend-content``, ``recommend-mf`` and ``recommend-hybrid``, each trained, evaluated, gated against its
champion, registered and promoted like the other kinds (``newsdesk train recommend-hybrid``).

Training data, in order: ``--data`` (a MIND folder, or a newsdesk events JSONL file whose events carry
impression ids); else the store's reader events, when there are impressions in it; else the MIND sample of
the data directory (``mind-small-subset``). Impressions are split by time: the earliest
:data:`~newsdesk.evaluate.recommend.TRAIN_SHARE` train, the rest are the evaluation set, logged with the
model (``evaluation/dev.jsonl``) *without reader ids*: an evaluation impression is its time, the reader's
earlier reads, the candidates and the clicks. With ``tune`` (the default), each part's parameters and the
hybrid's weights are chosen on the latest fifth of the training period
(:func:`~newsdesk.evaluate.recommend.tune`) before the final fit on all of it; the test period is never
looked at until evaluation.

Metrics (fractions, per judged impression, then averaged): ``auc`` (the primary), ``mrr``, ``ndcg_5``,
``ndcg_10``. Slices: readers with and without a history. Behaviour: a candidate's score does not depend on
the order of the candidates, and a read of an article the model never saw does not change the ranking.
Latency: 10 recommendations over the model's whole catalogue for one reader.

What a model holds: item-side state only (counts, neighbours, item factors, vectors), so no registered
version carries a reader id. A forgotten reader's clicks still count in the aggregates of versions trained
before they were forgotten; the next training leaves them out.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from mlflow.pyfunc.model import PythonModel

from newsdesk.errors import InvalidInput
from newsdesk.lifecycle.fingerprint import Record, fingerprint
from newsdesk.lifecycle.spec import BehaviourResult, Evaluation, ModelSpec, SliceMetric, Trained, p95_ms
from newsdesk.recommend.mind import Impression

if TYPE_CHECKING:
    from newsdesk.recommend.model import Catalogue, ReaderEvent
    from newsdesk.store import Backend

__all__ = [
    "CoClickSpec",
    "ContentSpec",
    "HybridSpec",
    "MfSpec",
    "PopularitySpec",
    "RecommenderPyfunc",
    "RecommenderSpec",
    "impressions_from_events",
]

DATASET = "mind-small-subset"
HISTORY = 50  # earlier reads that describe a reader in an impression built from store events
LATENCY_SAMPLE = 50
BEHAVIOUR_SAMPLE = 200
UNKNOWN_ARTICLE = "newsdesk:behaviour-test:unknown-article"
METRICS = {"auc": "auc", "mrr": "mrr", "ndcg@5": "ndcg_5", "ndcg@10": "ndcg_10"}


def impressions_from_events(events: Iterable[ReaderEvent], *, history: int = HISTORY) -> list[Impression]:
    """Reader events grouped into impressions: each impression id's shown articles, the clicked ones among
    them, and the reader's clicks strictly before it (the latest ``history``). Events without an impression
    id only feed histories."""
    shown: dict[str, list[ReaderEvent]] = defaultdict(list)
    clicked: dict[str, set[str]] = defaultdict(set)
    clicks: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for e in events:
        if e.kind == "impression" and e.impression:
            shown[e.impression].append(e)
        elif e.kind in ("click", "dwell", "open"):
            clicks[e.reader].append((e.at, e.article_id))
            if e.kind == "click" and e.impression:
                clicked[e.impression].add(e.article_id)
    for reads in clicks.values():
        reads.sort()
    out = []
    for impression_id, rows in shown.items():
        at = min(r.at for r in rows)
        reader = rows[0].reader
        candidates = tuple(dict.fromkeys(r.article_id for r in rows))
        earlier = [a for t, a in clicks.get(reader, []) if t < at]
        out.append(
            Impression(
                impression_id=impression_id,
                reader=reader,
                at=at,
                history=tuple(dict.fromkeys(reversed(earlier)))[:history][::-1],
                candidates=candidates,
                labels=tuple(int(a in clicked[impression_id]) for a in candidates),
            )
        )
    return sorted(out, key=lambda i: (i.at, i.impression_id))


def impression_record(imp: Impression) -> Record:
    """What the data fingerprint reads of an impression (no reader id)."""
    text = " ".join(f"{a}:{y}" for a, y in zip(imp.candidates, imp.labels, strict=True))
    return Record(
        f"{imp.impression_id}\x1f{' '.join(imp.history)}\x1f{text}", published_at=imp.at.isoformat()
    )


class RecommenderPyfunc(PythonModel):
    """A saved recommender folder (artifact ``model``). Input: rows ``{"history": [ids], "candidates": [ids],
    "at": ISO time}`` (a DataFrame or a list of dicts); output: ``{"scores": [float or None, ...]}`` each."""

    _skip_type_hint_validation = True

    def load_context(self, context: Any) -> None:
        from newsdesk.recommend.models import load_model

        self.recommender = load_model(context.artifacts["model"])

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> list[Any]:
        import math

        rows = model_input.to_dict("records") if hasattr(model_input, "to_dict") else list(model_input)
        out = []
        for row in rows:
            at = datetime.fromisoformat(str(row["at"]))
            scores = self.recommender.score(list(row["history"]), list(row["candidates"]), at)
            out.append({"scores": [None if math.isnan(s) else round(float(s), 6) for s in scores]})
        return out


class RecommenderSpec(ModelSpec):
    """The training spec of one recommendation model kind (``algorithm`` names its model class)."""

    algorithm: ClassVar[str]
    primary: ClassVar[str] = "auc"
    trains_from_store: ClassVar[bool] = True
    intended_use: ClassVar[str] = (
        'Rank articles for one reader from their reading history ("more for you" modules, newsletter '
        "slates); the slate rules (diversity, freshness, one per story, pins) run after the model."
    )
    limitations: ClassVar[tuple[str, ...]] = (
        "Trained on one audience's clicks: what it learned of popular and co-read articles ages within "
        "days; retrain often (popularity also updates online).",
        "Clicks measure exposure as much as interest: articles editors promoted are over-represented.",
        "The MIND sample it is measured on is thin (5,000 impressions; 3% of candidates have text), so "
        "content similarity barely contributes there; a newsroom's own vectors cover every article.",
        "A forgotten reader's clicks remain in the aggregates of versions trained before; retraining drops "
        "them.",
    )

    def _data(
        self, data: Path | None, store: Backend | None
    ) -> tuple[list[Impression], list[dict[str, Any]], str]:
        from newsdesk.evaluate.locate import find_dataset
        from newsdesk.recommend.mind import read_behaviors, read_events_jsonl, read_news

        salt = self.settings.recommend.salt.get_secret_value()
        if data is None and store is not None:
            from newsdesk.recommend.store import open_events

            events = list(open_events(store, self.settings.store_url).events())
            found = impressions_from_events(events)
            if found:
                return found, [], f"store:{self.settings.store_url} ({len(events)} events)"
        origin = data if data is not None else find_dataset(DATASET, self.settings)
        if origin.is_file() and origin.suffix == ".jsonl":
            events_read, rejected = read_events_jsonl(origin, salt=salt)
            if rejected:
                raise InvalidInput("data", f"{origin}: {len(rejected)} bad lines", "valid event lines")
            return impressions_from_events(events_read), [], str(origin)
        impressions = read_behaviors(origin, salt=salt)
        try:
            news = read_news(origin)
        except (InvalidInput, OSError):
            news = []
        return impressions, news, str(origin)

    def _catalogue(
        self,
        impressions: Sequence[Impression],
        news: Sequence[dict[str, Any]],
        store: Backend | None,
        from_store: bool,
    ) -> Catalogue:
        import numpy as np

        from newsdesk.evaluate.recommend import news_vectors
        from newsdesk.recommend.mind import catalogue_from_mind

        if from_store and store is not None:
            from newsdesk.recommend.catalogue import archive_catalogue

            return archive_catalogue(self.settings, store)
        catalogue = catalogue_from_mind(impressions, news)
        if news:
            catalogue.vectors = news_vectors(news, catalogue.ids)
            catalogue.has_vector = np.asarray(catalogue.vectors.any(axis=1), dtype=bool)
        return catalogue

    def train(
        self,
        workdir: Path,
        *,
        data: Path | None,
        dev: Path | None,
        store: Backend | None,
        params: dict[str, Any],
    ) -> Trained:
        from newsdesk.evaluate.recommend import TRAIN_SHARE, split_by_time, tune
        from newsdesk.recommend.mind import impression_events

        started = time.perf_counter()
        impressions, news, origin = self._data(data, store)
        if len(impressions) < 20:
            raise InvalidInput("data", f"{origin}: {len(impressions)} impressions", "at least 20 impressions")
        catalogue = self._catalogue(impressions, news, store, origin.startswith("store:"))
        if dev is not None:
            train_imps, test_imps, dev_origin = impressions, self.load_eval(dev), str(dev)
        else:
            train_imps, test_imps = split_by_time(impressions, TRAIN_SHARE)
            dev_origin = f"{origin} (the latest {1 - TRAIN_SHARE:.0%} of impressions by time)"
        options = dict(params)
        tuned: dict[str, Any] = {}
        notes = []
        if _flag(options.pop("tune", True)):
            tuned, _ = tune(train_imps, catalogue)
            notes.append(f"parameters chosen on the training period's latest fifth: {json.dumps(tuned)}")
        model = self._model(tuned, options).fit(impression_events(train_imps), catalogue)
        path = model.save(workdir / "recommender")
        dev_path = workdir / "evaluation" / "dev.jsonl"
        dev_path.parent.mkdir(parents=True, exist_ok=True)
        anonymous = [replace(i, reader="") for i in test_imps]
        dev_path.write_text("".join(_dump(i) + "\n" for i in anonymous), encoding="utf-8")
        from newsdesk.lifecycle.pyfunc import model_code

        return Trained(
            python_model=model_code(RecommenderPyfunc, workdir),
            artifacts={"model": str(path)},
            params={"algorithm": self.algorithm, **_flat(model._params())},
            train=fingerprint((impression_record(i) for i in train_imps), path=origin),
            dev=fingerprint((impression_record(i) for i in anonymous), path=dev_origin),
            dev_artifact=dev_path,
            dev_examples=anonymous,
            notes=notes,
            seconds=time.perf_counter() - started,
        )

    def _model(self, tuned: dict[str, Any], options: dict[str, Any]) -> Any:
        from newsdesk.recommend.models import MODELS

        if self.algorithm == "hybrid":
            weights = {k: v for k, v in tuned.get("hybrid", {}).items() if k != "normaliser"}
            normaliser = tuned.get("hybrid", {}).get("normaliser", "rank")
            parts = {k: v for k, v in tuned.items() if k != "hybrid"}
            for key, value in options.items():
                part, _, name = key.partition(".")
                if part == "weight":
                    weights[name] = float(value)
                elif key == "normaliser":
                    normaliser = str(value)
                elif name:
                    parts.setdefault(part, {})[name] = _number(value)
                else:
                    raise InvalidInput("params", key, "weight.<part>, normaliser or <part>.<parameter>")
            kwargs: dict[str, Any] = {"normaliser": normaliser, "params": parts}
            if weights:
                kwargs["weights"] = {"popularity": 1.0, **weights}
            return MODELS["hybrid"](**kwargs)
        chosen = {**tuned.get(self.algorithm, {}), **{k: _number(v) for k, v in options.items()}}
        try:
            return MODELS[self.algorithm](**chosen)
        except TypeError as exc:
            raise InvalidInput(
                "params", sorted(options), f"parameters of the {self.algorithm} model"
            ) from exc

    def load_eval(self, path: Path) -> list[Impression]:
        lines = path.read_text(encoding="utf-8").splitlines()
        return [_load(json.loads(line)) for line in lines if line.strip()]

    def default_eval_path(self) -> Path | None:
        return None

    def evaluate(self, model: Any, examples: Sequence[Impression]) -> Evaluation:
        from newsdesk.evaluate.recommend import accuracy, replay

        if not examples:
            raise InvalidInput("data", 0, "at least one impression to evaluate on")
        recommender = getattr(model, "recommender", model)
        ordered = sorted(examples, key=lambda i: (i.at, i.impression_id))
        scores = replay({"m": recommender}, ordered)["m"]
        overall = accuracy(ordered, scores)
        metrics = {name: float(overall[key]) for key, name in METRICS.items()}
        slices: dict[str, SliceMetric] = {}
        for label, known in (("new", False), ("known", True)):
            idx = [k for k, i in enumerate(ordered) if bool(i.history) == known]
            part = accuracy([ordered[k] for k in idx], [scores[k] for k in idx])
            if part["impressions"]:
                slices[f"reader={label}"] = SliceMetric(float(part["auc"]), int(part["impressions"]))
        sample = ordered[:BEHAVIOUR_SAMPLE]
        behaviour = [
            _invariance(
                "candidate_order",
                "A candidate's score does not depend on the order of the candidates",
                recommender,
                sample,
                lambda i: replace(i, candidates=i.candidates[::-1], labels=i.labels[::-1]),
                reverse=True,
            ),
            _invariance(
                "unknown_read",
                "A read of an article the model has never seen does not change the ranking",
                recommender,
                sample,
                lambda i: replace(i, history=(*i.history, UNKNOWN_ARTICLE)),
                reverse=False,
                exact=False,
            ),
        ]
        reads = [list(i.history) for i in ordered if i.history][:LATENCY_SAMPLE] or [[]]
        at = ordered[-1].at
        latency = p95_ms(lambda h: recommender.top(h, at, 10, exclude=h), reads)
        return Evaluation(metrics, slices, behaviour, latency, self.primary, int(overall["impressions"]))

    def fingerprint(self, examples: Sequence[Any], path: Path) -> Any:
        return fingerprint((impression_record(i) for i in examples), path=str(path))


def _invariance(
    name: str,
    description: str,
    model: Any,
    sample: Sequence[Impression],
    perturb: Any,
    *,
    reverse: bool,
    exact: bool = True,
) -> BehaviourResult:
    import numpy as np

    result = BehaviourResult(name, description, len(sample), 0)
    for imp in sample:
        other = perturb(imp)
        a = np.asarray(model.score(list(imp.history), list(imp.candidates), imp.at), float)
        b = np.asarray(model.score(list(other.history), list(other.candidates), other.at), float)
        if reverse:
            b = b[::-1]
        if exact:
            same = bool(np.allclose(a, b, atol=1e-6, equal_nan=True))
        else:  # the ranking of the candidates, not the last digit of each score
            same = bool(
                np.array_equal(
                    np.argsort(-np.nan_to_num(a, nan=-1e9), kind="stable"),
                    np.argsort(-np.nan_to_num(b, nan=-1e9), kind="stable"),
                )
            )
        if same:
            result.passed += 1
        elif len(result.failures) < 5:
            result.failures.append({"impression": imp.impression_id, "candidates": len(imp.candidates)})
    return result


def _dump(imp: Impression) -> str:
    d = asdict(imp)
    d["at"] = imp.at.isoformat()
    return json.dumps(d)


def _load(d: dict[str, Any]) -> Impression:
    return Impression(
        impression_id=str(d["impression_id"]),
        reader=str(d.get("reader", "")),
        at=datetime.fromisoformat(d["at"]),
        history=tuple(d["history"]),
        candidates=tuple(d["candidates"]),
        labels=tuple(int(x) for x in d["labels"]),
    )


def _flag(value: Any) -> bool:
    return str(value).lower() not in ("0", "false", "no", "off")


def _number(value: Any) -> Any:
    if isinstance(value, int | float | bool):
        return value
    text = str(value)
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            continue
    return text


def _flat(params: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, f"{name}."))
        else:
            out[name] = value
    return out


class PopularitySpec(RecommenderSpec):
    kind: ClassVar[str] = "recommend-popularity"
    algorithm: ClassVar[str] = "popularity"


class CoClickSpec(RecommenderSpec):
    kind: ClassVar[str] = "recommend-coclick"
    algorithm: ClassVar[str] = "coclick"


class ContentSpec(RecommenderSpec):
    kind: ClassVar[str] = "recommend-content"
    algorithm: ClassVar[str] = "content"


class MfSpec(RecommenderSpec):
    kind: ClassVar[str] = "recommend-mf"
    algorithm: ClassVar[str] = "mf"


class HybridSpec(RecommenderSpec):
    kind: ClassVar[str] = "recommend-hybrid"
    algorithm: ClassVar[str] = "hybrid"
