"""The recommendation service on a real archive (the BBC sample with its MiniLM vectors) and simulated
readers: cold start for a new reader and for a new article, read articles never shown again, one article
per story, the slate log, newsletters that resume, and "readers also read"."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdesk.errors import InvalidInput, NotFound
from newsdesk.recommend.demo import simulate_readers
from newsdesk.recommend.model import hash_reader
from newsdesk.recommend.readers import record_events
from newsdesk.recommend.service import Recommendations, also_read, newsletter, recommend_for
from newsdesk.recommend.store import open_events
from newsdesk.settings import Settings
from newsdesk.store import open_store

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def engine(archive_copy: Path):  # type: ignore[no-untyped-def]
    settings = Settings(home=archive_copy)
    store = open_store(settings)
    report = simulate_readers(settings, store, readers=80, now=NOW)
    assert report["accepted"] > 500 and report["rejected"] == 0
    yield Recommendations(settings, store, refit_seconds=0.0)
    store.close()


def sections(engine: Recommendations, ids: list[str]) -> Counter[str]:
    return Counter(b.section for b in engine.store.briefs(ids))


def test_a_new_reader_gets_popular_articles_and_the_slate_is_logged(engine: Recommendations) -> None:
    out = recommend_for(engine, "someone-new", n=8, at=NOW)
    items = out["items"]
    assert len(items) == 8
    assert out["model"].startswith("fitted-on-events@") and out["cold"] is True
    assert len({i["story"] for i in items}) == 8  # one per story
    assert len({i["section"] for i in items}) >= 3  # diversity over sections
    # the slate log keeps what was served, under the hashed id only
    hashed = hash_reader("someone-new", engine.settings.recommend.salt.get_secret_value())
    logged = engine.events.slates(hashed, limit=5)
    assert [s.articles for s in logged] == [[i["article_id"] for i in items]]


def test_clicks_move_the_slate_and_read_articles_are_not_shown_again(engine: Recommendations) -> None:
    tech = engine.store.ids()
    tech = [b.id for b in engine.store.briefs(tech) if b.section == "tech"][:4]
    before = recommend_for(engine, "reader-x", n=10, at=NOW)
    raw = [
        {
            "reader": "reader-x",
            "article_id": a,
            "kind": "click",
            "at": (NOW - timedelta(minutes=k)).isoformat(),
        }
        for k, a in enumerate(tech)
    ]
    assert len(record_events(engine.settings, engine.store, raw, now=NOW).accepted) == 4
    after = recommend_for(engine, "reader-x", n=10, at=NOW)
    shown = [i["article_id"] for i in after["items"]]
    assert not set(tech) & set(shown)
    assert after["cold"] is False and after["history"] == 4
    share_before = sections(engine, [i["article_id"] for i in before["items"]])["tech"]
    share_after = sections(engine, shown)["tech"]
    assert share_after > share_before


def test_a_new_article_is_recommended_by_its_content(engine: Recommendations) -> None:
    # an article nobody has clicked yet (no events name it) still reaches a reader whose reads resemble it
    ids = engine.store.ids()
    clicked = {e.article_id for e in engine.events.events(kinds=("click",))}
    unclicked = [a for a in ids if a not in clicked]
    assert unclicked, "the simulation left some articles unclicked"
    _, model = engine.model()
    catalogue = engine.catalogue()
    target = unclicked[0]
    neighbours = model.also_read(target, 3)
    assert neighbours, "content tops up also-read for an unclicked article"
    history = [a for a, _ in neighbours]
    ranked = [a for a, _ in model.top(history, NOW, 50, exclude=history)]
    assert target in ranked
    assert catalogue.has_vector is not None and catalogue.has_vector[catalogue.index[target]]


def test_also_read_and_its_errors(engine: Recommendations) -> None:
    first = next(e.article_id for e in engine.events.events(kinds=("click",)))
    out = also_read(engine, first, n=5)
    assert out["product"] == "also-read" and 1 <= len(out["items"]) <= 5
    assert first not in [i["article_id"] for i in out["items"]]
    with pytest.raises(NotFound):
        also_read(engine, "no-such-article")
    with pytest.raises(InvalidInput, match="n"):
        recommend_for(engine, "r", n=0)
    with pytest.raises(InvalidInput, match="reader"):
        recommend_for(engine, "bad reader id with spaces")


def test_newsletter_batch_resumes(engine: Recommendations, tmp_path: Path) -> None:
    out = tmp_path / "send.jsonl"
    readers = ["demo-reader-0001", "demo-reader-0002", "not a valid id", "demo-reader-0003"]
    first = newsletter(engine, readers[:2], out, n=5, at=NOW)
    assert (first.written, first.skipped) == (2, 0)
    with out.open("a", encoding="utf-8") as fh:  # a crash mid-line
        fh.write('{"reader": "demo-reader-0003", "ite')
    second = newsletter(engine, readers, out, n=5, at=NOW)
    assert (second.written, second.skipped, len(second.rejected)) == (1, 2, 1)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["reader"] for line in lines] == ["demo-reader-0001", "demo-reader-0002", "demo-reader-0003"]
    assert all(len(line["items"]) == 5 and line["product"] == "newsletter" for line in lines)


def test_an_empty_newsroom_answers_with_an_empty_slate(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "empty")
    store = open_store(settings)
    try:
        out = recommend_for(Recommendations(settings, store), "anyone", at=NOW)
        assert out["items"] == []
        assert open_events(store, settings.store_url).count_events() == 0
    finally:
        store.close()


def test_slates_carry_an_id_that_credits_reads_in_live_quality(
    engine: Recommendations, tmp_path: Path
) -> None:
    from newsdesk.recommend.quality import live_quality

    out = recommend_for(engine, "quality-reader", n=5, at=NOW)
    slate_id, first = out["impression"], out["items"][0]["article_id"]
    assert len(slate_id) == 16
    raw = [
        {
            "reader": "quality-reader",
            "article_id": first,
            "kind": "click",
            "at": NOW.isoformat(),
            "impression": slate_id,
        }
    ]
    recommend_for(engine, "quality-reader-2", n=5, at=NOW)  # served by the same model, never read
    record_events(engine.settings, engine.store, raw, now=NOW)
    report = live_quality(engine.settings, engine.store, since=NOW - timedelta(hours=1), now=NOW)
    (row,) = [r for r in report["models"] if r["product"] == "recommendations"]
    assert (row["slates"], row["readers"], row["shown"], row["reads"]) == (2, 2, 10, 1)
    assert row["ctr"] == 0.1 and row["slate_ctr"] == 0.5
    assert row["model"].startswith("fitted-on-events@")
    assert 0 < row["coverage"] <= 10 / report["catalogue"] and row["topic_diversity"] is not None


def test_a_newsletter_for_every_active_reader_by_hashed_id(engine: Recommendations, tmp_path: Path) -> None:
    out = tmp_path / "all.jsonl"
    report = newsletter(engine, None, out, n=3, at=NOW)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert report.written == len(lines) == 80  # the simulated readers
    salt = engine.settings.recommend.salt.get_secret_value()
    assert hash_reader("demo-reader-0007", salt) in {line["reader_hash"] for line in lines}
    assert all("reader" not in line and len(line["items"]) == 3 for line in lines)
    again = newsletter(engine, None, out, n=3, at=NOW)
    assert (again.written, again.skipped) == (0, 80)


def test_new_events_are_learned_online_between_full_fits(engine: Recommendations) -> None:
    identity, model = engine.model()
    fitted_at = engine._fitted.fitted_at if engine._fitted else None
    popular = model.parts_["popularity"]
    clicked = {e.article_id for e in engine.events.events(kinds=("click",))}
    target = next(a for a in engine.store.ids() if a not in clicked)
    before = float(popular.score([], [target], NOW)[0])
    raw = [
        {
            "reader": f"fan-{k}",
            "article_id": target,
            "kind": kind,
            "at": NOW.isoformat(),
            "impression": f"i{k}",
        }
        for k in range(20)
        for kind in ("impression", "click")
    ]
    assert len(record_events(engine.settings, engine.store, raw, now=NOW).accepted) == 40
    identity2, model2 = engine.model()
    assert model2 is model and identity2 != identity  # updated in place, named by the events it has seen
    assert engine._fitted is not None and engine._fitted.fitted_at == fitted_at  # no full refit
    assert float(popular.score([], [target], NOW)[0]) > before  # twenty clicks in twenty showings
