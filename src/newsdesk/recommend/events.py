"""Checking reader events as a site's backend, a file or a dataset reports them, before they are stored.

:func:`validate_events` takes a batch of raw events (mappings with ``reader``, ``article_id``, ``kind``,
``at`` and, for ``dwell``, ``dwell_s``; ``impression`` and ``source`` optional) and splits it into the
events it accepts, their reader ids already hashed (:func:`~newsdesk.recommend.model.hash_reader`), and one
:class:`Rejection` per bad field of the others, naming the index, the field, the value and what is allowed.
An event is judged on its own: a bad neighbour never costs a valid event its place. A batch larger than
``settings.recommend.max_batch_events`` is refused whole (:class:`~newsdesk.errors.InvalidInput`).

A rejected reader id is never echoed: its :attr:`Rejection.value` describes its shape only, so a response
or a log of rejections holds no reader's id.

>>> from datetime import UTC, datetime
>>> from newsdesk.settings import Settings
>>> raw = [
...     {"reader": "U1", "article_id": "a1", "kind": "click", "at": "2024-05-02T10:00:00"},
...     {"reader": "U1", "article_id": "a9", "kind": "click", "at": "2024-05-02T10:00:00"},
... ]
>>> batch = validate_events(raw, settings=Settings(), known=lambda ids: {"a1"},
...                         now=datetime(2024, 5, 3, tzinfo=UTC))
>>> len(batch.accepted), [(r.index, r.field) for r in batch.rejected]
(1, [(1, 'article_id')])
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from newsdesk.errors import InvalidInput
from newsdesk.recommend.model import EVENT_KINDS, ReaderEvent, hash_reader

if TYPE_CHECKING:
    from newsdesk.settings import Settings

__all__ = [
    "MAX_DWELL_S",
    "READER_ID_ALLOWED",
    "EventBatch",
    "Rejection",
    "check_reader_id",
    "validate_events",
]

MAX_DWELL_S = 24 * 3600.0
"""The longest believable dwell: a day."""

READER_ID_ALLOWED = "1 to 128 characters of letters, digits and _ . : @ -"
_READER_ID = re.compile(r"[A-Za-z0-9_.:@\-]{1,128}")
_MAX_TEXT = 200  # impression and source ids, article ids
_REQUIRED = ("reader", "article_id", "kind", "at")


@dataclass(frozen=True)
class Rejection:
    """Why the event at ``index`` of a batch was refused: ``field`` held ``value``; ``reason`` says what is
    allowed."""

    index: int
    field: str
    value: Any
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EventBatch:
    """A validated batch: the events to store (reader ids hashed) and what was refused, in input order."""

    accepted: list[ReaderEvent] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"accepted": len(self.accepted), "rejected": [r.to_dict() for r in self.rejected]}


def check_reader_id(raw: Any, field: str = "reader") -> str:
    """``raw`` when it is a well-formed reader id, else :class:`InvalidInput` (whose value is the id's shape,
    never the id).

    >>> check_reader_id("user:42@site")
    'user:42@site'
    >>> try:
    ...     check_reader_id("two words")
    ... except InvalidInput as exc:
    ...     print(exc.value, "|", exc.allowed)
    a string of 9 characters | 1 to 128 characters of letters, digits and _ . : @ -
    """
    if isinstance(raw, str) and _READER_ID.fullmatch(raw):
        return raw
    raise InvalidInput(field, _shape(raw), READER_ID_ALLOWED)


def validate_events(
    raw: Sequence[Any],
    *,
    settings: Settings,
    known: Callable[[Sequence[str]], set[str]],
    now: datetime | None = None,
    source: str = "api",
) -> EventBatch:
    """Split ``raw`` into accepted events (reader ids hashed under ``settings.recommend.salt``) and
    rejections; ``known`` answers which of some article ids exist in the archive (called once per batch).

    Times are ISO 8601 (a naive time is UTC) and may run ahead of ``now`` by
    ``settings.recommend.max_future_s`` at most; ``source`` is the events' default ``source``.
    """
    limit = settings.recommend.max_batch_events
    if len(raw) > limit:
        raise InvalidInput("events", f"{len(raw)} events", f"at most {limit} events per batch")
    salt = settings.recommend.salt.get_secret_value()
    latest = (now or datetime.now(UTC)).astimezone(UTC) + timedelta(seconds=settings.recommend.max_future_s)
    batch = EventBatch()
    checked: list[tuple[int, dict[str, Any]]] = []
    for i, item in enumerate(raw):
        fields, problems = _check_one(i, item, latest, default_source=source)
        batch.rejected += problems
        if not problems:
            checked.append((i, fields))
    found = known(sorted({f["article_id"] for _, f in checked})) if checked else set()
    for i, f in checked:
        if f["article_id"] not in found:
            batch.rejected.append(
                Rejection(i, "article_id", f["article_id"], "the id of an article in the archive")
            )
            continue
        batch.accepted.append(ReaderEvent(**{**f, "reader": hash_reader(f["reader"], salt)}))
    batch.rejected.sort(key=lambda r: r.index)
    return batch


def _check_one(
    i: int, item: Any, latest: datetime, *, default_source: str
) -> tuple[dict[str, Any], list[Rejection]]:
    """The event's fields (reader still raw) and the problems found, one per bad field."""
    if not isinstance(item, Mapping):
        return {}, [Rejection(i, "event", _shape(item), "an object with reader, article_id, kind and at")]
    problems: list[Rejection] = []
    for name in _REQUIRED:
        if item.get(name) is None:
            problems.append(Rejection(i, name, None, f"a value: {name} is required"))
    out: dict[str, Any] = {}

    reader = item.get("reader")
    if reader is not None:
        try:
            out["reader"] = check_reader_id(reader)
        except InvalidInput as exc:
            problems.append(Rejection(i, "reader", exc.value, exc.allowed))

    article_id = item.get("article_id")
    if article_id is not None:
        if isinstance(article_id, str) and 0 < len(article_id) <= _MAX_TEXT:
            out["article_id"] = article_id
        else:
            problems.append(
                Rejection(
                    i, "article_id", _shown(article_id), f"an article id of 1 to {_MAX_TEXT} characters"
                )
            )

    kind = item.get("kind")
    if kind is not None:
        if kind in EVENT_KINDS:
            out["kind"] = kind
        else:
            problems.append(Rejection(i, "kind", _shown(kind), "one of " + ", ".join(EVENT_KINDS)))

    at = item.get("at")
    if at is not None:
        when = _time(at)
        if when is None:
            problems.append(
                Rejection(i, "at", _shown(at), "an ISO 8601 time such as 2024-05-02T10:15:00Z (naive is UTC)")
            )
        elif when > latest:
            problems.append(
                Rejection(
                    i, "at", _shown(at), f"a time no later than {latest.isoformat()} (the server's clock)"
                )
            )
        else:
            out["at"] = when

    dwell = item.get("dwell_s")
    if dwell is None and kind == "dwell":
        problems.append(Rejection(i, "dwell_s", None, "seconds read, required for kind dwell"))
    elif dwell is not None:
        if _is_number(dwell) and 0 <= dwell <= MAX_DWELL_S:
            out["dwell_s"] = float(dwell)
        else:
            problems.append(Rejection(i, "dwell_s", _shown(dwell), f"seconds from 0 to {MAX_DWELL_S:.0f}"))

    for name, default in (("impression", None), ("source", default_source)):
        value = item.get(name)
        if value is None:
            out[name] = default
        elif isinstance(value, str) and 0 < len(value) <= _MAX_TEXT:
            out[name] = value
        else:
            problems.append(Rejection(i, name, _shown(value), f"a string of 1 to {_MAX_TEXT} characters"))
    return out, problems


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str) and len(value) <= 64:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def _shown(value: Any) -> Any:
    """``value`` as a rejection repeats it: JSON scalars as they are (long strings cut), others by type."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return value if len(value) <= _MAX_TEXT else value[:_MAX_TEXT] + "..."
    return _shape(value)


def _shape(value: Any) -> str:
    """What a value is, without what it says (for reader ids, which are never repeated)."""
    if isinstance(value, str):
        return f"a string of {len(value)} characters"
    names = {dict: "an object", list: "a list", bool: "a boolean", int: "a number", float: "a number"}
    return names.get(type(value), f"a {type(value).__name__}")
