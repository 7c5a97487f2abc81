"""The model kinds newsdesk governs, by kind name."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

from newsdesk.lifecycle.registry import kind_of

if TYPE_CHECKING:
    from newsdesk.lifecycle.spec import ModelSpec
    from newsdesk.settings import Settings

__all__ = ["spec_for"]


def spec_for(name: str, settings: Settings, *, log: IO[str] | None = None) -> ModelSpec:
    """The spec of ``name`` (``sections``, ``ner`` or their ``newsdesk-`` registered names)."""
    kind = kind_of(name)
    if kind == "sections":
        from newsdesk.lifecycle.sections import SectionsSpec

        return SectionsSpec(settings, log=log)
    from newsdesk.lifecycle.ner import NerSpec

    return NerSpec(settings, log=log)
