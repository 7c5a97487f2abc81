"""The training spec of a model kind, looked up in :data:`newsdesk.model_kinds.model_kinds`."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

from newsdesk.lifecycle.registry import kind_of
from newsdesk.model_kinds import model_kinds

if TYPE_CHECKING:
    from newsdesk.lifecycle.spec import ModelSpec
    from newsdesk.settings import Settings

__all__ = ["spec_for"]


def spec_for(name: str, settings: Settings, *, log: IO[str] | None = None) -> ModelSpec:
    """The spec of ``name`` (a registered kind such as ``sections``, or its ``newsdesk-`` model name)."""
    return model_kinds.get(kind_of(name)).training_spec(settings, log=log)
