"""``first_sentence``: the stand-in headline of a ninjs text item that has a body but no headline."""

from __future__ import annotations

import pytest

from newsdesk.articles.text import first_sentence


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The port reopened. Ships queued.", "The port reopened."),
        ("Gov. Lee and J. R. Hart met U.S. envoys in St. Paul on Friday. More later.",
         "Gov. Lee and J. R. Hart met U.S. envoys in St. Paul on Friday."),
        ('"We are ready!" she said. Then left.', '"We are ready!"'),
        ("Prices rose 3.5 percent in May.\n\nAnalysts expected less.", "Prices rose 3.5 percent in May."),
        ("  Line one\nstill one sentence  ", "Line one still one sentence"),
        ("会議は東京で開かれた。次の議題", "会議は東京で開かれた。"),
        ("ROME (AP) -- The trial began Tuesday. More.", "ROME (AP) -- The trial began Tuesday."),
    ],
)
def test_first_sentence(text: str, expected: str) -> None:
    assert first_sentence(text) == expected


def test_a_long_sentence_is_cut_at_a_word() -> None:
    text = "word " * 100
    out = first_sentence(text, limit=50)
    assert len(out) <= 50 and out.endswith("word...")
    assert first_sentence("x" * 80, limit=20) == "x" * 17 + "..."  # no space to cut at
