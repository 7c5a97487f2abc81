"""Apache Parquet: a ``.parquet`` file, or a folder written by ``newsdesk export --format parquet``.

Rows are streamed a record batch at a time (``ParquetFile.iter_batches``): a file of any size is read in
bounded memory. Each row is one record under its column names (``--map`` renames columns, aliases such as
``title`` apply, unknown columns go to ``extra``), validated like every other format. An ``extra`` column
may be a JSON object as text (how newsdesk writes it) or a struct. A ``date`` column value is read as that
day at midnight in the default time zone.

From a newsdesk export folder only the articles dataset is read, without the columns the store derives
(``id``, ``content_hash``): ids and hashes are rebuilt from the fields, so they come out the same. A part file
of the enrichments or vectors of an export is refused with a pointer to ``--with-enrichments``. Rows are
numbered from 1 in each file (``row 12``; ``articles/part-00001.parquet row 12`` in a folder).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

from newsdesk.ingest.readers.base import RawRecord, ReaderOptions, readers
from newsdesk.store.parquet import (
    ARTICLE_REFERENCE_COLUMNS,
    dataset_files,
    dataset_of,
    is_export,
    pyarrow_modules,
)

__all__ = ["ParquetReader"]

_BATCH_ROWS = 2048


@readers.register("parquet")
class ParquetReader:
    name: ClassVar[str] = "parquet"
    suffixes: ClassVar[tuple[str, ...]] = (".parquet", ".pq")

    def sniff(self, path: Path, head: bytes) -> bool:
        return head.startswith(b"PAR1")

    def read(self, path: Path, options: ReaderOptions) -> Iterator[RawRecord]:
        if is_export(path):
            for file in dataset_files(path, "articles"):
                yield from _read_file(file, options, f"{file.relative_to(path).as_posix()} ")
        else:
            yield from _read_file(path, options, "")


def _read_file(path: Path, options: ReaderOptions, prefix: str) -> Iterator[RawRecord]:
    pa, pq = pyarrow_modules("Reading Parquet files")
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, ValueError) as exc:  # not Parquet, or a damaged footer
        yield RawRecord(f"{prefix}file".strip(), problem=f"not a readable Parquet file: {exc}"[:300])
        return
    with parquet:
        dataset = dataset_of(parquet.schema_arrow)
        if dataset not in (None, "articles"):
            yield RawRecord(
                f"{prefix}file".strip(),
                problem=f"the {dataset} of a newsdesk export, not articles: ingest the export's folder "
                "(with --with-enrichments to import its enrichments and vectors)",
            )
            return
        names = parquet.schema_arrow.names
        columns = [n for n in names if n not in ARTICLE_REFERENCE_COLUMNS] if dataset else names
        number = 0
        try:
            for batch in parquet.iter_batches(batch_size=_BATCH_ROWS, columns=columns):
                for row in batch.to_pylist():
                    number += 1
                    yield _record(row, f"{prefix}row {number}", options)
        except (pa.ArrowException, ValueError) as exc:  # a damaged page: the rows before it are kept
            yield RawRecord(f"{prefix}row {number + 1}", problem=f"unreadable Parquet data: {exc}"[:300])


def _record(row: dict[str, Any], location: str, options: ReaderOptions) -> RawRecord:
    if options.column_map:
        row = {options.column_map.get(k, k): v for k, v in row.items()}
    for key, value in row.items():
        if isinstance(value, date) and not isinstance(value, datetime):
            row[key] = value.isoformat()
    extra = row.get("extra")
    if isinstance(extra, str):
        try:
            row["extra"] = json.loads(extra) if extra.strip() else None
        except ValueError as exc:
            return RawRecord(location, problem=f"extra is not valid JSON: {exc}", problem_field="extra")
    return RawRecord(location, fields=row)
