"""The ``keyphrases`` component: candidates, archive document frequencies, output contract, odd inputs, the
fitted state and the version derived from it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from newsdesk.articles.model import Article
from newsdesk.errors import InvalidInput, NotFitted
from newsdesk.evaluate.datasets import load_bbc
from newsdesk.ingest import ingest
from newsdesk.nlp import get_component
from newsdesk.nlp.keyphrases import KeyphrasesComponent, KeyphrasesConfig, candidates, phrase_key
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(scope="module")
def bbc() -> list[Article]:
    return [
        Article.create(source="bbc", source_id=item.id, headline=item.headline, body=item.body)
        for item in load_bbc(DATA / "summaries")
    ]


@pytest.fixture(scope="module")
def fitted(bbc: list[Article]) -> KeyphrasesComponent:
    return KeyphrasesComponent().fit(bbc)


def _article(headline: str, body: str) -> Article:
    return Article.create(source="t", source_id=str(abs(hash(body))), headline=headline, body=body)


def _check(value: list[dict[str, object]], top_k: int = 10) -> None:
    json.dumps(value)
    assert len(value) <= top_k
    scores = [p["score"] for p in value]
    assert all(isinstance(s, float) and 0.0 < s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)
    if value:
        assert scores[0] == 1.0
    keys = [phrase_key(str(p["phrase"])) for p in value]
    for a in keys:
        assert not any(a != b and f" {a} " in f" {b} " for b in keys), "no phrase inside another"


def test_refuses_before_fit(nlp_settings: Settings) -> None:
    component = get_component("keyphrases", nlp_settings)
    assert isinstance(component, KeyphrasesComponent) and component.config == KeyphrasesConfig(top_k=10)
    assert component.learns and component.refit == "once" and component.version
    with pytest.raises(NotFitted):
        component.transform([_article("Rates rise", "The bank raised rates.")])


def test_fit_counts_the_archive(store: ArticleStore, settings: Settings) -> None:
    ingest([DATA / "bbc"], store, settings=settings, format="textdir", source="bbc")
    component = KeyphrasesComponent.from_settings(settings).fit(store.iter_articles())
    assert component.n_docs_ == store.count() > 0
    assert component.df_ is not None and component.df_["time warner"] >= 1
    assert component.fitted_from_
    article = store.get(next(a.id for a in store.iter_articles() if "Time Warner" in a.headline))
    phrases = [p["phrase"] for p in component.transform([article])[0].value]
    assert {"TimeWarner", "Time Warner"} & set(phrases)
    # articles and their model texts teach the same frequencies
    from_texts = KeyphrasesComponent().fit_texts(a.model_text for a in store.iter_articles())
    assert from_texts.df_ == component.df_ and from_texts.version == component.version


def test_version_follows_the_state_and_the_configuration(bbc: list[Article]) -> None:
    first = KeyphrasesComponent().fit(bbc[:6])
    assert KeyphrasesComponent().fit(bbc[:6]).version == first.version
    assert KeyphrasesComponent().fit(bbc[:5]).version != first.version, "other training data"
    assert KeyphrasesComponent(top_k=3).fit(bbc[:6]).version != first.version, "another configuration"
    restored = KeyphrasesComponent(first.config).set_state(first.get_state())
    assert restored.version == first.version and restored.fitted_from_ == first.fitted_from_
    assert restored.transform(bbc[:3]) == first.transform(bbc[:3])
    shipped = first.for_executor()
    assert shipped is not first and shipped.version == first.version


def test_candidates_respect_boundaries() -> None:
    keys = [k for k, _ in candidates("The Bank of England's chief, Mervyn King, raised interest rates.")]
    assert "bank of england" in keys and "mervyn king" in keys and "interest rate" in keys
    assert not any(k.startswith(("the ", "of ")) for k in keys)
    assert "chief mervyn" not in keys, "a comma breaks a phrase"
    assert candidates("") == [] and candidates("2004 - 12:30") == []


def test_top_phrases_on_bbc(fitted: KeyphrasesComponent, bbc: list[Article]) -> None:
    outputs = fitted.transform(bbc)
    assert len(outputs) == len(bbc)
    for article, output in zip(bbc, outputs, strict=True):
        _check(output.value)
        assert len(output.value) == 10
        text = f"{article.headline} {article.body}".lower()
        assert all(str(p["phrase"]).lower() in text for p in output.value)


def test_rare_phrases_beat_common_ones() -> None:
    archive = [f"Story {i}\n\nThe government announced plans today." for i in range(20)]
    component = KeyphrasesComponent(top_k=2).fit_texts([*archive, "Zebra\n\nZebra sightings."])
    body = "The government spoke about zebras. The government liked zebras."
    phrases = [p["phrase"] for p in component.transform([_article("News", body)])[0].value]
    assert phrases[0] == "zebras"


def test_odd_inputs(fitted: KeyphrasesComponent) -> None:
    assert fitted.transform([]) == []
    only_headline = fitted.transform([_article("Floods hit northern England", "")])[0].value
    _check(only_headline)
    assert only_headline and only_headline[0]["phrase"]
    huge = "\n\n".join(
        f"Paragraph {i}: the council met on Tuesday to discuss the budget, and Mayor Jane Smith said "
        "the city would invest in schools and roads." for i in range(3000)
    )
    started = time.perf_counter()
    _check(fitted.transform([_article("Budget", huge)])[0].value)
    assert time.perf_counter() - started < 20
    german = _article(
        "Bundesregierung beschließt Klimaschutzgesetz",
        "Die Bundesregierung hat am Mittwoch in Berlin ein neues Klimaschutzgesetz beschlossen.",
    )
    chinese = _article("上海股市周三大幅上涨", "上海证券交易所综合指数周三上涨百分之三。")
    german_value, chinese_value = (o.value for o in fitted.transform([german, chinese]))
    _check(german_value)
    _check(chinese_value)
    assert any("Klimaschutzgesetz" in str(p["phrase"]) for p in german_value)


def test_outputs_do_not_depend_on_the_batch(fitted: KeyphrasesComponent, bbc: list[Article]) -> None:
    assert [o.value for o in fitted.transform(bbc[:4])] == [fitted.transform([a])[0].value for a in bbc[:4]]


def test_top_k_is_validated(nlp_settings: Settings) -> None:
    for bad in (0, -1, 2.5, True):
        with pytest.raises(InvalidInput, match="top_k"):
            KeyphrasesComponent(top_k=bad)
    with pytest.raises(InvalidInput, match="top_k"):
        KeyphrasesComponent.from_settings(nlp_settings, top_k=0)
