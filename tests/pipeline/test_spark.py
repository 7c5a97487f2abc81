"""The Spark executor: the same outputs as the local one, and a killed driver resumes without duplicates.

One local[2] Spark session serves the module (a session starts in ~15 s); the kill test starts its own in
the ``newsdesk enrich`` process it kills.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from newsdesk.errors import InvalidInput, MissingDependency
from newsdesk.ingest import ingest
from newsdesk.pipeline import build_component, enrich
from newsdesk.pipeline.executors import open_executor
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore, open_store

DATA = Path(__file__).parents[1] / "data"
SAME = ["language", "reading_time", "keyphrases", "sections", "embedding"]


def _why_not() -> str | None:
    try:
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as exc:
        return f"Spark tests skipped: {exc.name} is not installed (pip install 'newsdesk[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Spark tests skipped: no Java (Spark needs Java 17+)"
    return None


needs_spark = pytest.mark.skipif(_why_not() is not None, reason=str(_why_not()))


@pytest.fixture
def sqlite_only(backend: str) -> None:
    """On SQLite only: a PostgreSQL run would double the cost of these tests (minutes) for little, since the
    executor reads and writes through the store API the store tests cover on both backends."""
    if backend != "sqlite":
        pytest.skip("the Spark tests run on SQLite only (see sqlite_only)")


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The module's Spark session; the executor finds it active and leaves it running."""
    from pyspark.sql import SparkSession

    given = "PYSPARK_PYTHON" in os.environ
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the workers run this venv
    session = (
        SparkSession.builder.master("local[2]")
        .appName("newsdesk-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.local.dir", str(tmp_path_factory.mktemp("spark-local")))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    if not given:
        os.environ.pop("PYSPARK_PYTHON", None)


def _fill(store: ArticleStore, settings: Settings) -> int:
    """Every committed article fixture that ingests as is: BBC (sections and samples), AG News, Reuters,
    the Valley Herald and the ninjs samples (176 articles, several languages)."""
    for path, options in [
        (DATA / "sections" / "bbc", {"format": "textdir", "source": "bbc"}),
        (DATA / "bbc", {"format": "textdir", "source": "bbc"}),
        (DATA / "ag-news-sample.csv", {}),
        (DATA / "reuters", {}),
        (DATA / "valley-herald.jsonl", {}),
        *((DATA / "ninjs" / v, {"format": "ninjs"}) for v in ("1.4", "2.1", "3.0")),
    ]:
        ingest([path], store, settings=settings, **options)  # type: ignore[arg-type]
    return store.count()


def _snapshot(store: ArticleStore, settings: Settings, names: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for article in store.iter_articles():
        got = store.get(article.id).enrichments
        for name in names:
            e = got[name]
            out[f"{article.id}|{name}"] = (e.version, e.value, e.confidence, e.input_hash)
    for name in names:
        model = getattr(build_component(name, settings), "vector_model", None)
        if model is not None:
            ids, matrix = store.get_vectors(model)
            out[f"vectors|{model}"] = dict(zip(ids, np.asarray(matrix, dtype=np.float32), strict=True))
    return out


@pytest.mark.spark
@needs_spark
def test_spark_outputs_equal_the_local_run(
    sqlite_only: None, spark: Any, settings: Settings, store: ArticleStore
) -> None:
    # one vector per article ("lead"): the cheapest way to check the vectors that come back
    nlp = settings.nlp.model_copy(update={"embedding_strategy": "lead"})
    settings = settings.model_copy(update={"nlp": nlp})
    n = _fill(store, settings)
    assert n >= 170
    t0 = time.perf_counter()
    report = enrich(store, settings, only=SAME, engine="spark", batch_size=16)
    spark_s = time.perf_counter() - t0
    assert report.engine == "spark"
    assert [c.skipped for c in report.components] == [None] * len(SAME)
    assert [c.processed for c in report.components] == [n] * len(SAME)
    assert enrich(store, settings, only=SAME, engine="spark").processed == 0  # nothing stale: no Spark job

    local_settings = Settings(home=settings.home.parent / "local-home", nlp=nlp)
    local = open_store(local_settings)
    try:
        _fill(local, local_settings)
        t0 = time.perf_counter()
        enrich(local, local_settings, only=SAME, engine="local", batch_size=16)
        local_s = time.perf_counter() - t0
        want, got = _snapshot(local, local_settings, SAME), _snapshot(store, settings, SAME)
    finally:
        local.close()
    print(f"{n} articles, {SAME}: spark {spark_s:.1f} s, local {local_s:.1f} s")
    assert set(got) == set(want)
    vectors = [k for k in want if k.startswith("vectors|")]
    assert vectors, "the embedding component writes vectors"
    for key in vectors:
        assert got[key].keys() == want[key].keys()
        for article_id, vector in want[key].items():
            np.testing.assert_allclose(got[key][article_id], vector, atol=1e-5, rtol=0)
    assert {k: v for k, v in got.items() if k not in vectors} == {
        k: v for k, v in want.items() if k not in vectors
    }


@pytest.mark.spark
@needs_spark
def test_killed_driver_resumes_without_duplicates(
    spark: Any, settings: Settings, store: ArticleStore
) -> None:
    total = _fill(store, settings)
    name = "reading_time"
    version = build_component(name, settings).version
    env = {
        **os.environ,
        "NEWSDESK_HOME": str(settings.home),
        "PYSPARK_PYTHON": sys.executable,
        # many small waves, so the run is still writing when the test kills it
        "NEWSDESK_PIPELINE__SPARK_PARTITIONS": "16",
    }
    args = f"enrich --engine spark --master local[2] --only {name} --batch-size 2 --json"
    command = [sys.executable, "-m", "newsdesk.cli.app", *args.split()]
    log = settings.home.parent / "enrich.log"  # a file, not a pipe nobody reads while the run goes on
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=out, start_new_session=True)
    try:
        deadline = time.monotonic() + 600  # a Spark start takes ~15 s, minutes on a loaded machine
        while time.monotonic() < deadline and proc.poll() is None:
            if len(store.stale(name, version)) < total:
                break
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"the run ended before the kill: {log.read_text()[-2000:]}"
    left = len(store.stale(name, version))
    assert 0 < total - left < total, f"killed with {total - left} of {total} written"

    report = enrich(store, settings, only=[name], engine="spark", batch_size=7)
    assert report.components[0].processed == left < total
    assert store.stale(name, version) == []
    rows = list(store.enrichment_values(name))
    assert len(rows) == total == len({article_id for article_id, _ in rows})
    assert all(store.get(article_id).enrichments[name].version == version for article_id, _ in rows)
    query = "SELECT article_id FROM enrichments WHERE component = {} GROUP BY article_id HAVING count(*) > 1"
    if hasattr(store, "nearest"):  # PostgreSQL: the same question in its own database
        with store._conn() as conn:  # type: ignore[attr-defined]
            dupes = conn.execute(query.format("%s"), [name]).fetchall()
    else:
        with sqlite3.connect(settings.home / "newsdesk.sqlite3") as db:  # no duplicate rows under the API
            dupes = db.execute(query.format("?"), [name]).fetchall()
    assert dupes == []
    assert json.dumps(report.to_dict())  # the report serialises


def test_importing_the_pipeline_imports_no_spark() -> None:
    code = (
        "import sys, newsdesk.pipeline, newsdesk.pipeline.executors as e, newsdesk.cli.app\n"
        "heavy = [m for m in ('pyspark', 'pyarrow', 'py4j', 'newsdesk.pipeline.spark') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_engine_spark_without_pyspark_names_the_extra(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now fails
    with pytest.raises(MissingDependency) as err:
        open_executor("spark", settings)
    assert err.value.extra == "spark" and "pip install 'newsdesk[spark]'" in str(err.value)


def test_unknown_engine_lists_spark(settings: Settings) -> None:
    with pytest.raises(InvalidInput) as err:
        open_executor("dask", settings)
    assert "spark" in str(err.value)
