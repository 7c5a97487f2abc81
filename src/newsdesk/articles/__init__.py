"""The Article model and its mappings (ninjs)."""

from newsdesk.articles.model import Article, Enrichment, Subject

__all__ = ["Article", "Enrichment", "Subject"]
