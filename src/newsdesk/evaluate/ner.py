"""The ``ner`` evaluation: the entities component's spaCy model against CoNLL-2003 English gold spans.

Scoring is exact-span: a predicted entity counts only when its first token, last token and type all match
a gold entity (the CoNLL-2003 ``conlleval`` convention). Precision, recall and F1 are given per type (PER,
ORG, LOC, MISC) and micro-averaged over all four.

The model runs on the gold tokens: each sentence becomes a ``Doc`` built from the file's words (one space
after each), so predicted spans align with gold spans token for token and tokenisation differences do not
count as errors. Only the NER pipe runs. spaCy's OntoNotes labels map to CoNLL types as follows
(:data:`SPACY_TO_CONLL`)::

    PERSON -> PER       ORG -> ORG       GPE, LOC, FAC -> LOC
    NORP, EVENT, PRODUCT, WORK_OF_ART, LAW, LANGUAGE -> MISC
    DATE, TIME, PERCENT, MONEY, QUANTITY, ORDINAL, CARDINAL -> dropped (not CoNLL entities)

The two schemes disagree in places no mapping fixes: CoNLL tags sports teams named after places ("Japan"
in a football result) as ORG where OntoNotes says GPE, and some MISC (nationalities are NORP) but not
all; ``details.model_type_confusions`` counts right-boundary, wrong-type predictions by pair.

Baseline, computed in the same run: the CoNLL-2003 shared task's own baseline (Tjong Kim Sang and De
Meulder, 2003) -- tag a phrase only if it appears as a complete entity in the training file with one
unique type, preferring the longest match. It needs the training file (``eng.train``) beside the
evaluated file; without one, the baseline is a capitalisation rule instead (every maximal run of
capitalised tokens, except a lone sentence-initial word, tagged with the most common type, PER) and the
result says which baseline ran.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from newsdesk.evaluate.datasets import ConllSentence, load_conll
from newsdesk.evaluate.harness import EvalResult, task
from newsdesk.metrics.ner import SPACY_TO_CONLL, TYPES, Span, as_percent, iob1_spans, span_scores
from newsdesk.settings import Settings

__all__ = [
    "SPACY_TO_CONLL",
    "TYPES",
    "Span",
    "gazetteer_baseline",
    "iob1_spans",
    "predicted_spans",
    "score_spans",
]


def gold_spans(sentences: Sequence[ConllSentence]) -> list[Span]:
    return [(s, a, b, t) for s, sent in enumerate(sentences) for a, b, t in iob1_spans(sent.tags)]


def score_spans(gold: Iterable[Span], predicted: Iterable[Span]) -> dict[str, Any]:
    """Exact-span precision, recall and F1 per type and micro-averaged, in percent (2 decimals) as this
    report gives them; :func:`newsdesk.metrics.ner.span_scores` has the same scores as fractions."""
    return as_percent(span_scores(gold, predicted))


def predicted_spans(nlp: Any, sentences: Sequence[ConllSentence], batch_size: int = 256) -> list[Span]:
    """A spaCy pipeline's entities on the gold tokens, in CoNLL types: a stock model's OntoNotes labels
    mapped by :data:`SPACY_TO_CONLL`, a fine-tuned model's CoNLL labels kept, any other label dropped."""
    from spacy.tokens import Doc

    mapping = {**SPACY_TO_CONLL, **{t: t for t in TYPES}}
    docs = (Doc(nlp.vocab, words=s.tokens, spaces=[True] * len(s.tokens)) for s in sentences)
    spans: list[Span] = []
    for index, doc in enumerate(nlp.pipe(docs, batch_size=batch_size)):
        for ent in doc.ents:
            type_ = mapping.get(ent.label_)
            if type_ is not None:
                spans.append((index, ent.start, ent.end, type_))
    return spans


def gazetteer_baseline(train: Sequence[ConllSentence], sentences: Sequence[ConllSentence]) -> list[Span]:
    """The CoNLL-2003 baseline: phrases seen as complete entities of one unique type in ``train``,
    matched longest first, left to right."""
    types: dict[tuple[str, ...], set[str]] = {}
    for sent in train:
        for a, b, t in iob1_spans(sent.tags):
            types.setdefault(tuple(sent.tokens[a:b]), set()).add(t)
    lexicon = {phrase: next(iter(ts)) for phrase, ts in types.items() if len(ts) == 1}
    longest = max((len(p) for p in lexicon), default=0)
    spans: list[Span] = []
    for index, sent in enumerate(sentences):
        i = 0
        while i < len(sent.tokens):
            for n in range(min(longest, len(sent.tokens) - i), 0, -1):
                type_ = lexicon.get(tuple(sent.tokens[i : i + n]))
                if type_ is not None:
                    spans.append((index, i, i + n, type_))
                    i += n
                    break
            else:
                i += 1
    return spans


def capitalisation_baseline(sentences: Sequence[ConllSentence]) -> list[Span]:
    """Maximal runs of capitalised tokens (a lone sentence-initial one excepted), all tagged PER."""
    spans: list[Span] = []
    for index, sent in enumerate(sentences):
        run_start = -1
        for i, token in enumerate([*sent.tokens, ""]):
            capital = token[:1].isupper()
            if capital and run_start < 0:
                run_start = i
            elif not capital and run_start >= 0:
                if not (run_start == 0 and i == 1):
                    spans.append((index, run_start, i, "PER"))
                run_start = -1
    return spans


def _train_file(path: Path) -> Path | None:
    for name in ("eng.train", "train.txt", "train"):
        candidate = path.parent / name
        if candidate.is_file() and candidate.resolve() != path.resolve():
            return candidate
    return None


def _type_confusions(gold: Sequence[Span], predicted: Sequence[Span]) -> dict[str, int]:
    """Predicted spans with exactly a gold span's boundaries but another type: 'GOLD->PRED' counts."""
    by_bounds = {s[:3]: s[3] for s in gold}
    confusions: Counter[str] = Counter()
    for span in predicted:
        gold_type = by_bounds.get(span[:3])
        if gold_type is not None and gold_type != span[3]:
            confusions[f"{gold_type}->{span[3]}"] += 1
    return dict(confusions.most_common())


@task("ner", dataset="conll2003/eng.testa")
def evaluate_ner(path: Path, settings: Settings, limit: int | None) -> EvalResult:
    """Exact-span NER precision/recall/F1 per CoNLL type and micro, of the model the ``entities``
    component serves: a promoted ``newsdesk-ner`` champion, else ``settings.nlp.ner_model`` (the bundled
    transformer by default), against the stock spaCy model; when that is the stock model itself, against
    the CoNLL-2003 gazetteer baseline. Both baselines are always in ``details``, and each model's speed
    (sentences per second, same machine, same run) beside its scores."""
    import time

    from newsdesk.lifecycle.ner import model_spans
    from newsdesk.lifecycle.serving import champion_model
    from newsdesk.nlp.entities import NER_ONLY_DISABLE
    from newsdesk.nlp.models import load_ner, load_spacy, pipeline_identity

    sentences = load_conll(path, limit=limit)
    gold = gold_spans(sentences)
    stock_nlp = load_spacy(settings.nlp.spacy_model, NER_ONLY_DISABLE)
    started = time.perf_counter()
    predicted = predicted_spans(stock_nlp, sentences)
    stock_speed = len(sentences) / max(time.perf_counter() - started, 1e-9)
    stock = score_spans(gold, predicted)
    stock["sentences_per_second"] = round(stock_speed, 1)
    stock_name = f"spacy:{settings.nlp.spacy_model} (stock, OntoNotes labels mapped to CoNLL)"
    train_path = _train_file(path)
    if train_path is not None:
        baseline_spans = gazetteer_baseline(load_conll(train_path), sentences)
        baseline_name = f"CoNLL-2003 baseline: unique-type complete entities from {train_path.name}"
    else:
        baseline_spans = capitalisation_baseline(sentences)
        baseline_name = "capitalised runs tagged PER (no training file beside the dataset)"
    baseline = score_spans(gold, baseline_spans)
    baseline["name"] = baseline_name
    details: dict[str, Any] = {
        "tokens": sum(len(s.tokens) for s in sentences),
        "gold_entities": dict(Counter(s[3] for s in gold)),
        "label_mapping": SPACY_TO_CONLL,
        "dropped_labels": ["DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"],
        "scoring": "exact span and type; IOB1 converted to spans; percentages",
        "stock_model": {"name": stock_name, **stock},
        "gazetteer_baseline": baseline,
        "model_type_confusions": _type_confusions(gold, predicted),
    }
    served = champion_model(settings, "newsdesk-ner")
    if served is None and settings.nlp.ner_model == settings.nlp.spacy_model:
        return EvalResult(
            task="ner",
            dataset=str(path),
            n=len(sentences),
            model=f"spacy:{settings.nlp.spacy_model} (ner pipe, on gold tokens)",
            metrics=stock,
            baseline=baseline,
            details=details,
        )
    if served is not None:
        name, nlp = f"{served[0]} (champion, fine-tuned; on gold tokens)", served[1].nlp
    else:
        nlp = load_ner(
            settings.nlp.ner_model, NER_ONLY_DISABLE, settings.nlp.ner_precision, settings.nlp.device
        )
        name = f"{pipeline_identity(nlp)} (settings.nlp.ner_model, no champion promoted; on gold tokens)"
    started = time.perf_counter()
    tuned = model_spans(nlp, sentences)  # with document context when the model reads it
    speed = len(sentences) / max(time.perf_counter() - started, 1e-9)
    details["model_type_confusions"] = _type_confusions(gold, tuned)
    details["stock_type_confusions"] = _type_confusions(gold, predicted)
    metrics = score_spans(gold, tuned)
    metrics["sentences_per_second"] = round(speed, 1)
    metrics["speed_vs_stock"] = round(speed / stock_speed, 3)
    return EvalResult(
        task="ner",
        dataset=str(path),
        n=len(sentences),
        model=name,
        metrics=metrics,
        baseline={"name": stock_name, **stock},
        details=details,
    )
