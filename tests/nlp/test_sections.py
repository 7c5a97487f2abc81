"""SectionClassifier (multi-class and multi-label) and the ``sections`` component, on the committed BBC
sample (20 truncated articles per section) and a small Reuters sample."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.base import clone

from newsdesk.articles.model import Article
from newsdesk.errors import InvalidInput, NotFitted
from newsdesk.evaluate.datasets import BbcItem, load_bbc, load_reuters_modapte
from newsdesk.nlp import get_component
from newsdesk.nlp.sections import SectionClassifier, SectionsComponent, SectionsConfig
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore

SAMPLE = Path(__file__).parents[1] / "data" / "sections"


@pytest.fixture(scope="module")
def items() -> list[BbcItem]:
    return load_bbc(SAMPLE / "bbc")


@pytest.fixture(scope="module")
def split(items: list[BbcItem]) -> tuple[list[BbcItem], list[BbcItem]]:
    """Articles 1-16 of each section to train on, 17-20 to test on."""
    train = [i for i in items if int(i.id.split("/")[1]) <= 16]
    test = [i for i in items if int(i.id.split("/")[1]) > 16]
    return train, test


@pytest.fixture(scope="module")
def fitted(split: tuple[list[BbcItem], list[BbcItem]]) -> SectionClassifier:
    train, _ = split
    return SectionClassifier().fit([i.text for i in train], [i.section for i in train])


def test_sample_is_balanced(items: list[BbcItem]) -> None:
    sections = [i.section for i in items]
    assert len(items) == 100 and {sections.count(s) for s in set(sections)} == {20}


def test_learns_the_sample_better_than_the_majority(
    fitted: SectionClassifier, split: tuple[list[BbcItem], list[BbcItem]]
) -> None:
    _, test = split
    predicted = fitted.predict([i.text for i in test])
    accuracy = float(np.mean(predicted == np.array([i.section for i in test])))
    assert list(fitted.classes_) == ["business", "entertainment", "politics", "sport", "tech"]
    assert accuracy >= 0.8  # the majority class would score 0.2
    assert set(fitted.n_features_) == {"words", "chars"} and all(n > 100 for n in fitted.n_features_.values())


def test_probabilities_are_calibrated_distributions(
    fitted: SectionClassifier, split: tuple[list[BbcItem], list[BbcItem]]
) -> None:
    _, test = split
    proba = fitted.predict_proba([i.text for i in test])
    assert proba.shape == (len(test), 5)
    assert np.all((proba >= 0) & (proba <= 1)) and np.allclose(proba.sum(axis=1), 1.0)
    assert list(fitted.classes_[proba.argmax(axis=1)]) == list(fitted.predict([i.text for i in test]))
    assert 0.0 <= fitted.cv_brier_ < 0.8  # uniform guessing scores 0.8 on 5 classes
    truth = np.array([[i.section == c for c in fitted.classes_] for i in test], dtype=float)
    assert float(np.mean(np.sum((proba - truth) ** 2, axis=1))) < 0.5


def test_explanations_name_terms_of_the_text(fitted: SectionClassifier) -> None:
    text = "Shares in the bank fell after profits dropped and the firm cut its dividend to investors."
    [terms] = fitted.explain([text])
    assert terms and len(terms) <= fitted.n_terms
    weights = [w for _, w in terms]
    assert weights == sorted(weights, reverse=True) and all(w > 0 for w in weights)
    assert all(word in text.lower() for term, _ in terms for word in term.split())
    sport = fitted.explain([text], ["sport"])[0]
    assert sport != terms
    sentences = fitted.indicative_sentences(
        "The striker scored twice in the cup final. Shares in the bank fell sharply.", "sport", n=1
    )
    assert sentences == ["The striker scored twice in the cup final."]


def test_unfitted_use_raises_not_fitted() -> None:
    clf = SectionClassifier()
    for call in (
        lambda: clf.predict(["x"]),
        lambda: clf.predict_proba(["x"]),
        lambda: clf.explain(["x"]),
        lambda: clf.save("unused.joblib"),
    ):
        with pytest.raises(NotFitted) as caught:
            call()
        assert isinstance(caught.value, ValueError) and isinstance(caught.value, AttributeError)


def test_parameters_follow_the_estimator_contract() -> None:
    clf = SectionClassifier(C=0.5, cv=3)
    assert clf.get_params()["C"] == 0.5 and clf.get_params()["views"] == ("words", "chars")
    assert clf.get_params()["nb"] is True
    copy = clone(clf)
    assert copy.get_params() == clf.get_params() and not hasattr(copy, "classes_")
    texts = ["a b c", "d e f", "a b", "d e"]
    for bad in (
        {"views": ("bogus",)},
        {"views": ()},
        {"cv": 1},
        {"C": 0},
        {"nb": "yes"},
        {"pooling": "median"},
        {"view_weights": "learned"},
        {"views": ("embeddings",)},  # needs an embedder
    ):
        with pytest.raises(InvalidInput):
            SectionClassifier(**bad).fit(texts, ["x", "y", "x", "y"])
    with pytest.raises(InvalidInput, match="at least 2 different labels"):
        SectionClassifier().fit(texts, ["x", "x", "x", "x"])
    with pytest.raises(InvalidInput, match="at least 2 different labels"):
        SectionClassifier().fit(texts, ["x", "x", "x", "y"])  # 'y' has one text
    with pytest.raises(InvalidInput, match="one label"):
        SectionClassifier().fit(texts, ["x", "y"])


def test_parameters_identity_is_json_ready_without_local_paths(tmp_path: Path) -> None:
    from newsdesk.nlp.embed import EmbedderConfig

    cached = SectionClassifier(views=("words", "embeddings"), embedder=EmbedderConfig(cache=tmp_path / "c"))
    identity = cached.params_identity()
    assert identity["embedder"] == EmbedderConfig().identity() and str(tmp_path) not in json.dumps(identity)
    assert SectionClassifier().params_identity()["embedder"] is None


@pytest.mark.parametrize("views", [("words",), ("words", "chars")])
def test_plain_svm_and_nb_svm_word_views(
    views: tuple[str, ...], split: tuple[list[BbcItem], list[BbcItem]]
) -> None:
    """``nb=False`` keeps the plain LinearSVC word view; both kinds learn the sample, explain with positive
    contributions and give distributions, alone or averaged with the character view."""
    train, test = split
    texts, labels = [i.text for i in train], [i.section for i in train]
    truth = np.array([i.section for i in test])
    for nb in (True, False):
        clf = SectionClassifier(views=views, nb=nb, cv=3).fit(texts, labels)
        proba = clf.predict_proba([i.text for i in test])
        assert np.allclose(proba.sum(axis=1), 1.0)
        assert float(np.mean(clf.predict([i.text for i in test]) == truth)) >= 0.8
        [terms] = clf.explain(["The striker scored a late goal in the cup final."], ["sport"])
        assert terms and all(w > 0 for _, w in terms)


def test_view_weights_and_pooling(
    fitted: SectionClassifier, split: tuple[list[BbcItem], list[BbcItem]]
) -> None:
    """By default the views' weights are chosen on the inner out-of-fold probabilities (a 0.1 grid) and the
    views are pooled geometrically; ``pooling='arithmetic', view_weights='equal'`` is the plain mean."""
    from newsdesk.nlp.sections import _apply_platt

    train, test = split
    texts = [i.text for i in test]
    assert fitted.get_params()["pooling"] == "geometric" and fitted.get_params()["view_weights"] == "cv"
    weights = fitted.weights_
    assert weights.shape == (2,) and math.isclose(float(weights.sum()), 1.0)
    assert np.allclose(weights * 10, np.round(weights * 10)) and np.all(weights >= 0)

    def per_view(clf: SectionClassifier) -> list[np.ndarray]:
        return [
            _apply_platt(clf.calibration_[v], clf._decision(clf.models_[v], clf._features(v, texts)))
            for v in clf.views
        ]

    pooled = np.exp(sum(w * np.log(p) for w, p in zip(weights, per_view(fitted), strict=True)))
    assert np.allclose(fitted.predict_proba(texts), pooled / pooled.sum(axis=1, keepdims=True))

    plain = SectionClassifier(pooling="arithmetic", view_weights="equal", cv=3).fit(
        [i.text for i in train], [i.section for i in train]
    )
    assert plain.weights_.tolist() == [0.5, 0.5]
    mean = sum(per_view(plain)) / 2
    assert np.allclose(plain.predict_proba(texts), mean / mean.sum(axis=1, keepdims=True))
    del plain.weights_  # a classifier saved before weights existed: the plain mean
    assert np.allclose(plain.predict_proba(texts), mean / mean.sum(axis=1, keepdims=True))

    # unpickling a classifier saved before pooling and view_weights existed: it says how it pools
    import pickle

    state = fitted.__getstate__()
    for name in ("pooling", "view_weights", "weights_"):
        state.pop(name)
    old = SectionClassifier.__new__(SectionClassifier)
    old.__setstate__(state)
    restored = pickle.loads(pickle.dumps(old))
    params = restored.get_params()
    assert (params["pooling"], params["view_weights"]) == ("arithmetic", "equal")
    means = sum(per_view(fitted)) / 2
    assert np.allclose(restored.predict_proba(texts), means / means.sum(axis=1, keepdims=True))


def test_simplex_grid() -> None:
    from newsdesk.nlp.sections import _simplex

    grid = list(_simplex(3, steps=10))
    assert len(grid) == 66 and all(math.isclose(float(w.sum()), 1.0) for w in grid)
    assert all(np.all(w >= 0) for w in grid) and [float(w[0]) for w in _simplex(1, steps=10)] == [1.0]


def test_nb_svm_scores_a_label_missing_from_training_as_unlikely() -> None:
    from newsdesk.nlp.sections import _NBSVM

    features = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.2], [0.1, 1.0]])
    indicator = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 1, 0]])
    model = _NBSVM().fit(features, indicator)
    scores = model.decision_function(np.array([[1.0, 0.0], [0.0, 1.0]]))
    assert scores.shape == (2, 3) and scores[0, 0] > scores[0, 1] and scores[1, 1] > scores[1, 0]
    assert np.all(scores[:, 2] == -10.0)
    assert model.coef_[0, 0] > 0 > model.coef_[0, 1]  # feature 0 marks label 0, feature 1 the other


def test_platt_scaling_never_inverts_the_scores() -> None:
    from newsdesk.nlp.sections import _fit_platt

    scores = np.array([[2.0], [1.0], [-1.0], [-2.0]])
    assert _fit_platt(scores, np.array([[1.0], [1.0], [0.0], [0.0]]))[0, 0] > 0
    # out-of-fold scores that rank the wrong way (a handful of texts): the raw score's sigmoid instead
    assert _fit_platt(scores, np.array([[0.0], [0.0], [1.0], [1.0]])).tolist() == [[1.0, 0.0]]


def test_odd_texts(fitted: SectionClassifier) -> None:
    texts = [
        "",
        "Die Bundesregierung hat ein neues Gesetz beschlossen.",
        "上海股市周三大幅上涨",
        "goal " * 200_000,
    ]
    proba = fitted.predict_proba(texts)
    assert proba.shape == (4, 5) and np.allclose(proba.sum(axis=1), 1.0)
    assert fitted.predict([]).shape == (0,) and fitted.predict_proba([]).shape == (0, 5)
    assert fitted.predict(["goal " * 200_000])[0] == "sport"
    assert fitted.explain([""]) == [[]]
    with pytest.raises(InvalidInput):
        fitted.predict("one string, not a list")


def test_save_and_load(fitted: SectionClassifier, tmp_path: Path) -> None:
    path = fitted.save(tmp_path / "models" / "sections.joblib")
    loaded = SectionClassifier.load(path)
    texts = ["The chancellor's budget raised taxes.", "The band's album topped the charts."]
    assert np.array_equal(loaded.predict_proba(texts), fitted.predict_proba(texts))
    assert loaded.get_params() == fitted.get_params()


def test_multilabel_mode_on_reuters_sample() -> None:
    docs = load_reuters_modapte(SAMPLE / "reuters")
    train = [d for d in docs if d.split == "train"]
    test = [d for d in docs if d.split == "test"]
    clf = SectionClassifier(views=("words",), cv=3).fit([d.text for d in train], [d.topics for d in train])
    assert clf.multilabel_ and "earn" in clf.classes_ and clf.thresholds_ is not None
    assert clf.weights_.tolist() == [1.0]  # multi-label views are always averaged alike
    assert clf.thresholds_.shape == (len(clf.classes_),) and np.all(
        (clf.thresholds_ > 0) & (clf.thresholds_ < 1)
    )
    proba = clf.predict_proba([d.text for d in test])
    assert np.all((proba >= 0) & (proba <= 1))
    predicted = clf.predict([d.text for d in test])
    assert len(predicted) == len(test) and all(p and set(p) <= set(clf.classes_) for p in predicted)
    hits = sum(len(set(p) & set(d.topics)) for p, d in zip(predicted, test, strict=True))
    assert hits / sum(len(d.topics) for d in test) > 0.5  # recall far above chance (8 topics)
    terms = clf.explain([test[0].text], [test[0].topics[0]])[0]
    assert all(w > 0 for _, w in terms)


# ---------------------------------------------------------------------------------- the component


def _articles(items: list[BbcItem]) -> list[Article]:
    return [
        Article.create(source="bbc", source_id=i.id, headline=i.headline, body=i.body, section=i.section)
        for i in items
    ]


@pytest.fixture
def filled(store: ArticleStore, split: tuple[list[BbcItem], list[BbcItem]]) -> ArticleStore:
    train, _ = split
    store.upsert(_articles(train))
    store.upsert(
        [Article.create(source="t", source_id="lone", headline="One of a kind", body="x", section="lone")]
    )
    return store


def test_component_is_registered_and_refuses_before_fit(settings: Settings) -> None:
    component = get_component("sections", settings)
    assert isinstance(component, SectionsComponent) and component.learns and component.refit == "always"
    assert component.config == SectionsConfig(top_k=3, cache_dir=settings.models_dir / "sections")
    assert component.version and component.model_identity() == ""
    with pytest.raises(NotFitted):
        component.transform([Article.create(source="t", headline="h", body="b")])
    with pytest.raises(InvalidInput, match="top_k"):
        SectionsComponent(top_k=0)


def test_component_needs_two_sections_with_two_articles(store: ArticleStore) -> None:
    component = SectionsComponent()
    with pytest.raises(NotFitted, match="at least 2 sections"):
        component.fit(store.iter_articles())
    store.upsert(
        [
            Article.create(source="t", source_id="a", headline="A", body="a", section="news"),
            Article.create(source="t", source_id="b", headline="B", body="b", section="news"),
            Article.create(source="t", source_id="c", headline="C", body="c", section="sport"),
        ]
    )
    with pytest.raises(NotFitted, match="at least 2 sections"):
        component.fit(store.iter_articles())
    assert not component.fitted


def test_component_outputs(filled: ArticleStore, split: tuple[list[BbcItem], list[BbcItem]]) -> None:
    _, test = split
    component = SectionsComponent().fit(filled.iter_articles())
    assert component.left_out_ == {"lone": 1} and component.champion_ == ""
    assert component.transform([]) == []
    articles = [
        *_articles(test),
        Article.create(source="t", source_id="empty", headline="Headline only", body=""),
        Article.create(source="t", source_id="huge", headline="Long", body="The minister said. " * 50_000),
        Article.create(
            source="t",
            source_id="zh",
            headline="上海股市周三大幅上涨",
            body="上海证券交易所综合指数周三上涨。",
        ),
    ]
    outputs = component.transform(articles)
    assert len(outputs) == len(articles)
    for output in outputs:
        value = output.value
        probabilities = value["probabilities"]
        assert len(probabilities) == 3 and value["section"] == next(iter(probabilities))
        assert list(probabilities.values()) == sorted(probabilities.values(), reverse=True)
        assert sum(probabilities.values()) <= 1.0 + 1e-3
        assert output.confidence is not None and not math.isnan(output.confidence)
        assert 0.2 <= output.confidence <= 1.0 and output.confidence == probabilities[value["section"]]
        assert isinstance(value["explanation"], list)
    correct = sum(o.value["section"] == i.section for o, i in zip(outputs, test, strict=False))
    assert correct >= 0.8 * len(test)
    assert all(o.value["explanation"] for o in outputs[: len(test)])
    narrow = SectionsComponent(top_k=1).fit(filled.iter_articles())
    assert [len(o.value["probabilities"]) for o in narrow(articles[:2])] == [1, 1]


def test_version_follows_the_training_data(
    filled: ArticleStore, settings: Settings, split: tuple[list[BbcItem], list[BbcItem]]
) -> None:
    first = SectionsComponent.from_settings(settings).fit(filled.iter_articles())
    assert first.ref == f"sections@{first.version}" and first.trained_on_
    cache = settings.models_dir / "sections"
    saved = list(cache.glob("*.joblib"))
    assert saved == [cache / f"{first.trained_on_}.joblib"]

    again = SectionsComponent.from_settings(settings).fit(filled.iter_articles())
    assert again.version == first.version, "same archive: same version, and the saved model is reused"
    assert list(cache.glob("*.joblib")) == saved
    assert SectionsComponent().fit(filled.iter_articles()).version == first.version, "the cache is no input"
    assert SectionsComponent(top_k=2).fit(filled.iter_articles()).version != first.version

    # an executor gets the fitted state, not the cache folder, and serves the same outputs
    shipped = first.for_executor()
    assert shipped.config.cache_dir is None and shipped.version == first.version
    restored = SectionsComponent(first.config).set_state(first.get_state())
    assert restored.version == first.version
    probe = _articles(split[1][:3])
    assert restored.transform(probe) == shipped.transform(probe) == first.transform(probe)

    _, test = split
    filled.upsert(_articles(test[:2]))
    changed = SectionsComponent.from_settings(settings).fit(filled.iter_articles())
    assert changed.version != first.version


def test_tiny_vocabularies_and_empty_texts() -> None:
    clf = SectionClassifier(views=("words",)).fit(["aa bb", "cc dd", "ee ff", "gg hh"], ["a", "b", "a", "b"])
    assert clf.n_features_["words"] > 0  # no term reaches min_df=2: every term is kept instead
    with pytest.raises(InvalidInput, match="words"):
        SectionClassifier(views=("words",)).fit(["", "", "", ""], ["a", "b", "a", "b"])


def test_a_champion_handed_in_serves_instead_of_the_archive(
    store: ArticleStore, fitted: SectionClassifier
) -> None:
    """The pipeline hands the component its champion (``use_champion``); fit asks for it (on the driver),
    and the component serves it, with the champion in its version and its state, even when the archive
    could not train a model; a source that answers None leaves the component to learn from the archive."""
    served = SimpleNamespace(classifier=fitted)  # the unwrapped pyfunc model exposes .classifier
    component = SectionsComponent()
    component.use_champion(lambda: ("newsdesk-sections@7", served))
    component.fit(store.iter_articles())  # an empty archive: only the champion can serve
    assert component.model_identity() == component.champion_ == "newsdesk-sections@7"
    assert component.version.startswith(f"{component.code_version}+newsdesk-sections@7+")
    other = SectionsComponent()
    other.use_champion(lambda: ("newsdesk-sections@8", served))
    assert other.fit([]).version != component.version, "a promotion changes the version"
    match = Article.create(source="t", headline="Striker scores twice", body="The final went to extra time.")
    [out] = component.transform([match])
    assert out.value["section"] in fitted.classes_
    shipped = component.for_executor()  # no champion source travels: the state holds the champion
    assert shipped.champion_source is None and shipped.version == component.version
    assert shipped.transform([match]) == [out]
    without = SectionsComponent()
    without.use_champion(lambda: None)
    with pytest.raises(NotFitted, match="at least 2 sections"):
        without.fit(store.iter_articles())
