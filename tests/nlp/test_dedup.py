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
from newsdesk.nlp.dedup import MinHashIndex, NearDuplicatesComponent, shingles
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


def test_registered_and_versioned(settings: Settings) -> None:
    component = get_component("near_duplicates", settings)
    assert isinstance(component, NearDuplicatesComponent)
    assert component.version == "1+k5p128j0.5c0.8f0.15"
    assert NearDuplicatesComponent(settings, threshold=0.6, containment=None).version == "1+k5p128j0.6"


def test_refuses_before_prepare(settings: Settings) -> None:
    with pytest.raises(NotFitted):
        NearDuplicatesComponent(settings).process(bbc_articles()[:1])


@pytest.mark.parametrize(
    ("option", "value"),
    [("threshold", 0.0), ("threshold", 1.5), ("containment", 2.0), ("num_perm", 4), ("shingle_size", 0),
     ("candidate_threshold", 0.7), ("embedding_strategy", "whole")],
)
def test_invalid_options_are_refused(settings: Settings, option: str, value: float) -> None:
    with pytest.raises(InvalidInput, match=option):
        NearDuplicatesComponent(settings, **{option: value})


def test_finds_rewrites_and_exact_copy_not_unrelated(
    archive: tuple[ArticleStore, dict[str, Article]], settings: Settings
) -> None:
    store, articles = archive
    component = NearDuplicatesComponent(settings)
    component.prepare(store)
    order = ["bbc:business/001", "wire:rewrite", "wire:short", "bbc:sport/252", "bbc:tech/001"]
    outs = dict(zip(order, component.process([articles[i] for i in order]), strict=True))
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
    strict = NearDuplicatesComponent(settings, threshold=0.99, containment=None)
    strict.prepare(store)
    [out] = strict.process([articles["bbc:business/001"]])
    assert out.value == []  # the rewrites are below 0.99; nothing else is near


def test_articles_outside_the_index_are_looked_up_by_text(
    archive: tuple[ArticleStore, dict[str, Article]], settings: Settings
) -> None:
    store, articles = archive
    component = NearDuplicatesComponent(settings)
    component.prepare(store)
    fresh = rewritten(articles["bbc:tech/002"], "boilerplate", "new")
    [out] = component.process([fresh])
    assert ids(out.value) == ["bbc:tech/002"]
    assert "wire:new" not in component.index_  # type: ignore[operator]  # process does not change the index


def test_edge_cases(archive: tuple[ArticleStore, dict[str, Article]], settings: Settings) -> None:
    store, _ = archive
    component = NearDuplicatesComponent(settings)
    component.prepare(store)
    assert component.process([]) == []
    odd = [
        Article.create(source="t", source_id="empty", headline="Storm", body=""),
        Article.create(source="t", source_id="huge", headline="Long",
                       body=" ".join(f"word{i % 5000} filler text" for i in range(300_000))),
        Article.create(source="t", source_id="de", headline="Regierung beschließt Gesetz",
                       body="Die Bundesregierung hat am Mittwoch in Berlin ein neues Gesetz beschlossen."),
    ]
    outs = component.process(odd)
    assert [o.value for o in outs] == [[], [], []]


def test_embedding_rule_catches_heavy_rewrite(
    archive: tuple[ArticleStore, dict[str, Article]], nlp_settings: Settings
) -> None:
    store, articles = archive
    plain = NearDuplicatesComponent(nlp_settings)
    with_vectors = NearDuplicatesComponent(nlp_settings, use_embeddings=True, cosine=0.8)
    assert with_vectors.version == "1+k5p128j0.5c0.8cos0.8-all-MiniLM-L6-v2:leadf0.15"
    for component in (plain, with_vectors):
        component.prepare(store)
    heavy = articles["wire:heavy"]
    [without] = plain.process([heavy])
    [with_] = with_vectors.process([heavy])
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
