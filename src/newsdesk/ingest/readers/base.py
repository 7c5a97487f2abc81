"""What a reader is: it turns one input (a file or a folder) into raw records, one per article.

A reader maps its format onto the canonical field names of :mod:`newsdesk.ingest.validate` and never
validates values itself, so every format gets the same rules. A record the reader cannot even parse (a
broken JSON line) comes back with ``problem`` set instead of ``fields``, so it is reported, not dropped. A
record that is valid in its format but is not an article newsdesk keeps (a ninjs picture) comes back with
``skip`` set: reported as skipped, neither stored nor rejected.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from newsdesk.registry import Registry

__all__ = ["RawRecord", "Reader", "ReaderOptions", "readers", "slug"]


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as read: where it came from and its fields, or why it could not be parsed, or why it is
    skipped. ``validated_as`` names the schema a record was validated against (``"ninjs 2.2"``); ``note``
    says what the reader did to the record that the report should show (a headline it derived)."""

    location: str
    fields: Mapping[str, Any] | None = None
    problem: str | None = None
    problem_field: str | None = None
    skip: str | None = None
    validated_as: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ReaderOptions:
    """Options every reader accepts; each uses what applies to it."""

    source: str | None = None
    column_map: Mapping[str, str] = field(default_factory=dict)
    delimiter: str | None = None
    encoding: str = "utf-8"
    ninjs_version: str = "auto"  # the one ninjs schema version to validate against, or "auto"


class Reader(Protocol):
    """A format reader. ``name`` is its registry key; ``suffixes`` help auto-detection."""

    name: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]]

    def sniff(self, path: Path, head: bytes) -> bool:
        """Whether ``path`` (whose first bytes are ``head``) looks like this format."""
        ...

    def read(self, path: Path, options: ReaderOptions) -> Iterator[RawRecord]:
        """Yield one record per article found in ``path``."""
        ...


readers: Registry[type[Reader]] = Registry("readers")

_NOT_SLUG = re.compile(r"[^a-z0-9._-]+")


def slug(text: str, fallback: str = "unknown") -> str:
    """A source name usable as an id prefix: ``'The Guardian'`` -> ``'the-guardian'``."""
    out = _NOT_SLUG.sub("-", text.strip().lower()).strip("-._")[:64]
    return out or fallback
