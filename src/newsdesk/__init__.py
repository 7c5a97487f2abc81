"""newsdesk: build, ship and govern ML and AI data products on a news publisher's own archive.

The library is the product; the ``newsdesk`` CLI and the service are thin shells over it.

>>> from newsdesk import Settings, open_store
>>> from newsdesk.ingest import ingest

``newsdesk.ingest`` is the subpackage; its ``ingest`` function is imported from there.
"""

from newsdesk.articles.model import Article, Enrichment, Subject
from newsdesk.errors import (
    InvalidInput,
    MissingDependency,
    NewsdeskError,
    NotFitted,
    NotFound,
    StoreError,
    UnknownFormat,
    UnreadableSource,
)
from newsdesk.ingest import IngestReport
from newsdesk.settings import Settings
from newsdesk.store import ArticleFilter, ArticleStore, open_store

__version__ = "0.1.0"

__all__ = [
    "Article",
    "ArticleFilter",
    "ArticleStore",
    "Enrichment",
    "IngestReport",
    "InvalidInput",
    "MissingDependency",
    "NewsdeskError",
    "NotFitted",
    "NotFound",
    "Settings",
    "StoreError",
    "Subject",
    "UnknownFormat",
    "UnreadableSource",
    "__version__",
    "open_store",
]
