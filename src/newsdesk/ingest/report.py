"""What an ingest run did: counts, every record it did not store with the reason, the records it skipped,
the schema each validated document passed, and notes on what was done to records on the way."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Duplicate", "FieldError", "IngestReport", "Note", "Skipped", "Validated"]


@dataclass(frozen=True, slots=True)
class FieldError:
    """Why one record was refused: where it was, which field, the offending value and the reason."""

    source: str
    location: str
    field: str | None
    message: str
    value: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A record not stored because the same headline and body are stored under another id."""

    source: str
    location: str
    id: str
    duplicate_of: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A valid record that newsdesk does not archive (a ninjs picture, an item without text): not stored,
    and not an error."""

    source: str
    location: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Validated:
    """The schema a record was validated against and passed (``"ninjs 2.2"``), whatever happened next."""

    source: str
    location: str
    schema: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Note:
    """Something the reader did to a record that its reader should know (a headline derived from the body)."""

    source: str
    location: str
    note: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class IngestReport:
    """Every record read is counted in exactly one of inserted, updated, unchanged, duplicates, rejected,
    skipped."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[FieldError] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    skipped_records: list[Skipped] = field(default_factory=list)
    validated: list[Validated] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    stored: bool = True
    seconds: float = 0.0

    @property
    def skipped(self) -> int:
        return len(self.skipped_records)

    @property
    def accounted(self) -> int:
        stored = self.inserted + self.updated + self.unchanged
        return stored + self.rejected + len(self.duplicates) + self.skipped

    def schemas(self) -> dict[str, int]:
        """How many records passed each schema, most first: ``{"ninjs 2.2": 12, "ninjs 3.1": 3}``."""
        return dict(Counter(v.schema for v in self.validated).most_common())

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "duplicates": len(self.duplicates),
            "skipped": self.skipped,
            "stored": self.stored,
            "seconds": round(self.seconds, 3),
            "errors": [e.to_dict() for e in self.errors],
            "duplicate_records": [d.to_dict() for d in self.duplicates],
            "skipped_records": [s.to_dict() for s in self.skipped_records],
            "validated": [v.to_dict() for v in self.validated],
            "notes": [n.to_dict() for n in self.notes],
        }
