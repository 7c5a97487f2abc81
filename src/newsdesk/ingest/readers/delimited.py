"""CSV (or TSV) with a header row. ``column_map`` maps the file's column names to article fields.

Empty cells are missing values. ``keywords`` and ``subjects`` cells may hold ``;``-separated lists.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from newsdesk.ingest.readers.base import RawRecord, ReaderOptions, readers

__all__ = ["CsvReader"]

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@readers.register("csv")
class CsvReader:
    name: ClassVar[str] = "csv"
    suffixes: ClassVar[tuple[str, ...]] = (".csv", ".tsv")

    def sniff(self, path: Path, head: bytes) -> bool:
        first = head.split(b"\n", 1)[0]
        return b"," in first or b"\t" in first

    def read(self, path: Path, options: ReaderOptions) -> Iterator[RawRecord]:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            yield RawRecord(f"line {line}", problem=f"not valid UTF-8 (byte {exc.start}); file skipped")
            return
        if "\x00" in text:
            line = text[: text.index("\x00")].count("\n") + 1
            yield RawRecord(f"line {line}", problem="contains NUL bytes: not a text CSV; file skipped")
            return
        delimiter = options.delimiter or ("\t" if path.suffix.lower() == ".tsv" else ",")
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RawRecord("line 1", problem=f"unreadable header: {exc}")
            return
        names = [options.column_map.get(h.strip(), h.strip()) for h in header]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            yield RawRecord(
                "line 1", problem=f"repeated column names {dup}; file skipped", problem_field=dup[0]
            )
            return
        line = reader.line_num
        while True:
            start = line + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield RawRecord(f"line {start}", problem=f"malformed CSV: {exc}")
                if reader.line_num <= line:
                    return
                line = reader.line_num
                continue
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                yield RawRecord(
                    f"line {start}",
                    problem=f"has {len(row)} cells, the header has {len(names)} columns",
                )
                continue
            yield RawRecord(
                f"line {start}", fields={k: v for k, v in zip(names, row, strict=True) if v != ""}
            )
