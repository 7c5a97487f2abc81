"""Finding things in the archive: hybrid search (full text + vectors, fused), related articles, and the
vector index and the full-text mirror that keep up with the store.

>>> from newsdesk.search import SearchQuery
>>> SearchQuery("bank rates", section="business").limit
10
"""

from newsdesk.search.hybrid import (
    Searcher,
    SearchHit,
    SearchPage,
    SearchQuery,
    Why,
    open_index,
    open_text_index,
)
from newsdesk.search.index import IndexStats, VectorIndex
from newsdesk.search.lexical import TextIndex, TextIndexStats
from newsdesk.search.related import RelatedHit, related

__all__ = [
    "IndexStats",
    "RelatedHit",
    "SearchHit",
    "SearchPage",
    "SearchQuery",
    "Searcher",
    "TextIndex",
    "TextIndexStats",
    "VectorIndex",
    "Why",
    "open_index",
    "open_text_index",
    "related",
]
