"""Claim splitting, stems and the fact extractors (numbers with scale words, dates, quotes, names)."""

from __future__ import annotations

import pytest

from newsdesk.llm.grounding import split_claims
from newsdesk.llm.grounding.facts import dates, names, number_backed, numbers, quotes
from newsdesk.llm.grounding.text import source_sentences, stem


def test_split_claims_sentences_bullets_and_clauses() -> None:
    assert split_claims("Sales rose 5%. The chief executive, Jane Smith, said she was pleased.") == [
        "Sales rose 5%.",
        "The chief executive, Jane Smith, said she was pleased.",
    ]
    assert split_claims("Key points:\n- Shares jumped 4%\n- Staff left the firm\n* Profits fell") == [
        "Key points:",
        "Shares jumped 4%",
        "Staff left the firm",
        "Profits fell",
    ]
    assert split_claims("The council approved the plan; the mayor did not attend the vote.") == [
        "The council approved the plan;",
        "the mayor did not attend the vote.",
    ]
    assert split_claims("Prices rose; wages fell.") == ["Prices rose; wages fell."]  # short clauses stay
    assert split_claims("the cat sat. the dog ran away.") == ["the cat sat.", "the dog ran away."]
    assert split_claims("  \n- \n") == []
    assert split_claims("Sales rose. [1]") == ["Sales rose."]  # a lone citation marker is no claim


def test_stems_meet_across_inflections() -> None:
    assert stem("approved") == stem("approve") == stem("approves")
    assert stem("companies") == stem("company")
    assert stem("Britain's") == stem("Britain")
    assert stem("running") == stem("run")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("2m", "2 million"),
        ("£2.5bn", "2.5 billion pounds"),
        ("5%", "five per cent"),
        ("two million", "2,000,000"),
        ("twenty-five", "25"),
        ("$1.2 trillion", "1,200bn"),
        ("3,500", "3500"),
    ],
)
def test_numbers_match_by_value(a: str, b: str) -> None:
    (x,) = numbers(a)
    (y,) = numbers(b)
    assert number_backed(x, [y]) and number_backed(y, [x])


def test_numbers_rounding_and_mismatch() -> None:
    (claim,) = numbers("2.5m")
    assert number_backed(claim, numbers("2.47 million"))
    assert not number_backed(claim, numbers("2.7 million"))
    (three,) = numbers("£3bn")
    assert not number_backed(three, numbers("£2.5bn"))
    assert [n.value for n in numbers("one of the two, one million")] == [2.0, 1e6]
    assert numbers("in 1999 and G8") == []  # a year is a date; G8 is a name


def test_dates() -> None:
    assert dates("On Tuesday 3 May 1999, in the 1980s") == {
        "weekday:tuesday",
        "month:may",
        "year:1999",
        "decade:1980",
    }
    assert dates("You may march on") == set()
    assert dates("in Sept. and on Mondays") == {"month:september", "weekday:monday"}


def test_quotes_and_names() -> None:
    assert quotes('He said: "We will win." Fans \u201cloved it\u201d.') == ["We will win.", "loved it"]
    assert names("Mr Smith met NATO chief Jens Stoltenberg in London on Monday.") == [
        "Smith",
        "NATO",
        "Jens",
        "Stoltenberg",
        "London",
    ]
    assert names("The council said it would. Officials agreed.") == []


def test_source_sentences_keep_offsets() -> None:
    text = "Headline here\n\nFirst  sentence,\nwrapped. Second one!"
    spans = source_sentences("a", text)
    assert [s.text for s in spans] == ["Headline here", "First  sentence,\nwrapped.", "Second one!"]
    assert all(text[s.start : s.end] == s.text for s in spans)
