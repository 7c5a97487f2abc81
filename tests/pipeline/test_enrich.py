"""The batch enrichment run: versioned, idempotent, incremental, resumable after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from newsdesk.errors import InvalidInput
from newsdesk.ingest import ingest
from newsdesk.nlp import get_component
from newsdesk.nlp.embed import EmbedderConfig, EmbeddingComponent, embedder_for
from newsdesk.nlp.language import ReadingTimeComponent
from newsdesk.pipeline import enrich, plan_components
from newsdesk.pipeline.fitting import fit_component
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore, open_store

DATA = Path(__file__).parents[1] / "data"
CHEAP = ["language", "reading_time"]


@pytest.fixture
def archive(store: ArticleStore, settings: Settings) -> ArticleStore:
    report = ingest([DATA / "bbc"], store, settings=settings, format="textdir", source="bbc")
    ingest([DATA / "valley-herald.jsonl"], store, settings=settings)
    assert report.inserted >= 7
    return store


def test_every_article_gets_every_component_with_its_version(
    archive: ArticleStore, settings: Settings
) -> None:
    report = enrich(archive, settings, only=CHEAP)
    n = archive.count()
    assert [c.processed for c in report.components] == [n, n]
    for article in archive.iter_articles():
        got = archive.get(article.id).enrichments
        assert set(got) == set(CHEAP)
        assert got["reading_time"].version == ReadingTimeComponent.from_settings(settings).version
        assert got["reading_time"].input_hash == article.content_hash
        assert got["reading_time"].value["words"] > 0


def test_second_run_is_a_no_op(archive: ArticleStore, settings: Settings) -> None:
    enrich(archive, settings, only=CHEAP)
    before = {a.id: archive.get(a.id).enrichments["language"].created_at for a in archive.iter_articles()}
    report = enrich(archive, settings, only=CHEAP)
    assert report.processed == 0
    after = {a.id: archive.get(a.id).enrichments["language"].created_at for a in archive.iter_articles()}
    assert before == after


def test_changed_article_and_new_version_re_enrich_only_what_they_must(
    archive: ArticleStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    enrich(archive, settings, only=CHEAP)
    first = next(archive.iter_articles())
    changed = first.model_copy(update={"body": first.body + "\n\nA correction was added."}).with_hashes()
    assert archive.upsert([changed])[0].status == "updated"
    report = enrich(archive, settings, only=CHEAP)
    assert [c.processed for c in report.components] == [1, 1]
    monkeypatch.setattr(ReadingTimeComponent, "code_version", "999")
    report = enrich(archive, settings, only=CHEAP)
    assert [c.processed for c in report.components] == [0, archive.count()]


def test_since_limits_the_run_to_recent_articles(archive: ArticleStore, settings: Settings) -> None:
    dated = [a for a in archive.iter_articles() if a.published_at is not None]
    assert dated, "the sample needs dated articles"
    since = min(a.published_at for a in dated if a.published_at)
    report = enrich(archive, settings, only=["reading_time"], since=since)
    assert report.components[0].processed == len(dated)
    report = enrich(archive, settings, only=["reading_time"], since=datetime(2100, 1, 1, tzinfo=UTC))
    assert report.components[0].processed == 0


def test_workers_give_the_same_outputs(archive: ArticleStore, settings: Settings, tmp_path: Path) -> None:
    enrich(archive, settings, only=CHEAP, batch_size=2)
    other_settings = Settings(home=tmp_path / "other")
    other = open_store(other_settings)
    ingest([DATA / "bbc"], other, settings=other_settings, format="textdir", source="bbc")
    ingest([DATA / "valley-herald.jsonl"], other, settings=other_settings)
    enrich(other, other_settings, only=CHEAP, workers=2, batch_size=2)
    for article in archive.iter_articles():
        mine = archive.get(article.id).enrichments
        theirs = other.get(article.id).enrichments
        assert {k: v.value for k, v in mine.items()} == {k: v.value for k, v in theirs.items()}
    other.close()


def test_torch_components_in_workers_match_this_process(
    archive: ArticleStore, settings: Settings, tmp_path: Path
) -> None:
    # embedding and iptc run in forked single-thread workers (and the concept vectors in a forked pool)
    report = enrich(archive, settings, only=["embedding", "iptc"], workers=2, batch_size=3)
    total = archive.count()
    assert [(c.name, c.processed) for c in report.components] == [("embedding", total), ("iptc", total)]
    ids, vectors = archive.get_vectors(EmbeddingComponent.from_settings(settings).vector_model)
    articles = [archive.get(i) for i in ids]
    # the workers' vectors are the model's, computed here without any cache
    plain = Settings(home=tmp_path / "plain")
    plain.nlp.embedding_cache = False
    expected = embedder_for(EmbedderConfig.from_settings(plain)).embed_articles(
        articles, settings.nlp.embedding_strategy
    )
    np.testing.assert_allclose(vectors, expected, atol=1e-5)
    # the workers' tags are this process's (their sentence vectors went to the shared cache)
    tagger = get_component("iptc", settings)
    fit_component(tagger, archive, settings)
    for article, output in zip(articles, tagger.transform(articles), strict=True):
        assert article.enrichments["iptc"].value == output.value


def test_unknown_component_is_refused_before_any_work(archive: ArticleStore, settings: Settings) -> None:
    with pytest.raises(InvalidInput, match="component"):
        enrich(archive, settings, only=["reading_time", "no-such-thing"])
    assert (
        len(archive.stale("reading_time", ReadingTimeComponent.from_settings(settings).version))
        == archive.count()
    )


def test_plan_puts_requirements_first() -> None:
    assert plan_components(["reading_time", "language"]) == ["reading_time", "language"]
    assert plan_components(None)[0] == "language"


def test_killed_run_resumes_without_redoing_committed_batches(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = Settings(home=home)
    store = open_store(settings)
    ingest([DATA / "bbc"], store, settings=settings, format="textdir", source="bbc")
    ingest([DATA / "valley-herald.jsonl"], store, settings=settings)
    total = store.count()
    store.close()
    # A child process enriches in batches of one and is SIGKILLed by its own progress callback after
    # three committed batches: the crash happens between two transactions, as a real kill would.
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from newsdesk.pipeline import enrich
        from newsdesk.settings import Settings
        from newsdesk.store import open_store
        settings = Settings(home=Path({str(home)!r}))
        store = open_store(settings)
        def progress(name, done, total):
            if done == 3:
                os.kill(os.getpid(), signal.SIGKILL)
        enrich(store, settings, only=["reading_time"], batch_size=1, progress=progress)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    store = open_store(settings)
    version = ReadingTimeComponent.from_settings(settings).version
    assert len(store.stale("reading_time", version)) == total - 3
    report = enrich(store, settings, only=["reading_time"])
    assert report.components[0].processed == total - 3
    assert store.stale("reading_time", version) == []
    rows = list(store.enrichment_values("reading_time"))
    assert len(rows) == total == len({r[0] for r in rows})
    store.close()


def test_cli_enrich_json_report(archive: ArticleStore, settings: Settings) -> None:
    env = {**os.environ, "NEWSDESK_HOME": str(settings.home)}
    archive.close()
    proc = subprocess.run(
        [sys.executable, "-m", "newsdesk.cli.app", "enrich", "--only", "reading_time", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["components"][0]["name"] == "reading_time"
    assert report["components"][0]["processed"] >= 7


def test_unknown_engine_is_refused_with_the_choices(archive: ArticleStore, settings: Settings) -> None:
    with pytest.raises(InvalidInput) as err:
        enrich(archive, settings, only=["reading_time"], engine="dask")
    assert "engine" in str(err.value) and "serial" in str(err.value) and "local" in str(err.value)


def test_refit_once_components_keep_their_state_until_refit(
    archive: ArticleStore, settings: Settings, tmp_path: Path
) -> None:
    """keyphrases fits once: a grown archive keeps the saved document frequencies (same version, nothing
    stale), until --refit learns them again (a new version: everything is recomputed)."""
    from newsdesk.pipeline.fitting import saved_state_path

    first = enrich(archive, settings, only=["keyphrases"], engine="serial").components[0]
    assert first.processed == archive.count()
    component = get_component("keyphrases", settings)
    assert saved_state_path(component, settings).exists()
    from newsdesk.articles.model import Article

    new = [
        Article.create(
            source="later",
            source_id=str(i),
            headline=f"Harbour ferry strike day {i}",
            body="Ferry crews walked out again over pay, stranding commuters at the harbour.",
        )
        for i in range(3)
    ]
    archive.upsert(new)
    second = enrich(archive, settings, only=["keyphrases"], engine="serial").components[0]
    assert second.version == first.version and second.processed == len(new)
    third = enrich(archive, settings, only=["keyphrases"], engine="serial", refit=True).components[0]
    assert third.version != first.version and third.processed == archive.count()
