"""Entity pages over real BBC articles in every store backend: built from stored ``entities`` outputs, and
editors' merge, split and rename round-tripping through the feedback store (later builds respect them,
new articles too)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from entityseed import seed_entities
from newsdesk.articles.model import Article, Enrichment
from newsdesk.entities import FEEDBACK_KIND, build_entity_pages, merge_entities, rename_entity, split_entity
from newsdesk.errors import InvalidInput, NotFound
from newsdesk.settings import Settings
from newsdesk.store import Backend


def test_pages_from_the_stored_outputs(store: Backend, settings: Settings) -> None:
    ids = seed_entities(store)
    pages = build_entity_pages(settings, store)
    brown = pages.get("person:brown")
    assert (brown.id, brown.name, brown.type) == ("person:gordon-brown", "Gordon Brown", "person")
    assert brown.members == ["person:brown", "person:gordon-brown"] and {"Brown", "Mr Brown"} <= set(
        brown.aliases
    )
    assert (brown.first_seen, brown.last_seen) == ("2005-03-09T09:00:00+00:00", "2005-03-23T09:00:00+00:00")
    assert brown.timeline == {"2005-03": 2}
    assert pages.article_ids("person:gordon-brown") == [ids["politics/274"], ids["politics/263"]]
    # Tony and Cherie Blair, Michael and John Howard: the lone surnames stay their own, ambiguous, entities
    assert pages.resolve("person:blair") == "person:blair"
    assert pages.resolve("person:howard") == "person:howard"
    howard = pages.get("person:michael-howard")
    assert howard.articles == 3 and len(howard.cooccurring) == 10
    assert howard.cooccurring[:2] == [
        {"id": "organisation:conservative-party", "name": "Conservative Party", "articles": 2},
        {"id": "organisation:labour-party", "name": "Labour Party", "articles": 2},
    ]


def test_merge_split_rename_round_trip_through_feedback(store: Backend, settings: Settings) -> None:
    ids = seed_entities(store)
    merged = merge_entities(settings, store, "person:blair", "person:tony-blair", actor="ed")
    assert merged.id == "person:tony-blair" and "person:blair" in merged.members
    assert merged.articles == 5
    renamed = rename_entity(settings, store, "person:blair", "Tony Blair (PM)", actor="ed")
    assert (renamed.id, renamed.name) == ("person:tony-blair", "Tony Blair (PM)")
    split = split_entity(settings, store, "person:gordon-brown", "person:brown", actor="ed")
    assert split.id == "person:brown" and split.members == ["person:brown"]

    stored = store.list_feedback(kind=FEEDBACK_KIND)
    assert [(f.action, f.value, f.correction, f.actor) for f in stored] == [
        ("correct", "person:blair", "merge:person:tony-blair", "ed"),
        ("correct", "person:tony-blair", "rename:Tony Blair (PM)", "ed"),
        ("correct", "person:gordon-brown", "split:person:brown", "ed"),
    ]
    assert stored[0].model == "entities@1" and stored[0].article_id in ids.values()

    # a new article with a lone "Blair" and a lone "Brown" arrives: the next build keeps all three corrections
    article = Article.create(
        source="bbc",
        source_id="politics/new",
        headline="Blair and Brown",
        body="Mr Blair met Mr Brown.",
        published_at=datetime(2005, 4, 2, tzinfo=UTC),
    )
    store.upsert([article])
    value = [
        {
            "id": "person:blair",
            "name": "Blair",
            "type": "person",
            "mentions": 1,
            "surface_forms": ["Mr Blair"],
        },
        {
            "id": "person:brown",
            "name": "Brown",
            "type": "person",
            "mentions": 1,
            "surface_forms": ["Mr Brown"],
        },
    ]
    at = datetime(2005, 4, 2, tzinfo=UTC)
    store.put_enrichments(
        article.id, [Enrichment(component="entities", version="1", value=value, created_at=at)]
    )
    pages = build_entity_pages(settings, store)
    blair = pages.get("person:blair")
    assert (blair.id, blair.name, blair.articles, blair.last_seen) == (
        "person:tony-blair",
        "Tony Blair (PM)",
        6,
        "2005-04-02T00:00:00+00:00",
    )
    assert pages.resolve("person:brown") == "person:brown"
    assert pages.get("person:gordon-brown").members == ["person:gordon-brown"]


def test_corrections_are_validated(store: Backend, settings: Settings) -> None:
    seed_entities(store)
    with pytest.raises(NotFound):
        merge_entities(settings, store, "person:nobody", "person:tony-blair", actor="ed")
    with pytest.raises(InvalidInput, match="into"):
        merge_entities(settings, store, "person:brown", "person:gordon-brown", actor="ed")  # one already
    with pytest.raises(InvalidInput, match="member"):
        split_entity(settings, store, "person:gordon-brown", "person:tony-blair", actor="ed")
    with pytest.raises(InvalidInput, match="name"):
        rename_entity(settings, store, "person:tony-blair", "  ", actor="ed")
    assert store.list_feedback(kind=FEEDBACK_KIND) == []
