"""Input checks shared by the experiment modules: each refusal is an :class:`~newsdesk.errors.InvalidInput`
naming the field, the value and what is allowed."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from newsdesk.errors import InvalidInput


def probability(field: str, value: float, *, open_interval: bool = True) -> float:
    """``value`` as a float strictly inside (0, 1) (or within [0, 1) when ``open_interval`` is false)."""
    v = float(value)
    ok = 0.0 < v < 1.0 if open_interval else 0.0 <= v < 1.0
    if not ok or not np.isfinite(v):
        raise InvalidInput(field, value, "a number in (0, 1)" if open_interval else "a number in [0, 1)")
    return v


def positive(field: str, value: float) -> float:
    v = float(value)
    if not (v > 0 and np.isfinite(v)):
        raise InvalidInput(field, value, "a finite number > 0")
    return v


def counts(
    clicks: Sequence[int] | NDArray[np.integer],
    impressions: Sequence[int] | NDArray[np.integer],
    *,
    min_variants: int = 2,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Clicks and impressions per variant as int arrays, refused when negative, when clicks exceed
    impressions, when a variant has no impressions, or when there are fewer than ``min_variants``."""
    c = np.asarray(clicks)
    n = np.asarray(impressions)
    if c.ndim != 1 or n.ndim != 1 or c.shape != n.shape:
        raise InvalidInput("clicks", list(c.ravel()), "one count per variant, as many as impressions")
    if c.size < min_variants:
        raise InvalidInput("variants", int(c.size), f"at least {min_variants} variants")
    for field, arr in (("clicks", c), ("impressions", n)):
        if not np.issubdtype(arr.dtype, np.integer) and not np.all(np.mod(arr, 1) == 0):
            raise InvalidInput(field, arr.tolist(), "whole numbers")
        if np.any(arr < 0):
            raise InvalidInput(field, arr.tolist(), "counts >= 0")
    if np.any(n == 0):
        raise InvalidInput("impressions", n.tolist(), "at least one impression per variant")
    if np.any(c > n):
        raise InvalidInput("clicks", c.tolist(), "clicks <= impressions for every variant")
    return c.astype(np.int64), n.astype(np.int64)
