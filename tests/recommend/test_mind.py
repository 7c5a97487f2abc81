"""The MIND readers on a synthetic MIND-format sample (``tests/mindsample.py``; MIND itself may not be
redistributed) and on the shared MIND subset where it exists, and newsdesk's events JSONL reader."""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mindsample import MindSample, generate_mind_sample
from newsdesk.errors import DatasetNotFound, InvalidInput
from newsdesk.evaluate.locate import find_dataset
from newsdesk.recommend.mind import (
    catalogue_from_mind,
    impression_events,
    read_behaviors,
    read_events_jsonl,
    read_news,
)
from newsdesk.recommend.model import hash_reader
from newsdesk.settings import Settings

SALT = "test-salt"


@pytest.fixture(scope="module")
def sample() -> MindSample:
    return generate_mind_sample(impressions=200, seed=0)


@pytest.fixture(scope="module")
def mind(sample: MindSample, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder holding ``MINDsmall_train/`` (behaviors.tsv and news.tsv)."""
    return sample.write(tmp_path_factory.mktemp("mind"))


def test_behaviors_are_read_with_hashed_readers(sample: MindSample, mind: Path) -> None:
    impressions = read_behaviors(mind / "MINDsmall_train" / "behaviors.tsv", salt=SALT)
    assert len(impressions) == len(sample.impressions) == 200
    first, written = impressions[0], sample.impressions[0]
    assert first.impression_id == written.impression_id
    assert first.reader == hash_reader(written.user, SALT) and written.user not in first.reader
    assert first.at == written.at and first.at.tzinfo is UTC
    assert first.history[:2] == written.history[:2] and len(first.history) >= 2
    for imp, line in zip(impressions, sample.impressions, strict=True):
        assert (imp.candidates, imp.labels, imp.history) == (line.candidates, line.labels, line.history)
        assert len(imp.candidates) == len(imp.labels) > 0
        assert set(imp.labels) <= {0, 1}
    assert len({i.reader for i in impressions}) == len(sample.users) < len(impressions)
    assert sum(len(i.candidates) for i in impressions) == sample.candidates
    assert sum(sum(i.labels) for i in impressions) == sample.clicks
    assert sum(not i.history for i in impressions) == sample.empty_histories > 0


def test_times_are_read_from_mind_s_format(tmp_path: Path) -> None:
    path = tmp_path / "behaviors.tsv"
    lines = ["1\tU1\t11/9/2019 12:01:05 AM\t\tN1-1", "2\tU1\t11/14/2019 12:59:59 PM\t\tN1-0 N2-1"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    first, second = read_behaviors(path, salt=SALT)
    assert first.at == datetime(2019, 11, 9, 0, 1, 5, tzinfo=UTC)
    assert second.at == datetime(2019, 11, 14, 12, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize("where", ["file", "folder", "root"])
def test_behaviors_path_may_be_the_file_or_a_folder(mind: Path, where: str) -> None:
    path = {"file": mind / "MINDsmall_train" / "behaviors.tsv", "folder": mind / "MINDsmall_train"}
    assert len(read_behaviors(path.get(where, mind), salt=SALT)) == 200


def test_news_rows(sample: MindSample, mind: Path) -> None:
    news = read_news(mind)
    assert len(news) == len(sample.news)
    row = news[0]
    assert set(row) == {"news_id", "category", "subcategory", "title", "abstract", "url", "entities"}
    assert row["news_id"].startswith("N") and row["category"]
    assert any(r["entities"] and "WikidataId" in r["entities"][0] for r in news)
    # titles with bare quotes (one opening the field) are read verbatim: MIND needs QUOTE_NONE
    assert any(r["title"].startswith('"') for r in news)
    assert [(r["news_id"], r["title"], r["abstract"]) for r in news] == [
        (w[0], w[3], w[4]) for w in sample.news
    ]
    written = {w[0]: len(json.loads(w[6])) + len(json.loads(w[7])) for w in sample.news}
    assert {r["news_id"]: len(r["entities"]) for r in news} == written


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("1\tU1\tnot a time\t\tN1-1", "time"),
        ("1\tU1\t11/12/2019 2:14:46 PM\t\tN1-2", "impressions"),
        ("1\tU1\t11/12/2019 2:14:46 PM\tN1", "5 tab-separated fields"),
        ("1\tU1\t11/12/2019 2:14:46 PM\t\t", "impressions"),
    ],
)
def test_malformed_behaviors_name_line_and_field(mind: Path, tmp_path: Path, line: str, field: str) -> None:
    good = (mind / "MINDsmall_train" / "behaviors.tsv").read_text(encoding="utf-8").splitlines()[:2]
    path = tmp_path / "behaviors.tsv"
    path.write_text("\n".join([*good, line]) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="behaviors line 3") as err:
        read_behaviors(path, salt=SALT)
    assert field in str(err.value)


def test_malformed_news_line(tmp_path: Path) -> None:
    (tmp_path / "news.tsv").write_text("N1\tnews\tx\ttitle\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="news line 1"):
        read_news(tmp_path)


def test_impression_events(mind: Path) -> None:
    impressions = read_behaviors(mind, salt=SALT)
    events = impression_events(impressions)
    shown = [e for e in events if e.kind == "impression"]
    slate_clicks = [e for e in events if e.kind == "click" and e.impression is not None]
    history = [e for e in events if e.kind == "click" and e.impression is None]
    assert len(shown) == sum(len(i.candidates) for i in impressions)
    assert len(slate_clicks) == sum(sum(i.labels) for i in impressions)
    assert len(history) == len({(i.reader, a) for i in impressions for a in i.history})
    assert len(history) < sum(len(i.history) for i in impressions)  # a repeated history id counts once
    earliest = min(i.at for i in impressions)
    assert all(e.at < earliest for e in history)
    assert {e.source for e in events} == {"mind"}


def test_catalogue_from_mind(sample: MindSample, mind: Path) -> None:
    impressions = read_behaviors(mind, salt=SALT)
    news = read_news(mind)
    cat = catalogue_from_mind(impressions, news)
    every = {a for i in impressions for a in (*i.history, *i.candidates)} | {r["news_id"] for r in news}
    assert set(cat.ids) == every and len(cat.ids) == len(every)
    candidate = impressions[0].candidates[0]
    first = min(i.at.timestamp() for i in impressions if candidate in i.candidates)
    assert cat.published[cat.index[candidate]] == first
    history_only = next(a for a in impressions[0].history if all(a not in i.candidates for i in impressions))
    assert math.isnan(cat.published[cat.index[history_only]])
    assert cat.topics[cat.index[news[0]["news_id"]]] == news[0]["category"]
    assert cat.stories == cat.ids
    without_row = next(a for a in impressions[0].candidates if a not in {r["news_id"] for r in news})
    assert cat.topics[cat.index[without_row]] == "" and cat.titles[cat.index[without_row]] == ""
    assert len(cat.ids) == len(sample.referenced | {w[0] for w in sample.news})


def test_events_jsonl_accepts_and_rejects(tmp_path: Path) -> None:
    good = {"reader": "alice", "article_id": "a1", "kind": "click", "at": "2026-01-01T10:00:00Z"}
    records = [
        json.dumps(good),
        json.dumps(good | {"kind": "like"}),
        json.dumps(good | {"at": "yesterday"}),
        json.dumps({k: v for k, v in good.items() if k != "article_id"}),
        "{not json",
        json.dumps(good | {"kind": "dwell", "dwell_s": 30, "impression": "s1"}),
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(records) + "\n", encoding="utf-8")
    events, rejected = read_events_jsonl(path, salt=SALT)
    assert [e.kind for e in events] == ["click", "dwell"]
    assert events[0].reader == hash_reader("alice", SALT)
    assert events[0].at == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert events[1].dwell_s == 30.0 and events[1].impression == "s1"
    assert [(r["line"], r["field"]) for r in rejected] == [
        (2, "kind"),
        (3, "at"),
        (4, "article_id"),
        (5, "record"),
    ]


def test_the_shared_mind_subset() -> None:
    """The real MIND subset (never committed; ``shared/data/mind-small-subset``): its SOURCE.md's counts."""
    try:
        path = find_dataset("mind-small-subset", Settings())
    except DatasetNotFound as exc:
        pytest.skip(str(exc))
    impressions = read_behaviors(path, salt=SALT)
    assert len(impressions) == 5000
    assert len({i.reader for i in impressions}) == 4637
    assert sum(len(i.candidates) for i in impressions) == 189_359
    assert sum(sum(i.labels) for i in impressions) == 7542
    assert sum(not i.history for i in impressions) == 107
    assert min(i.at for i in impressions).strftime("%Y-%m-%d %H:%M") == "2019-11-09 00:01"
    assert max(i.at for i in impressions).strftime("%Y-%m-%d %H:%M") == "2019-11-14 23:50"
    news = read_news(path)
    assert len(news) == 2000
    categories = Counter(r["category"] for r in news)
    assert categories["news"] == 603 and categories["sports"] == 597 and categories["kids"] == 3
    with_row = {r["news_id"] for r in news}
    assert len({a for i in impressions for a in (*i.history, *i.candidates)} & with_row) == 838
