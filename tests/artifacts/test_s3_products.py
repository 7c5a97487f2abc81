"""Products written to S3 (moto) and read back: a monitoring report, an export, a model card, the search
indexes (built on one machine, fetched by another) and an MLflow run's artifact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from artifacthelpers import S3Server
from typer.testing import CliRunner

from newsdesk.articles.model import Article
from newsdesk.artifacts import open_artifacts
from newsdesk.cli.app import app as cli
from newsdesk.lifecycle.cards import ModelCard, write_card
from newsdesk.monitor.report import write_report
from newsdesk.search.hybrid import Searcher, open_index, open_text_index
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore, open_store
from newsdesk.store.base import EnrichmentWrite

MODEL = "test-model:chunks"


def _read(settings: Settings, key: str) -> bytes:
    store = open_artifacts(settings)
    assert store is not None
    with store.open(key) as fh:
        return fh.read()


def test_report_goes_to_s3_and_reads_back(s3_settings: Settings, tmp_path: Path) -> None:
    store = open_store(s3_settings)
    try:
        out = write_report(s3_settings, store, tmp_path / "out" / "daily.html", check=None)
    finally:
        store.close()
    assert _read(s3_settings, "reports/daily.html") == out.read_bytes()
    assert b"newsdesk monitoring report" in out.read_bytes()


def test_export_and_card_go_to_s3(
    s3_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = s3_server.url()
    monkeypatch.setenv("NEWSDESK_ARTIFACTS__URL", url)
    monkeypatch.setenv("NEWSDESK_ARTIFACTS__ENDPOINT_URL", s3_server.endpoint_url)
    settings = Settings(home=tmp_path / "home")
    assert settings.artifacts.url == url
    store = open_store(settings)
    try:
        store.upsert([Article.create(source="t", source_id="a1", headline="Rates rise", body="The bank.")])
    finally:
        store.close()
    out = tmp_path / "articles.jsonl"
    result = CliRunner().invoke(cli, ["--home", str(settings.home), "articles", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"copied to {url}/exports/articles.jsonl" in result.output
    exported = _read(settings, "exports/articles.jsonl")
    assert exported == out.read_bytes() and json.loads(exported)["headline"] == "Rates rise"

    card = _card()
    copied = write_card(settings, card, "markdown", tmp_path / "card.md")
    assert copied == f"{url}/cards/card.md"
    assert _read(settings, "cards/card.md").decode().startswith("# Model card: newsdesk-sections version 3")


def _card() -> ModelCard:
    return ModelCard(
        name="newsdesk-sections",
        version="3",
        aliases=["champion"],
        created="2026-01-01T00:00:00+00:00",
        owner="data team",
        intended_use="Section suggestions.",
        limitations=["English only"],
        training={},
        evaluation_data={},
        params={},
        code={},
        metrics={"accuracy": 0.9},
        slices={},
        behaviour=[],
        gates=None,
    )


class _Embedder:
    """Only what a searcher needs to open and rebuild its indexes (no model is loaded)."""

    def vector_model(self, strategy: str) -> str:
        return MODEL


def _fill(store: ArticleStore, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(n, 16))
    vectors = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    articles = [
        Article.create(source="t", source_id=f"s{seed}-{i}", headline=f"Story {i}", body=f"Council vote {i}.")
        for i in range(n)
    ]
    store.upsert(articles, dedupe=False)
    store.write_enrichments(
        [EnrichmentWrite(a.id, [], {MODEL: v}) for a, v in zip(articles, vectors, strict=True)]
    )


@pytest.mark.parametrize("kind", ["hnsw", "exact"])
def test_index_round_trip(s3_settings: Settings, tmp_path: Path, kind: Any) -> None:
    s3_settings.search.index_kind = kind
    builder = open_store(s3_settings)
    try:
        _fill(builder, 40, seed=1)
        built = Searcher(builder, s3_settings, embedder=_Embedder())  # type: ignore[arg-type]
        stats, text = built.rebuild()
        assert stats.live == 40 and text is not None and text.live == 40
        uploaded = open_artifacts(s3_settings).list("index")  # type: ignore[union-attr]
        assert {k.split("/")[1] for k in uploaded} == {"_text", built.index.folder.name}
        # another machine: same store and artifact store, an empty workspace
        other = s3_settings.model_copy(update={"home": tmp_path / "other"})
        index = open_index(other, MODEL)
        assert len(index) == 40 and index.kind == kind
        query = built.index.vector(sorted(built.index.labels)[0])
        assert query is not None and index.search(query, 5) == built.index.search(query, 5)
        assert open_text_index(other).stats().live == 40
        # a rebuild elsewhere is fetched on the next open; an unchanged build is not fetched again
        _fill(builder, 10, seed=2)
        built.rebuild()
        assert len(open_index(other, MODEL)) == 50
        meta = other.index_dir / built.index.folder.name / "meta.json"
        before = meta.stat().st_mtime_ns
        assert len(open_index(other, MODEL)) == 50 and meta.stat().st_mtime_ns == before
    finally:
        builder.close()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # SQLAlchemy's, from MLflow's store
def test_mlflow_run_logs_an_artifact_to_s3(
    s3_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("mlflow")
    monkeypatch.delenv("MLFLOW_S3_ENDPOINT_URL", raising=False)  # restored after the test
    from newsdesk.lifecycle.registry import ModelRegistry

    registry = ModelRegistry(s3_settings)
    with registry.start_run("newsdesk-s3-check", "artifact") as run:
        registry.mlflow.log_text("hello from the newsroom", "notes/hello.txt")
    root = open_artifacts(s3_settings)
    assert root is not None
    experiment = registry.client.get_experiment_by_name("newsdesk-s3-check")
    assert experiment.artifact_location == root.uri("mlflow/newsdesk-s3-check")
    text = registry.mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/notes/hello.txt")
    assert text == "hello from the newsroom"
    assert any(k.endswith("/notes/hello.txt") for k in root.list("mlflow/newsdesk-s3-check"))
