"""The ``grounding`` evaluation: is a summary consistent with its document? Balanced accuracy of the
grounding verifier on SummaC-format files, beside an entity-overlap baseline; and the training of the
shipped support model.

Data: SummaC benchmark files (``{id: {"document", "claim", "label"}}``, label 1 = consistent), one file or a
folder of them (``factcc.json``, ``summeval.json``, ``xsumfaith-dev.json``; see the data folder's
SOURCE.md). A claim is a whole summary: the verifier splits it into claims, and the summary counts as
consistent when its score (:meth:`~newsdesk.llm.grounding.Verifier.summary_score`) reaches the threshold.

Protocol: the support model is trained on these files, so the reported figures are **out of fold**: items
are split into 5 folds stratified by file and label (seed 0); a model trained on the other four folds
(pooled over files, each file's consistent and inconsistent items weighted equally, threshold chosen on
those folds to maximise the mean per-file balanced accuracy) scores each fold. ``details`` adds the
leave-one-file-out figures (a model that never saw the file), the bundled model's in-sample figures, and
the same out-of-fold model without the hard checks. With too few items of a class to cross-validate (a
small sample), the bundled model is scored instead and ``details.protocol`` says so.

The same run checks the other side, ``details.extractive_false_alarms``: what the ``extractive`` provider
writes (a brief and five headline ideas per article, every sentence copied or cut from the article) for 200
articles drawn from the bundled BBC corpus (``--limit N``: N of them) is checked against its article; every
claim rejected there is a false alarm.

Baseline (same run): a summary is inconsistent when one of its named entities (spaCy, the
``settings.nlp.spacy_model``) does not occur in the document (case ignored).

Retrain the shipped model with ``python -m newsdesk.evaluate.grounding --train OUT.json [DATASET]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsdesk.errors import MissingDependency, UnreadableSource
from newsdesk.evaluate.harness import EvalResult, task
from newsdesk.evaluate.locate import find_dataset
from newsdesk.settings import Settings

__all__ = [
    "SummacItem",
    "balanced_accuracy",
    "entity_baseline",
    "fit_model",
    "load_summac",
    "out_of_fold",
    "train_model",
]

FOLDS = 5
SEED = 0
BBC_ARTICLES = 200  # articles for the extractive false-alarm check
C = 0.3  # inverse L2 strength: XSumFaith has 25 consistent items, so keep the model simple


@dataclass(frozen=True, slots=True)
class SummacItem:
    file: str  # the file's stem: factcc, summeval, xsumfaith-dev
    id: str
    document: str
    claim: str
    label: int

    def record(self) -> Any:
        """What the lifecycle's data fingerprint reads (content and label)."""
        from newsdesk.lifecycle.fingerprint import Record

        return Record(
            f"{self.file}\x1f{self.id}\x1f{self.label}\x1f{self.claim}\x1f{self.document}",
            labels=(str(self.label),),
        )


_DETACHED = re.compile(r" (?=[.,;:!?]|'s\b|n't\b)")


def _clean(text: str) -> str:
    """XSumFaith's claims carry escaped quotes (``england\\'s``); SummEval's are tokenised (``team 's``,
    ``draw .``): undo both."""
    text = text.replace("\\'", "'").replace('\\"', '"').replace("-lrb- ", "(").replace(" -rrb-", ")")
    return _DETACHED.sub("", text)


def load_summac(path: Path, *, limit: int | None = None) -> list[SummacItem]:
    """The items of one SummaC JSON file, or of every ``*.json`` file of a folder (``limit`` per file)."""
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not files:
        raise UnreadableSource(f"{path}: expected SummaC JSON files ({{id: {{document, claim, label}}}})")
    items = []
    for file in files:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            rows = [
                SummacItem(file.stem, str(key), str(v["document"]), _clean(str(v["claim"])), int(v["label"]))
                for key, v in data.items()
            ]
        except OSError as exc:
            raise UnreadableSource(f"{file}: cannot read ({exc.strerror})") from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise UnreadableSource(f"{file}: not a SummaC file ({exc})") from None
        items += rows[:limit] if limit is not None else rows
    return items


def balanced_accuracy(labels: Sequence[int], predicted: Sequence[int]) -> float:
    """Mean of the recall of consistent and of inconsistent items (a class absent counts as recall 1).

    >>> balanced_accuracy([1, 1, 0, 0], [1, 0, 0, 0])
    0.75
    """
    recalls = []
    for cls in (0, 1):
        idx = [i for i, y in enumerate(labels) if y == cls]
        recalls.append(sum(predicted[i] == cls for i in idx) / len(idx) if idx else 1.0)
    return round(sum(recalls) / 2, 4)


def entity_baseline(items: Sequence[SummacItem], settings: Settings) -> list[int]:
    """1 (consistent) unless a named entity spaCy finds in the claim is absent from the document."""
    from newsdesk.nlp.models import load_spacy

    nlp = load_spacy(settings.nlp.spacy_model, ("parser", "lemmatizer", "tagger", "attribute_ruler"))
    out = []
    for item, doc in zip(items, nlp.pipe([i.claim for i in items], batch_size=64), strict=True):
        document = item.document.lower()
        out.append(int(all(ent.text.lower() in document for ent in doc.ents)))
    return out


def _weights(items: Sequence[SummacItem]) -> list[float]:
    """Each (file, label) group gets the same total weight."""
    groups: dict[tuple[str, int], int] = {}
    for item in items:
        groups[(item.file, item.label)] = groups.get((item.file, item.label), 0) + 1
    return [1.0 / groups[(i.file, i.label)] for i in items]


def fit_model(
    rows: Sequence[Sequence[float]],
    items: Sequence[SummacItem],
    hard: Sequence[bool],
    copied: Sequence[bool],
    *,
    c: float = C,
) -> Any:
    """A :class:`~newsdesk.llm.grounding.GroundingModel` fitted on ``rows``, its threshold chosen to
    maximise the mean per-file balanced accuracy of the decisions on these items."""
    import numpy as np

    from newsdesk.llm.grounding import GroundingModel
    from newsdesk.llm.grounding.model import SIGNS

    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise MissingDependency("scikit-learn", "nlp", "training the grounding model") from None
    x = np.asarray(rows, dtype=np.float64)
    y = np.asarray([i.label for i in items])
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    weights = np.asarray(_weights(items))
    z = (x - mean) / scale
    kept = list(range(x.shape[1]))
    while True:  # drop the features whose weight has the wrong sign (SIGNS), refit on the others
        lr = LogisticRegression(C=c, max_iter=5000)
        lr.fit(z[:, kept], y, sample_weight=weights / weights.mean())
        wrong = [f for f, w in zip(kept, lr.coef_[0], strict=True) if SIGNS[f] * w < 0]
        if not wrong:
            break
        kept.remove(max(wrong, key=lambda f: abs(lr.coef_[0][kept.index(f)])))
    coef = [0.0] * x.shape[1]
    for f, w in zip(kept, lr.coef_[0], strict=True):
        coef[f] = float(w)
    model = GroundingModel(
        coef=tuple(coef),
        intercept=float(lr.intercept_[0]),
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
    )
    probabilities = [model.probability(r) for r in rows]
    best = (-1.0, 0.5)
    for threshold in [t / 100 for t in range(5, 96)]:
        predicted = _decide(probabilities, hard, copied, threshold)
        value = _mean_by_file(items, predicted)
        if value > best[0] + 1e-9 or (
            abs(value - best[0]) <= 1e-9 and abs(threshold - 0.5) < abs(best[1] - 0.5)
        ):
            best = (value, threshold)
    return GroundingModel(model.coef, model.intercept, model.mean, model.scale, threshold=best[1])


def _decide(
    probabilities: Sequence[float], hard: Sequence[bool], copied: Sequence[bool], threshold: float
) -> list[int]:
    return [
        int(cp or (p >= threshold and not h)) for p, h, cp in zip(probabilities, hard, copied, strict=True)
    ]


def _by_file(items: Sequence[SummacItem], predicted: Sequence[int]) -> dict[str, float]:
    files = list(dict.fromkeys(i.file for i in items))
    out = {}
    for name in files:
        idx = [k for k, i in enumerate(items) if i.file == name]
        out[name] = balanced_accuracy([items[k].label for k in idx], [predicted[k] for k in idx])
    return out


def _mean_by_file(items: Sequence[SummacItem], predicted: Sequence[int]) -> float:
    values = _by_file(items, predicted)
    return sum(values.values()) / len(values)


def fold_assignment(items: Sequence[SummacItem], folds: int = FOLDS, seed: int = SEED) -> list[int]:
    """Each item's fold: shuffled within each (file, label) group, dealt round-robin."""
    fold_of = [0] * len(items)
    groups: dict[tuple[str, int], list[int]] = {}
    for k, item in enumerate(items):
        groups.setdefault((item.file, item.label), []).append(k)
    rng = random.Random(seed)
    for key in sorted(groups):
        members = groups[key]
        rng.shuffle(members)
        for position, k in enumerate(members):
            fold_of[k] = position % folds
    return fold_of


def out_of_fold(
    rows: Sequence[Sequence[float]],
    items: Sequence[SummacItem],
    hard: Sequence[bool],
    copied: Sequence[bool],
    *,
    use_hard: bool = True,
) -> tuple[list[float], list[int]]:
    """Per item, the probability and decision of a model trained on the other folds only."""
    fold_of = fold_assignment(items)
    probabilities = [0.0] * len(items)
    predicted = [0] * len(items)
    no_hard = [False] * len(items)
    for fold in range(FOLDS):
        train = [k for k in range(len(items)) if fold_of[k] != fold]
        test = [k for k in range(len(items)) if fold_of[k] == fold]
        h = hard if use_hard else no_hard
        model = fit_model(
            [rows[k] for k in train],
            [items[k] for k in train],
            [h[k] for k in train],
            [copied[k] for k in train],
        )
        for k in test:
            probabilities[k] = model.probability(rows[k])
            predicted[k] = _decide([probabilities[k]], [h[k]], [copied[k]], model.threshold)[0]
    return probabilities, predicted


def _leave_one_file_out(
    rows: Sequence[Sequence[float]], items: Sequence[SummacItem], hard: Sequence[bool], copied: Sequence[bool]
) -> dict[str, float]:
    files = list(dict.fromkeys(i.file for i in items))
    out = {}
    for name in files:
        train = [k for k, i in enumerate(items) if i.file != name]
        test = [k for k, i in enumerate(items) if i.file == name]
        model = fit_model(
            [rows[k] for k in train],
            [items[k] for k in train],
            [hard[k] for k in train],
            [copied[k] for k in train],
        )
        predicted = _decide(
            [model.probability(rows[k]) for k in test],
            [hard[k] for k in test],
            [copied[k] for k in test],
            model.threshold,
        )
        out[name] = balanced_accuracy([items[k].label for k in test], predicted)
    return out


def _can_cross_validate(items: Sequence[SummacItem]) -> bool:
    counts: dict[tuple[str, int], int] = {}
    for item in items:
        counts[(item.file, item.label)] = counts.get((item.file, item.label), 0) + 1
    return all(n >= 2 * FOLDS for n in counts.values()) and len({i.label for i in items}) == 2


def _metrics(items: Sequence[SummacItem], predicted: Sequence[int], single: bool) -> dict[str, float]:
    per_file = _by_file(items, predicted)
    if single:
        return {"balanced_accuracy": next(iter(per_file.values()))}
    out = {f"balanced_accuracy_{_key(name)}": v for name, v in per_file.items()}
    out["balanced_accuracy_mean"] = round(sum(per_file.values()) / len(per_file), 4)
    return out


def _key(file: str) -> str:
    return file.split("-")[0].replace(".", "_")


@task("grounding", dataset="summac")
def evaluate_grounding(path: Path, settings: Settings, limit: int | None) -> EvalResult:
    """Balanced accuracy of the grounding verifier on SummaC files (out of fold) vs entity overlap."""
    from newsdesk.llm.grounding import Verifier

    items = load_summac(path, limit=limit)
    single = len({i.file for i in items}) == 1
    verifier = Verifier.from_settings(settings)
    scored = verifier.summary_rows([(i.document, i.claim) for i in items])
    rows = [r for r, _, _ in scored]
    hard = [h for _, h, _ in scored]
    copied = [c for _, _, c in scored]
    bundled = [int(verifier.summary_score(r, h, c) >= verifier.threshold) for r, h, c in scored]
    details: dict[str, Any] = {
        "items_per_file": {f: sum(i.file == f for i in items) for f in dict.fromkeys(i.file for i in items)},
        "consistent_per_file": {
            f: sum(i.file == f and i.label == 1 for i in items) for f in dict.fromkeys(i.file for i in items)
        },
        "bundled_model_in_sample": _metrics(items, bundled, single),
        "bundled_threshold": verifier.threshold,
        "hard_check_failures": sum(hard),
        "copied_summaries": sum(copied),
    }
    if _can_cross_validate(items):
        _, predicted = out_of_fold(rows, items, hard, copied)
        _, soft = out_of_fold(rows, items, hard, copied, use_hard=False)
        details["protocol"] = (
            f"out-of-fold: {FOLDS} folds stratified by file and label (seed {SEED}); the model (pooled over "
            "the "
            "files given, groups weighted equally, threshold tuned on the training folds) never saw the item"
        )
        details["out_of_fold_without_hard_checks"] = _metrics(items, soft, single)
        if not single:
            details["leave_one_file_out"] = _leave_one_file_out(rows, items, hard, copied)
    else:
        predicted = bundled
        details["protocol"] = "bundled model (too few items per file and label to cross-validate; in-sample "
        details["protocol"] += "if the items are from the SummaC dev files it was trained on)"
    articles = BBC_ARTICLES if limit is None else min(BBC_ARTICLES, limit)
    details["extractive_false_alarms"] = extractive_false_alarms(verifier, articles)
    baseline = entity_baseline(items, settings)
    return EvalResult(
        task="grounding",
        dataset=str(path),
        n=len(items),
        model=verifier.version,
        metrics=_metrics(items, predicted, single),
        baseline={
            "name": "claim named entity missing from the document (spaCy)",
            **_metrics(items, baseline, single),
        },
        details=details,
    )


def bbc_sample(n: int = BBC_ARTICLES, seed: int = SEED) -> list[tuple[str, str, str]]:
    """(id, headline, body) of ``n`` articles drawn (``seed``) from the bundled BBC corpus."""
    import tarfile
    from importlib.resources import as_file, files

    from newsdesk.demo import DEMO_CORPUS

    with (
        as_file(files("newsdesk.data").joinpath(DEMO_CORPUS)) as archive,
        tarfile.open(archive, "r:xz") as tar,
    ):
        members = sorted(
            (m for m in tar.getmembers() if m.isfile() and m.name.endswith(".txt")), key=lambda m: m.name
        )
        chosen = sorted(random.Random(seed).sample(members, min(n, len(members))), key=lambda m: m.name)
        out = []
        for member in chosen:
            handle = tar.extractfile(member)
            raw = handle.read() if handle is not None else b""
            text = raw.decode("utf-8", errors="replace").strip()
            headline, _, body = text.partition("\n")
            out.append(
                (member.name.removeprefix("bbc/").removesuffix(".txt"), headline.strip(), body.strip())
            )
    return out


def extractive_false_alarms(verifier: Any, n: int = BBC_ARTICLES) -> dict[str, Any]:
    """The share of claims the verifier rejects in what the ``extractive`` provider writes (a brief and
    five headline ideas per article, all copied or cut from the article) for ``n`` bundled BBC articles:
    every one is a false alarm."""
    from newsdesk.llm.base import GenerationOptions, Message
    from newsdesk.llm.grounding import Source
    from newsdesk.llm.prompting import article_block, task_line
    from newsdesk.llm.providers.extractive import ExtractiveProvider

    provider = ExtractiveProvider()
    items: list[tuple[str, list[Any]]] = []
    products: list[str] = []
    for article_id, headline, body in bbc_sample(n):
        source = [Source(article_id, f"{headline}\n\n{body}")]
        block = article_block(article_id, headline, body)
        brief = json.loads(
            provider.complete([Message("user", task_line("brief") + "\n" + block)], GenerationOptions()).text
        )
        ideas = json.loads(
            provider.complete(
                [Message("user", task_line("headlines", n=5) + "\n" + block)], GenerationOptions()
            ).text
        )
        for text in [brief["lede"], brief["why_it_matters"], *brief["bullets"]]:
            if text:
                items.append((text, source))
                products.append("brief")
        for text in ideas["ideas"]:
            items.append((text, source))
            products.append("headlines")
    checks = verifier.check_many(items)
    by_product: dict[str, list[int]] = {}
    examples: list[dict[str, Any]] = []
    for product, (_, source), claims in zip(products, items, checks, strict=True):
        counts = by_product.setdefault(product, [0, 0])
        for claim in claims:
            counts[0] += 1
            counts[1] += int(not claim.supported)
            if not claim.supported and len(examples) < 10:
                examples.append(
                    {"article": source[0].article_id, "claim": claim.text, "reasons": list(claim.reasons)}
                )
    claims_total = sum(c[0] for c in by_product.values())
    rejected = sum(c[1] for c in by_product.values())
    return {
        "articles": n,
        "claims": claims_total,
        "rejected": rejected,
        "rate": round(rejected / claims_total, 4) if claims_total else 0.0,
        "by_product": {p: {"claims": c[0], "rejected": c[1]} for p, c in by_product.items()},
        "examples": examples,
    }


def train_model(dataset: Path, settings: Settings) -> Any:
    """The support model trained on every item of ``dataset`` (SummaC files), with provenance."""
    import sklearn

    from newsdesk.llm.grounding import Verifier

    items = load_summac(dataset)
    scored = Verifier.from_settings(settings).summary_rows([(i.document, i.claim) for i in items])
    rows = [r for r, _, _ in scored]
    model = fit_model(rows, items, [h for _, h, _ in scored], [c for _, _, c in scored])
    digest = hashlib.sha256()
    for item in items:
        digest.update(
            f"{item.file}\x00{item.id}\x00{item.document}\x00{item.claim}\x00{item.label}\x00".encode()
        )
    provenance = {
        "dataset": "SummaC benchmark dev files (Laban et al., TACL 2022; tingofurro/summac at 24b49de): "
        + ", ".join(f"{f} ({sum(i.file == f for i in items)})" for f in dict.fromkeys(i.file for i in items)),
        "dataset_sha256": digest.hexdigest(),
        "items": len(items),
        "consistent": sum(i.label for i in items),
        "label": "the summary is consistent with the document (SummaC label 1)",
        "model": f"scikit-learn {sklearn.__version__} LogisticRegression(C={C}) on standardised features, "
        "each file's consistent and inconsistent items weighted equally",
        "threshold": "maximises the mean per-file balanced accuracy on the training items",
        "trained_by": "python -m newsdesk.evaluate.grounding --train",
        "trained_on": dt.date.today().isoformat(),
    }
    return type(model)(
        model.coef, model.intercept, model.mean, model.scale, threshold=model.threshold, provenance=provenance
    )


def main(argv: Sequence[str] | None = None) -> None:
    """``--train OUT.json [DATASET]``: fit the support model on every SummaC file and write it as JSON."""
    parser = argparse.ArgumentParser(prog="python -m newsdesk.evaluate.grounding", description=main.__doc__)
    parser.add_argument("--train", type=Path, required=True, help="where to write the model JSON")
    parser.add_argument("dataset", type=Path, nargs="?", help="default: summac in the data folder")
    args = parser.parse_args(argv)
    settings = Settings()
    model = train_model(args.dataset or find_dataset("summac", settings), settings)
    args.train.parent.mkdir(parents=True, exist_ok=True)
    args.train.write_text(json.dumps(model.to_dict(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.train} (threshold {model.threshold})")


if __name__ == "__main__":
    main()
