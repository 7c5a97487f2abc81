"""Ingest: read sources, validate every record, store accepted articles in batches, report the rest.

Each batch is one transaction, so a run killed half-way leaves whole batches stored and a second run finishes
the job (stored articles come back ``unchanged``). With ``strict`` the whole run is one transaction that is
rolled back if any record is rejected.

>>> from newsdesk.settings import Settings
>>> from newsdesk.store import open_store
>>> import tempfile, pathlib
>>> home = pathlib.Path(tempfile.mkdtemp())
>>> (home / "a.jsonl").write_text('{"id": 1, "headline": "Hello", "body": "World"}\\n{"headline": ""}\\n')
65
>>> settings = Settings(home=home)
>>> report = ingest([home / "a.jsonl"], open_store(settings), settings=settings)
>>> (report.inserted, report.rejected, report.errors[0].field)
(1, 1, 'headline')
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from queue import Empty, Full
from typing import Any, Union

from newsdesk.articles.model import Article
from newsdesk.errors import NewsdeskError, UnreadableSource
from newsdesk.ingest.readers import RawRecord, ReaderOptions, detect, get_reader, slug
from newsdesk.ingest.report import Duplicate, FieldError, IngestReport
from newsdesk.ingest.validate import RecordInvalid, to_article
from newsdesk.settings import Settings
from newsdesk.store.base import ArticleStore, EncodedArticle

__all__ = ["StrictAbort", "ingest"]

Progress = Callable[[str, int], None]
Encode = Callable[[Article], EncodedArticle]


class StrictAbort(Exception):
    """Raised inside the strict transaction to roll it back."""


@dataclass(slots=True)
class _Pending:
    article: EncodedArticle
    source: str
    location: str


def ingest(
    paths: Iterable[Path],
    store: ArticleStore,
    *,
    settings: Settings,
    format: str = "auto",
    strict: bool = False,
    source: str | None = None,
    column_map: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest every path into ``store`` and return what happened to every record.

    Raises :class:`~newsdesk.errors.UnknownFormat` or :class:`~newsdesk.errors.UnreadableSource` before
    anything is written when a path cannot be read at all.
    """
    started = time.perf_counter()
    plan = [(Path(p), detect(Path(p)) if format == "auto" else format) for p in paths]
    for path, fmt in plan:
        get_reader(fmt)  # unknown formats fail before any write
        if not path.exists():
            raise UnreadableSource(f"{path}: no such file or folder")
    options = ReaderOptions(source=slug(source) if source else None, column_map=dict(column_map or {}))
    report = IngestReport()
    dedupe = settings.ingest.dedupe == "exact"
    mode = settings.ingest.parallel
    parallel = mode == "process" or (
        mode == "auto" and _input_bytes(plan) >= settings.ingest.parallel_min_bytes
    )
    chunks = (
        _in_process(plan, options, settings, store.encode)
        if parallel
        else _chunks(_checked(plan, options, settings, store.encode), settings.ingest.batch_size)
    )
    context = store.transaction() if strict else nullcontext()
    try:
        with context:
            for name, chunk in chunks:
                _write(chunk, store, report, dedupe)
                if progress:
                    progress(name, report.read)
            if strict and report.rejected:
                raise StrictAbort
    except StrictAbort:
        report.stored = False
        report.inserted = report.updated = 0
    report.seconds = time.perf_counter() - started
    return report


def _input_bytes(plan: list[tuple[Path, str]]) -> int:
    total = 0
    for path, _ in plan:
        files = path.rglob("*") if path.is_dir() else [path]
        total += sum(f.stat().st_size for f in files if f.is_file())
    return total


_FIRST_CHUNK = 200
_Item = Union["_Pending", Duplicate, list[FieldError]]
_Chunk = tuple[str, list[_Item]]


def _write(chunk: list[_Item], store: ArticleStore, report: IngestReport, dedupe: bool) -> None:
    batch: list[_Pending] = []
    for item in chunk:
        report.read += 1
        if isinstance(item, _Pending):
            batch.append(item)
        elif isinstance(item, Duplicate):
            report.duplicates.append(item)
        else:
            report.rejected += 1
            report.errors.extend(item)
    _flush(batch, store, report, dedupe)


def _checked(
    plan: list[tuple[Path, str]], options: ReaderOptions, settings: Settings, encode: Encode
) -> Iterator[tuple[str, _Item]]:
    """(source name, item) per record read: an article to store, a duplicate, or the record's errors."""
    for path, fmt in plan:
        reader = get_reader(fmt)
        name = str(path)
        default_source = options.source or slug(path.stem if path.is_file() else path.name, "local")
        seen: dict[str, tuple[str, str]] = {}  # id -> (content hash, location) within this source
        try:
            for record in reader.read(path, options):
                yield name, _check(record, name, default_source, seen, settings, encode)
        except OSError as exc:
            raise UnreadableSource(f"{path}: {exc.strerror or exc}") from exc


def _check(
    record: RawRecord,
    name: str,
    default_source: str,
    seen: dict[str, tuple[str, str]],
    settings: Settings,
    encode: Encode,
) -> _Item:
    if record.fields is None:
        return [FieldError(name, record.location, record.problem_field, record.problem or "")]
    try:
        article = to_article(record.fields, settings=settings.ingest, default_source=default_source)
    except RecordInvalid as exc:
        return [
            FieldError(name, record.location, field, message, _show(value))
            for field, value, message in exc.problems
        ]
    first = seen.get(article.id)
    if first is None:
        seen[article.id] = (article.content_hash, record.location)
        return _Pending(encode(article), name, record.location)
    if first[0] == article.content_hash:
        return Duplicate(name, record.location, article.id, article.id)
    message = f"duplicate id '{article.id}' in this source (first at {first[1]}) with different content"
    return [FieldError(name, record.location, "source_id", message, article.source_id)]


def _chunks(items: Iterator[tuple[str, _Item]], size: int) -> Iterator[_Chunk]:
    """Group items into lists of at most ``size``, never mixing two sources in one list.

    The first lists are smaller (from ``_FIRST_CHUNK``, doubling up to ``size``) so the writer can start
    while the reader is still warming up.
    """
    name: str = ""
    chunk: list[_Item] = []
    limit = min(size, _FIRST_CHUNK)
    for item_name, item in items:
        if chunk and (item_name != name or len(chunk) >= limit):
            yield name, chunk
            chunk = []
            limit = min(size, limit * 2)
        name = item_name
        chunk.append(item)
    if chunk:
        yield name, chunk


def _in_process(
    plan: list[tuple[Path, str]], options: ReaderOptions, settings: Settings, encode: Encode
) -> Iterator[_Chunk]:
    """Parse and validate in one child process while this process writes.

    Python work and SQLite work then run on two cores instead of taking turns on one (a thread would
    fight this one for the GIL on every row). Errors raised in the child are raised again here.
    """
    ctx = multiprocessing.get_context("fork")
    queue: Any = ctx.Queue(maxsize=8)
    child = ctx.Process(
        target=_produce,
        args=(queue, plan, options, settings, encode, os.getpid()),
        name="newsdesk-ingest-reader",
        daemon=True,
    )
    child.start()
    try:
        while True:
            try:
                kind, payload = queue.get(timeout=1.0)
            except Empty:
                if not child.is_alive():
                    raise NewsdeskError(
                        f"the ingest reader process died (exit code {child.exitcode})"
                    ) from None
                continue
            if kind == "chunk":
                yield payload
            elif kind == "done":
                return
            else:
                cls, message = payload
                exc = cls.__new__(cls)
                Exception.__init__(exc, message)
                raise exc
    finally:
        if child.is_alive():
            child.terminate()
        child.join(timeout=5)
        queue.close()


def _produce(
    queue: Any,
    plan: list[tuple[Path, str]],
    options: ReaderOptions,
    settings: Settings,
    encode: Encode,
    parent: int,
) -> None:
    # Blocked anywhere (a full queue, or flushing it at exit into a pipe nobody reads), this process
    # still exits once the writer is gone (killed), instead of lingering as an orphan.
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()

    def put(item: tuple[str, Any]) -> None:
        while True:
            if os.getppid() != parent:  # the writer is gone (killed): stop, do not block forever
                os._exit(0)
            try:
                queue.put(item, timeout=1.0)
                return
            except Full:
                continue

    try:
        for chunk in _chunks(_checked(plan, options, settings, encode), settings.ingest.batch_size):
            put(("chunk", chunk))
        put(("done", None))
    except BaseException as exc:
        cls = type(exc) if isinstance(exc, NewsdeskError) else NewsdeskError
        message = str(exc) if isinstance(exc, NewsdeskError) else f"ingest failed: {exc!r}"
        put(("error", (cls, message)))
    finally:
        queue.close()
        queue.join_thread()


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(0)


def _flush(batch: list[_Pending], store: ArticleStore, report: IngestReport, dedupe: bool) -> None:
    if not batch:
        return
    outcomes = store.upsert_encoded([p.article for p in batch], dedupe=dedupe)
    for pending, outcome in zip(batch, outcomes, strict=True):
        if outcome.status == "inserted":
            report.inserted += 1
        elif outcome.status == "updated":
            report.updated += 1
        elif outcome.status == "unchanged":
            report.unchanged += 1
        else:
            report.duplicates.append(
                Duplicate(pending.source, pending.location, outcome.id, outcome.duplicate_of or "")
            )
    batch.clear()


def _show(value: object, limit: int = 120) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else repr(value)
    if not text.isprintable():  # unpaired surrogates cannot be printed or written as UTF-8
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 3] + "..."
