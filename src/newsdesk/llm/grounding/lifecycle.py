"""``newsdesk-grounding``: the verifier's calibrated support model as a governed model.

Training data: SummaC-format files (``--data``, default the ``summac`` folder of the data directory); each
summary is turned into the verifier's feature row (:meth:`~newsdesk.llm.grounding.Verifier.summary_rows`)
and :func:`~newsdesk.evaluate.grounding.fit_model` fits the sign-constrained logistic model and its
threshold. Evaluation set: ``--dev`` when given, else one fold in five of the items, stratified by file and
label (seed 0), held out and logged with the model (``evaluation/dev.jsonl``).

Metrics: balanced accuracy per file and their mean (``balanced_accuracy_mean``, the primary). Slices: per
file. Behaviour: a document's own sentences, copied as claims, must be supported. This module imports
MLflow: the lifecycle loads it only when a grounding model is trained or evaluated.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from mlflow.pyfunc.model import PythonModel

from newsdesk.errors import InvalidInput
from newsdesk.lifecycle.fingerprint import fingerprint
from newsdesk.lifecycle.spec import BehaviourResult, Evaluation, ModelSpec, SliceMetric, Trained, p95_ms
from newsdesk.llm.grounding.model import GroundingModel

if TYPE_CHECKING:
    from newsdesk.evaluate.grounding import SummacItem
    from newsdesk.store import Backend

__all__ = ["GroundingPyfunc", "GroundingSpec"]

BEHAVIOUR_SAMPLE = 60
LATENCY_SAMPLE = 20


class GroundingPyfunc(PythonModel):
    """The support model (artifact ``model``: its JSON) behind a verifier. Input: a DataFrame with
    ``document`` and ``claim`` columns, or a list of such dicts; output: ``{"score", "supported"}`` each."""

    _skip_type_hint_validation = True  # as the sections wrapper: the input is not a type-hinted schema

    def load_context(self, context: Any) -> None:
        self.model = GroundingModel.from_dict(json.loads(Path(context.artifacts["model"]).read_text("utf-8")))

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> list[Any]:
        from newsdesk.llm.grounding import Verifier

        rows = model_input.to_dict("records") if hasattr(model_input, "to_dict") else list(model_input)
        verifier = Verifier(model=self.model)
        scores = verifier.score_documents([(str(r["document"]), str(r["claim"])) for r in rows])
        return [{"score": s, "supported": s >= verifier.threshold} for s in scores]


class GroundingSpec(ModelSpec):
    kind: ClassVar[str] = "grounding"
    primary: ClassVar[str] = "balanced_accuracy_mean"
    intended_use: ClassVar[str] = (
        "Score how well each claim of a generated text (a brief, a headline idea, an answer) is supported by "
        "its source articles, so unsupported claims are withheld or flagged before a reader sees them."
    )
    limitations: ClassVar[tuple[str, ...]] = (
        "Trained on SummaC's news summaries: strict with abstractive paraphrase (on XSumFaith it rejects "
        "nearly every summary, consistent or not).",
        "No entailment model: a claim that reuses a sentence's words with a changed meaning (roles swapped, "
        "a pronoun changed) can pass; names, numbers, dates, quotes and negation are checked by rule.",
        "English only; the fact checks read English number words, months and weekdays.",
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
        from newsdesk.evaluate.grounding import C, fit_model, fold_assignment, load_summac
        from newsdesk.evaluate.locate import find_dataset
        from newsdesk.llm.grounding import Verifier

        started = time.perf_counter()
        unknown = set(params) - {"C"}
        if unknown:
            raise InvalidInput("params", sorted(unknown), "parameters of the grounding model: ['C']")
        origin = data or find_dataset("summac", self.settings)
        items = load_summac(origin)
        if dev is not None:
            train_items, dev_items, dev_origin = items, self.load_eval(dev), str(dev)
        else:
            folds = fold_assignment(items)
            train_items = [i for i, f in zip(items, folds, strict=True) if f != 0]
            dev_items = [i for i, f in zip(items, folds, strict=True) if f == 0]
            dev_origin = f"{origin} (one fold in five, stratified by file and label, seed 0)"
        scored = Verifier.from_settings(self.settings).summary_rows(
            [(i.document, i.claim) for i in train_items]
        )
        model = fit_model(
            [r for r, _, _ in scored],
            train_items,
            [h for _, h, _ in scored],
            [c for _, _, c in scored],
            c=float(params.get("C", C)),
        )
        path = workdir / "model.json"
        path.write_text(json.dumps(model.to_dict(), indent=1) + "\n", encoding="utf-8")
        dev_path = workdir / "evaluation" / "dev.jsonl"
        dev_path.parent.mkdir(parents=True, exist_ok=True)
        dev_path.write_text("".join(json.dumps(asdict(i)) + "\n" for i in dev_items), encoding="utf-8")
        from newsdesk.lifecycle.pyfunc import model_code

        return Trained(
            python_model=model_code(GroundingPyfunc, workdir),
            artifacts={"model": str(path)},
            params={"C": float(params.get("C", C)), "threshold": model.threshold, "model": model.digest},
            train=fingerprint((i.record() for i in train_items), path=str(origin)),
            dev=fingerprint((i.record() for i in dev_items), path=dev_origin),
            dev_artifact=dev_path,
            dev_examples=dev_items,
            seconds=time.perf_counter() - started,
        )

    def load_eval(self, path: Path) -> list[SummacItem]:
        from newsdesk.evaluate.grounding import SummacItem, load_summac

        if path.suffix == ".jsonl":
            lines = path.read_text(encoding="utf-8").splitlines()
            return [SummacItem(**json.loads(line)) for line in lines if line.strip()]
        return load_summac(path)

    def default_eval_path(self) -> Path | None:
        return None

    def evaluate(self, model: Any, examples: Sequence[SummacItem]) -> Evaluation:
        from newsdesk.evaluate.grounding import balanced_accuracy
        from newsdesk.llm.grounding import Source, Verifier

        if not examples:
            raise InvalidInput("data", 0, "at least one SummaC item to evaluate on")
        verifier = Verifier.from_settings(self.settings, model=model.model)
        scores = verifier.score_documents([(e.document, e.claim) for e in examples])
        predicted = [int(s >= verifier.threshold) for s in scores]
        files = list(dict.fromkeys(e.file for e in examples))
        metrics: dict[str, float] = {}
        slices = {}
        for name in files:
            idx = [k for k, e in enumerate(examples) if e.file == name]
            value = balanced_accuracy([examples[k].label for k in idx], [predicted[k] for k in idx])
            metrics[f"balanced_accuracy_{name.split('-')[0]}"] = value
            slices[f"file={name}"] = SliceMetric(value, len(idx))
        metrics["balanced_accuracy_mean"] = round(sum(metrics.values()) / len(files), 4)
        sample = list(examples)[:BEHAVIOUR_SAMPLE]
        copies = BehaviourResult(
            "copied_sentences", "A document's own first sentence, as a claim, is supported", 0, 0
        )
        for example in sample:
            first = next((s for s in example.document.split("\n") if len(s.split()) >= 6), "")
            if not first:
                continue
            check = verifier.check(first, [Source("document", example.document)])
            copies.tested += 1
            if all(c.supported for c in check):
                copies.passed += 1
            elif len(copies.failures) < 5:
                copies.failures.append({"id": example.id, "claim": first[:200]})
        latency = p95_ms(lambda e: verifier.score_document(e.document, e.claim), sample[:LATENCY_SAMPLE])
        return Evaluation(metrics, slices, [copies], latency, self.primary, len(examples))
