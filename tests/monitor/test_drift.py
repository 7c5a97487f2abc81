"""Drift statistics on real shifts: BBC sections against each other, BBC against 1987 Reuters wire copy, and
random halves of one sample (which must not alarm: the false-alarm rate is measured over seeded splits)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from newsdesk.articles.model import Article
from newsdesk.errors import InvalidInput
from newsdesk.ingest import ingest
from newsdesk.monitor.drift import DriftReport, Window, detect_drift
from newsdesk.nlp.embed import Embedder
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore, open_store
from pinned import pinned_settings

REUTERS_SAMPLE = Path(__file__).parents[1] / "data" / "sections" / "reuters" / "reut2-sample.sgm"


@pytest.fixture(scope="module")
def bbc(archive_home: Path) -> Iterator[tuple[list[Article], np.ndarray]]:
    """The 100 BBC sample articles (section = the BBC folder) and their stored MiniLM ``chunks`` vectors."""
    settings = pinned_settings(archive_home)  # the archive's own database on the PostgreSQL run
    store = open_store(settings)
    try:
        articles = list(store.iter_articles())
        model = Embedder(settings.nlp.embedding_model).vector_model("chunks")
        ids, vectors = store.get_vectors(model, [a.id for a in articles])
    finally:
        store.close()
    assert ids == [a.id for a in articles] and vectors.shape == (100, 384)
    yield articles, vectors


@pytest.fixture
def reuters(store: ArticleStore, settings: Settings) -> list[Article]:
    """The 130 Reuters-21578 sample stories, ingested (so dates, languages and topics are the reader's)."""
    ingest([REUTERS_SAMPLE], store, settings=settings, format="reuters", source="reuters")
    return list(store.iter_articles())


def _window(
    name: str, articles: Sequence[Article], vectors: np.ndarray | None, pick: Sequence[int]
) -> Window:
    chosen = [articles[i] for i in pick]
    return Window.from_articles(
        name,
        chosen,
        embeddings=None if vectors is None else vectors[list(pick)],
        labels=[a.section or "" for a in chosen],
    )


def _topics(articles: Sequence[Article]) -> list[list[str]]:
    return [[s.label() for s in a.subjects] for a in articles]


def test_section_shift_is_detected(bbc: tuple[list[Article], np.ndarray]) -> None:
    articles, vectors = bbc
    ref = [i for i, a in enumerate(articles) if a.section in ("business", "politics")]
    cur = [i for i, a in enumerate(articles) if a.section in ("sport", "tech")]
    report = detect_drift(
        _window("business+politics", articles, vectors, ref), _window("sport+tech", articles, vectors, cur)
    )
    assert (report.n_reference, report.n_current) == (40, 40)
    drifted = {t.name for t in report.tests if t.drifted}
    assert report.drifted and {"embedding_mmd", "labels"} <= drifted, report.summary()
    by_name = {t.name: t for t in report.tests}
    labels, mmd = by_name["labels"], by_name["embedding_mmd"]
    assert labels.kind == "prediction" and mmd.kind == "embedding"
    assert labels.effect > 1.0 and labels.detail["js_distance"] == pytest.approx(1.0)  # disjoint sections
    assert mmd.p_value == pytest.approx(1 / 501) and mmd.effect > 0
    assert {c["label"] for c in labels.detail["top_changes"][:4]} == {"business", "politics", "sport", "tech"}
    # Bonferroni over the tests that ran; fields missing everywhere (byline, url, ...) did not run
    assert all(t.threshold == pytest.approx(0.04 / len(report.tests)) for t in report.tests)
    assert "missing:byline" in report.skipped and "tags" in report.skipped
    summary = report.summary().splitlines()
    assert len(summary) == len(drifted)
    assert any(line.startswith("embedding_mmd: the articles' embeddings moved") for line in summary)
    assert any(
        line.startswith("labels: labels moved most:") and "sport 0% -> 50%" in line for line in summary
    )
    data = json.loads(json.dumps(report.to_dict()))
    assert data["drifted"] is True and len(data["tests"]) == len(report.tests)


def test_bbc_against_reuters_is_input_drift(
    bbc: tuple[list[Article], np.ndarray], reuters: list[Article]
) -> None:
    articles, _ = bbc
    assert len(reuters) == 130
    report = detect_drift(
        Window.from_articles("bbc", articles), Window.from_articles("reuters-1987", reuters)
    )
    drifted = {t.name for t in report.tests if t.drifted}
    assert drifted & {"length", "oov_rate"}, report.summary()
    oov = next(t for t in report.tests if t.name == "oov_rate")
    assert oov.kind == "input" and oov.effect > 0.05  # wire copy: "mln", "dlrs", "shr", "cts"...
    # the reader dates Reuters stories and BBC files carry no date: a metadata shift, caught on its own
    assert "missing:published_at" in drifted
    assert "missing:published_at: published_at missing 100.0% -> 0.0%" in report.summary()


def test_random_halves_do_not_alarm(bbc: tuple[list[Article], np.ndarray]) -> None:
    articles, vectors = bbc
    alarms: list[str] = []
    for seed in range(20):
        order = np.random.default_rng(seed).permutation(len(articles))
        a, b = order[:50].tolist(), order[50:].tolist()
        report = detect_drift(
            _window("half-a", articles, vectors, a), _window("half-b", articles, vectors, b), seed=seed
        )
        assert {t.name for t in report.tests} == {"length", "oov_rate", "embedding_mmd", "labels"}
        if seed == 0:
            assert not report.drifted, report.summary()
            assert report.summary().startswith("no drift: half-a (n=50) -> half-b (n=50); 4 tests")
        if report.drifted:
            alarms.append(f"seed {seed}: {report.summary()}")
    # measured: 0 alarms in these 20 splits; 95 in 2,000 (seeds 0-1999, 4.75%) on this sample
    assert len(alarms) <= 1, f"{len(alarms)} alarms in 20 random splits (at most 1 allowed): {alarms}"


def test_tag_shift_is_detected_and_random_tag_halves_are_not(reuters: list[Article]) -> None:
    # multi-label: grain stories are often also ship, money-fx often also interest
    first = [a.subjects[0].label().split(":")[-1] if a.subjects else "" for a in reuters]
    ref = [a for a, f in zip(reuters, first, strict=True) if f in ("earn", "acq", "crude", "trade")]
    cur = [a for a, f in zip(reuters, first, strict=True) if f in ("money-fx", "grain", "interest", "ship")]
    report = detect_drift(
        Window.from_articles("corporate", ref, tags=_topics(ref)),
        Window.from_articles("markets", cur, tags=_topics(cur)),
    )
    tags = next(t for t in report.tests if t.name == "tags")
    assert tags.drifted and tags.kind == "prediction" and "permutation" in tags.detail["method"]
    assert tags.effect > 1.0 and 0.5 < tags.detail["js_distance"] <= 1.0
    order = np.random.default_rng(0).permutation(len(reuters)).tolist()
    half_a, half_b = [reuters[i] for i in order[:65]], [reuters[i] for i in order[65:]]
    calm = detect_drift(
        Window("a", [a.body for a in half_a], tags=_topics(half_a)),
        Window("b", [a.body for a in half_b], tags=_topics(half_b)),
    )
    assert not next(t for t in calm.tests if t.name == "tags").drifted, calm.summary()


def test_duplicate_rate_from_the_near_duplicate_detector(bbc: tuple[list[Article], np.ndarray]) -> None:
    from newsdesk.nlp.dedup import MinHashIndex

    articles, _ = bbc

    def flags(texts: list[str]) -> list[bool]:
        index = MinHashIndex()
        for i, text in enumerate(texts):
            index.add(str(i), text)
        return [bool(index.query_key(str(i), min_jaccard=0.5)) for i in range(len(texts))]

    texts = [f"{a.headline}\n\n{a.body}" for a in articles]
    ref_texts = texts[:40]
    # a feed that re-sends 15 stories under new headlines
    cur_texts = texts[40:70] + [f"UPDATED: {a.body}" for a in articles[40:55]]
    ref, cur = Window("before", ref_texts, duplicates=flags(ref_texts)), Window("after", cur_texts)
    cur.duplicates = flags(cur_texts)
    assert sum(ref.duplicates or []) == 0 and sum(cur.duplicates) == 30
    report = detect_drift(ref, cur)
    dup = next(t for t in report.tests if t.name == "duplicate_rate")
    assert dup.drifted and dup.effect == pytest.approx(30 / 45)
    assert "near-duplicates 0.0% -> 66.7% of articles" in report.summary()


def test_language_mix(reuters: list[Article]) -> None:
    texts = [a.body for a in reuters]
    english = Window("en", texts[:60], languages=["en"] * 60)
    mixed = Window("mixed", texts[60:120], languages=["en"] * 30 + ["de"] * 20 + [None] * 10)
    report = detect_drift(english, mixed)
    lang = next(t for t in report.tests if t.name == "language_mix")
    assert lang.drifted and lang.effect == pytest.approx(0.5)  # half the articles changed language
    same = detect_drift(english, Window("en2", texts[60:120], languages=["en"] * 60))
    assert (
        "language_mix" not in {t.name for t in same.tests} and "one language" in same.skipped["language_mix"]
    )


def test_bad_input_names_the_field(bbc: tuple[list[Article], np.ndarray]) -> None:
    articles, vectors = bbc
    texts = [a.body for a in articles]
    with pytest.raises(
        InvalidInput,
        match=r"current\.texts: 12 is not allowed; expected at least min_size=20 articles in window 'tiny'",
    ):
        detect_drift(Window("ok", texts[:50]), Window("tiny", texts[50:62]))
    with pytest.raises(InvalidInput, match=r"reference\.texts: 5 .*min_size=10 articles in window 'small'"):
        detect_drift(Window("small", texts[:5]), Window("ok", texts[50:]), min_size=10)
    with pytest.raises(InvalidInput, match=r"current\.embeddings: 'shape \(49, 384\)'") as err:
        detect_drift(
            Window("a", texts[:50], embeddings=vectors[:50]), Window("b", texts[50:], embeddings=vectors[51:])
        )
    assert err.value.field == "current.embeddings"
    with pytest.raises(InvalidInput, match=r"current\.embeddings: 'dimension 384'.*dimension 100"):
        detect_drift(
            Window("a", texts[:50], embeddings=vectors[:50, :100]),
            Window("b", texts[50:], embeddings=vectors[50:]),
        )
    with pytest.raises(InvalidInput, match=r"reference\.labels: '49 values'"):
        detect_drift(Window("a", texts[:50], labels=["x"] * 49), Window("b", texts[50:], labels=["x"] * 50))
    with pytest.raises(InvalidInput, match=r"current\.missing\['byline'\]"):
        detect_drift(Window("a", texts[:50]), Window("b", texts[50:], missing={"byline": [True]}))
    with pytest.raises(InvalidInput, match="alpha"):
        detect_drift(Window("a", texts[:50]), Window("b", texts[50:]), alpha=1.5)


def test_report_is_reproducible(bbc: tuple[list[Article], np.ndarray]) -> None:
    articles, vectors = bbc
    a, b = (
        _window("a", articles, vectors, range(0, 100, 2)),
        _window("b", articles, vectors, range(1, 100, 2)),
    )
    first: DriftReport = detect_drift(a, b, seed=3)
    assert detect_drift(a, b, seed=3).to_dict() == first.to_dict()
