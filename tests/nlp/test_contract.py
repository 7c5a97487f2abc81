"""The component contract, run over every registered component with its real model.

Every component: has a name and a non-empty version; returns one JSON-ready output per article, in order;
accepts an empty batch, an empty body, a huge article and non-English text; confidences lie in [0, 1];
components that learn from the archive raise NotFitted before ``prepare``; the pipeline records
``component@version`` and the article's content hash with every output.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from newsdesk.articles.model import Article
from newsdesk.errors import NotFitted
from newsdesk.ingest import ingest
from newsdesk.nlp import DEFAULT_COMPONENTS, BaseComponent, get_component
from newsdesk.pipeline import enrich
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore, open_store

DATA = Path(__file__).parents[1] / "data"

# components that learn from the archive and must refuse to work before prepare()
LEARNING = {"sections", "near_duplicates", "keyphrases"}


@pytest.fixture(scope="module")
def archive(nlp_settings: Settings) -> ArticleStore:
    store = open_store(nlp_settings)
    ingest([DATA / "bbc"], store, settings=nlp_settings, format="textdir", source="bbc")
    ingest([DATA / "valley-herald.jsonl"], store, settings=nlp_settings)
    return store


@pytest.fixture(scope="module")
def prepared(archive: ArticleStore, nlp_settings: Settings) -> dict[str, BaseComponent]:
    out = {}
    for name in DEFAULT_COMPONENTS:
        component = get_component(name, nlp_settings)
        component.prepare(archive)
        out[name] = component
    return out


def odd_articles() -> list[Article]:
    long_body = "\n\n".join(
        f"Paragraph {i}: the council met on Tuesday to discuss the budget, and Mayor Jane Smith said "
        "the city would invest in schools and roads."
        for i in range(1000)
    )  # ~130k characters
    return [
        Article.create(source="t", source_id="empty", headline="Headline only", body=""),
        Article.create(source="t", source_id="huge", headline="A very long report", body=long_body),
        Article.create(
            source="t",
            source_id="de",
            headline="Bundesregierung beschließt neues Klimaschutzgesetz",
            body="Die Bundesregierung hat am Mittwoch in Berlin ein neues Gesetz zum Klimaschutz "
            "beschlossen. "
            "Die Opposition kritisierte den Entwurf scharf.",
        ),
        Article.create(
            source="t",
            source_id="zh",
            headline="上海股市周三大幅上涨",
            body="上海证券交易所综合指数周三上涨百分之三。",
        ),
        Article.create(source="t", source_id="one", headline="Storm", body="Snow."),
    ]


@pytest.mark.parametrize("name", DEFAULT_COMPONENTS)
def test_declares_name_version_and_io(name: str, nlp_settings: Settings) -> None:
    component = get_component(name, nlp_settings)
    assert component.name == name
    assert isinstance(component.version, str) and component.version
    assert component.requires and component.assigns
    assert component.ref == f"{name}@{component.version}"


@pytest.mark.parametrize("name", sorted(LEARNING))
def test_learning_components_refuse_before_prepare(name: str, nlp_settings: Settings) -> None:
    component = get_component(name, nlp_settings)
    with pytest.raises(NotFitted):
        component.process(odd_articles()[:1])


@pytest.mark.parametrize("name", DEFAULT_COMPONENTS)
def test_empty_batch(name: str, prepared: dict[str, BaseComponent]) -> None:
    assert prepared[name].process([]) == []


@pytest.mark.parametrize("name", DEFAULT_COMPONENTS)
def test_odd_articles_give_one_json_output_each(name: str, prepared: dict[str, BaseComponent]) -> None:
    articles = odd_articles()
    outputs = prepared[name].process(articles)
    assert len(outputs) == len(articles)
    for output in outputs:
        json.dumps(output.value)  # JSON-ready
        if output.confidence is not None:
            assert 0.0 <= output.confidence <= 1.0 and not math.isnan(output.confidence)


@pytest.mark.parametrize("name", DEFAULT_COMPONENTS)
def test_outputs_do_not_depend_on_the_batch(
    name: str, prepared: dict[str, BaseComponent], archive: ArticleStore
) -> None:
    articles = list(archive.iter_articles())[:4]
    together = prepared[name].process(articles)
    alone = [prepared[name].process([a])[0] for a in articles]
    for a, b in zip(together, alone, strict=True):
        assert json.dumps(a.value, sort_keys=True) == json.dumps(b.value, sort_keys=True) or _close(
            a.value, b.value
        )


def _close(a: object, b: object) -> bool:
    """Equal up to float noise (batched matrix products round differently)."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-4)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_pipeline_records_every_component_with_version_and_input(
    tmp_path: Path, nlp_settings: Settings
) -> None:
    # a fresh store, but the session's embedding cache
    settings = Settings(home=tmp_path / "home", nlp=nlp_settings.nlp)
    settings.home.mkdir(parents=True)
    (settings.home / "cache").symlink_to(nlp_settings.cache_dir, target_is_directory=True)
    store = open_store(settings)
    ingest([DATA / "bbc"], store, settings=settings, format="textdir", source="bbc")
    report = enrich(store, settings)
    assert not [c.skipped for c in report.components if c.skipped]
    for article in store.iter_articles():
        got = store.get(article.id).enrichments
        assert set(got) == set(DEFAULT_COMPONENTS)
        for name, e in got.items():
            assert e.ref == f"{name}@{get_component(name, settings).version}" or name in LEARNING
            assert e.input_hash == article.content_hash
    ids, vectors = store.get_vectors(get_component("embedding", settings).vector_model)  # type: ignore[attr-defined]
    assert len(ids) == store.count() and vectors.shape[1] == 384
    store.close()
