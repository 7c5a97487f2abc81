"""The recommendation model kinds, one module each, and the one registry that names them.

>>> sorted(MODELS)
['coclick', 'content', 'hybrid', 'mf', 'popularity']
"""

from __future__ import annotations

from pathlib import Path

from newsdesk.errors import InvalidInput
from newsdesk.recommend.models.base import ItemModel, read_meta
from newsdesk.recommend.models.coclick import CoClickRecommender
from newsdesk.recommend.models.content import ContentRecommender
from newsdesk.recommend.models.hybrid import HybridRecommender
from newsdesk.recommend.models.mf import ImplicitMFRecommender
from newsdesk.recommend.models.popularity import PopularityRecommender

__all__ = [
    "MODELS",
    "CoClickRecommender",
    "ContentRecommender",
    "HybridRecommender",
    "ImplicitMFRecommender",
    "ItemModel",
    "PopularityRecommender",
    "load_model",
]

MODELS: dict[str, type[ItemModel]] = {
    cls.name: cls
    for cls in (
        PopularityRecommender,
        CoClickRecommender,
        ContentRecommender,
        ImplicitMFRecommender,
        HybridRecommender,
    )
}


def load_model(folder: Path | str) -> ItemModel:
    """The model saved in ``folder`` (its kind read from ``model.json``)."""
    name = read_meta(folder).get("name")
    if name not in MODELS:
        raise InvalidInput("model.json name", name, "one of " + ", ".join(sorted(MODELS)))
    return MODELS[str(name)].load(folder)
