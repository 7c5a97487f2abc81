"""Enrichment components: embeddings, IPTC topics, sections, entities, keyphrases, summaries,
near-duplicates, language and reading time. See :mod:`newsdesk.nlp.base` for what a component is.

Components are looked up by name with :func:`get_component`; their modules (and the heavy libraries they
use) are imported only then.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from newsdesk.errors import InvalidInput
from newsdesk.nlp.base import BaseComponent, Component, ComponentConfig, Output, components

if TYPE_CHECKING:
    from newsdesk.settings import Settings

__all__ = [
    "DEFAULT_COMPONENTS",
    "BaseComponent",
    "Component",
    "ComponentConfig",
    "Output",
    "component_names",
    "components",
    "get_component",
]

# name -> module registering it, in the order the pipeline runs them by default
_MODULES: dict[str, str] = {
    "language": "newsdesk.nlp.language",
    "reading_time": "newsdesk.nlp.language",
    "embedding": "newsdesk.nlp.embed",
    "sections": "newsdesk.nlp.sections",
    "iptc": "newsdesk.nlp.iptc",
    "entities": "newsdesk.nlp.entities",
    "keyphrases": "newsdesk.nlp.keyphrases",
    "summary": "newsdesk.nlp.summarize",
    "near_duplicates": "newsdesk.nlp.dedup",
}
DEFAULT_COMPONENTS: tuple[str, ...] = tuple(_MODULES)


def component_names() -> list[str]:
    """Every known component: built-in ones in pipeline order, then third-party ones."""
    extra = [n for n in components.names() if n not in _MODULES]
    return [*DEFAULT_COMPONENTS, *extra]


def component_class(name: str) -> type[BaseComponent]:
    if name not in components and name in _MODULES:
        importlib.import_module(_MODULES[name])
    if name not in components and name not in component_names():
        raise InvalidInput("component", name, "one of " + ", ".join(component_names()))
    return components.get(name)


def get_component(name: str, settings: Settings, **options: Any) -> BaseComponent:
    """A new instance of component ``name`` configured from ``settings`` (``options`` override fields of its
    ``Config``)."""
    return component_class(name).from_settings(settings, **options)
