"""Headline ideas ordered by the headline scorer, each carrying its score and the scorer's name@version."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from llmhelpers import bbc_articles, shared_verifier

from newsdesk.llm import headlines as headlines_module
from newsdesk.llm.headlines import write_headlines
from newsdesk.llm.writer import Writer
from newsdesk.settings import Settings

ARTICLE = bbc_articles()[0]


class ByLength:
    """A stand-in scorer: shorter ideas score higher."""

    ref = "newsdesk-headlines@test"

    def score(self, headlines: Sequence[str]) -> list[float]:
        return [-float(len(h)) for h in headlines]


def _writer(tmp_path: Path) -> Writer:
    return Writer(
        Settings(home=tmp_path / "home", llm={"provider": "extractive"}), verifier=shared_verifier()
    )


def test_ideas_are_ranked_and_traceable(tmp_path: Path) -> None:
    writer = _writer(tmp_path)
    plain = write_headlines(writer, ARTICLE, n=4, ranker=False)
    ranked = write_headlines(writer, ARTICLE, n=4, ranker=ByLength())
    assert sorted(i.text for i in ranked.items) == sorted(i.text for i in plain.items)
    assert [i.text for i in ranked.items] == sorted((i.text for i in plain.items), key=len)
    for item in ranked.items:
        data = item.to_dict()
        assert data["scorer"] == "newsdesk-headlines@test" and data["score"] == -len(item.text)
    assert ranked.extra["scorer"] == "newsdesk-headlines@test"
    assert "scorer" not in plain.extra and all("score" not in i.extra for i in plain.items)


def test_subject_lines_and_a_missing_scorer_leave_the_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = _writer(tmp_path)
    subjects = write_headlines(writer, ARTICLE, n=3, kind="subject", ranker=ByLength())
    assert "scorer" not in subjects.extra
    plain = write_headlines(writer, ARTICLE, n=4, ranker=False)

    def broken(settings: Settings) -> None:
        raise RuntimeError("no scorer here")

    monkeypatch.setattr("newsdesk.experiments.scoring.served_scorer", broken)
    unranked = write_headlines(writer, ARTICLE, n=4)
    assert [i.text for i in unranked.items] == [i.text for i in plain.items]
    assert "scorer" not in unranked.extra
    assert headlines_module.served_ranker(writer.settings) is None
