"""The ``transformer`` algorithm of the ``ner`` model kind: fine-tuning the token classifier of
:mod:`newsdesk.nlp.ner_transformer` on the CPU, choosing the epoch and the harmonising mode on a held-out
share of the training documents, and writing the model both as a folder and as the small delta that ships
inside the package (:func:`export_delta`).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from newsdesk.errors import InvalidInput
from newsdesk.evaluate.datasets import ConllSentence
from newsdesk.metrics.ner import iob1_spans
from newsdesk.nlp.ner_transformer import (
    HARMONISE,
    LABELS,
    TransformerNer,
    _Encoder,
    _pad,
    _torch,
    bio,
    documents,
    new_model,
)

__all__ = ["TransformerNer", "export_delta", "train_transformer_ner"]


def _batches(items: list[Any], size: int, rng: random.Random) -> Iterator[list[Any]]:
    """Batches of similar length (less padding), in random order."""
    order = sorted(range(len(items)), key=lambda i: (len(items[i][0]), rng.random()))
    chunks = [[items[i] for i in order[s : s + size]] for s in range(0, len(order), size)]
    rng.shuffle(chunks)
    yield from chunks


def export_delta(model: Any, base: Path, path: Path) -> Path:
    """Write ``model`` as its difference from the encoder at ``base`` (frozen tensors left out; matrices
    as int8 with a scale per row, vectors as float16), a few MB instead of the full weights: the form in
    which a trained model ships inside the package (see :meth:`TransformerNer.from_delta`)."""
    import numpy as np

    torch = _torch()
    start = new_model(base, zero_head=True).state_dict()
    arrays: dict[str, Any] = {}
    names: list[str] = []
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    for name, value in model.state_dict().items():
        if name not in trainable and name in start and torch.equal(value, start[name]):
            continue
        delta = (value - start[name]).float().numpy() if name in start else value.float().numpy()
        key = f"t{len(names)}"
        names.append(name)
        if delta.ndim == 2:
            scale = np.abs(delta).max(axis=1, keepdims=True) / 127.0
            scale[scale == 0] = 1.0
            arrays[f"{key}_q"] = np.round(delta / scale).astype(np.int8)
            arrays[f"{key}_s"] = scale.astype(np.float32)
        else:
            arrays[f"{key}_h"] = delta.astype(np.float16)
    arrays["names"] = np.array(names)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        np.savez_compressed(handle, **arrays)
    return path


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
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

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
    model = new_model(base)
    if params.get("freeze_embeddings", True):
        model.base_model.embeddings.word_embeddings.weight.requires_grad_(False)
    encoder = _Encoder(tokenizer, max_len)
    label_id = {t: i for i, t in enumerate(LABELS)}
    examples: list[tuple[list[int], list[int], list[int]]] = []
    for group in documents(train):
        gold_tags = [bio(train[i].tags) for i in group]
        for ids, types, slots in encoder.windows([train[i].tokens for i in group]):
            labels = [-100] * len(ids)
            for position, k, j in slots:
                if position >= 0:
                    labels[position] = label_id[gold_tags[k][j]]
            examples.append((ids, labels, types))
    batch_size = int(params["batch_size"])
    epochs = int(params["epochs"])
    per_epoch = (len(examples) + batch_size - 1) // batch_size
    total = per_epoch * epochs
    if params.get("max_steps"):
        total = min(total, int(params["max_steps"]))
    tuned = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(tuned, lr=float(params["learn_rate"]), weight_decay=0.01)
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
            types = _pad(torch, [c[2] for c in chunk], 0)
            mask = _pad(torch, [[1] * len(c[0]) for c in chunk], 0)
            loss = model(input_ids=ids, token_type_ids=types, attention_mask=mask, labels=labels).loss
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
    report["delta"] = str(export_delta(model, base, workdir / "transformer-delta.npz"))
    (workdir / "transformer-report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    return folder, report
