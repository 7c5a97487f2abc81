"""Real UCI headlines as clusterer input, with a cheap deterministic embedding (hashed character 3-grams)
so that the tests need no model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from newsdesk.articles.model import Article
from newsdesk.evaluate.stories import read_uci
from newsdesk.stories.model import StoryItem

SAMPLE = Path(__file__).resolve().parent / "data" / "uci" / "stories-sample.csv"


def char_vectors(texts: list[str], dim: int = 512) -> np.ndarray:
    from sklearn.feature_extraction.text import HashingVectorizer

    hv = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 3), n_features=dim, alternate_sign=False)
    return np.asarray(hv.transform(texts).toarray(), dtype=np.float32)


def sample_items() -> tuple[list[StoryItem], list[str]]:
    rows = read_uci(SAMPLE)
    vectors = char_vectors([r["title"] for r in rows])
    items = [StoryItem(r["id"], r["at"], v, r["title"]) for r, v in zip(rows, vectors, strict=True)]
    return items, [r["story"] for r in rows]


class CharEmbedder:
    """Stands in for the sentence embedder in build tests: hashed character 3-grams, no model."""

    identity = "char3-test"

    def __init__(self) -> None:
        self.encoded = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.encoded += len(texts)
        return char_vectors(list(texts))


def sample_articles(limit: int | None = None) -> list[Article]:
    """The UCI sample as articles: headline, publisher as source, category as section, timestamp."""
    sections = {"b": "business", "e": "entertainment", "t": "technology", "m": "health"}
    out = []
    for r in read_uci(SAMPLE)[:limit]:
        out.append(
            Article.create(
                source=r["publisher"] or "uci",
                source_id=f"uci-{r['id']}",
                headline=r["title"],
                body="",
                section=sections.get(r["category"]),
                published_at=r["at"],
            )
        )
    return out
