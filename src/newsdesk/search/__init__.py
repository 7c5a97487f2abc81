"""Finding things in the archive: hybrid search (full text + vectors, fused), related articles, and the
vector index that keeps up with the store.

>>> from newsdesk.search import SearchQuery
>>> SearchQuery("bank rates", section="business").limit
10
"""

from newsdesk.search.hybrid import Searcher, SearchHit, SearchPage, SearchQuery, Why, open_index
from newsdesk.search.index import IndexStats, VectorIndex
from newsdesk.search.related import RelatedHit, related

__all__ = [
    "IndexStats",
    "RelatedHit",
    "SearchHit",
    "SearchPage",
    "SearchQuery",
    "Searcher",
    "VectorIndex",
    "Why",
    "open_index",
    "related",
]
