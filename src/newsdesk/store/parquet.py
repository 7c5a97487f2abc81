"""The archive as Parquet: a folder that Spark, DuckDB, pandas or a data lake reads, and that
``newsdesk ingest`` reads back (same ids and content hashes, so a re-ingest reports ``unchanged``).

Layout of an export folder::

    OUT/_newsdesk.json                     manifest: format version, counts, files, schemas, created_at
    OUT/articles/part-00000.parquet        the ingestable fields, plus id and content_hash for reference
    OUT/enrichments/part-00000.parquet     article_id, component, version, input_hash, value (JSON text),
                                           confidence, created_at (with ``enrichments=True``)
    OUT/vectors/<model>/part-00000.parquet article_id, model, vector: fixed_size_list<float32>[dim]
                                           (with ``vectors=True``; one folder per model)

Articles are read from the store in id order and written ``batch_size`` rows at a time, each batch one row
group, a new part file every ``rows_per_file`` rows: memory stays bounded by one batch, whatever the size of
the archive. The enrichments and vectors of a batch are read and written with it. The manifest is written
last: a folder without one is an export that did not finish. Each part file's schema metadata names its
dataset (``newsdesk.dataset``), so a reader tells articles from enrichments without the manifest.

pyarrow is imported when an export runs (``pip install 'newsdesk[parquet]'``).

>>> import pathlib, tempfile
>>> from newsdesk.settings import Settings
>>> from newsdesk.store import open_store
>>> from newsdesk.articles.model import Article
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> store = open_store(Settings(home=root / "home"))
>>> _ = store.upsert([Article.create(source="wire", source_id="1", headline="Hello", body="World")])
>>> report = export_parquet(store, root / "out")
>>> report.articles, sorted(p.name for p in (root / "out").iterdir())
(1, ['_newsdesk.json', 'articles'])
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from newsdesk.articles.model import Article, Enrichment
from newsdesk.errors import InvalidInput, MissingDependency, NewsdeskError
from newsdesk.store.base import ArticleFilter, ArticleStore

__all__ = [
    "ARTICLE_REFERENCE_COLUMNS",
    "FORMAT_VERSION",
    "MANIFEST",
    "ExportReads",
    "ExportReport",
    "dataset_files",
    "dataset_of",
    "export_parquet",
    "is_export",
    "pyarrow_modules",
    "read_manifest",
]

MANIFEST = "_newsdesk.json"
FORMAT = "newsdesk-parquet"
FORMAT_VERSION = 1
#: columns of the articles dataset that the store derives: written for reference, never read back
ARTICLE_REFERENCE_COLUMNS = ("id", "content_hash")
_DATASET_KEY = b"newsdesk.dataset"
_VERSION_KEY = b"newsdesk.format_version"
_NOT_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@runtime_checkable
class ExportReads(Protocol):
    """The bulk reads an export of enrichments and vectors needs besides :class:`ArticleStore`'s."""

    def enrichment_records(self, ids: Sequence[str]) -> list[tuple[str, Enrichment]]:
        """(article id, enrichment) of every stored output of the articles ``ids``, by id then component."""
        ...

    def vector_models(self) -> list[str]:
        """The models that have stored vectors, sorted."""
        ...


@dataclass(slots=True)
class ExportReport:
    """What an export wrote: row counts per dataset (vectors per model), the files, and the time taken."""

    out: Path
    articles: int = 0
    enrichments: int = 0
    vectors: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "articles": self.articles,
            "enrichments": self.enrichments,
            "vectors": dict(self.vectors),
            "files": list(self.files),
            "seconds": round(self.seconds, 3),
        }


def pyarrow_modules(purpose: str) -> tuple[Any, Any]:
    """``(pyarrow, pyarrow.parquet)``, or :class:`MissingDependency` naming the ``parquet`` extra."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise MissingDependency("pyarrow", "parquet", purpose) from exc
    return pa, pq


def is_export(path: Path) -> bool:
    """Whether ``path`` is a folder written by :func:`export_parquet` (it holds the manifest)."""
    return path.is_dir() and (path / MANIFEST).is_file()


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of the export ``folder``; :class:`InvalidInput` when it is missing or unreadable."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput("path", str(folder), f"a newsdesk Parquet export (with {MANIFEST})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InvalidInput("path", str(folder), f"a newsdesk Parquet export ({MANIFEST} of {FORMAT})")
    version = data.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise InvalidInput(f"{MANIFEST}:format_version", version, f"a format version up to {FORMAT_VERSION}")
    return data


def dataset_files(folder: Path, dataset: str) -> list[Path]:
    """The part files of ``dataset`` (``articles``, ``enrichments``, ``vectors``) in the export ``folder``,
    in order: those the manifest lists."""
    manifest = read_manifest(folder)
    entry = manifest.get("datasets", {}).get(dataset)
    if entry is None:
        return []
    if dataset == "vectors":
        return [folder / f for model in entry.get("models", {}).values() for f in model.get("files", [])]
    return [folder / f for f in entry.get("files", [])]


def dataset_of(schema: Any) -> str | None:
    """The dataset a part file's Arrow schema says it belongs to, or None for a file newsdesk did not
    write."""
    metadata = schema.metadata or {}
    value = metadata.get(_DATASET_KEY)
    return value.decode("utf-8") if isinstance(value, bytes) else None


def _schemas(pa: Any, dim: int | None = None) -> dict[str, Any]:
    def tagged(name: str, fields: list[Any]) -> Any:
        return pa.schema(fields, metadata={_DATASET_KEY: name.encode(), _VERSION_KEY: str(FORMAT_VERSION)})

    text = pa.string()
    stamp = pa.timestamp("us", tz="UTC")
    schemas = {
        "articles": tagged(
            "articles",
            [
                pa.field("id", text, nullable=False),
                pa.field("source", text, nullable=False),
                pa.field("source_id", text),
                pa.field("headline", text, nullable=False),
                pa.field("body", text),
                pa.field("url", text),
                pa.field("byline", text),
                pa.field("published_at", stamp),
                pa.field("section", text),
                pa.field("language", text),
                pa.field("keywords", pa.list_(text)),
                pa.field("subjects", pa.list_(pa.struct([("name", text), ("code", text)]))),
                pa.field("extra", text),  # a JSON object, as text: any engine reads it
                pa.field("content_hash", text, nullable=False),
            ],
        ),
        "enrichments": tagged(
            "enrichments",
            [
                pa.field("article_id", text, nullable=False),
                pa.field("component", text, nullable=False),
                pa.field("version", text, nullable=False),
                pa.field("input_hash", text),
                pa.field("value", text, nullable=False),  # JSON
                pa.field("confidence", pa.float64()),
                pa.field("created_at", stamp, nullable=False),
            ],
        ),
    }
    if dim is not None:
        schemas["vectors"] = tagged(
            "vectors",
            [
                pa.field("article_id", text, nullable=False),
                pa.field("model", text, nullable=False),
                pa.field("vector", pa.list_(pa.float32(), dim), nullable=False),
            ],
        )
    return schemas


class _Parts:
    """Part files of one dataset: ``part-00000.parquet`` onwards, a new one every ``rows_per_file`` rows;
    each :meth:`write` is one row group. Files are opened on the first row, so an empty dataset has none."""

    def __init__(self, pq: Any, folder: Path, root: Path, schema: Any, rows_per_file: int) -> None:
        self.pq, self.folder, self.root, self.schema = pq, folder, root, schema
        self.rows_per_file = rows_per_file
        self.files: list[str] = []
        self.rows = 0
        self._writer: Any = None
        self._in_file = 0

    def write(self, table: Any) -> None:
        start = 0
        while start < table.num_rows:
            if self._writer is None or self._in_file >= self.rows_per_file:
                self._open()
            take = min(table.num_rows - start, self.rows_per_file - self._in_file)
            self._writer.write_table(table.slice(start, take), row_group_size=take)
            self._in_file += take
            self.rows += take
            start += take

    def _open(self) -> None:
        self.close()
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"part-{len(self.files):05d}.parquet"
        self._writer = self.pq.ParquetWriter(path, self.schema, compression="zstd")
        self.files.append(path.relative_to(self.root).as_posix())
        self._in_file = 0

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def export_parquet(
    store: ArticleStore,
    out: Path,
    *,
    filt: ArticleFilter | None = None,
    enrichments: bool = False,
    vectors: bool = False,
    batch_size: int = 10_000,
    rows_per_file: int = 1_000_000,
) -> ExportReport:
    """Write the articles matching ``filt`` (all without one) to the new or empty folder ``out`` as
    Parquet, with their enrichments and vectors when asked; see the module's docstring for the layout.

    Raises :class:`~newsdesk.errors.InvalidInput` for a folder that is not empty or a batch size below 1,
    before anything is written, and :class:`~newsdesk.errors.MissingDependency` without pyarrow.
    """
    started = time.perf_counter()
    if batch_size < 1:
        raise InvalidInput("batch_size", batch_size, "at least 1")
    if rows_per_file < batch_size:
        raise InvalidInput("rows_per_file", rows_per_file, f"at least the batch size ({batch_size})")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidInput("out", str(out), "a new or empty folder")
    extras = enrichments or vectors
    if extras and not isinstance(store, ExportReads):
        raise NewsdeskError(f"this store ({type(store).__name__}) cannot export enrichments or vectors")
    pa, pq = pyarrow_modules("Exporting to Parquet")
    out.mkdir(parents=True, exist_ok=True)
    schemas = _schemas(pa)
    report = ExportReport(out=out)
    articles = _Parts(pq, out / "articles", out, schemas["articles"], rows_per_file)
    outputs = _Parts(pq, out / "enrichments", out, schemas["enrichments"], rows_per_file)
    models = store.vector_models() if vectors and isinstance(store, ExportReads) else []
    folders = _model_folders(models)
    by_model: dict[str, _Parts] = {}
    try:
        for batch in _batches(store.iter_articles(filt, batch_size=min(batch_size, 1000)), batch_size):
            articles.write(_article_table(pa, batch, schemas["articles"]))
            ids = [a.id for a in batch]
            if enrichments and isinstance(store, ExportReads):
                outputs.write(_enrichment_table(pa, store.enrichment_records(ids), schemas["enrichments"]))
            for model in models:
                found, matrix = store.get_vectors(model, ids)
                if not found:
                    continue
                if model not in by_model:
                    schema = _schemas(pa, int(matrix.shape[1]))["vectors"]
                    by_model[model] = _Parts(pq, out / "vectors" / folders[model], out, schema, rows_per_file)
                by_model[model].write(_vector_table(pa, model, found, matrix, by_model[model].schema))
    finally:
        for parts in (articles, outputs, *by_model.values()):
            parts.close()
    report.articles = articles.rows
    report.enrichments = outputs.rows
    report.vectors = {m: p.rows for m, p in by_model.items()}
    report.files = [*articles.files, *outputs.files, *(f for p in by_model.values() for f in p.files)]
    _write_manifest(out, articles, outputs if enrichments else None, by_model if vectors else None, filt)
    report.files.append(MANIFEST)
    report.seconds = time.perf_counter() - started
    return report


def _batches(articles: Iterator[Article], size: int) -> Iterator[list[Article]]:
    batch: list[Article] = []
    for article in articles:
        batch.append(article)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _model_folders(models: list[str]) -> dict[str, str]:
    """A folder name per model (``sentence-transformers/all-MiniLM`` -> ``sentence-transformers_all-MiniLM``),
    unique even when two names clean up alike."""
    folders: dict[str, str] = {}
    for model in models:
        name = _NOT_NAME.sub("_", model).strip("._") or "model"
        candidate, n = name, 1
        while candidate in folders.values():
            n += 1
            candidate = f"{name}-{n}"
        folders[model] = candidate
    return folders


def _article_table(pa: Any, batch: list[Article], schema: Any) -> Any:
    """One batch of articles as an Arrow table: the fields :meth:`Article.content_fields` hashes, as
    stored, so a re-ingest rebuilds the same hash."""
    return pa.Table.from_pydict(
        {
            "id": [a.id for a in batch],
            "source": [a.source for a in batch],
            "source_id": [a.source_id for a in batch],
            "headline": [a.headline for a in batch],
            "body": [a.body for a in batch],
            "url": [a.url for a in batch],
            "byline": [a.byline for a in batch],
            "published_at": [a.published_at.astimezone(UTC) if a.published_at else None for a in batch],
            "section": [a.section for a in batch],
            "language": [a.language for a in batch],
            "keywords": [a.keywords for a in batch],
            "subjects": [[{"name": s.name, "code": s.code} for s in a.subjects] for a in batch],
            "extra": [json.dumps(a.extra, ensure_ascii=False) if a.extra else None for a in batch],
            "content_hash": [a.content_hash for a in batch],
        },
        schema=schema,
    )


def _enrichment_table(pa: Any, records: list[tuple[str, Enrichment]], schema: Any) -> Any:
    return pa.Table.from_pydict(
        {
            "article_id": [article_id for article_id, _ in records],
            "component": [e.component for _, e in records],
            "version": [e.version for _, e in records],
            "input_hash": [e.input_hash for _, e in records],
            "value": [json.dumps(e.value, ensure_ascii=False) for _, e in records],
            "confidence": [e.confidence for _, e in records],
            "created_at": [e.created_at.astimezone(UTC) for _, e in records],
        },
        schema=schema,
    )


def _vector_table(pa: Any, model: str, ids: list[str], matrix: Any, schema: Any) -> Any:
    import numpy as np

    values = pa.array(np.ascontiguousarray(matrix, dtype=np.float32).reshape(-1), type=pa.float32())
    return pa.Table.from_arrays(
        [
            pa.array(ids, type=pa.string()),
            pa.array([model] * len(ids), type=pa.string()),
            pa.FixedSizeListArray.from_arrays(values, int(matrix.shape[1])),
        ],
        schema=schema,
    )


def _write_manifest(
    out: Path,
    articles: _Parts,
    enrichments: _Parts | None,
    vectors: dict[str, _Parts] | None,
    filt: ArticleFilter | None,
) -> None:
    from newsdesk import __version__

    def described(parts: _Parts) -> dict[str, Any]:
        return {
            "rows": parts.rows,
            "files": parts.files,
            "schema": {f.name: str(f.type) for f in parts.schema},
        }

    datasets: dict[str, Any] = {"articles": described(articles)}
    if enrichments is not None:
        datasets["enrichments"] = described(enrichments)
    if vectors is not None:
        datasets["vectors"] = {
            "rows": sum(p.rows for p in vectors.values()),
            "models": {
                model: {"dim": p.schema.field("vector").type.list_size, **described(p)}
                for model, p in vectors.items()
            },
        }
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "newsdesk_version": __version__,
        "created_at": datetime.now(UTC).isoformat(),
        "filter": None
        if filt is None
        else {
            "section": filt.section,
            "source": filt.source,
            "since": filt.since.isoformat() if filt.since else None,
            "until": filt.until.isoformat() if filt.until else None,
        },
        "datasets": datasets,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
