"""Readers of reader-behaviour logs: the MIND format (Microsoft News Dataset) and newsdesk's own events JSONL.

MIND's ``behaviors.tsv`` has one impression a line, no header: impression id, user id, time (``M/D/YYYY
h:mm:ss AM``, read as UTC), history (the space-separated news ids the user clicked *before* the log period)
and the slate (space-separated ``Nxxxx-1`` / ``Nxxxx-0``, clicked or not). ``news.tsv`` has one article a
line: id, category, subcategory, title, abstract, url, title entities and abstract entities (JSON). Both are
read with ``csv.QUOTE_NONE`` because titles hold bare quotes.

Reader ids are hashed (:func:`~newsdesk.recommend.model.hash_reader`) as they are read: no raw id leaves
this module.

>>> line = "7\\tU1\\t11/12/2019 2:14:46 PM\\tN1 N2\\tN3-1 N4-0"
>>> imp = parse_behavior(line, 1, salt="s")
>>> imp.at.isoformat(), imp.history, imp.candidates, imp.labels
('2019-11-12T14:14:46+00:00', ('N1', 'N2'), ('N3', 'N4'), (1, 0))
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from newsdesk.errors import InvalidInput, UnreadableSource
from newsdesk.recommend.model import EVENT_KINDS, Catalogue, ReaderEvent, hash_reader

__all__ = [
    "HISTORY_BEFORE",
    "Impression",
    "catalogue_from_mind",
    "impression_events",
    "parse_behavior",
    "read_behaviors",
    "read_events_jsonl",
    "read_news",
]

TIME_FORMAT = "%m/%d/%Y %I:%M:%S %p"
HISTORY_BEFORE = timedelta(seconds=1)
"""MIND histories were clicked before the log began, at unknown times: :func:`impression_events` stamps them
this long before the earliest impression it is given, so they precede every impression and every model that
decays by time treats them as the oldest clicks."""

NEWS_FIELDS = ("news_id", "category", "subcategory", "title", "abstract", "url")


@dataclass(frozen=True)
class Impression:
    """One MIND impression: a slate shown to a (hashed) reader at a time, and which articles were clicked."""

    impression_id: str
    reader: str
    at: datetime
    history: tuple[str, ...]
    candidates: tuple[str, ...]
    labels: tuple[int, ...]


def parse_behavior(line: str, number: int, *, salt: str) -> Impression:
    """One ``behaviors.tsv`` line (``number`` counts from 1, for the error message)."""
    parts = line.rstrip("\r\n").split("\t")
    if len(parts) != 5:
        raise InvalidInput(f"behaviors line {number}", line[:80], "5 tab-separated fields")
    impression_id, user, when, history, slate = parts
    if not impression_id or not user:
        raise InvalidInput(f"behaviors line {number}: impression_id/user_id", line[:80], "non-empty ids")
    try:
        at = datetime.strptime(when.strip(), TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"behaviors line {number}: time", when, "M/D/YYYY h:mm:ss AM") from None
    candidates, labels = [], []
    for item in slate.split():
        news_id, sep, label = item.rpartition("-")
        if not sep or not news_id or label not in ("0", "1"):
            raise InvalidInput(f"behaviors line {number}: impressions", item, "NEWSID-0 or NEWSID-1")
        candidates.append(news_id)
        labels.append(int(label))
    if not candidates:
        raise InvalidInput(f"behaviors line {number}: impressions", slate, "at least one NEWSID-0/1")
    return Impression(
        impression_id, hash_reader(user, salt), at, tuple(history.split()), tuple(candidates), tuple(labels)
    )


def _find(path: Path, name: str) -> Path:
    """``path`` itself, or ``name`` in it, or in its ``MINDsmall_train`` sub-folder."""
    for candidate in (path, path / name, path / "MINDsmall_train" / name):
        if candidate.is_file():
            return candidate
    raise UnreadableSource(f"{path}: no {name} here, nor in {path / 'MINDsmall_train'}")


def read_behaviors(path: Path | str, *, salt: str) -> list[Impression]:
    """The impressions of a ``behaviors.tsv`` (the file, its folder or the folder holding
    ``MINDsmall_train/``), in file order. A malformed line raises :class:`InvalidInput` naming it."""
    file = _find(Path(path), "behaviors.tsv")
    with file.open(encoding="utf-8", newline="") as f:
        return [parse_behavior(line, n, salt=salt) for n, line in enumerate(f, 1) if line.strip()]


def read_news(path: Path | str) -> list[dict[str, Any]]:
    """The articles of a ``news.tsv``: news_id, category, subcategory, title, abstract, url and entities
    (the title's and the abstract's entity lists, parsed; empty when the field is empty)."""
    file = _find(Path(path), "news.tsv")
    rows: list[dict[str, Any]] = []
    with file.open(encoding="utf-8", newline="") as f:
        for number, parts in enumerate(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE), 1):
            if not parts:
                continue
            if len(parts) != 8 or not parts[0]:
                raise InvalidInput(f"news line {number}", "\t".join(parts)[:80], "8 tab-separated fields")
            row: dict[str, Any] = dict(zip(NEWS_FIELDS, parts[:6], strict=True))
            entities: list[Any] = []
            for field, text in (("title_entities", parts[6]), ("abstract_entities", parts[7])):
                try:
                    entities.extend(json.loads(text) if text.strip() else [])
                except json.JSONDecodeError:
                    raise InvalidInput(f"news line {number}: {field}", text[:80], "a JSON list") from None
            row["entities"] = entities
            rows.append(row)
    return rows


def impression_events(impressions: Sequence[Impression]) -> list[ReaderEvent]:
    """The impressions as reader events: every candidate an ``impression`` event and every clicked one also a
    ``click`` (both carrying the impression id), and each reader's history, once per (reader, article), as
    ``click`` events with no impression stamped :data:`HISTORY_BEFORE` the earliest impression given."""
    if not impressions:
        return []
    before = min(i.at for i in impressions) - HISTORY_BEFORE
    events: list[ReaderEvent] = []
    seen: set[tuple[str, str]] = set()
    for imp in impressions:
        for article in imp.history:
            if (imp.reader, article) not in seen:
                seen.add((imp.reader, article))
                events.append(ReaderEvent(imp.reader, article, "click", before, source="mind"))
    for imp in impressions:
        for article, label in zip(imp.candidates, imp.labels, strict=True):
            events.append(
                ReaderEvent(imp.reader, article, "impression", imp.at, None, imp.impression_id, "mind")
            )
            if label:
                events.append(
                    ReaderEvent(imp.reader, article, "click", imp.at, None, imp.impression_id, "mind")
                )
    return events


def catalogue_from_mind(impressions: Iterable[Impression], news: Sequence[dict[str, Any]]) -> Catalogue:
    """Every news id seen (news rows first, then history and candidate ids in order of appearance);
    ``published`` is the first time the id was shown as a candidate (NaN if never), the topic its category
    ('' without a news row), the story its own id, the title its title ('' without a row)."""
    first: dict[str, float] = {}
    order: dict[str, None] = {row["news_id"]: None for row in news}
    for imp in impressions:
        order.update(dict.fromkeys(imp.history))
        ts = imp.at.timestamp()
        for article in imp.candidates:
            order.setdefault(article, None)
            if ts < first.get(article, math.inf):
                first[article] = ts
    by_id = {row["news_id"]: row for row in news}
    ids = list(order)
    published = np.array([first.get(a, math.nan) for a in ids], dtype=float)
    topics = [str(by_id[a]["category"]) if a in by_id else "" for a in ids]
    titles = [str(by_id[a]["title"]) if a in by_id else "" for a in ids]
    return Catalogue(ids=ids, published=published, topics=topics, stories=list(ids), titles=titles)


def _event(record: Any, salt: str) -> tuple[ReaderEvent | None, tuple[str, Any, str]]:
    """The event of one JSONL record, or None and (field, value, reason)."""
    if not isinstance(record, dict):
        return None, ("record", record, "a JSON object")
    for key in ("reader", "article_id", "kind", "at"):
        if not isinstance(record.get(key), str) or not record[key]:
            return None, (key, record.get(key), "missing or not a non-empty string")
    if record["kind"] not in EVENT_KINDS:
        return None, ("kind", record["kind"], "one of " + ", ".join(EVENT_KINDS))
    try:
        at = datetime.fromisoformat(record["at"].replace("Z", "+00:00"))
    except ValueError:
        return None, ("at", record["at"], "an ISO 8601 time")
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    dwell = record.get("dwell_s")
    if dwell is not None and (not isinstance(dwell, int | float) or isinstance(dwell, bool) or dwell < 0):
        return None, ("dwell_s", dwell, "a number >= 0 or null")
    if record["kind"] == "dwell" and dwell is None:
        return None, ("dwell_s", dwell, "a number of seconds for a dwell event")
    impression = record.get("impression")
    event = ReaderEvent(
        hash_reader(record["reader"], salt),
        record["article_id"],
        record["kind"],
        at,
        None if dwell is None else float(dwell),
        None if impression is None else str(impression),
        str(record.get("source") or "jsonl"),
    )
    return event, ("", None, "")


def read_events_jsonl(path: Path | str, *, salt: str) -> tuple[list[ReaderEvent], list[dict[str, Any]]]:
    """Events from a JSONL file of :meth:`ReaderEvent.to_dict`-shaped objects whose ``reader`` is the raw id
    (hashed here); the accepted events and the rejected records as ``{"line", "field", "value", "reason"}``.

    A file of events is usually an export from another system: one bad record should not lose the rest, so
    records are rejected one by one rather than the whole file refused.
    """
    accepted: list[ReaderEvent] = []
    rejected: list[dict[str, Any]] = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UnreadableSource(f"{path}: {exc}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            rejected.append({"line": number, "field": "record", "value": line[:80], "reason": "not JSON"})
            continue
        event, (field, value, reason) = _event(record, salt)
        if event is None:
            rejected.append({"line": number, "field": field, "value": value, "reason": reason})
        else:
            accepted.append(event)
    return accepted, rejected
