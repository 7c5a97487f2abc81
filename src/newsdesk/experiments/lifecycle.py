"""``newsdesk-headlines``: the pairwise headline scorer as a governed model.

Training data: an Upworthy-shaped CSV of finished tests (``--data``, default the archive's exploratory
packages, ``upworthy-exploratory/upworthy_clean.csv`` of the data directory), turned into judged pairs
(:func:`~newsdesk.experiments.headlines.judged_pairs`). Evaluation set, unless ``--dev`` names one: the
pairs of the last quarter of the test weeks (``split: time``) and one test in five of the earlier weeks,
chosen by a hash of the test id (``split: test``); the scorer trains on the remaining earlier pairs. The
set is logged with the model (``evaluation/dev.jsonl``), so later gate reports read the same pairs.

Metrics: pairwise accuracy on all evaluation pairs (``pairwise_accuracy``), on the held-out tests of the
training period (``pairwise_accuracy_by_test``) and on the later weeks (``pairwise_accuracy_by_time``, the
primary: a scorer is used on headlines written after it was trained). Slices: by split and by year.
Behaviour: a headline's score does not depend on the batch it is scored in, nor on surrounding whitespace.
This module imports MLflow: the lifecycle loads it only when a headlines model is trained or evaluated.

>>> [split_of(HeadlinePair(t, week, "a", "b", 1, 0.01), cut=201449) for t, week in
...  [("12ab", 201410), ("a1", 201410), ("a1", 201501)]]
['test', 'train', 'time']
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from mlflow.pyfunc.model import PythonModel

from newsdesk.errors import InvalidInput
from newsdesk.experiments.headlines import HeadlinePair, HeadlineScorer, pairwise_accuracy
from newsdesk.lifecycle.fingerprint import Record, fingerprint
from newsdesk.lifecycle.spec import BehaviourResult, Evaluation, ModelSpec, SliceMetric, Trained, p95_ms

if TYPE_CHECKING:
    from newsdesk.store import Backend

__all__ = ["DATASET", "DevPair", "HeadlinesPyfunc", "HeadlinesSpec", "split_of"]

DATASET = "upworthy-exploratory/upworthy_clean.csv"
TEST_SHARE = 0.25  # the last quarter of the test weeks is held out (as the eval's by-time split)
TEST_FOLD = 5  # one earlier test in five is held out
PARAMS = ("C", "embeddings", "shape")
BEHAVIOUR_SAMPLE = 100
LATENCY_SAMPLE = 20


@dataclass(frozen=True)
class DevPair:
    """An evaluation pair and the split it stands for (``test``: an unseen test of the training weeks;
    ``time``: a test of later weeks; ``given``: a pair of a ``--dev`` file)."""

    test_id: str
    week: int
    a: str
    b: str
    label: int
    p_value: float
    split: str

    @property
    def pair(self) -> HeadlinePair:
        return HeadlinePair(self.test_id, self.week, self.a, self.b, self.label, self.p_value)

    def record(self) -> Record:
        return pair_record(self.pair, self.split)


def pair_record(pair: HeadlinePair, split: str = "train") -> Record:
    """What the data fingerprint reads of a pair: its test, week, headlines and label."""
    return Record(
        f"{pair.test_id}\x1f{pair.week}\x1f{pair.label}\x1f{pair.a}\x1f{pair.b}",
        published_at=str(pair.week),
        source=split,
        labels=(str(pair.label),),
    )


def split_of(pair: HeadlinePair, *, cut: int) -> str:
    """``time`` from week ``cut`` on; else ``test`` for one test in :data:`TEST_FOLD` (by a hash of its
    id, so a test's pairs stay together), else ``train``."""
    if pair.week >= cut:
        return "time"
    bucket = int(hashlib.sha256(pair.test_id.encode("utf-8")).hexdigest()[:8], 16) % TEST_FOLD
    return "test" if bucket == 0 else "train"


class HeadlinesPyfunc(PythonModel):
    """The scorer (artifact ``model``: its joblib file). Input: a DataFrame with a ``headline`` column, a
    list of strings or of ``{"headline": ...}`` dicts; output: ``{"score": float}`` each (the higher of two
    headlines is predicted to win)."""

    _skip_type_hint_validation = True  # as the sections wrapper: the input is not a type-hinted schema

    def load_context(self, context: Any) -> None:
        self.scorer = HeadlineScorer.load(context.artifacts["model"])

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> list[Any]:
        rows = model_input.to_dict("records") if hasattr(model_input, "to_dict") else list(model_input)
        headlines = [str(r["headline"]) if isinstance(r, dict) else str(r) for r in rows]
        return [{"score": round(float(s), 6)} for s in self.scorer.score(headlines)]


class HeadlinesSpec(ModelSpec):
    kind: ClassVar[str] = "headlines"
    primary: ClassVar[str] = "pairwise_accuracy_by_time"
    intended_use: ClassVar[str] = (
        "Order an editor's candidate headlines for one story by how likely each is to win a click-through "
        "test against the others (a ranking aid for headline ideas, not a predicted click rate)."
    )
    limitations: ClassVar[tuple[str, ...]] = (
        "Learned from Upworthy's 2013-2015 tests: one publisher's audience, voice and social-media era; "
        "it rewards what won there (curiosity, 'you', specifics), which may not transfer to a newsroom's "
        "front page or to today.",
        "Pairwise only: scores compare headlines of the same story; across stories they mean nothing.",
        "About 7 in 10 judged pairs right; pairs whose click rates differ little are close to chance.",
        "English only; the embedding block reads all-MiniLM-L6-v2 vectors (pinned in the model).",
    )

    def train(
        self,
        workdir: Path,
        *,
        data: Path | None,
        dev: Path | None,
        store: Backend | None,
        params: dict[str, Any],
    ) -> Trained:
        from newsdesk.evaluate.locate import find_dataset
        from newsdesk.experiments.headlines import judged_pairs, read_packages, time_split

        started = time.perf_counter()
        unknown = set(params) - set(PARAMS)
        if unknown:
            raise InvalidInput(
                "params", sorted(unknown), f"parameters of the headline scorer: {list(PARAMS)}"
            )
        origin = data or find_dataset(DATASET, self.settings)
        pairs = judged_pairs(read_packages(origin))
        if len(pairs) < 10:
            raise InvalidInput("data", len(pairs), "an Upworthy-shaped CSV with at least 10 judged pairs")
        if dev is not None:
            train_pairs, dev_pairs, dev_origin = pairs, self.load_eval(dev), str(dev)
        else:
            _, held = time_split(pairs, TEST_SHARE)
            cut = min(pairs[i].week for i in held)
            splits = [split_of(p, cut=cut) for p in pairs]
            train_pairs = [p for p, s in zip(pairs, splits, strict=True) if s == "train"]
            dev_pairs = [
                DevPair(**asdict(p), split=s) for p, s in zip(pairs, splits, strict=True) if s != "train"
            ]
            dev_origin = f"{origin} (weeks from {cut}, and one earlier test in {TEST_FOLD} by id hash)"
        scorer = HeadlineScorer(
            embeddings=bool(params.get("embeddings", True)),
            shape=bool(params.get("shape", False)),
            C=float(params["C"]) if "C" in params else None,
            embedding_weights=(1.0, 2.0),
            settings=self.settings,
        ).fit(train_pairs)
        path = scorer.save(workdir / "scorer.joblib")
        dev_path = workdir / "evaluation" / "dev.jsonl"
        dev_path.parent.mkdir(parents=True, exist_ok=True)
        dev_path.write_text("".join(json.dumps(asdict(p)) + "\n" for p in dev_pairs), encoding="utf-8")
        from newsdesk.lifecycle.pyfunc import model_code

        return Trained(
            python_model=model_code(HeadlinesPyfunc, workdir),
            artifacts={"model": str(path)},
            params={
                "C": scorer.chosen_C,
                "embeddings": scorer.embeddings,
                "embedding_model": scorer.embedding_model or "",
                "embedding_weight": scorer.embedding_weight,
                "shape": scorer.shape,
                "model": scorer.digest,
            },
            train=fingerprint((pair_record(p) for p in train_pairs), path=str(origin)),
            dev=fingerprint((p.record() for p in dev_pairs), path=dev_origin),
            dev_artifact=dev_path,
            dev_examples=dev_pairs,
            seconds=time.perf_counter() - started,
        )

    def load_eval(self, path: Path) -> list[DevPair]:
        """The pairs of a ``dev.jsonl`` written by :meth:`train`, or every judged pair of a CSV
        (``split: given``)."""
        from newsdesk.experiments.headlines import judged_pairs, read_packages

        if path.suffix == ".jsonl":
            lines = path.read_text(encoding="utf-8").splitlines()
            return [DevPair(**json.loads(line)) for line in lines if line.strip()]
        return [DevPair(**asdict(p), split="given") for p in judged_pairs(read_packages(path))]

    def default_eval_path(self) -> Path | None:
        return None

    def evaluate(self, model: Any, examples: Sequence[DevPair]) -> Evaluation:
        if not examples:
            raise InvalidInput("data", 0, "at least one judged headline pair to evaluate on")
        scorer: HeadlineScorer = model.scorer
        pairs = [e.pair for e in examples]
        probs = scorer.predict_proba(pairs)
        metrics = {"pairwise_accuracy": round(pairwise_accuracy(pairs, probs), 4)}
        slices: dict[str, SliceMetric] = {}
        for split in ("test", "time", "given"):
            idx = [k for k, e in enumerate(examples) if e.split == split]
            if idx:
                value = round(pairwise_accuracy([pairs[k] for k in idx], probs[idx]), 4)
                if split != "given":
                    metrics[f"pairwise_accuracy_by_{split}"] = value
                slices[f"split={split}"] = SliceMetric(value, len(idx))
        for year in sorted({e.week // 100 for e in examples}):
            idx = [k for k, e in enumerate(examples) if e.week // 100 == year]
            slices[f"year={year}"] = SliceMetric(
                round(pairwise_accuracy([pairs[k] for k in idx], probs[idx]), 4), len(idx)
            )
        if "pairwise_accuracy_by_time" not in metrics:  # a --dev file: its pairs stand for later ones
            metrics["pairwise_accuracy_by_time"] = metrics["pairwise_accuracy"]
        sample = sorted({h for e in list(examples)[:BEHAVIOUR_SAMPLE] for h in (e.a, e.b)})
        latency = p95_ms(lambda h: scorer.score([h]), sample[:LATENCY_SAMPLE])
        return Evaluation(metrics, slices, invariances(scorer, sample), latency, self.primary, len(examples))


def invariances(scorer: HeadlineScorer, headlines: Sequence[str]) -> list[BehaviourResult]:
    """A headline's score alone equals its score in a batch; surrounding whitespace changes nothing."""
    import numpy as np

    batch = scorer.score(headlines)
    alone = np.array([scorer.score([h])[0] for h in headlines[:20]])
    padded = scorer.score([f"  {h} " for h in headlines])
    out = []
    for name, description, ours, theirs, texts in (
        ("batch", "A headline's score does not depend on its batch", batch[: len(alone)], alone, headlines),
        ("whitespace", "Spaces around a headline do not change its score", batch, padded, headlines),
    ):
        result = BehaviourResult(name, description, len(ours), 0)
        for text, x, y in zip(texts, ours, theirs, strict=False):
            if abs(float(x) - float(y)) <= 1e-3:
                result.passed += 1
            elif len(result.failures) < 5:
                result.failures.append({"headline": text, "score": float(x), "perturbed": float(y)})
        out.append(result)
    return out
