"""The ``near_duplicates`` component and its MinHash index, on committed BBC sample articles."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from newsdesk.articles.model import Article
from newsdesk.errors import InvalidInput, NotFitted
from newsdesk.evaluate.datasets import load_bbc
from newsdesk.evaluate.duplicates import rewrite
from newsdesk.nlp import get_component
from newsdesk.nlp.dedup import MinHashIndex, NearDuplicatesComponent, NearDuplicatesConfig, shingles
from newsdesk.nlp.embed import EmbedderConfig
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore

DATA = Path(__file__).parents[1] / "data"


def bbc_articles() -> list[Article]:
    return [
        Article.create(source="bbc", source_id=item.id, headline=item.headline, body=item.body)
        for item in load_bbc(DATA / "bbc", dedupe=False)
    ]


def rewritten(article: Article, kind: str, source_id: str) -> Article:
    headline, body = rewrite(kind, article.headline, article.body, random.Random(3))
    return Article.create(source="wire", source_id=source_id, headline=headline, body=body)


@pytest.fixture
def archive(store: ArticleStore) -> tuple[ArticleStore, dict[str, Article]]:
    articles = {a.id: a for a in bbc_articles()}
    original = articles["bbc:business/001"]
    extra = [
        rewritten(original, "drop_sentences", "rewrite"),
        rewritten(original, "truncate", "short"),
        rewritten(original, "heavy", "heavy"),
    ]
    articles.update({a.id: a for a in extra})
    store.upsert(list(articles.values()), dedupe=False)
    return store, articles


def ids(value: list[dict[str, object]]) -> list[str]:
    return [str(m["id"]) for m in value]


def test_registered_and_configured(settings: Settings) -> None:
    component = get_component("near_duplicates", settings)
    assert isinstance(component, NearDuplicatesComponent) and component.learns and component.refit == "always"
    assert component.config.embedder == EmbedderConfig.from_settings(settings, strategy="lead")
    assert component.model_identity() == "" and component.version
    with_vectors = NearDuplicatesComponent.from_settings(settings, use_embeddings=True)
    assert with_vectors.model_identity() == "all-MiniLM-L6-v2:lead"
    chunks = NearDuplicatesComponent(embedder=EmbedderConfig(strategy="chunks"))
    assert chunks.config.embedder.strategy == "chunks"


def test_version_follows_the_configuration_and_the_index(settings: Settings) -> None:
    articles = bbc_articles()

    def version(config: NearDuplicatesConfig, indexed: list[Article] = articles) -> str:
        return NearDuplicatesComponent(config).fit(indexed).version

    base = version(NearDuplicatesConfig())
    assert version(NearDuplicatesConfig()) == base
    assert version(NearDuplicatesConfig(threshold=0.6)) != base
    assert version(NearDuplicatesConfig(shingle_size=4)) != base
    assert version(NearDuplicatesConfig(), articles[:-1]) != base, "another archive"
    # options of rules that are off change no output, nor the version
    assert version(NearDuplicatesConfig(cosine=0.9)) == base
    assert version(NearDuplicatesConfig(embedder=EmbedderConfig(model="other-model"))) == base
    jaccard_only = version(NearDuplicatesConfig(containment=None))
    assert version(NearDuplicatesConfig(containment=None, candidate_threshold=0.3)) == jaccard_only
    # the embedding cache is this machine's: no part of the version
    cached = NearDuplicatesConfig(embedder=EmbedderConfig(strategy="lead", cache=settings.cache_dir / "x"))
    assert cached.identity() == NearDuplicatesConfig().identity()
    assert cached.for_executor().embedder.cache is None


def test_state_ships_to_another_instance() -> None:
    articles = bbc_articles()
    fitted = NearDuplicatesComponent().fit(articles)
    restored = NearDuplicatesComponent(fitted.config).set_state(fitted.get_state())
    assert restored.version == fitted.version and restored.fitted_from_ == fitted.fitted_from_
    shipped = fitted.for_executor()
    probe = [*articles, rewritten(articles[0], "truncate", "outside")]  # one outside the index
    assert shipped.version == fitted.version
    assert restored.transform(probe) == shipped.transform(probe) == fitted.transform(probe)


def test_refuses_before_fit() -> None:
    with pytest.raises(NotFitted):
        NearDuplicatesComponent().transform(bbc_articles()[:1])


@pytest.mark.parametrize(
    ("option", "value"),
    [("threshold", 0.0), ("threshold", 1.5), ("containment", 2.0), ("num_perm", 4), ("shingle_size", 0),
     ("candidate_threshold", 0.7), ("cosine", 0.01), ("use_embeddings", "yes"), ("embedder", "lead")],
)
def test_invalid_options_are_refused(settings: Settings, option: str, value: float) -> None:
    with pytest.raises(InvalidInput, match=option):
        NearDuplicatesComponent(**{option: value})
    with pytest.raises(InvalidInput, match=option):
        NearDuplicatesComponent.from_settings(settings, **{option: value})


def test_finds_rewrites_and_exact_copy_not_unrelated(
    archive: tuple[ArticleStore, dict[str, Article]], settings: Settings
) -> None:
    store, articles = archive
    component = NearDuplicatesComponent.from_settings(settings).fit(store.iter_articles())
    order = ["bbc:business/001", "wire:rewrite", "wire:short", "bbc:sport/252", "bbc:tech/001"]
    outs = dict(zip(order, component.transform([articles[i] for i in order]), strict=True))
    original = outs["bbc:business/001"].value
    assert "wire:rewrite" in ids(original) and "wire:short" in ids(original)
    assert "bbc:business/001" not in ids(original)  # never itself
    assert not {"bbc:business/002", "bbc:business/003", "bbc:tech/001"} & set(ids(original))
    assert ids(outs["wire:rewrite"].value)[0] == "bbc:business/001"
    short = next(m for m in outs["wire:short"].value if m["id"] == "bbc:business/001")
    assert short["containment"] >= 0.8  # caught by containment: a cut copy has a low Jaccard
    assert ids(outs["bbc:sport/252"].value) == ["bbc:sport/255"]  # byte-identical files
    assert outs["bbc:sport/252"].value[0]["jaccard"] == 1.0
    assert outs["bbc:sport/252"].confidence == 1.0
    assert outs["bbc:tech/001"].value == [] and outs["bbc:tech/001"].confidence is None
    # matches are sorted by Jaccard
    jaccards = [m["jaccard"] for m in original]
    assert jaccards == sorted(jaccards, reverse=True)


def test_threshold_is_configurable(
    archive: tuple[ArticleStore, dict[str, Article]], settings: Settings
) -> None:
    store, articles = archive
    strict = NearDuplicatesComponent.from_settings(settings, threshold=0.99, containment=None)
    strict.fit(store.iter_articles())
    [out] = strict.transform([articles["bbc:business/001"]])
    assert out.value == []  # the rewrites are below 0.99; nothing else is near


def test_articles_outside_the_index_are_looked_up_by_text(
    archive: tuple[ArticleStore, dict[str, Article]], settings: Settings
) -> None:
    store, articles = archive
    component = NearDuplicatesComponent.from_settings(settings).fit(store.iter_articles())
    fresh = rewritten(articles["bbc:tech/002"], "boilerplate", "new")
    [out] = component.transform([fresh])
    assert ids(out.value) == ["bbc:tech/002"]
    assert "wire:new" not in component.index_  # type: ignore[operator]  # transform does not change the index


def test_edge_cases(archive: tuple[ArticleStore, dict[str, Article]], settings: Settings) -> None:
    store, _ = archive
    component = NearDuplicatesComponent.from_settings(settings).fit(store.iter_articles())
    assert component.transform([]) == []
    odd = [
        Article.create(source="t", source_id="empty", headline="Storm", body=""),
        Article.create(source="t", source_id="huge", headline="Long",
                       body=" ".join(f"word{i % 5000} filler text" for i in range(300_000))),
        Article.create(source="t", source_id="de", headline="Regierung beschließt Gesetz",
                       body="Die Bundesregierung hat am Mittwoch in Berlin ein neues Gesetz beschlossen."),
    ]
    outs = component.transform(odd)
    assert [o.value for o in outs] == [[], [], []]


def test_embedding_rule_catches_heavy_rewrite(
    archive: tuple[ArticleStore, dict[str, Article]], nlp_settings: Settings
) -> None:
    store, articles = archive
    plain = NearDuplicatesComponent.from_settings(nlp_settings)
    with_vectors = NearDuplicatesComponent.from_settings(nlp_settings, use_embeddings=True, cosine=0.8)
    for component in (plain, with_vectors):
        component.fit(store.iter_articles())
    assert with_vectors.version.startswith(f"{with_vectors.code_version}+all-MiniLM-L6-v2:lead+")
    assert with_vectors.vectors_ is not None and len(with_vectors.vectors_) == store.count()
    assert plain.vectors_ == {}
    heavy = articles["wire:heavy"]
    [without] = plain.transform([heavy])
    [with_] = with_vectors.transform([heavy])
    assert "bbc:business/001" not in ids(without.value)
    match = next(m for m in with_.value if m["id"] == "bbc:business/001")
    assert match["cosine"] >= 0.8 and match["jaccard"] < 0.5
    assert not {"bbc:tech/001", "bbc:sport/199"} & set(ids(with_.value))


def test_shingles_and_index_pairs() -> None:
    assert shingles("", 5) == set()
    assert shingles("One two", 5) == {"one two"}
    assert len(shingles("a b c d e f g", 3)) == 5
    index = MinHashIndex(num_perm=64, shingle_size=3)
    text = " ".join(f"w{i}" for i in range(60))
    index.add("a", text)
    index.add("b", text + " extra words at the end")
    index.add("c", " ".join(f"z{i}" for i in range(60)))
    index.add("empty", "")
    assert len(index) == 3 and "empty" not in index
    pairs = list(index.pairs(0.5))
    assert [(a, b) for a, b, _ in pairs] == [("a", "b")]
    assert 0.8 <= pairs[0][2] <= 1.0
