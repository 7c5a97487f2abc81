"""What an ingest run did: counts, and every record it did not store, with the reason."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Duplicate", "FieldError", "IngestReport"]


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


@dataclass(slots=True)
class IngestReport:
    """Every record read is counted in exactly one of inserted, updated, unchanged, duplicates, rejected."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[FieldError] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    stored: bool = True
    seconds: float = 0.0

    @property
    def accounted(self) -> int:
        return self.inserted + self.updated + self.unchanged + self.rejected + len(self.duplicates)

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "duplicates": len(self.duplicates),
            "stored": self.stored,
            "seconds": round(self.seconds, 3),
            "errors": [e.to_dict() for e in self.errors],
            "duplicate_records": [d.to_dict() for d in self.duplicates],
        }
