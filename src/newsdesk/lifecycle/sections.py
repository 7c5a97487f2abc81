"""``newsdesk-sections``: the newsroom's section classifier as a governed model.

Training data: labelled articles from a file or folder in any format newsdesk ingests (``--data``), or, by
default, every stored article that has a section, with editors' feedback applied (a correction replaces
the stored section, a rejection without a correction leaves the article out; the latest feedback wins).
Evaluation set: ``--dev`` when given, else a stratified
20% of the data held out with a fixed seed; it is logged with the model (``evaluation/dev.jsonl``) so every
later gate report scores candidate and champion on exactly the same articles.

Slices: per section (the share of that section's articles classified correctly), per length bucket
(words: short < 250 <= medium < 500 <= long) and per source. Behavioural tests: upper-casing the headline,
and replacing the people named in an article with another name, must not change the predicted section.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from newsdesk.errors import InvalidInput, NotFitted
from newsdesk.lifecycle.fingerprint import Record, fingerprint
from newsdesk.lifecycle.spec import BehaviourResult, Evaluation, ModelSpec, SliceMetric, Trained, p95_ms

if TYPE_CHECKING:
    from newsdesk.articles.model import Article
    from newsdesk.settings import Settings
    from newsdesk.store import Backend

__all__ = ["LabelledArticle", "SectionsSpec", "length_bucket", "load_labelled"]

DEV_SHARE = 0.2
SEED = 0
BEHAVIOUR_SAMPLE = 60
LATENCY_SAMPLE = 40
REPLACEMENT_NAME = "Jordan Ellis"


@dataclass(frozen=True, slots=True)
class LabelledArticle:
    id: str
    headline: str
    body: str
    section: str
    source: str
    published_at: str | None = None

    @property
    def text(self) -> str:
        return f"{self.headline}\n\n{self.body}"

    def record(self) -> Record:
        return Record(
            f"{self.id}\x1f{self.section}\x1f{self.headline}\x1f{self.body}",
            self.published_at,
            self.source,
            (self.section,),
        )


def _labelled(article: Article, label: str | None = None) -> LabelledArticle:
    return LabelledArticle(
        article.id,
        article.headline,
        article.body,
        str(label if label is not None else article.section),
        article.source,
        article.published_at.isoformat() if article.published_at else None,
    )


def load_labelled(path: Path, settings: Settings) -> list[LabelledArticle]:
    """Labelled articles from ``path``: newsdesk's own ``dev.jsonl`` artifact, or any ingestable file or
    folder whose records carry a section. A record that is invalid or has no section is an error naming
    where it is: training data is never silently thinned."""
    from newsdesk.ingest.readers import ReaderOptions, detect, get_reader, slug
    from newsdesk.ingest.validate import RecordInvalid, to_article

    if path.is_file() and path.name == "dev.jsonl":
        lines = path.read_text(encoding="utf-8").splitlines()
        return [LabelledArticle(**json.loads(line)) for line in lines if line.strip()]
    if not path.exists():
        raise InvalidInput("data", str(path), "an existing file or folder of labelled articles")
    reader = get_reader(detect(path))
    source = slug(path.stem if path.is_file() else path.name, "local")
    items: list[LabelledArticle] = []
    problems: list[str] = []
    for record in reader.read(path, ReaderOptions()):
        if record.fields is None:
            problems.append(f"{record.location}: {record.problem}")
            continue
        try:
            article = to_article(record.fields, settings=settings.ingest, default_source=source)
        except RecordInvalid as exc:
            problems.append(f"{record.location}: {exc}")
            continue
        if not article.section:
            problems.append(f"{record.location}: no section")
            continue
        items.append(_labelled(article))
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise InvalidInput("data", str(path), f"labelled articles only ({len(problems)} not: {shown})")
    return items


def write_labelled(items: Sequence[LabelledArticle], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(asdict(item), ensure_ascii=False) + "\n")
    return path


def length_bucket(words: int) -> str:
    """The length bucket of an article of ``words`` words (a slice of the gate report).

    >>> [length_bucket(n) for n in (10, 300, 900)]
    ['short', 'medium', 'long']
    """
    return "short" if words < 250 else "medium" if words < 500 else "long"


def _split(items: list[LabelledArticle]) -> tuple[list[LabelledArticle], list[LabelledArticle]]:
    import numpy as np
    from sklearn.model_selection import train_test_split

    labels = [i.section for i in items]
    counts = Counter(labels)
    if len(counts) < 2 or min(counts.values()) < 2:
        raise NotFitted(
            f"sections: need at least 2 sections with 2 articles each to hold out an evaluation set; "
            f"found {dict(counts)}"
        )
    n_dev = max(len(counts), round(len(items) * DEV_SHARE))
    index = np.arange(len(items))
    train_ix, dev_ix = train_test_split(index, test_size=n_dev, stratify=labels, random_state=SEED)
    return [items[i] for i in sorted(train_ix)], [items[i] for i in sorted(dev_ix)]


class SectionsSpec(ModelSpec):
    kind: ClassVar[str] = "sections"
    primary: ClassVar[str] = "accuracy"
    trains_from_store: ClassVar[bool] = True
    intended_use: ClassVar[str] = (
        "Suggest the newsroom section of an article (headline and body, English) for editors to confirm, "
        "and route archive articles that have none. Not for decisions about people."
    )
    limitations: ClassVar[tuple[str, ...]] = (
        "Learns only the sections present in its training data; a new section needs labelled examples.",
        "Linear bag-of-words and character features: topical vocabulary drives predictions, so an article "
        "that borrows another section's vocabulary (a sports business story) can be misrouted.",
        "English text; other languages are classified from shared vocabulary only.",
        "Probabilities are calibrated on the training data's inner folds; they drift when the archive's "
        "mix of sections changes (see monitoring).",
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
        from newsdesk.nlp.sections import SectionClassifier

        started = time.perf_counter()
        if data is not None:
            items = load_labelled(data, self.settings)
            origin = str(data)
        elif store is not None:
            from newsdesk.monitor.feedback import effective_sections

            corrected = effective_sections(store)  # editors' feedback overrides the stored section
            items = []
            for article in store.iter_articles():
                label = corrected.get(article.id, article.section)
                if label:
                    items.append(_labelled(article, label))
            origin = f"store:{self.settings.database_path} ({len(corrected)} articles with editors' feedback)"
        else:
            raise InvalidInput(
                "data", None, "a path to labelled articles, or a store with sectioned articles"
            )
        if dev is not None:
            train_items, dev_items = items, load_labelled(dev, self.settings)
            dev_origin = str(dev)
        else:
            train_items, dev_items = _split(items)
            dev_origin = f"{origin} (stratified {DEV_SHARE:.0%} held out, seed {SEED})"
        allowed = {"C", "views", "cv", "min_df", "max_chars", "nb", "pooling", "view_weights"}
        unknown = set(params) - allowed
        if unknown:
            raise InvalidInput(
                "params", sorted(unknown), f"parameters of the sections model: {sorted(allowed)}"
            )
        classifier = SectionClassifier(**params)
        classifier.fit([i.text for i in train_items], [i.section for i in train_items])
        path = classifier.save(workdir / "classifier.joblib")
        dev_path = write_labelled(dev_items, workdir / "evaluation" / "dev.jsonl")
        from newsdesk.lifecycle.pyfunc import SectionsModel, model_code

        full = classifier.params_identity()
        return Trained(
            python_model=model_code(SectionsModel, workdir),
            artifacts={"classifier": str(path)},
            params={**full, "classes": ",".join(str(c) for c in classifier.classes_)},
            train=fingerprint((i.record() for i in train_items), path=origin),
            dev=fingerprint((i.record() for i in dev_items), path=dev_origin),
            dev_artifact=dev_path,
            dev_examples=dev_items,
            seconds=time.perf_counter() - started,
        )

    def load_eval(self, path: Path) -> list[LabelledArticle]:
        return load_labelled(path, self.settings)

    def default_eval_path(self) -> Path | None:
        return None

    def evaluate(self, model: Any, examples: Sequence[LabelledArticle]) -> Evaluation:
        from sklearn.metrics import f1_score

        classifier = model.classifier
        if not examples:
            raise InvalidInput("data", 0, "at least one labelled article to evaluate on")
        texts = [e.text for e in examples]
        predicted = [str(p) for p in classifier.predict(texts)]
        truth = [e.section for e in examples]
        correct = [p == t for p, t in zip(predicted, truth, strict=True)]
        metrics = {
            "accuracy": sum(correct) / len(correct),
            "macro_f1": float(f1_score(truth, predicted, average="macro", zero_division=0)),
            "errors": float(len(correct) - sum(correct)),
        }
        groups: dict[str, list[bool]] = defaultdict(list)
        for example, ok in zip(examples, correct, strict=True):
            groups[f"section={example.section}"].append(ok)
            groups[f"length={length_bucket(len(example.body.split()))}"].append(ok)
            groups[f"source={example.source}"].append(ok)
        slices = {k: SliceMetric(sum(v) / len(v), len(v)) for k, v in sorted(groups.items())}
        sample = list(examples)[:BEHAVIOUR_SAMPLE]
        behaviour = [self._headline_case(classifier, sample), self._person_names(classifier, sample)]
        latency = p95_ms(lambda text: classifier.predict([text]), texts[:LATENCY_SAMPLE])
        return Evaluation(metrics, slices, behaviour, latency, self.primary, len(examples))

    @staticmethod
    def _invariance(
        classifier: Any, name: str, description: str, pairs: list[tuple[LabelledArticle, str]]
    ) -> BehaviourResult:
        result = BehaviourResult(name, description, 0, 0)
        if not pairs:
            return result
        before = classifier.predict([a.text for a, _ in pairs])
        after = classifier.predict([text for _, text in pairs])
        for (article, _), b, a in zip(pairs, before, after, strict=True):
            result.tested += 1
            if b == a:
                result.passed += 1
            elif len(result.failures) < 5:
                result.failures.append({"id": article.id, "before": str(b), "after": str(a)})
        return result

    def _headline_case(self, classifier: Any, sample: list[LabelledArticle]) -> BehaviourResult:
        pairs = [(a, f"{a.headline.upper()}\n\n{a.body}") for a in sample]
        return self._invariance(
            classifier, "headline_case", "Upper-casing the headline leaves the section unchanged", pairs
        )

    def _person_names(self, classifier: Any, sample: list[LabelledArticle]) -> BehaviourResult:
        from newsdesk.nlp.entities import NER_ONLY_DISABLE
        from newsdesk.nlp.models import load_spacy

        nlp = load_spacy(self.settings.nlp.spacy_model, NER_ONLY_DISABLE)
        pairs = []
        for article, doc in zip(sample, nlp.pipe([a.text for a in sample], batch_size=16), strict=True):
            names = sorted({e.text for e in doc.ents if e.label_ == "PERSON"}, key=len, reverse=True)
            if not names:
                continue
            pattern = re.compile("|".join(re.escape(n) for n in names))
            pairs.append((article, pattern.sub(REPLACEMENT_NAME, article.text)))
        return self._invariance(
            classifier,
            "person_names",
            f"Replacing every person named (spaCy PERSON) with '{REPLACEMENT_NAME}' leaves the section "
            "unchanged",
            pairs,
        )
