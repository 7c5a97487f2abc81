"""The three products end to end: briefs, headline ideas and answers, checked by the real verifier.

Models: the ``extractive`` provider, a real OpenAI-compatible HTTP server on 127.0.0.1 answering scripted
replies (a model that lies on demand), and the bundled local model (SmolLM2-135M-Instruct).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from llmhelpers import bbc_articles, shared_verifier

from newsdesk.articles.model import Article
from newsdesk.llm.ask import ask
from newsdesk.llm.brief import write_brief
from newsdesk.llm.headlines import write_headlines
from newsdesk.llm.output import ProductOutput
from newsdesk.llm.writer import Writer
from newsdesk.monitor.predictions import prediction_log
from newsdesk.search import Searcher
from newsdesk.settings import Settings
from newsdesk.store import open_store

ARTICLES = bbc_articles()
TIME_WARNER = ARTICLES[0]  # "Ad sales boost Time Warner profit"


def _settings(tmp_path: Path, **llm: Any) -> Settings:
    return Settings(home=tmp_path / "home", llm={"provider": "extractive", **llm})


def _writer(settings: Settings, **kwargs: Any) -> Writer:
    return Writer(settings, verifier=shared_verifier(), **kwargs)


def _assert_traceable(out: ProductOutput, articles: list[Article]) -> None:
    data = json.loads(json.dumps(out.to_dict()))
    assert {"product", "items", "model", "prompt", "provider", "usage"} <= set(data)
    assert data["prompt"].startswith(f"{out.product}@")
    texts = {a.id: a.model_text for a in articles}
    for item in data["items"]:
        assert item["verdict"] in ("ok", "flagged", "withheld")
        for claim in item["claims"]:
            assert {"text", "supported", "score", "evidence"} <= set(claim)
            if item["verdict"] == "ok":
                assert claim["supported"], claim  # nothing unsupported goes out marked ok
            for ev in claim["evidence"]:
                assert texts[ev["article_id"]][ev["start"] : ev["end"]] == ev["sentence"]


@pytest.mark.parametrize("article", ARTICLES, ids=[a.id for a in ARTICLES])
def test_extractive_brief_has_the_newsletter_shape_and_is_supported(tmp_path: Path, article: Article) -> None:
    out = write_brief(_writer(_settings(tmp_path)), [article])
    roles = [i.role for i in out.items]
    assert roles[0] == "lede" and "why_it_matters" in roles
    assert 2 <= roles.count("bullet") <= 4
    assert all(i.verdict == "ok" for i in out.items)
    assert out.provider == "extractive" and out.fallback is None
    _assert_traceable(out, [article])


def test_brief_of_several_articles_cites_each(tmp_path: Path) -> None:
    articles = ARTICLES[:3]
    out = write_brief(_writer(_settings(tmp_path)), articles)
    cited = {e.article_id for item in out.items for c in item.claims for e in c.evidence}
    assert len(cited) >= 2 and out.sources == [a.id for a in articles]
    _assert_traceable(out, articles)


def _lying_brief() -> str:
    return json.dumps(
        {
            "lede": "Quarterly profits at US media giant TimeWarner jumped 67% to $1.13bn for the three "
            "months to December.",
            "why_it_matters": "TimeWarner said fourth quarter sales rose 2% to $11.1bn from $10.9bn.",
            "bullets": [
                "Its profits were buoyed by one-off gains which offset a profit dip at Warner Bros.",
                "Chief executive Steve Jobs said the company would buy Google in 2007.",
            ],
        }
    )


def test_a_brief_with_unsupported_claims_is_withheld(
    tmp_path: Path, openai_server: Any, openai_settings: Settings
) -> None:
    openai_server.reply = _lying_brief()
    out = write_brief(_writer(openai_settings), [TIME_WARNER])
    assert out.fallback is not None and out.provider == "openai"
    assert all(i.verdict == "withheld" for i in out.items) and out.items
    assert all(c.supported for i in out.items for c in i.claims)  # the fallback shows only what is backed
    rejected = {c["text"]: c for r in out.fallback.rejected for c in r["claims"]}
    wrong_number = next(c for t, c in rejected.items() if "67%" in t)
    invented = next(c for t, c in rejected.items() if "Google" in t)
    assert not wrong_number["supported"] and not invented["supported"]
    assert any("67" in reason for reason in wrong_number["reasons"])
    assert "withheld" in (out.notice or "")
    _assert_traceable(out, [TIME_WARNER])


def test_flag_policy_shows_the_brief_with_its_unsupported_claims_marked(
    openai_server: Any, openai_settings: Settings
) -> None:
    openai_server.reply = _lying_brief()
    settings = openai_settings.model_copy(
        update={"llm": openai_settings.llm.model_copy(update={"policy": {"brief": "flag"}})}
    )
    out = write_brief(_writer(settings), [TIME_WARNER])
    verdicts = {i.text: i.verdict for i in out.items}
    assert out.fallback is None
    assert verdicts[next(k for k in verdicts if "67%" in k)] == "flagged"
    assert verdicts[next(k for k in verdicts if "Steve Jobs" in k)] == "flagged"
    assert "ok" in verdicts.values()
    _assert_traceable(out, [TIME_WARNER])


def test_a_reply_without_the_brief_shape_falls_back(openai_server: Any, openai_settings: Settings) -> None:
    openai_server.reply = "I'm sorry, I can only write poems."
    out = write_brief(_writer(openai_settings), [TIME_WARNER])
    assert out.fallback is not None and "bullet" in out.fallback.reason
    assert out.items[0].role == "lede"


def test_completions_are_cached_and_logged_with_tokens(openai_server: Any, openai_settings: Settings) -> None:
    openai_server.reply = _lying_brief()
    writer = _writer(openai_settings)
    first = write_brief(writer, [TIME_WARNER])
    calls = openai_server.count
    second = write_brief(writer, [TIME_WARNER])
    assert openai_server.count == calls and second.cached and not first.cached
    assert [i.text for i in second.items] == [i.text for i in first.items]
    log = prediction_log(openai_settings)
    assert log is not None
    rows = [r for r in log.summary() if r["model"] == "llm-brief"]
    assert rows and rows[0]["predictions"] == 2
    assert rows[0]["version"].startswith("brief@") and ":test-model" in rows[0]["version"]
    assert rows[0]["tokens"] and rows[0]["tokens"] > 0
    writer.close()


def test_extractive_headline_ideas_keep_the_style_rules(tmp_path: Path) -> None:
    for kind, limit in (("headline", 70), ("subject", 50)):
        out = write_headlines(_writer(_settings(tmp_path)), TIME_WARNER, n=4, kind=kind)  # type: ignore[arg-type]
        assert 2 <= len(out.items) <= 4
        for item in out.items:
            assert len(item.text) <= limit and item.verdict == "ok" and item.role == kind
            assert item.text[0].isupper() and not item.text.endswith(".")
        _assert_traceable(out, [TIME_WARNER])


def test_model_headline_ideas_are_styled_dropped_or_replaced(
    openai_server: Any, openai_settings: Settings
) -> None:
    openai_server.reply = json.dumps(
        {
            "ideas": [
                "Ad Sales Boost Time Warner Profit",
                "Shocking profits at Time Warner",
                "Time Warner profits " + "rise " * 20,
                "Google agrees to buy Time Warner for $90bn",
                "Ad sales boost Time Warner profit",
            ]
        }
    )
    out = write_headlines(_writer(openai_settings), TIME_WARNER, n=3)
    reasons = {d["text"][:20]: d["reason"] for d in out.extra["dropped"]}
    assert any("banned phrase" in r for r in reasons.values())
    assert any("characters; the limit is 70" in r for r in reasons.values())
    assert any("repeats" in r for r in reasons.values())
    # sentence case, proper nouns kept (ideas are ranked by the headline scorer, so not necessarily first)
    assert "Ad sales boost Time Warner profit" in [i.text for i in out.items]
    google = [i for i in out.items if "Google" in i.text]
    assert not google  # invented: replaced by an extractive idea, never shown
    shown = [(i.text, i.verdict, i.rejected) for i in out.items]
    assert any(i.rejected and "Google" in i.rejected["text"] for i in out.items) or any(
        "Google" in d["text"] for d in out.extra["dropped"]
    ), (shown, out.extra["dropped"])
    _assert_traceable(out, [TIME_WARNER])


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[tuple[Settings, Searcher]]:
    settings = _settings(tmp_path)
    store = open_store(settings)
    store.upsert(ARTICLES)
    yield settings, Searcher(store, settings, embedder=shared_verifier().embedder)
    store.close()


def test_ask_answers_from_the_archive_with_citations(archive: tuple[Settings, Searcher]) -> None:
    settings, searcher = archive
    out = ask(_writer(settings), searcher, "How much did quarterly profits at TimeWarner rise?")
    assert out.extra["answered"] and out.items[0].role == "answer"
    assert "76%" in out.extra["answer"] and "[1]" in out.extra["answer"]
    for item in out.items:
        assert item.verdict == "ok" and item.extra["citations"]
        assert (
            item.extra["cited_articles"] == [TIME_WARNER.id] or TIME_WARNER.id in item.extra["cited_articles"]
        )
    _assert_traceable(out, ARTICLES)


def test_ask_says_when_the_archive_does_not_answer(archive: tuple[Settings, Searcher]) -> None:
    settings, searcher = archive
    out = ask(_writer(settings), searcher, "What is the recipe for a lemon drizzle cake?")
    assert not out.extra["answered"] and out.items[0].role == "no_answer"
    assert out.items[0].text == "The archive does not answer this question."


def test_an_invented_answer_is_flagged(
    archive: tuple[Settings, Searcher], openai_server: Any, openai_settings: Settings
) -> None:
    _, searcher = archive
    openai_server.reply = (
        "Quarterly profits at TimeWarner jumped 76% to $1.13bn [1]. The board also fired its chairman, "
        "Richard Parsons, in March [1]."
    )
    out = ask(_writer(openai_settings), searcher, "How much did quarterly profits at TimeWarner rise?")
    verdicts = [(i.text, i.verdict) for i in out.items]
    assert verdicts[0][1] == "ok" and verdicts[1][1] == "flagged", verdicts
    _assert_traceable(out, ARTICLES)


def test_the_local_model_end_to_end(
    tmp_path: Path, local_provider: Any, archive: tuple[Settings, Searcher]
) -> None:
    _, searcher = archive
    writer = _writer(_settings(tmp_path, provider="local"), provider=local_provider)
    brief = write_brief(writer, [TIME_WARNER])
    ideas = write_headlines(writer, TIME_WARNER, n=3)
    answer = ask(writer, searcher, "How much did quarterly profits at TimeWarner rise?")
    for out in (brief, ideas, answer):
        assert out.provider == "local" and out.model
        _assert_traceable(out, ARTICLES)
    assert brief.usage.completion_tokens > 0 and brief.items
