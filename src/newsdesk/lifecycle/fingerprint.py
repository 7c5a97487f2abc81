"""A fingerprint of the data a model was trained or evaluated on: what it was, not just where it was.

SHA-256 over every record's canonical form, in order, plus the counts that make a model card readable:
how many records, the date range, the sources and the labels.

>>> fp = fingerprint([Record("a\\x1fsport", "2024-01-02T00:00:00+00:00", "bbc", ("sport",)),
...                   Record("b\\x1fbusiness", None, "bbc", ("business",))], path="x.jsonl")
>>> fp.records, fp.first, fp.last, fp.sources, fp.labels
(2, '2024-01-02T00:00:00+00:00', '2024-01-02T00:00:00+00:00', {'bbc': 2}, {'business': 1, 'sport': 1})
>>> len(fp.sha256)
64
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["DataFingerprint", "Record", "fingerprint"]


@dataclass(frozen=True, slots=True)
class Record:
    """One record as the fingerprint sees it: its canonical text (content and label), date, source, labels."""

    canonical: str
    published_at: str | None = None
    source: str | None = None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class DataFingerprint:
    sha256: str
    records: int
    first: str | None
    last: str | None
    sources: dict[str, int] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)
    path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def params(self, prefix: str) -> dict[str, str]:
        """Flat MLflow params: ``<prefix>.sha256``, ``<prefix>.records``, dates, path."""
        out = {f"{prefix}.sha256": self.sha256, f"{prefix}.records": str(self.records)}
        if self.first:
            out[f"{prefix}.first"] = self.first
            out[f"{prefix}.last"] = self.last or ""
        if self.path:
            out[f"{prefix}.path"] = self.path[-480:]
        return out


def fingerprint(records: Iterable[Record], *, path: str | None = None) -> DataFingerprint:
    digest = hashlib.sha256()
    count = 0
    dates: list[str] = []
    sources: Counter[str] = Counter()
    labels: Counter[str] = Counter()
    for record in records:
        count += 1
        digest.update(record.canonical.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1e")
        if record.published_at:
            dates.append(record.published_at)
        if record.source:
            sources[record.source] += 1
        labels.update(record.labels)
    return DataFingerprint(
        sha256=digest.hexdigest(),
        records=count,
        first=min(dates) if dates else None,
        last=max(dates) if dates else None,
        sources=dict(sorted(sources.items())),
        labels=dict(sorted(labels.items())),
        path=path,
    )
