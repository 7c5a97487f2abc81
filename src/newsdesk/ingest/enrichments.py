"""Importing the enrichments and vectors of a Parquet export (``newsdesk export --enrichments --vectors``).

Each output comes back as it was written: same component, version, value, confidence, creation time and
input hash. An article re-ingested from the same export has the same content hash, so its imported outputs
are current (``store.stale`` does not list it) and a pipeline run has nothing to redo; an output computed
from other content stays stale, as it was. Vectors come back per model, as float32.

Rows are read a record batch at a time and each batch is written in one transaction
(``store.write_enrichments``): an interrupted import keeps whole batches, and running it again writes the
same rows again. ``enrichments`` and ``vectors`` count the valid rows read; those of articles that are not
in the store are not written (``missing`` counts such articles, once per batch they appear in). A row that is
not valid is reported with its field, value and what is allowed, and not written.

>>> import pathlib, tempfile
>>> from datetime import UTC, datetime
>>> from newsdesk.articles.model import Article, Enrichment
>>> from newsdesk.settings import Settings
>>> from newsdesk.store import open_store
>>> from newsdesk.store.base import EnrichmentWrite
>>> from newsdesk.store.parquet import export_parquet
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> store = open_store(Settings(home=root / "home"))
>>> article = Article.create(source="wire", source_id="1", headline="Hello", body="World")
>>> _ = store.upsert([article])
>>> tag = Enrichment(component="tag", version="1", value=["greeting"], created_at=datetime.now(UTC))
>>> _ = store.write_enrichments([EnrichmentWrite(article.id, [tag])])
>>> _ = export_parquet(store, root / "out", enrichments=True)
>>> copy = open_store(Settings(home=root / "copy"))
>>> _ = copy.upsert([article])
>>> report = import_enrichments(root / "out", copy)
>>> (report.enrichments, report.missing, copy.enrichments_of("tag", [article.id]))
(1, 0, {'wire:1': ['greeting']})
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from newsdesk.articles.model import Enrichment
from newsdesk.errors import InvalidInput
from newsdesk.ingest.report import FieldError
from newsdesk.store.base import ArticleStore, EnrichmentWrite
from newsdesk.store.parquet import dataset_files, dataset_of, is_export, pyarrow_modules

__all__ = ["EnrichmentImport", "import_enrichments"]


@dataclass(slots=True)
class EnrichmentImport:
    """What an import did: rows read, outputs and vectors written, rows whose article is not in the store,
    and every refused row."""

    read: int = 0
    enrichments: int = 0
    vectors: dict[str, int] = field(default_factory=dict)
    missing: int = 0
    errors: list[FieldError] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len({(e.source, e.location) for e in self.errors})

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "enrichments": self.enrichments,
            "vectors": dict(self.vectors),
            "missing": self.missing,
            "rejected": self.rejected,
            "errors": [e.to_dict() for e in self.errors],
        }


def import_enrichments(
    folder: Path, store: ArticleStore, *, batch_size: int = 2048, vectors: bool = True
) -> EnrichmentImport:
    """Write the enrichments (and, with ``vectors``, the vectors) of the export ``folder`` to ``store``.

    Raises :class:`~newsdesk.errors.InvalidInput` when ``folder`` is not a newsdesk Parquet export, or one of
    its files is not the dataset the manifest says.
    """
    if batch_size < 1:
        raise InvalidInput("batch_size", batch_size, "at least 1")
    if not is_export(folder):
        raise InvalidInput("path", str(folder), "a folder written by newsdesk export --format parquet")
    report = EnrichmentImport()
    datasets = ["enrichments", "vectors"] if vectors else ["enrichments"]
    for dataset in datasets:
        for path in dataset_files(folder, dataset):
            for writes in _batches(path, folder, dataset, batch_size, report):
                if not writes:
                    continue
                report.missing += len(writes) - store.write_enrichments(writes)  # one transaction
                for w in writes:
                    report.enrichments += len(w.enrichments)
                    for model in w.vectors or {}:
                        report.vectors[model] = report.vectors.get(model, 0) + 1
    return report


def _batches(
    path: Path, folder: Path, dataset: str, batch_size: int, report: EnrichmentImport
) -> Iterator[list[EnrichmentWrite]]:
    """The writes of each record batch of ``path``, one per article."""
    _, pq = pyarrow_modules("Importing Parquet enrichments")
    name = path.relative_to(folder).as_posix()
    check = _enrichment if dataset == "enrichments" else _vector
    with pq.ParquetFile(path) as parquet:
        found = dataset_of(parquet.schema_arrow)
        if found != dataset:
            raise InvalidInput(name, found, f"a part file of the {dataset} dataset")
        number = 0
        for batch in parquet.iter_batches(batch_size=batch_size):
            writes: dict[str, EnrichmentWrite] = {}
            for row in check(batch):
                number += 1
                report.read += 1
                if isinstance(row, FieldError):
                    report.errors.append(FieldError(name, f"row {number}", row.field, row.message, row.value))
                    continue
                article_id, enrichment, vector = row
                previous = writes.get(article_id)
                outputs = [*previous.enrichments] if previous else []
                models = dict(previous.vectors or {}) if previous else {}
                if enrichment is not None:
                    outputs.append(enrichment)
                if vector is not None:
                    models[vector[0]] = vector[1]
                writes[article_id] = EnrichmentWrite(article_id, outputs, models or None)
            yield list(writes.values())


_Row = tuple[str, Enrichment | None, tuple[str, Any] | None] | FieldError


def _refused(column: str, value: Any, allowed: str) -> FieldError:
    shown = value if value is None or isinstance(value, str) else repr(value)
    return FieldError("", "", column, f"expected {allowed}", None if shown is None else shown[:120])


def _text(row: dict[str, Any], column: str) -> str | None:
    value = row.get(column)
    return value if isinstance(value, str) and value.strip() else None


def _enrichment(batch: Any) -> Iterator[_Row]:
    for row in batch.to_pylist():
        article_id, component, version = (_text(row, c) for c in ("article_id", "component", "version"))
        if article_id is None or component is None or version is None:
            column = next(
                c
                for c, v in zip(
                    ("article_id", "component", "version"), (article_id, component, version), strict=True
                )
                if v is None
            )
            yield _refused(column, row.get(column), "a non-empty string")
            continue
        try:
            value = json.loads(row.get("value") or "")
        except ValueError:
            yield _refused("value", row.get("value"), "a JSON value as text")
            continue
        confidence = row.get("confidence")
        if confidence is not None and not (isinstance(confidence, float) and math.isfinite(confidence)):
            yield _refused("confidence", confidence, "a finite number or null")
            continue
        created = row.get("created_at")
        if not isinstance(created, datetime) or created.tzinfo is None:
            yield _refused("created_at", created, "a timestamp with a time zone")
            continue
        input_hash = row.get("input_hash")
        if input_hash is not None and not isinstance(input_hash, str):
            yield _refused("input_hash", input_hash, "a string or null")
            continue
        yield (
            article_id,
            Enrichment(
                component=component,
                version=version,
                value=value,
                confidence=confidence,
                created_at=created,
                input_hash=input_hash,
            ),
            None,
        )


def _vector(batch: Any) -> Iterator[_Row]:
    import numpy as np

    column = batch.column("vector")
    dim = column.type.list_size
    # the child values of every slot, nulls included (a null slot's values are garbage, never read)
    values = column.values.slice(column.offset * dim, len(column) * dim)
    flat = values.to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    ids, models = batch.column("article_id").to_pylist(), batch.column("model").to_pylist()
    for i, (article_id, model) in enumerate(zip(ids, models, strict=True)):
        vector = flat[i * dim : (i + 1) * dim]
        if not isinstance(article_id, str) or not article_id.strip():
            yield _refused("article_id", article_id, "a non-empty string")
        elif not isinstance(model, str) or not model.strip():
            yield _refused("model", model, "a non-empty string")
        elif not column[i].is_valid:
            yield _refused("vector", None, f"a list of {dim} finite float32 values")
        elif not np.isfinite(vector).all():
            yield _refused("vector", "<not finite>", f"a list of {dim} finite float32 values")
        else:
            yield article_id, None, (model, vector.copy())
