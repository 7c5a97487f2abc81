"""Canonical entities from per-article ``entities`` outputs: the merge rules, ambiguity kept, and editors'
corrections replayed over them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from newsdesk.entities import Correction, EntityPages, apply_corrections, members_from
from newsdesk.errors import InvalidInput, NotFound


def _ent(
    eid: str, name: str, type_: str = "person", mentions: int = 1, forms: list[str] | None = None
) -> dict[str, Any]:
    return {"id": eid, "name": name, "type": type_, "mentions": mentions, "surface_forms": forms or [name]}


BLAIR = {
    "a1": [_ent("person:tony-blair", "Tony Blair", mentions=3, forms=["Tony Blair", "Mr Blair"])],
    "a2": [
        _ent("person:blair", "Blair", forms=["Mr Blair", "Blair"]),
        _ent("organisation:labour", "Labour", "organisation"),
    ],
    "a3": [_ent("person:prime-minister-tony-blair", "Prime Minister Tony Blair")],
    "a4": [_ent("organisation:bbc", "BBC", "organisation")],
    "a5": [
        _ent(
            "organisation:british-broadcasting-corporation",
            "British Broadcasting Corporation",
            "organisation",
        )
    ],
    "a6": [_ent("place:us", "US", "place"), _ent("place:the-united-states", "the United States", "place")],
    "a7": [
        _ent("organisation:beckham", "Beckham", "organisation"),
        _ent("person:david-beckham", "David Beckham"),
    ],
}


def _pages(
    outputs: dict[str, list[dict[str, Any]]], corrections: list[Correction] | None = None
) -> EntityPages:
    published = {a: datetime(2005, 1 + n % 3, 1 + n, tzinfo=UTC) for n, a in enumerate(sorted(outputs))}
    return EntityPages(members_from(outputs.items()), published, corrections or [])


def test_a_person_s_forms_merge_across_articles() -> None:
    pages = _pages(BLAIR)
    page = pages.get("person:blair")
    assert page.id == "person:tony-blair" and page.name == "Tony Blair"
    assert sorted(page.members) == ["person:blair", "person:prime-minister-tony-blair", "person:tony-blair"]
    assert page.articles == 3 and page.mentions == 5
    assert {"Mr Blair", "Blair", "Prime Minister Tony Blair"} <= set(page.aliases)
    assert page.first_seen == "2005-01-01T00:00:00+00:00" and page.last_seen == "2005-03-03T00:00:00+00:00"
    assert page.timeline == {"2005-01": 1, "2005-02": 1, "2005-03": 1}
    assert page.cooccurring == [{"id": "organisation:labour", "name": "Labour", "articles": 1}]


def test_acronyms_place_variants_and_mistyped_surnames_merge() -> None:
    pages = _pages(BLAIR)
    assert pages.resolve("organisation:bbc") == pages.resolve("organisation:british-broadcasting-corporation")
    assert pages.resolve("place:us") == pages.resolve("place:the-united-states")
    assert pages.resolve("organisation:beckham") == "person:david-beckham"  # NER typed the surname ORG


def test_a_surname_two_people_share_stays_ambiguous() -> None:
    outputs = {**BLAIR, "a8": [_ent("person:cherie-blair", "Cherie Blair")]}
    pages = _pages(outputs)
    assert pages.resolve("person:blair") == "person:blair"
    assert pages.get("person:tony-blair").members == ["person:prime-minister-tony-blair", "person:tony-blair"]
    assert pages.resolve("person:cherie-blair") == "person:cherie-blair"


def test_corrections_replay_in_order() -> None:
    outputs = {**BLAIR, "a8": [_ent("person:cherie-blair", "Cherie Blair")]}
    merged = [Correction("person:blair", "merge", "person:tony-blair")]
    assert _pages(outputs, merged).resolve("person:blair") == "person:tony-blair"
    split = [*merged, Correction("person:tony-blair", "split", "person:blair")]
    assert _pages(outputs, split).resolve("person:blair") == "person:blair"
    renamed = [*merged, Correction("person:tony-blair", "rename", "Anthony Charles Lynton Blair")]
    page = _pages(outputs, renamed).get("person:blair")
    assert (page.id, page.name) == ("person:tony-blair", "Anthony Charles Lynton Blair")
    # a correction naming an id the archive no longer has is skipped (or refused when strict)
    gone = [Correction("person:nobody", "merge", "person:tony-blair")]
    assert _pages(outputs, gone).resolve("person:blair") == "person:blair"
    with pytest.raises(NotFound):
        apply_corrections(members_from(outputs.items()), gone, strict=True)


def test_listing_filters_and_refuses_unknown_types() -> None:
    pages = _pages(BLAIR)
    assert [p.id for p in pages.list(type="person")][:1] == ["person:tony-blair"]
    assert [p.id for p in pages.list(query="broadcasting")] == [
        "organisation:british-broadcasting-corporation"
    ]
    assert pages.list(min_articles=3)[0].id == "person:tony-blair"
    with pytest.raises(InvalidInput, match="type"):
        pages.list(type="animal")
    with pytest.raises(NotFound):
        pages.get("person:nobody")


def test_context_resolves_a_shared_surname_only_when_its_articles_agree() -> None:
    labour, brown = (
        _ent("organisation:labour", "Labour", "organisation"),
        _ent("person:gordon-brown", "Gordon Brown"),
    )
    united = _ent("organisation:manchester-united", "Manchester United", "organisation")
    outputs = {
        "t1": [_ent("person:tony-blair", "Tony Blair"), labour, brown],
        "t2": [_ent("person:tony-blair", "Tony Blair"), labour],
        "c1": [
            _ent("person:cherie-blair", "Cherie Blair"),
            _ent("organisation:matrix-chambers", "Matrix", "organisation"),
        ],
        "w1": [_ent("person:wes-brown", "Wes Brown"), united],
        "b1": [_ent("person:blair", "Blair"), labour],  # Labour stories: Tony Blair
        "b2": [_ent("person:blair", "Blair"), brown, labour],
        "g1": [_ent("person:brown", "Brown"), labour],  # once in politics, once in football: ambiguous
        "g2": [_ent("person:brown", "Brown"), united],
    }
    pages = _pages(outputs)
    assert pages.resolve("person:blair") == "person:tony-blair"
    assert pages.resolve("person:brown") == "person:brown"
    strict = EntityPages(members_from(outputs.items()), {}, context=False)
    assert strict.resolve("person:blair") == "person:blair"
