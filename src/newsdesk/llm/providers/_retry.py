"""Retries with exponential backoff and full jitter, shared by the remote providers.

An attempt that fails in a way worth retrying (HTTP 429 and 5xx, a connection refused, a timeout, AWS
throttling) raises :class:`Retryable`, carrying the error to raise once the retries are spent and, where the
server said so, how long to wait (``Retry-After``). :func:`with_retries` runs the attempts.

>>> b = Backoff(retries=3, base=0.5, cap=4.0, jitter=False)
>>> [b.delay(n) for n in range(4)]
[0.5, 1.0, 2.0, 4.0]
>>> b.delay(0, retry_after=3.0)
3.0
>>> parse_retry_after("2"), parse_retry_after("soon")
(2.0, None)
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from newsdesk.errors import ProviderError

__all__ = ["Backoff", "Retryable", "parse_retry_after", "with_retries"]

T = TypeVar("T")


class Retryable(Exception):
    """An attempt failed transiently; ``error`` is what the caller sees when no retry is left."""

    def __init__(self, error: ProviderError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


@dataclass(frozen=True)
class Backoff:
    """How often and how long to wait between attempts.

    The n-th retry waits a random time up to ``min(cap, base * 2**n)`` (full jitter, so that many clients
    throttled at once do not come back at once), or what the server asked for (``Retry-After``), up to
    ``max_wait``. ``sleep`` is injectable so that tests need not wait.
    """

    retries: int = 3
    base: float = 0.5
    cap: float = 20.0
    max_wait: float = 60.0
    jitter: bool = True
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        if retry_after is not None:
            return max(0.0, min(retry_after, self.max_wait))
        ceiling = min(self.cap, self.base * (2.0**attempt))
        return random.uniform(0.0, ceiling) if self.jitter else ceiling


def with_retries(attempt: Callable[[], T], backoff: Backoff) -> T:
    """``attempt()``, run again after a backoff each time it raises :class:`Retryable`, at most
    ``backoff.retries`` more times; then the last failure's ``error`` is raised."""
    for n in range(backoff.retries + 1):
        try:
            return attempt()
        except Retryable as failure:
            if n >= backoff.retries:
                raise failure.error from failure.__cause__
            backoff.sleep(backoff.delay(n, failure.retry_after))
    raise AssertionError("unreachable")  # pragma: no cover


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number of seconds or an HTTP date; None if neither."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
