"""The embedder's configuration (what the embedding components share), the per-process embedders, and the
``embedding`` component on the component contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from newsdesk.articles.model import Article
from newsdesk.errors import InvalidInput
from newsdesk.nlp import get_component
from newsdesk.nlp.embed import EmbedderConfig, EmbeddingComponent, EmbeddingConfig, embedder_for
from newsdesk.settings import Settings


def test_config_from_settings_and_validation(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, nlp={"embedding_strategy": "lead", "embedding_batch_size": 8})
    config = EmbedderConfig.from_settings(settings)
    assert (config.model, config.strategy, config.batch_size) == ("all-MiniLM-L6-v2", "lead", 8)
    assert config.cache == settings.cache_dir / "embeddings.sqlite3"
    assert config.vector_model == "all-MiniLM-L6-v2:lead"
    assert EmbedderConfig.from_settings(settings, strategy="chunks").strategy == "chunks"
    no_cache = Settings(home=tmp_path, nlp={"embedding_cache": False})
    assert EmbedderConfig.from_settings(no_cache).cache is None
    for bad in ({"strategy": "paragraphs"}, {"batch_size": 0}, {"device": "tpu"}):
        with pytest.raises(InvalidInput):
            EmbedderConfig(**bad)  # type: ignore[arg-type]


def test_the_cache_is_local_never_in_the_identity_nor_on_executors(tmp_path: Path) -> None:
    cached = EmbedderConfig(cache=tmp_path / "embeddings.sqlite3")
    assert cached.identity() == EmbedderConfig().identity() and "cache" not in cached.identity()
    assert cached.for_executor().cache is None and cached.for_executor() == cached
    component = EmbeddingComponent(embedder=cached)
    shipped = component.for_executor()
    assert shipped.config.embedder.cache is None and shipped.version == component.version
    assert EmbeddingComponent(embedder=EmbedderConfig(strategy="lead")).version != component.version


def test_embedder_for_is_one_embedder_per_model_in_a_process(tmp_path: Path) -> None:
    first = embedder_for(EmbedderConfig(strategy="lead"))
    assert embedder_for(EmbedderConfig(strategy="lead")) is first
    assert embedder_for(EmbedderConfig(strategy="sentences")) is first  # the strategy cuts, the model reads
    assert embedder_for(EmbedderConfig(batch_size=7)) is not first
    cached = embedder_for(EmbedderConfig(cache=tmp_path / "embeddings.sqlite3"))
    assert cached is not first and cached.cache is not None and first.cache is None


def test_embedding_component_contract(nlp_settings: Settings) -> None:
    component = get_component("embedding", nlp_settings)
    assert isinstance(component, EmbeddingComponent) and isinstance(component.config, EmbeddingConfig)
    strategy = nlp_settings.nlp.embedding_strategy
    assert component.model_identity() == component.vector_model == f"all-MiniLM-L6-v2:{strategy}"
    assert component.version.startswith(f"1+all-MiniLM-L6-v2:{strategy}+")
    lead = get_component("embedding", nlp_settings, strategy="lead")
    assert lead.config.embedder.strategy == "lead"  # type: ignore[attr-defined]
    articles = [
        Article.create(source="t", source_id="a", headline="Rates rise", body="The bank raised rates."),
        Article.create(source="t", source_id="b", headline="...", body=""),
    ]
    assert component.transform([]) == []
    outputs = component.fit([]).transform(articles)
    assert [o.value for o in outputs] == [{"model": "all-MiniLM-L6-v2", "strategy": strategy, "dim": 384}] * 2
    assert all(o.vector_model == component.vector_model and o.vector.dtype == np.float32 for o in outputs)
    np.testing.assert_allclose(np.linalg.norm([o.vector for o in outputs], axis=1), 1.0, atol=1e-5)
    shipped = component.for_executor()
    np.testing.assert_allclose(shipped.transform(articles)[0].vector, outputs[0].vector, atol=1e-6)


def test_batch_size_and_device_say_how_to_run_not_what_so_no_version_changes() -> None:
    base = EmbeddingComponent(EmbeddingConfig(embedder=EmbedderConfig()))
    other = EmbeddingComponent(EmbeddingConfig(embedder=EmbedderConfig(batch_size=7, device="cpu")))
    assert other.version == base.version
    half = EmbeddingComponent(EmbeddingConfig(embedder=EmbedderConfig(precision="fp16")))
    assert half.version != base.version  # half precision computes other vectors


def test_half_precision_is_refused_on_the_cpu_with_the_setting_named() -> None:
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed")
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present: fp16 is allowed")
    with pytest.raises(InvalidInput, match="embedding_precision"):
        embedder_for(EmbedderConfig(precision="fp16", device="auto")).encode(["a text"])
    with pytest.raises(InvalidInput, match="embedding_precision"):
        EmbedderConfig(precision="bf8")
