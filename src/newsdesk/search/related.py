"""Related articles: what to show under a story.

Candidates are the article's nearest neighbours in the vector index (``pool`` of them). Each candidate's
relevance is its cosine similarity to the article, plus a bonus for what the two share:

    relevance = cosine + entity_weight x Jaccard(entities) + topic_weight x Jaccard(IPTC topics)

and, with ``recency_half_life_days``, relevance is scaled by ``0.5 + 0.5 x 2^(-age / half_life)`` (age
in days before today), so newer coverage is preferred without burying strong older matches.

Left out: the article itself, its near-duplicates (the ``near_duplicates`` component's matches, and any
candidate with cosine >= ``duplicate_cosine``: a wire copy is not a related story) and articles with no
vector yet. The list is diversified by maximal marginal relevance: each next pick maximises
``(1 - diversity) x relevance - diversity x (highest cosine to an article already picked)``, so five
near-identical follow-ups do not crowd out the other angles.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from newsdesk.errors import InvalidInput

if TYPE_CHECKING:
    import numpy as np

    from newsdesk.articles.model import Article
    from newsdesk.search.hybrid import Searcher

__all__ = ["RelatedHit", "related"]

MAX_RELATED = 50


@dataclass(frozen=True, slots=True)
class RelatedHit:
    id: str
    headline: str
    score: float  # the relevance used for ranking (before the diversity penalty)
    similarity: float  # cosine of the two article vectors
    shared_entities: list[str]
    shared_topics: list[str]
    section: str | None
    published_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["published_at"] = self.published_at.isoformat() if self.published_at else None
        return out


def related(
    searcher: Searcher,
    article_id: str,
    *,
    limit: int = 5,
    diversity: float = 0.3,
    recency_half_life_days: float | None = None,
    pool: int = 50,
    entity_weight: float = 0.1,
    topic_weight: float = 0.05,
    duplicate_cosine: float = 0.95,
    now: datetime | None = None,
) -> list[RelatedHit]:
    """Up to ``limit`` articles related to ``article_id`` (raises NotFound for an unknown id)."""
    import numpy as np

    if not 1 <= limit <= MAX_RELATED:
        raise InvalidInput("limit", limit, f"an integer from 1 to {MAX_RELATED}")
    if not 0.0 <= diversity <= 1.0:
        raise InvalidInput("diversity", diversity, "a number from 0 to 1")
    if recency_half_life_days is not None and recency_half_life_days <= 0:
        raise InvalidInput("recency_half_life_days", recency_half_life_days, "a positive number of days")
    store = searcher.store
    article = store.get(article_id)
    searcher.sync()
    index = searcher.index
    vector = index.vector(article_id)
    if vector is None:
        if not len(index):
            return []
        vector = searcher.embedder.embed_articles([article], searcher.settings.nlp.embedding_strategy)[0]

    excluded = {article_id, *_duplicates(article)}
    neighbours = [(a, c) for a, c in index.search(vector, pool + len(excluded)) if a not in excluded]
    neighbours = [(a, c) for a, c in neighbours if c < duplicate_cosine][:pool]
    if not neighbours:
        return []

    own_entities, own_topics = _entities(article), _topics(article)
    today = now or datetime.now(UTC)
    candidates: list[tuple[Article, float, float, list[str], list[str]]] = []
    for candidate_id, cosine in neighbours:
        candidate = store.get(candidate_id)
        ents, topics = _entities(candidate), _topics(candidate)
        shared_e = sorted(own_entities.keys() & ents.keys())
        shared_t = sorted(own_topics.keys() & topics.keys())
        relevance = (
            cosine
            + entity_weight * _jaccard(own_entities.keys(), ents.keys())
            + topic_weight * _jaccard(own_topics.keys(), topics.keys())
        )
        if recency_half_life_days and candidate.published_at is not None:
            age = max(0.0, (today - candidate.published_at).total_seconds() / 86400)
            relevance *= 0.5 + 0.5 * 2 ** (-age / recency_half_life_days)
        candidates.append(
            (
                candidate,
                relevance,
                cosine,
                [own_entities[e] for e in shared_e],
                [own_topics[t] for t in shared_t],
            )
        )

    vectors = np.stack([_vector(index, c[0].id, vector) for c in candidates])
    chosen: list[int] = []
    remaining = list(range(len(candidates)))
    while remaining and len(chosen) < limit:

        def mmr(i: int) -> float:
            penalty = max((float(vectors[i] @ vectors[j]) for j in chosen), default=0.0)
            return (1 - diversity) * candidates[i][1] - diversity * penalty

        best = max(remaining, key=lambda i: (mmr(i), -i))
        chosen.append(best)
        remaining.remove(best)
    return [
        RelatedHit(
            id=c.id,
            headline=c.headline,
            score=round(relevance, 4),
            similarity=round(cosine, 4),
            shared_entities=ents,
            shared_topics=topics,
            section=c.section,
            published_at=c.published_at,
        )
        for c, relevance, cosine, ents, topics in (candidates[i] for i in chosen)
    ]


def _vector(index: Any, article_id: str, fallback: np.ndarray) -> np.ndarray:
    v = index.vector(article_id)
    return fallback if v is None else v


def _duplicates(article: Article) -> list[str]:
    found = article.enrichments.get("near_duplicates")
    if found is None or not isinstance(found.value, list):
        return []
    return [str(m["id"]) for m in found.value if isinstance(m, dict) and "id" in m]


def _entities(article: Article) -> dict[str, str]:
    """Canonical entity id -> name, for people, organisations and places."""
    found = article.enrichments.get("entities")
    if found is None or not isinstance(found.value, list):
        return {}
    out = {}
    for e in found.value:
        if isinstance(e, dict) and e.get("type") in ("person", "organisation", "place") and "id" in e:
            out[str(e["id"])] = str(e.get("name") or e["id"])
    return out


def _topics(article: Article) -> dict[str, str]:
    """IPTC qcode -> label of the article's tags and their ancestors below the top level."""
    found = article.enrichments.get("iptc")
    if found is None or not isinstance(found.value, list):
        return {}
    out = {}
    for tag in found.value:
        if not isinstance(tag, dict):
            continue
        for item in [*tag.get("ancestors", [])[1:], tag]:
            if isinstance(item, dict) and "qcode" in item and int(tag.get("level", 2)) > 1:
                out[str(item["qcode"])] = str(item.get("label", item["qcode"]))
    return out


def _jaccard(a: Any, b: Any) -> float:
    a, b = set(a), set(b)
    return len(a & b) / len(a | b) if a or b else 0.0
