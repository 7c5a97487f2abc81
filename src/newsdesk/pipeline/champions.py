"""Handing registered champions to the enrichment components that serve them.

A model kind names the component that serves its champion (``ner`` -> ``entities``, ``sections`` ->
``sections``; see :mod:`newsdesk.model_kinds`). The pipeline builds components with :func:`build_component`,
which gives such a component a source of its kind's current champion
(:meth:`~newsdesk.nlp.base.BaseComponent.use_champion`); components never reach into the lifecycle
themselves. The source asks :func:`newsdesk.lifecycle.serving.champion_model` each time it is called, so it
answers None when there is no registry, no champion, or ``settings.lifecycle.pipeline_champions`` is off,
follows a promotion within ``lifecycle.reload_seconds``, and never imports mlflow in a workspace without a
registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsdesk.model_kinds import ModelKind, kinds_served_by
from newsdesk.nlp import BaseComponent, get_component

if TYPE_CHECKING:
    from newsdesk.nlp.base import Champion, ChampionSource
    from newsdesk.settings import Settings

__all__ = ["build_component", "champion_source"]


def champion_source(settings: Settings, kind: ModelKind) -> ChampionSource:
    """A callable answering ``kind``'s current champion (``name@version``, model object), or None."""

    def current() -> Champion | None:
        from newsdesk.lifecycle.serving import champion_model

        return champion_model(settings, kind.model_name)

    return current


def build_component(name: str, settings: Settings) -> BaseComponent:
    """A new component ``name`` built with ``settings`` and, when a model kind is served by it, given that
    kind's champion source."""
    component = get_component(name, settings)
    served = kinds_served_by(name)
    if served:
        component.use_champion(champion_source(settings, served[0]))
    return component
