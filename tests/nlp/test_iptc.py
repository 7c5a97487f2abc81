"""The IPTC Media Topics taxonomy and the ``iptc`` tagger, with the real embedding model.

The taxonomy tests check the bundled release against the counts IPTC's export gives (1,392 concepts, 1,084
active, six levels); the tagger tests check the component contract, the shape and consistency of its tags,
their evidence, and self-training's mechanics (adapt, save, load, fit on an even sample). Self-training's
accuracy is checked by the ``iptc-zeroshot`` evaluation (tests/evaluate/test_iptc_eval.py).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from newsdesk.articles.model import Article
from newsdesk.errors import InvalidInput, NotFound
from newsdesk.evaluate.datasets import load_ag_news
from newsdesk.nlp import components, get_component
from newsdesk.nlp.base import Output
from newsdesk.nlp.iptc import Adaptation, IptcTagger, SelfTraining, even_sample
from newsdesk.nlp.taxonomy import Taxonomy, build_bundle, normalise_qcode
from newsdesk.settings import Settings

DATA = Path(__file__).parents[1] / "data"
SAMPLE = DATA / "iptc" / "ag-news-sample.csv"
EXPORT = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "iptc-mediatopics" / "cptall-en-GB.json"
)
# self-training normally needs 1,000 articles; the 200-row sample exercises its mechanics only
SMALL = SelfTraining(min_articles=50)


# -- taxonomy ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return Taxonomy.bundled()


def test_bundle_counts(tax: Taxonomy) -> None:
    assert len(tax) == 1392
    assert len(tax.active()) == 1084
    assert sum(1 for c in tax if not c.active) == 308
    assert [c.label for c in tax.top_level()][:2] == [
        "arts, culture, entertainment and media",
        "crime, law and justice",
    ]
    assert len(tax.top_level()) == 17
    assert tax.release.startswith("2025-10-09") and "by/4.0" in tax.licence and "IPTC" in tax.copyright


def test_levels_go_to_six(tax: Taxonomy) -> None:
    levels = [tax.level(c.qcode) for c in tax.active()]
    assert [levels.count(d) for d in range(1, 8)] == [17, 120, 515, 378, 49, 5, 0]
    deepest = sorted(c.label for c in tax.active() if tax.level(c.qcode) == 6)
    assert deepest == [
        "capital punishment",
        "court-ordered psychiatric treatment",
        "fine (penalty)",
        "prison",
        "suspended sentence",
    ]


def test_ancestors_top_first(tax: Taxonomy) -> None:
    got = [a.label for a in tax.ancestors("medtop:20000135")]  # capital punishment
    assert got == ["crime, law and justice", "judiciary", "court", "trial (court)", "sentencing (criminal)"]
    assert tax.ancestors("medtop:15000000") == []
    assert tax.top("20000135").qcode == "medtop:02000000"
    for concept in tax.active():  # every chain ends at a top-level concept and skips nothing
        path = [*tax.ancestors(concept.qcode), concept]
        assert path[0].parent is None
        assert all(child.parent == parent.qcode for parent, child in itertools.pairwise(path))


def test_lookup_forms_and_errors(tax: Taxonomy) -> None:
    uri = "http://cv.iptc.org/newscodes/mediatopic/15000000"
    assert tax.get(uri) is tax.get("15000000") is tax.get("medtop:15000000")
    assert normalise_qcode("https://cv.iptc.org/newscodes/mediatopic/04000000") == "medtop:04000000"
    assert "medtop:04000000" in tax and "medtop:99999999" not in tax and "sport" not in tax
    with pytest.raises(NotFound):
        tax.get("medtop:99999999")
    with pytest.raises(InvalidInput):
        tax.get("sport")


def test_retired_concepts_are_kept_but_never_offered(tax: Taxonomy) -> None:
    retired = tax.get("medtop:20000030")  # music theatre, retired 2021
    assert not retired.active and retired.parent == "medtop:20000029"
    theatre_children = tax.children("medtop:20000029")
    assert retired not in theatre_children and retired in tax.children(
        "medtop:20000029", include_retired=True
    )
    assert all(c.active for c in tax.active())
    assert all(c.active for c in tax.descendants("medtop:01000000"))
    assert all(c.active for c in tax.top_level())


@pytest.mark.skipif(not EXPORT.exists(), reason="the IPTC export is only on development machines")
def test_bundle_matches_the_export(tmp_path: Path, tax: Taxonomy) -> None:
    rebuilt = build_bundle(EXPORT, tmp_path / "bundle.json.gz")
    assert [(c.qcode, c.label, c.definition, c.parent, c.retired) for c in rebuilt] == [
        (c.qcode, c.label, c.definition, c.parent, c.retired) for c in tax
    ]
    from_export = Taxonomy.from_export(EXPORT)
    assert {c.qcode: c for c in from_export} == {c.qcode: c for c in tax}


# -- tagger ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tagger(nlp_settings: Settings) -> IptcTagger:
    return IptcTagger.from_settings(nlp_settings)


def _articles() -> list[Article]:
    return [
        Article.create(
            source="t",
            source_id="rates",
            headline="Central bank raises interest rates again",
            body="The central bank raised its key interest rate by a quarter point on Wednesday to fight "
            "inflation.\n\nShares fell in London and New York after the announcement. The weather in "
            "the capital was sunny.",
        ),
        Article.create(
            source="t",
            source_id="match",
            headline="United win the derby",
            body="Manchester United beat City 2-1 in the Premier League on Sunday, with a late goal from "
            "the captain. The manager praised his players.",
        ),
        Article.create(source="t", source_id="empty", headline="...", body=""),
        Article.create(
            source="t",
            source_id="de",
            headline="Bundesregierung beschließt neues Klimaschutzgesetz",
            body="Die Bundesregierung hat am Mittwoch in Berlin ein neues Gesetz beschlossen.",
        ),
        Article.create(
            source="t",
            source_id="huge",
            headline="A very long council report",
            # 120k characters; 18-word paragraphs make every 180-word chunk the same text, embedded once
            body="\n\n".join(
                [
                    "The city council met on Tuesday to discuss the school budget and the mayor said it "
                    "would grow."
                ]
                * 1300
            ),
        ),
    ]


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_registered_and_versioned(tagger: IptcTagger, nlp_settings: Settings) -> None:
    assert components.get("iptc") is IptcTagger
    built = get_component("iptc", nlp_settings)
    assert isinstance(built, IptcTagger) and built.version == tagger.version
    assert tagger.model_identity() == f"all-MiniLM-L6-v2:{nlp_settings.nlp.embedding_strategy}+2025-10-09"
    assert tagger.version.startswith("1+all-MiniLM-L6-v2:") and "+2025-10-09+" in tagger.version
    assert tagger.state_digest() == "zeroshot"
    # the version follows the configuration (the embedding cache, a local file, is not part of it)
    assert get_component("iptc", nlp_settings, max_tags=3).version != tagger.version
    lead = get_component(
        "iptc", nlp_settings, embedder=IptcTagger.from_settings(nlp_settings).config.embedder
    )
    assert lead.version == tagger.version == tagger.for_executor().version
    assert tagger.transform([]) == []
    with pytest.raises(InvalidInput):
        IptcTagger(min_confidence=0.0)
    with pytest.raises(InvalidInput):
        get_component("iptc", nlp_settings, max_evidence=4)


def test_outputs_contract(tagger: IptcTagger, tax: Taxonomy) -> None:
    articles = _articles()
    outputs = tagger.transform(articles)
    assert len(outputs) == len(articles) and all(isinstance(o, Output) for o in outputs)
    json.dumps([o.value for o in outputs])
    by_id = {a.source_id: o for a, o in zip(articles, outputs, strict=True)}
    assert by_id["empty"].value == [] and by_id["empty"].confidence is None
    for article, output in zip(articles, outputs, strict=True):
        if article.source_id == "empty":
            continue
        tags = output.value
        assert 1 <= len(tags) <= tagger.max_tags
        assert output.confidence == max(t["confidence"] for t in tags)
        text = _flat(f"{article.headline} {article.body}")
        for tag in tags:
            assert set(tag) == {"qcode", "label", "level", "confidence", "ancestors", "evidence"}
            concept = tax.get(tag["qcode"])
            assert concept.active and concept.label == tag["label"]
            assert tag["level"] == tax.level(concept.qcode) == len(tag["ancestors"]) + 1
            assert [a["qcode"] for a in tag["ancestors"]] == [a.qcode for a in tax.ancestors(concept.qcode)]
            assert 0.0 <= tag["confidence"] <= 1.0
            # hierarchical: an ancestor is at least as likely as the tag it implies
            assert all(tag["confidence"] <= a["confidence"] <= 1.0 for a in tag["ancestors"])
            assert 1 <= len(tag["evidence"]) <= 3
            assert all(_flat(s) in text for s in tag["evidence"])  # sentences of this article


def test_tags_make_sense(tagger: IptcTagger) -> None:
    rates, match = tagger.transform(_articles()[:2])
    assert rates.value[0]["ancestors"][0]["label"] == "economy, business and finance"
    assert any("interest rate" in s for s in rates.value[0]["evidence"])
    assert all("weather" not in s for s in rates.value[0]["evidence"])
    assert match.value[0]["qcode"] == "medtop:15000000" or match.value[0]["ancestors"][0]["label"] == "sport"


def test_retired_topics_never_emitted(tagger: IptcTagger, tax: Taxonomy) -> None:
    retired = [c for c in tax if not c.active][:40]
    articles = [
        Article.create(source="t", source_id=c.qcode, headline=c.label, body=c.definition) for c in retired
    ]
    for output in tagger.transform(articles):
        for tag in output.value:
            assert tax.get(tag["qcode"]).active
            assert all(tax.get(a["qcode"]).active for a in tag["ancestors"])


# -- self-training -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample() -> list[Article]:
    items = load_ag_news(SAMPLE)
    return [
        Article.create(source="ag", source_id=str(i), headline=it.title, body=it.description)
        for i, it in enumerate(items)
    ]


def test_adapt_save_and_load(nlp_settings: Settings, sample: list[Article], tmp_path: Path) -> None:
    tagger = IptcTagger.from_settings(nlp_settings, params=SMALL)
    zero_shot = tagger.concept_probabilities(sample[:20])
    assert tagger.adapt(sample[:40]).adaptation_ is None  # too few articles: stays zero-shot
    tagger.adapt([f"{a.headline}\n{a.body}" for a in sample])  # plain texts are accepted too
    adaptation = tagger.adaptation_
    assert adaptation is not None and adaptation.n_articles == len(sample)
    assert tagger.state_digest() == adaptation.id
    adapted = tagger.concept_probabilities(sample[:20])
    assert adapted.shape == zero_shot.shape and np.allclose(adapted.sum(axis=1), 1.0)
    assert not np.allclose(adapted, zero_shot)

    path = tmp_path / "adaptation.npz"
    adaptation.save(path)
    loaded = Adaptation.load(path)
    assert loaded.classes == adaptation.classes and loaded.params == adaptation.params
    again = IptcTagger.from_settings(nlp_settings, params=SMALL)
    again.adaptation_ = loaded
    assert np.allclose(
        again.concept_probabilities(sample[:20]), adapted, atol=2e-3
    )  # vectors kept as float16
    out = again.transform(sample[:3])
    assert all(0.0 <= t["confidence"] <= 1.0 for o in out for t in o.value)


def test_fit_adapts_to_an_even_sample_or_stays_zero_shot(
    nlp_settings: Settings, sample: list[Article]
) -> None:
    small = IptcTagger.from_settings(nlp_settings, params=SMALL, adapt_min_articles=100)
    zero_shot_version = small.version
    small.fit(iter(sample[:30]))  # 30 articles: zero-shot, with the concept vectors computed
    assert small.adaptation_ is None and small.concept_vectors_ is not None
    assert small.version == zero_shot_version

    tagger = IptcTagger.from_settings(
        nlp_settings, params=SMALL, adapt_min_articles=100, adapt_max_articles=120
    )
    tagger.fit(iter(sample))  # an iterator: its length is not known in advance
    assert tagger.adaptation_ is not None and tagger.adaptation_.n_articles == 120 < len(sample)
    assert tagger.version != small.version

    again = IptcTagger.from_settings(
        nlp_settings, params=SMALL, adapt_min_articles=100, adapt_max_articles=120
    )
    again.fit(iter(sample))  # the sample is deterministic, so is the adaptation
    assert again.adaptation_ is not None and again.version == tagger.version

    # an executor receives the fitted state (concept vectors included) and tags alike, embedding no concept
    shipped = tagger.for_executor()
    assert shipped.concept_vectors_ is tagger.concept_vectors_ and shipped.adaptation_ is tagger.adaptation_
    assert shipped.version == tagger.version
    assert [o.value for o in shipped.transform(sample[:3])] == [o.value for o in tagger.transform(sample[:3])]


def test_even_sample_is_even_deterministic_and_ordered() -> None:
    items = [Article.create(source="t", source_id=str(i), headline=f"h{i}", body="b") for i in range(1_000)]
    sample, seen = even_sample(iter(items), 100)
    assert seen == 1_000 and len(sample) == 100
    positions = [int(a.source_id or 0) for a in sample]
    assert positions == sorted(positions) and positions[-1] >= 800 and positions[0] <= 200
    assert sample == even_sample(iter(items), 100)[0]
    assert even_sample(iter(items[:50]), 100) == (items[:50], 50)
    assert even_sample(iter([]), 100) == ([], 0)


def test_sentences_strategy_encodes_each_sentence_once_and_tags_alike(tmp_path: Path) -> None:
    """With the ``sentences`` embedding strategy the tagger takes a long article's evidence vectors from the
    model run that gives its article vector: without any cache, every distinct text goes through the model
    once, and the outputs equal those computed the long way (article vectors, then evidence sentences
    encoded apart). Texts that fit one window are embedded whole, as ``chunks`` embeds them."""
    from newsdesk.nlp.embed import Embedder, article_texts
    from newsdesk.nlp.iptc import _sentences

    settings = Settings(home=tmp_path, nlp={"embedding_strategy": "sentences", "embedding_cache": False})
    tagger = IptcTagger.from_settings(settings)
    long_story = Article.create(
        source="t",
        source_id="long",
        headline="Parliament passes the budget after a long night",
        body="\n\n".join(
            f"Members debated clause {i} of the finance bill until late. The minister answered questions "
            f"on spending and taxes for the {i}th time."
            for i in range(1, 15)
        ),
    )
    articles = [*_articles()[:4], long_story]  # four short texts, one long
    units = [article_texts(a.headline, a.body, "sentences") for a in articles]
    assert units[:4] == [article_texts(a.headline, a.body, "chunks") for a in articles[:4]]
    assert units[4][: len(_sentences(long_story))] == _sentences(long_story) and len(units[4]) > 20

    tagger.index  # noqa: B018 - concept vectors first, so the count below is the articles' alone
    before = tagger.embedder.encoded
    outputs = tagger.transform(articles)
    distinct = {u for group in units for u in group} | {s for a in articles[:4] for s in _sentences(a)}
    assert tagger.embedder.encoded - before == len(distinct)

    # the long way, with a separate embedder (so nothing is shared by a cache either)
    other = Embedder(settings.nlp.embedding_model, cache=None)
    expected_vectors = other.embed_articles(articles, "sentences")
    found_vectors = tagger.embedder.embed_articles(articles, "sentences")
    np.testing.assert_allclose(expected_vectors, found_vectors, atol=1e-5)
    for article, output in zip(articles, outputs, strict=True):
        for tag in output.value:
            sentences = _sentences(article)
            scores = other.encode(sentences) @ tagger.index.vectors[tagger.index.position[tag["qcode"]]]
            best = float(scores.max())
            expected = [s for s, v in zip(sentences, scores, strict=True) if v >= best - 0.05]
            assert set(tag["evidence"]) <= set(expected) and tag["evidence"]
    assert outputs[2].value == [] and all(outputs[i].value for i in (0, 1, 4))  # "..." has no words
