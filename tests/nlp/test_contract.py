"""The component contract, run over every registered component (plug-ins included) with its real model.

Every component: is built from its own frozen configuration (never the whole settings); has a name and a
version it does not write by hand (derived from code version, configuration, model and fitted state);
declares its fitted state, which survives a pickle round trip into a fresh instance with the same version
and the same outputs; returns one JSON-ready output per article, in order, on every executor; accepts an
empty batch, an empty body, a huge article and non-English text; confidences lie in [0, 1]; components that
learn raise NotFitted before ``fit``; and the pipeline records ``component@version`` and the article's
content hash with every output.
"""

from __future__ import annotations

import dataclasses
import json
import math
import pickle
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from newsdesk.articles.model import Article
from newsdesk.errors import NotFitted
from newsdesk.ingest import ingest
from newsdesk.nlp import DEFAULT_COMPONENTS, BaseComponent, ComponentConfig, Output, component_names
from newsdesk.nlp.base import components, local_field
from newsdesk.pipeline import enrich
from newsdesk.pipeline.executors import Executor, LocalExecutor, SerialExecutor
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore, open_store

DATA = Path(__file__).parents[1] / "data"


# -- a plug-in, registered as a third party would: the suite must cover it like the built-in ones ----------
@dataclasses.dataclass(frozen=True)
class _WordCountConfig(ComponentConfig):
    minimum: int = 1
    scratch: Path | None = local_field(None)  # a local path: must never reach an executor


class RareWordsComponent(BaseComponent):
    """Counts, per article, the words seen fewer than ``minimum``+1 times in the fitted archive."""

    name: ClassVar[str] = "test_rare_words"
    assigns: ClassVar[tuple[str, ...]] = ("test_rare_words",)
    Config: ClassVar[type[ComponentConfig]] = _WordCountConfig
    state: ClassVar[tuple[str, ...]] = ("counts_",)
    learns: ClassVar[bool] = True
    parallel_safe: ClassVar[bool] = True

    counts_: dict[str, int] | None = None

    def _fit(self, articles: Iterable[Article]) -> None:
        counts: dict[str, int] = {}
        for article in articles:
            for word in set(article.model_text.lower().split()):
                counts[word] = counts.get(word, 0) + 1
        self.counts_ = counts

    def transform(self, articles: Sequence[Article]) -> list[Output]:
        self.require_fitted()
        assert self.counts_ is not None
        assert isinstance(self.config, _WordCountConfig)
        limit = self.config.minimum
        out = []
        for article in articles:
            words = article.model_text.lower().split()
            rare = sum(1 for w in words if self.counts_.get(w, 0) <= limit)
            out.append(Output({"rare": rare}, confidence=rare / len(words) if words else None))
        return out


PLUGIN = RareWordsComponent.name
ALL = [*component_names(), PLUGIN]  # built-in, installed plug-ins (entry points), and this test's plug-in


@pytest.fixture(autouse=True, scope="module")
def _registered_plugin() -> Iterator[None]:
    """The test plug-in is registered while this module runs only (other tests run every component)."""
    components.register(PLUGIN)(RareWordsComponent)
    yield
    components.unregister(PLUGIN)


def _class(name: str) -> type[BaseComponent]:
    from newsdesk.nlp import component_class

    return component_class(name)


@pytest.fixture(scope="module")
def archive(nlp_settings: Settings) -> ArticleStore:
    store = open_store(nlp_settings)
    ingest([DATA / "bbc"], store, settings=nlp_settings, format="textdir", source="bbc")
    ingest([DATA / "valley-herald.jsonl"], store, settings=nlp_settings)
    return store


@pytest.fixture(scope="module")
def fitted(archive: ArticleStore, nlp_settings: Settings) -> dict[str, BaseComponent]:
    out = {}
    for name in ALL:
        component = _class(name).from_settings(nlp_settings)
        component.fit(archive.iter_articles())
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


# -- shape: configuration, state, version --------------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_declares_name_io_config_and_state(name: str, nlp_settings: Settings) -> None:
    cls = _class(name)
    component = cls.from_settings(nlp_settings)
    assert component.name == name
    assert component.requires and component.assigns
    assert isinstance(component.config, ComponentConfig) and isinstance(component.config, cls.Config)
    assert dataclasses.is_dataclass(component.config)
    with pytest.raises(dataclasses.FrozenInstanceError):
        component.config.__setattr__("x_frozen_probe", 1)
    json.dumps(component.config.identity(), default=str)  # JSON-ready (paths as strings)
    assert all(attr.endswith("_") for attr in cls.state), cls.state
    assert cls.refit in ("always", "once")
    with pytest.raises(TypeError):
        cls(nlp_settings)  # type: ignore[arg-type] - constructors take their own configuration only


@pytest.mark.parametrize("name", ALL)
def test_version_is_derived_never_written_by_hand(name: str, nlp_settings: Settings) -> None:
    cls = _class(name)
    for klass in cls.__mro__:
        if klass is BaseComponent:
            break
        assert "version" not in vars(klass), f"{klass.__name__} writes its version by hand"
    component = cls.from_settings(nlp_settings)
    assert isinstance(component.version, str) and component.version.startswith(component.code_version)
    assert component.ref == f"{name}@{component.version}"
    assert cls.from_settings(nlp_settings).version == component.version  # deterministic


@pytest.mark.parametrize("name", ALL)
def test_a_config_change_changes_the_version(name: str, nlp_settings: Settings) -> None:
    component = _class(name).from_settings(nlp_settings)
    changed = _changed_config(component.config)
    if changed is None:
        pytest.skip(f"{name} has no configuration field that changes its outputs")
    other = type(component)(changed)
    assert other.version != component.version


def _changed_config(config: ComponentConfig) -> ComponentConfig | None:
    """``config`` with one output-affecting field changed to another valid value, or None."""
    for f in dataclasses.fields(config):
        if f.metadata.get("local") or f.metadata.get("runtime"):
            continue  # how to run, not what to compute: no version change expected
        value = getattr(config, f.name)
        candidates: list[Any] = []
        if isinstance(value, bool):
            candidates = [not value]
        elif isinstance(value, int):
            candidates = [value + 1, value - 1]
        elif isinstance(value, float):
            candidates = [round(value * 0.9, 4), round(min(1.0, value * 1.1), 4)]
        for candidate in candidates:
            if candidate == value:
                continue
            try:
                return dataclasses.replace(config, **{f.name: candidate})
            except Exception:
                continue
    return None


@pytest.mark.parametrize("name", ALL)
def test_learning_components_refuse_before_fit(name: str, nlp_settings: Settings) -> None:
    component = _class(name).from_settings(nlp_settings)
    if not component.learns:
        pytest.skip(f"{name} does not learn")
    with pytest.raises(NotFitted):
        component.transform(odd_articles()[:1])


@pytest.mark.parametrize("name", ALL)
def test_state_round_trips_into_a_fresh_instance(
    name: str, fitted: dict[str, BaseComponent], archive: ArticleStore
) -> None:
    component = fitted[name]
    shipped = pickle.loads(
        pickle.dumps((type(component), component.config.for_executor(), component.get_state()))
    )
    cls, config, state = shipped
    fresh = cls(config).set_state(state)
    assert fresh.version == component.version
    articles = list(archive.iter_articles())[:6]
    _same_outputs(fresh.transform(articles), component.transform(articles))


@pytest.mark.parametrize("name", ALL)
def test_executor_copies_carry_no_local_paths(name: str, fitted: dict[str, BaseComponent]) -> None:
    shipped = fitted[name].for_executor()

    def local_values(config: ComponentConfig) -> Iterator[Any]:
        for f in dataclasses.fields(config):
            value = getattr(config, f.name)
            if f.metadata.get("local"):
                yield value
            elif isinstance(value, ComponentConfig):
                yield from local_values(value)

    assert all(v is None for v in local_values(shipped.config))
    assert shipped.version == fitted[name].version


@pytest.mark.parametrize("name", [n for n in ALL if n != "embedding"])
def test_learned_state_changes_the_version(name: str, archive: ArticleStore, nlp_settings: Settings) -> None:
    """Fitted on the whole archive and on its first half: a component whose state differs has another
    version; one whose state is the same (it learns nothing) keeps its version."""
    articles = list(archive.iter_articles())
    whole = _class(name).from_settings(nlp_settings).fit(articles)
    try:
        half = _class(name).from_settings(nlp_settings).fit(articles[: len(articles) // 2])
    except NotFitted:
        pytest.skip(f"{name} cannot learn from half the sample archive")
    if whole.state_digest() == half.state_digest():
        assert whole.version == half.version
    else:
        assert whole.version != half.version
    again = _class(name).from_settings(nlp_settings).fit(articles)
    assert again.version == whole.version  # fitting is deterministic


# -- behaviour -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_empty_batch(name: str, fitted: dict[str, BaseComponent]) -> None:
    assert fitted[name].transform([]) == []
    assert fitted[name]([]) == []


@pytest.mark.parametrize("name", ALL)
def test_odd_articles_give_one_json_output_each(name: str, fitted: dict[str, BaseComponent]) -> None:
    articles = odd_articles()
    outputs = fitted[name].transform(articles)
    assert len(outputs) == len(articles)
    for output in outputs:
        json.dumps(output.value)  # JSON-ready
        if output.confidence is not None:
            assert 0.0 <= output.confidence <= 1.0 and not math.isnan(output.confidence)


@pytest.mark.parametrize("name", ALL)
def test_outputs_do_not_depend_on_the_batch(
    name: str, fitted: dict[str, BaseComponent], archive: ArticleStore
) -> None:
    articles = list(archive.iter_articles())[:4]
    _same_outputs(fitted[name].transform(articles), [fitted[name].transform([a])[0] for a in articles])


@pytest.fixture(scope="module")
def local_executor() -> Iterator[Executor]:
    executor = LocalExecutor(workers=2)
    yield executor
    executor.close()


@pytest.mark.parametrize("executor_name", ["serial", "local"])
@pytest.mark.parametrize("name", ALL)
def test_every_executor_gives_the_same_outputs(
    name: str,
    executor_name: str,
    fitted: dict[str, BaseComponent],
    archive: ArticleStore,
    local_executor: Executor,
) -> None:
    executor = SerialExecutor() if executor_name == "serial" else local_executor
    component = fitted[name]
    ids = [a.id for a in archive.iter_articles()][:24]
    got: dict[str, Output] = {}
    for articles, outputs in executor.run(component, archive, ids, batch_size=5):
        got.update(zip((a.id for a in articles), outputs, strict=True))
    assert sorted(got) == sorted(ids)
    expected = component.transform([archive.get(i) for i in ids])
    _same_outputs([got[i] for i in ids], expected)


def _spark_missing() -> str | None:
    import importlib.util
    import os
    import shutil

    if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("pyarrow") is None:
        return "pyspark or pyarrow is not installed (pip install 'newsdesk[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java (Spark needs Java 17+)"
    return None


@pytest.fixture(scope="module")
def spark_executor(nlp_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Executor]:
    import os

    from newsdesk.pipeline.executors import open_executor

    pipeline = nlp_settings.pipeline.model_copy(
        update={"spark_master": "local[2]", "spark_work_dir": str(tmp_path_factory.mktemp("spark-work"))}
    )
    # the test plug-in's module must be importable by the Spark workers, as an installed plug-in is
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(Path(__file__).parent), before) if p)
    executor = open_executor("spark", nlp_settings.model_copy(update={"pipeline": pipeline}), workers=2)
    yield executor
    executor.close()
    if before is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = before


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.skipif(_spark_missing() is not None, reason=str(_spark_missing()))
@pytest.mark.parametrize("name", ALL)
def test_every_component_on_spark_gives_the_same_outputs(
    name: str, fitted: dict[str, BaseComponent], archive: ArticleStore, spark_executor: Executor
) -> None:
    """Spark local[2]: the component shipped (class, configuration without local paths, state), its
    outputs back on the driver equal to this process's (make test runs one small Spark case; this one
    runs with the slow tests)."""
    component = fitted[name]
    ids = [a.id for a in archive.iter_articles()][:24]
    got: dict[str, Output] = {}
    for articles, outputs in spark_executor.run(component, archive, ids, batch_size=5):
        got.update(zip((a.id for a in articles), outputs, strict=True))
    assert sorted(got) == sorted(ids)
    _same_outputs([got[i] for i in ids], component.transform([archive.get(i) for i in ids]))


def _same_outputs(a: Sequence[Output], b: Sequence[Output]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert json.dumps(x.value, sort_keys=True) == json.dumps(y.value, sort_keys=True) or _close(
            x.value, y.value
        )
        assert (x.confidence is None) == (y.confidence is None)
        if x.confidence is not None and y.confidence is not None:
            assert math.isclose(x.confidence, y.confidence, rel_tol=1e-3, abs_tol=1e-4)
        assert (x.vector is None) == (y.vector is None)
        if x.vector is not None:
            np.testing.assert_allclose(np.asarray(x.vector), np.asarray(y.vector), atol=1e-5)
            assert x.vector_model == y.vector_model


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
    report = enrich(store, settings, engine="serial")
    assert not [c.skipped for c in report.components if c.skipped]
    versions = {c.name: c.version for c in report.components}
    for article in store.iter_articles():
        got = store.get(article.id).enrichments
        assert set(got) == set(DEFAULT_COMPONENTS)
        for name, e in got.items():
            assert e.ref == f"{name}@{versions[name]}"
            assert e.input_hash == article.content_hash
    again = enrich(store, settings, engine="serial")
    assert again.processed == 0  # same versions: nothing is stale
    assert {c.name: c.version for c in again.components} == versions
    store.close()
