"""The ``summary`` component: its output contract, odd inputs, the bundled scorer and its fallback."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from newsdesk.articles.model import Article
from newsdesk.errors import InvalidInput
from newsdesk.evaluate.datasets import load_bbc
from newsdesk.nlp import get_component
from newsdesk.nlp.summarize import (
    FEATURES,
    MAX_SENTENCE_CHARS,
    MAX_SENTENCES,
    SentenceScorer,
    SummaryComponent,
    article_sentences,
    bundled_scorer,
    pagerank,
    sentence_features,
)
from newsdesk.settings import Settings

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(scope="module")
def bbc() -> list[Article]:
    return [
        Article.create(source="bbc", source_id=item.id, headline=item.headline, body=item.body)
        for item in load_bbc(DATA / "summaries")
    ]


@pytest.fixture(scope="module")
def summary(nlp_settings: Settings) -> SummaryComponent:
    component = get_component("summary", nlp_settings)
    assert isinstance(component, SummaryComponent)
    return component


def _article(body: str, headline: str = "A headline") -> Article:
    return Article.create(source="t", source_id=str(abs(hash(body))), headline=headline, body=body)


def _check(article: Article, value: dict[str, list[object]], k: int) -> None:
    sentences = [s.text for s in article_sentences(article.body)]
    indices = value["indices"]
    assert set(value) == {"sentences", "indices"}
    assert len(indices) == min(k, len(sentences))
    assert indices == sorted(set(indices)), "article order, no repeats"
    assert all(isinstance(i, int) and 0 <= i < len(sentences) for i in indices)
    assert value["sentences"] == [sentences[i] for i in indices]  # type: ignore[index]


def test_registered_with_bundled_scorer(summary: SummaryComponent) -> None:
    assert summary.name == "summary" and summary.assigns == ("summary",)
    scorer = bundled_scorer()
    assert scorer is not None and summary.scorer == scorer
    assert summary.model_identity() == f"lr-{scorer.digest}"
    assert summary.version.startswith(f"1+lr-{scorer.digest}+") and summary.config.sentences == 3
    assert SummaryComponent().version == summary.version  # derived from the configuration and scorer
    fresh = SummaryComponent()
    before = fresh.version
    assert fresh.fit([]).scorer_ == scorer and fresh.version == before  # reading the scorer changes nothing
    provenance = scorer.provenance or {}
    assert provenance["articles"] == 2127 and "BBC News Summary" in provenance["dataset"]


def test_three_sentences_in_article_order(summary: SummaryComponent, bbc: list[Article]) -> None:
    outputs = summary.transform(bbc)
    assert len(outputs) == len(bbc)
    for article, output in zip(bbc, outputs, strict=True):
        _check(article, output.value, 3)
        json.dumps(output.value)
        assert output.confidence is not None and 0.0 <= output.confidence <= 1.0


def test_not_just_the_lead(summary: SummaryComponent, bbc: list[Article]) -> None:
    picks = [tuple(o.value["indices"]) for o in summary.transform(bbc)]
    assert sum(p != (0, 1, 2) for p in picks) >= len(picks) // 2


def test_empty_batch_and_empty_body(summary: SummaryComponent) -> None:
    assert summary.transform([]) == []
    out = summary.transform([_article("")])[0]
    assert out.value == {"sentences": [], "indices": []} and out.confidence is None


def test_one_sentence_article(summary: SummaryComponent) -> None:
    out = summary.transform([_article("Snow fell overnight across the north.")])[0]
    assert out.value == {"sentences": ["Snow fell overnight across the north."], "indices": [0]}


def test_huge_article_is_bounded(summary: SummaryComponent) -> None:
    body = "\n\n".join(
        f"Paragraph {i}: the council met on Tuesday to discuss the budget, and Mayor Jane Smith said "
        "the city would invest in schools and roads." for i in range(3000)
    )
    started = time.perf_counter()
    out = summary.transform([_article(body)])[0]
    assert time.perf_counter() - started < 20
    assert max(out.value["indices"]) < MAX_SENTENCES
    _check(_article(body), out.value, 3)


def test_text_without_sentence_ends_is_cut(summary: SummaryComponent) -> None:
    body = " ".join(f"word{i}" for i in range(50_000))  # ~390k characters, no punctuation
    out = summary.transform([_article(body)])[0]
    assert len(out.value["sentences"]) == 3
    assert all(len(s) <= MAX_SENTENCE_CHARS for s in out.value["sentences"])


@pytest.mark.parametrize(
    ("body", "expected_sentences"),
    [
        (
            "Die Bundesregierung hat am Mittwoch ein neues Gesetz beschlossen. Die Opposition kritisierte "
            "den Entwurf scharf. Umweltverbände begrüßten die Pläne. Das Parlament stimmt im Mai ab.",
            4,
        ),
        ("上海证券交易所综合指数周三上涨百分之三。深圳指数也上涨。分析师表示市场情绪好转。", 3),
        ("Правительство объявило о реформе. Оппозиция раскритиковала план. Голосование пройдёт в мае.", 3),  # noqa: RUF001
    ],
)
def test_non_english_text(summary: SummaryComponent, body: str, expected_sentences: int) -> None:
    assert len(article_sentences(body)) == expected_sentences
    article = _article(body, headline="Nachrichten")
    _check(article, summary.transform([article])[0].value, 3)


def test_sentence_count_is_configurable(nlp_settings: Settings, bbc: list[Article]) -> None:
    versions = set()
    for k in (1, 5):
        component = get_component("summary", nlp_settings, sentences=k)
        assert isinstance(component, SummaryComponent) and component.sentences == k
        versions.add(component.version)
        _check(bbc[0], component.transform(bbc[:1])[0].value, k)
    assert len(versions) == 2 and SummaryComponent().version not in versions  # k is in the version
    with pytest.raises(InvalidInput, match="sentences"):
        SummaryComponent(sentences=0)


def test_textrank_fallback(bbc: list[Article]) -> None:
    component = SummaryComponent(model="textrank")
    assert "textrank" in component.version and component.fit([]).scorer_ is None
    for article, out in zip(bbc, component.transform(bbc), strict=True):
        _check(article, out.value, 3)
        assert out.confidence is None


def test_scorer_json_round_trip(tmp_path: Path, summary: SummaryComponent, bbc: list[Article]) -> None:
    scorer = bundled_scorer()
    assert scorer is not None
    path = tmp_path / "scorer.json"
    path.write_text(json.dumps(scorer.to_dict()))
    loaded = SummaryComponent(model=path)
    assert loaded.config == SummaryComponent(model=str(path)).config
    assert loaded.model_identity() == summary.model_identity()
    # an executor receives the scorer read on the driver, not the driver's path to read
    loaded.fit([])
    path.unlink()
    shipped = loaded.for_executor()
    assert shipped.scorer_ == scorer and shipped.version == loaded.version
    assert [o.value for o in shipped.transform(bbc)] == [o.value for o in summary.transform(bbc)]


def test_bad_scorer_file_is_refused(tmp_path: Path) -> None:
    scorer = bundled_scorer()
    assert scorer is not None
    data = scorer.to_dict()
    data["coef"] = data["coef"][:-1]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InvalidInput, match="coefficients"):
        SummaryComponent(model=path)
    with pytest.raises(InvalidInput, match="model"):
        SummaryComponent(model=tmp_path / "missing.json")


def test_outputs_do_not_depend_on_the_batch(summary: SummaryComponent, bbc: list[Article]) -> None:
    together = [o.value for o in summary.transform(bbc[:5])]
    assert together == [summary.transform([a])[0].value for a in bbc[:5]]


def test_features_are_finite_and_named(bbc: list[Article]) -> None:
    sentences = article_sentences(bbc[0].body)
    feats = sentence_features(bbc[0].headline, sentences)
    assert feats.shape == (len(sentences), len(FEATURES))
    assert np.isfinite(feats).all()
    assert sentence_features("x", []).shape == (0, len(FEATURES))


def test_pagerank_matches_networkx() -> None:
    nx = pytest.importorskip("networkx")
    rng = np.random.default_rng(0)
    weights = rng.random((7, 7))
    weights = (weights + weights.T) / 2
    np.fill_diagonal(weights, 0)
    weights[6] = weights[:, 6] = 0  # an isolated node
    expected = nx.pagerank(nx.from_numpy_array(weights), tol=1e-10)
    assert np.allclose(pagerank(weights), [expected[i] for i in range(7)], atol=1e-6)


def test_scorer_probabilities_follow_the_coefficients() -> None:
    n = len(FEATURES)
    scorer = SentenceScorer(coef=(1.0,) + (0.0,) * (n - 1), intercept=0.0, mean=(0.0,) * n, scale=(1.0,) * n)
    feats = np.zeros((2, n))
    feats[1, 0] = 2.0
    probs = scorer.probabilities(feats)
    assert probs[0] == pytest.approx(0.5) and probs[1] == pytest.approx(1 / (1 + np.exp(-2.0)))
