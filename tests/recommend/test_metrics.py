"""Ranking metrics (MIND's definitions) and beyond-accuracy figures on worked examples."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from newsdesk.errors import InvalidInput
from newsdesk.recommend.metrics import (
    auc,
    coverage,
    freshness,
    intra_list_diversity,
    mrr,
    ndcg_at_k,
    novelty,
    ranked,
    single_topic_share,
)


def test_auc_counts_pairs_and_half_ties() -> None:
    # pairs (click, no click): (0.8>0.3) (0.8>0.6) (0.2<0.3) (0.2<0.6) -> 2 of 4
    assert auc([1, 0, 1, 0], [0.8, 0.3, 0.2, 0.6]) == 0.5
    assert auc([1, 0, 0], [0.5, 0.5, 0.1]) == 0.75
    assert math.isnan(auc([0, 0], [0.1, 0.2])) and math.isnan(auc([1, 1], [0.1, 0.2]))


def test_auc_matches_a_brute_force_count() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 40)
    scores = rng.integers(0, 5, 40).astype(float)  # many ties
    pos, neg = scores[labels == 1], scores[labels == 0]
    expected = np.mean([(p > n) + 0.5 * (p == n) for p in pos for n in neg])
    assert auc(labels.tolist(), scores.tolist()) == pytest.approx(expected)


def test_mrr_and_ndcg() -> None:
    labels, scores = [0, 1, 0, 1], [0.9, 0.8, 0.7, 0.1]
    assert mrr(labels, scores) == pytest.approx((1 / 2 + 1 / 4) / 2)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3)
    assert ndcg_at_k(labels, scores, 10) == pytest.approx(dcg / ideal)
    assert ndcg_at_k(labels, scores, 1) == 0.0
    assert ndcg_at_k([1, 0], [0.9, 0.1], 5) == 1.0
    with pytest.raises(InvalidInput, match="k"):
        ndcg_at_k(labels, scores, 0)
    with pytest.raises(InvalidInput, match="scores"):
        mrr(labels, scores[:2])


def test_ties_and_nan_are_deterministic() -> None:
    assert ranked([0.5, 0.5, 0.5]).tolist() == [0, 1, 2]
    assert mrr([0, 1], [0.5, 0.5]) == 0.5  # the earlier candidate wins the tie
    assert mrr([1, 0], [math.nan, 0.0]) == 0.5  # nan ranks last


def test_beyond_accuracy() -> None:
    slates = [["a", "b", "c"], ["a", "d"]]
    topics = {"a": "news", "b": "news", "c": "sports", "d": "news"}
    assert coverage(slates, 8) == 0.5
    # slate 1: 2 of 3 pairs differ; slate 2: none
    assert intra_list_diversity(slates, topics) == pytest.approx((2 / 3 + 0) / 2, abs=1e-4)
    vectors = {"a": np.array([1.0, 0.0]), "b": np.array([0.0, 1.0])}
    assert intra_list_diversity([["a", "b"]], vectors=vectors) == 1.0
    assert single_topic_share(slates, topics) == 0.5
    pop = {"a": 6, "b": 1}  # shares (7/9, 2/9); c and d unseen: 1/9
    expected = np.mean([-math.log2(s) for s in (7 / 9, 2 / 9, 1 / 9, 7 / 9, 1 / 9)])
    assert novelty(slates, pop) == pytest.approx(expected)
    at = datetime(2026, 1, 1, 12, tzinfo=UTC)
    published = {"a": at.timestamp() - 3600, "b": at.timestamp() - 7200, "c": math.nan}
    assert freshness(slates, published, [at, at]) == 1.0  # ages 1, 2, 1 hours (c, d unknown)
    with pytest.raises(InvalidInput):
        intra_list_diversity(slates)
    with pytest.raises(InvalidInput):
        coverage(slates, 0)
