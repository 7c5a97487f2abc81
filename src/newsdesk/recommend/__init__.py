"""Reader recommendations: "more for you", "readers also read" and personalised newsletter slates, learned
from reader events (impressions, clicks, dwell, newsletter opens) kept behind the store protocols.

See :mod:`newsdesk.recommend.model` for the vocabulary (events, catalogue, the recommender contract).
"""

from __future__ import annotations

from newsdesk.recommend.model import EVENT_KINDS, Catalogue, ReaderEvent, Recommender, hash_reader

__all__ = ["EVENT_KINDS", "Catalogue", "ReaderEvent", "Recommender", "hash_reader"]
