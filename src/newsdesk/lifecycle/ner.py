"""``newsdesk-ner``: an entity recogniser fine-tuned on CoNLL-2003, as a governed model.

Training starts from the installed spaCy model's NER (``settings.nlp.spacy_model``, trained on OntoNotes):
its ``ner`` pipe, with its own token-to-vector layer, is sourced into a blank English pipeline and trained
on CoNLL-2003 ``eng.train`` (PER, ORG, LOC, MISC; IOB1 converted to spans) with ``eng.testa`` as the dev set
that picks the best checkpoint. spaCy's training loop runs on the CPU (``spacy.training.loop.train``); its
progress table goes to ``log``.

With ``--param algorithm=transformer`` the kind trains a token classifier instead, fine-tuned on the CPU
from the packaged MiniLM encoder with document context (:mod:`newsdesk.lifecycle.ner_transformer`): a
held-out share of ``eng.train``'s documents (``heldout_docs``) chooses the epoch and the harmonising mode,
and ``eng.testa`` is only the evaluation set the gates read; the same evaluation and gates apply.

Evaluation is exact-span precision, recall and F1 (conlleval's convention) on gold tokens, like
``newsdesk eval ner``. Slices: per entity type and per sentence length (tokens: short < 10 <= medium < 25
<= long). Behavioural tests: replacing a person's name (or a place's) with another name of the same kind
must leave a same-typed entity at exactly the replaced tokens.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar

from newsdesk.errors import InvalidInput, MissingDependency
from newsdesk.evaluate.datasets import ConllSentence, load_conll
from newsdesk.evaluate.harness import SHARED_DATA
from newsdesk.evaluate.ner import predicted_spans
from newsdesk.lifecycle.fingerprint import DataFingerprint, Record, fingerprint
from newsdesk.lifecycle.spec import BehaviourResult, Evaluation, ModelSpec, SliceMetric, Trained, p95_ms
from newsdesk.metrics.ner import TYPES, iob1_spans, span_scores

if TYPE_CHECKING:
    from newsdesk.store import Backend

__all__ = ["NerSpec", "conll_fingerprint", "model_spans", "predicted_spans", "train_spacy_ner"]

CONLL = SHARED_DATA / "conll2003"
BEHAVIOUR_SAMPLE = 200
LATENCY_SAMPLE = 100
SWAPS = {"PER": ["Maria", "Lopez"], "LOC": ["Nairobi"]}
DEFAULTS: dict[str, Any] = {
    "max_steps": 3000,
    "eval_frequency": 500,
    "patience": 1500,
    "dropout": 0.2,
    "learn_rate": 0.001,
    "seed": 0,
    "limit": 0,  # train on the first N sentences only (0: all)
    "algorithm": "spacy",  # or "transformer" (newsdesk.lifecycle.ner_transformer)
}
# The transformer algorithm's own parameters and defaults (chosen on a held-out fold of eng.train)
TRANSFORMER_DEFAULTS: dict[str, Any] = {
    "algorithm": "transformer",
    "base": "all-MiniLM-L6-v2",  # the packaged sentence-transformers encoder, or a local model folder
    "max_len": 128,  # word pieces per input window: a run of whole sentences with document context
    "batch_size": 16,
    "epochs": 4,
    "learn_rate": 1e-4,
    "freeze_embeddings": True,  # the word-piece embeddings stay the encoder's (a smaller shipped delta)
    "max_steps": 0,  # 0: the whole of each epoch
    "max_seconds": 3600,  # stop training after this long (0: no limit)
    "heldout_docs": 0.1,  # share of eng.train's documents held out to choose the epoch and harmonising
    "threads": 2,
    "seed": 0,
    "limit": 0,
}
ALGORITHMS = ("spacy", "transformer")

_CONFIG = """
[paths]
train = null
dev = null

[system]
seed = {seed}
gpu_allocator = null

[nlp]
lang = "en"
pipeline = ["ner"]
batch_size = 256

[components]

[components.ner]
source = "{base}"

[corpora]

[corpora.train]
@readers = "spacy.Corpus.v1"
path = ${{paths.train}}

[corpora.dev]
@readers = "spacy.Corpus.v1"
path = ${{paths.dev}}

[training]
dev_corpus = "corpora.dev"
train_corpus = "corpora.train"
seed = ${{system.seed}}
gpu_allocator = ${{system.gpu_allocator}}
dropout = {dropout}
patience = {patience}
max_epochs = 0
max_steps = {max_steps}
eval_frequency = {eval_frequency}

[training.batcher]
@batchers = "spacy.batch_by_words.v1"
discard_oversize = false
tolerance = 0.2

[training.batcher.size]
@schedules = "compounding.v1"
start = 100
stop = 1000
compound = 1.001

[training.optimizer]
@optimizers = "Adam.v1"
learn_rate = {learn_rate}

[training.score_weights]
ents_f = 1.0
ents_p = 0.0
ents_r = 0.0

[initialize]
"""


def conll_fingerprint(sentences: Sequence[ConllSentence], path: Path) -> DataFingerprint:
    return fingerprint(
        (
            Record(
                " ".join(f"{w}/{t}" for w, t in zip(s.tokens, s.tags, strict=True)),
                labels=tuple(t for _, _, t in iob1_spans(s.tags)),
            )
            for s in sentences
        ),
        path=str(path),
    )


def _docbin(sentences: Sequence[ConllSentence], path: Path) -> Path:
    import spacy
    from spacy.tokens import Doc, DocBin, Span

    vocab = spacy.blank("en").vocab
    docs = DocBin()
    for sentence in sentences:
        doc = Doc(vocab, words=sentence.tokens, spaces=[True] * len(sentence.tokens))
        doc.ents = [Span(doc, a, b, label=t) for a, b, t in iob1_spans(sentence.tags)]
        docs.add(doc)
    docs.to_disk(path)
    return path


def train_spacy_ner(
    train: Sequence[ConllSentence],
    dev: Sequence[ConllSentence],
    workdir: Path,
    *,
    base: str,
    params: dict[str, Any],
    log: IO[str] | None = None,
) -> Path:
    """Fine-tune ``base``'s NER on ``train`` (best checkpoint by F1 on ``dev``); return the model folder."""
    try:
        from spacy import util
        from spacy.cli.init_config import fill_config
        from spacy.training.initialize import init_nlp
        from spacy.training.loop import train as spacy_train
    except ImportError:
        raise MissingDependency("spacy", "nlp", "training the entity model") from None
    workdir.mkdir(parents=True, exist_ok=True)
    train_path = _docbin(train, workdir / "train.spacy")
    dev_path = _docbin(dev, workdir / "dev.spacy")
    template = workdir / "base.cfg"
    template.write_text(_CONFIG.format(base=base, **params), encoding="utf-8")
    filled = workdir / "config.cfg"
    fill_config(filled, template, silent=True)
    config = util.load_config(
        filled, overrides={"paths.train": str(train_path), "paths.dev": str(dev_path)}, interpolate=False
    )
    nlp = init_nlp(config, use_gpu=-1)
    output = (workdir / "training").resolve()
    output.mkdir(parents=True, exist_ok=True)
    stream = log if log is not None else sys.stderr
    spacy_train(nlp, output, use_gpu=-1, stdout=stream, stderr=stream)
    return output / "model-best"


def model_spans(nlp: Any, sentences: Sequence[ConllSentence]) -> list[tuple[int, int, int, str]]:
    """Entities on the gold tokens: with their documents as context when the model reads context (the
    transformer's ``sentence_spans``), else sentence by sentence (:func:`predicted_spans`)."""
    if hasattr(nlp, "sentence_spans"):
        return list(nlp.sentence_spans(sentences))
    return predicted_spans(nlp, sentences)


def _fraction(value: float) -> float:
    """A score as the gate report records it: a fraction to 4 decimals."""
    return round(float(value), 4)


def _length_bucket(tokens: int) -> str:
    return "short" if tokens < 10 else "medium" if tokens < 25 else "long"


class NerSpec(ModelSpec):
    kind: ClassVar[str] = "ner"
    primary: ClassVar[str] = "f1"
    intended_use: ClassVar[str] = (
        "Find people, organisations, places and other named things (CoNLL-2003 types PER, ORG, LOC, "
        "MISC) in English news text, for entity pages and search filters."
    )
    limitations: ClassVar[tuple[str, ...]] = (
        "Trained on Reuters newswire from 1996-97 (CoNLL-2003): names that became news later, and "
        "non-newswire registers (social media, transcripts), are recognised less reliably.",
        "CoNLL's types are coarse: MISC mixes nationalities, events and products; dates and numbers are "
        "not entities.",
        "CoNLL-2003 is licensed for research use; a production model should be retrained on the "
        "newsroom's own annotated articles (editors' corrections).",
    )

    def _sentences(self, path: Path | None, default: str, field: str) -> tuple[list[ConllSentence], Path]:
        chosen = path if path is not None else CONLL / default
        if not chosen.is_file():
            raise InvalidInput(field, str(chosen), "a CoNLL-2003 file (token POS chunk NER per line)")
        return load_conll(chosen), chosen

    def train(
        self,
        workdir: Path,
        *,
        data: Path | None,
        dev: Path | None,
        store: Backend | None,
        params: dict[str, Any],
    ) -> Trained:
        algorithm = str(params.get("algorithm", DEFAULTS["algorithm"]))
        if algorithm not in ALGORITHMS:
            raise InvalidInput("algorithm", algorithm, " or ".join(ALGORITHMS))
        defaults = TRANSFORMER_DEFAULTS if algorithm == "transformer" else DEFAULTS
        unknown = set(params) - set(defaults)
        if unknown:
            raise InvalidInput(
                "params", sorted(unknown), f"parameters of the {algorithm} NER model: {sorted(defaults)}"
            )
        if algorithm == "transformer":
            return self._train_transformer(workdir, data=data, dev=dev, params={**defaults, **params})
        full = {**DEFAULTS, **params}
        started = time.perf_counter()
        train_sents, train_path = self._sentences(data, "eng.train", "data")
        dev_sents, dev_path = self._sentences(dev, "eng.testa", "dev")
        if full["limit"]:
            train_sents = train_sents[: int(full["limit"])]
        model_dir = train_spacy_ner(
            train_sents,
            dev_sents,
            workdir,
            base=self.settings.nlp.spacy_model,
            params={k: v for k, v in full.items() if k not in ("limit", "algorithm")},
            log=self.log,
        )
        meta = json.loads((model_dir / "meta.json").read_text(encoding="utf-8"))
        from newsdesk.lifecycle.pyfunc import NerModel, model_code

        notes = [f"best dev checkpoint: ents_f {meta.get('performance', {}).get('ents_f')}"]
        return Trained(
            python_model=model_code(NerModel, workdir),
            artifacts={"spacy_model": str(model_dir)},
            params={**full, "base_model": self.settings.nlp.spacy_model},
            train=conll_fingerprint(train_sents, train_path),
            dev=conll_fingerprint(dev_sents, dev_path),
            dev_artifact=None,  # CoNLL-2003 is research-only: referenced by path and hash, not copied
            dev_examples=list(dev_sents),
            notes=notes,
            seconds=time.perf_counter() - started,
        )

    def _train_transformer(
        self, workdir: Path, *, data: Path | None, dev: Path | None, params: dict[str, Any]
    ) -> Trained:
        """Fine-tune the transformer (see :mod:`newsdesk.lifecycle.ner_transformer`): the last
        ``heldout_docs`` of the training file's documents choose the epoch and the harmonising mode;
        ``dev`` (eng.testa by default) is only the evaluation set the gates read."""
        from newsdesk.lifecycle.ner_transformer import train_transformer_ner
        from newsdesk.lifecycle.pyfunc import NerModel, model_code
        from newsdesk.nlp.models import sentence_model_path

        started = time.perf_counter()
        train_sents, train_path = self._sentences(data, "eng.train", "data")
        dev_sents, dev_path = self._sentences(dev, "eng.testa", "dev")
        share = float(params["heldout_docs"])
        if not 0 <= share < 1:
            raise InvalidInput("heldout_docs", share, "a share of documents in [0, 1)")
        docs = sorted({s.doc for s in train_sents})
        held = set(docs[len(docs) - round(share * len(docs)) :]) if share else set()
        fit = [s for s in train_sents if s.doc not in held]
        heldout = [s for s in train_sents if s.doc in held]
        if params["limit"]:
            fit = fit[: int(params["limit"])]
        folder, report = train_transformer_ner(
            fit, heldout, workdir, base=sentence_model_path(str(params["base"])), params=params, log=self.log
        )
        notes = [
            f"transformer ({params['base']}): {report['steps']} steps in {report['train_seconds']} s on "
            f"{report['threads']} threads; held-out fold ({len(held)} documents of {train_path.name}) F1 "
            f"{report['heldout_f1']} with harmonise={report['harmonise']}"
        ]
        return Trained(
            python_model=model_code(NerModel, workdir),
            artifacts={"transformer_model": str(folder), "transformer_delta": report["delta"]},
            params={**params, "base_model": str(params["base"]), "harmonise": report["harmonise"]},
            train=conll_fingerprint(fit, train_path),
            dev=conll_fingerprint(dev_sents, dev_path),
            dev_artifact=None,  # CoNLL-2003 is research-only: referenced by path and hash, not copied
            dev_examples=list(dev_sents),
            notes=notes,
            seconds=time.perf_counter() - started,
        )

    def load_eval(self, path: Path) -> list[ConllSentence]:
        return load_conll(path)

    def fingerprint(self, examples: Sequence[ConllSentence], path: Path) -> DataFingerprint:
        return conll_fingerprint(examples, path)

    def default_eval_path(self) -> Path | None:
        path = CONLL / "eng.testa"
        return path if path.is_file() else None

    def evaluate(self, model: Any, examples: Sequence[ConllSentence]) -> Evaluation:
        nlp = model.nlp
        if not examples:
            raise InvalidInput("data", 0, "at least one CoNLL sentence to evaluate on")
        gold = [(i, a, b, t) for i, s in enumerate(examples) for a, b, t in iob1_spans(s.tags)]
        pred = model_spans(nlp, examples)
        scores = span_scores(gold, pred)
        per_type = scores["per_type"]
        metrics = {
            "f1": _fraction(scores["micro"]["f1"]),
            "precision": _fraction(scores["micro"]["precision"]),
            "recall": _fraction(scores["micro"]["recall"]),
            **{f"f1_{t}": _fraction(per_type[t]["f1"]) for t in TYPES},
        }
        slices = {
            f"type={t}": SliceMetric(_fraction(per_type[t]["f1"]), per_type[t]["support"]) for t in TYPES
        }
        for bucket in ("short", "medium", "long"):
            keep = {i for i, s in enumerate(examples) if _length_bucket(len(s.tokens)) == bucket}
            if not keep:
                continue
            part = span_scores([g for g in gold if g[0] in keep], [p for p in pred if p[0] in keep])
            slices[f"length={bucket}"] = SliceMetric(_fraction(part["micro"]["f1"]), part["micro"]["support"])
        behaviour = [self._swap(nlp, examples, gold, kind) for kind in SWAPS]
        texts = [" ".join(s.tokens) for s in examples[:LATENCY_SAMPLE]]
        latency = p95_ms(nlp, texts)
        return Evaluation(metrics, slices, behaviour, latency, self.primary, len(examples))

    @staticmethod
    def _swap(
        nlp: Any, examples: Sequence[ConllSentence], gold: list[tuple[int, int, int, str]], kind: str
    ) -> BehaviourResult:
        """Replace the first gold ``kind`` entity of a sentence with a stand-in name; the model must tag
        the stand-in as ``kind`` with exactly its boundaries."""
        new = SWAPS[kind]
        first: dict[int, tuple[int, int]] = {}
        for index, a, b, type_ in gold:
            if type_ == kind and index not in first:
                first[index] = (a, b)
        chosen = sorted(first)[:BEHAVIOUR_SAMPLE]
        swapped = []
        for index in chosen:
            a, b = first[index]
            tokens = examples[index].tokens
            swapped.append(
                ConllSentence([*tokens[:a], *new, *tokens[b:]], ["O"] * (len(tokens) - (b - a) + len(new)))
            )
        predicted = predicted_spans(nlp, swapped)
        found = {(i, a, b, t) for i, a, b, t in predicted}
        result = BehaviourResult(
            f"{kind.lower()}_name_swap",
            f"Replacing a gold {kind} entity with '{' '.join(new)}' yields a {kind} entity at exactly "
            "those tokens",
            0,
            0,
        )
        for j, index in enumerate(chosen):
            a, _ = first[index]
            result.tested += 1
            if (j, a, a + len(new), kind) in found:
                result.passed += 1
            elif len(result.failures) < 5:
                result.failures.append({"sentence": " ".join(swapped[j].tokens)[:200]})
        return result
