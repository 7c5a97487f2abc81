"""Real UCI headlines as clusterer input, with a cheap deterministic embedding (hashed character 3-grams)
so that the tests need no model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from newsdesk.evaluate.stories import read_uci
from newsdesk.stories.model import StoryItem

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "uci" / "stories-sample.csv"


def char_vectors(texts: list[str], dim: int = 512) -> np.ndarray:
    from sklearn.feature_extraction.text import HashingVectorizer

    hv = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 3), n_features=dim, alternate_sign=False)
    return np.asarray(hv.transform(texts).toarray(), dtype=np.float32)


def sample_items() -> tuple[list[StoryItem], list[str]]:
    rows = read_uci(SAMPLE)
    vectors = char_vectors([r["title"] for r in rows])
    items = [StoryItem(r["id"], r["at"], v, r["title"]) for r, v in zip(rows, vectors, strict=True)]
    return items, [r["story"] for r in rows]
