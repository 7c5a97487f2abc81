"""Ingest: read sources, validate every record, store accepted articles in batches, report the rest.

Batches are stored in order, each whole in one transaction: the first batch on its own, then transactions of
several batches (each twice the rows of the one before, up to about a second of writing, and ended early
when the writer would otherwise wait for the reader). A run killed half-way leaves whole batches stored,
losing at most the last transaction's, and a second run finishes the job (stored articles come back
``unchanged``). With ``strict`` the whole run is one transaction that is rolled back if any record is
rejected.

A folder is read by the ``textdir`` reader (when the format is ``textdir``, or detected and the folder holds
``.txt`` files), and by the ``parquet`` reader when ``newsdesk export`` wrote it; for any other format it
stands for its files in that format (with ``auto``, each file in the format detected for it). A valid record
that is not an article newsdesk keeps (a ninjs picture) is
*skipped*: counted and listed, neither stored nor rejected.

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
from typing import Any

from newsdesk.articles.model import Article
from newsdesk.articles.ninjs import check_version
from newsdesk.errors import NewsdeskError, UnreadableSource
from newsdesk.ingest.readers import RawRecord, ReaderOptions, detect, folder_files, get_reader, slug
from newsdesk.ingest.report import Duplicate, FieldError, IngestReport, Note, Skipped, Validated
from newsdesk.ingest.validate import RecordInvalid, to_article
from newsdesk.settings import Settings
from newsdesk.store.base import ArticleStore, EncodedArticle
from newsdesk.store.parquet import is_export

__all__ = ["StrictAbort", "ingest"]

Progress = Callable[[str, int], None]
Encode = Callable[[Article], EncodedArticle]


class StrictAbort(Exception):
    """Raised inside the strict transaction to roll it back."""


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
    ninjs_version: str = "auto",
) -> IngestReport:
    """Ingest every path into ``store`` and return what happened to every record.

    ``ninjs_version`` (``"2.1"``) validates every ninjs document against that one schema version; ``"auto"``
    uses the version a document declares, else any version of its detected generation. The report's
    ``validated`` says which version each document passed.

    Raises :class:`~newsdesk.errors.InvalidInput` for an unknown ``ninjs_version``, and
    :class:`~newsdesk.errors.UnknownFormat` or :class:`~newsdesk.errors.UnreadableSource` when a path cannot
    be read at all, before anything is written.
    """
    started = time.perf_counter()
    check_version(ninjs_version)
    plan = _plan([Path(p) for p in paths], format)
    options = ReaderOptions(
        source=slug(source) if source else None,
        column_map=dict(column_map or {}),
        ninjs_version=ninjs_version,
    )
    report = IngestReport()
    dedupe = settings.ingest.dedupe == "exact"
    mode = settings.ingest.parallel
    parallel = mode == "process" or (
        mode == "auto"
        and _input_bytes(plan, settings.ingest.parallel_min_bytes) >= settings.ingest.parallel_min_bytes
    )
    chunks: Iterator[_Chunk]
    ready: Callable[[], bool]
    if parallel:
        chunks, ready = _in_process(plan, options, settings, store.encode)
    else:  # the next chunk is parsed on request: there is nothing to wait for but that
        chunks = _chunks(_checked(plan, options, settings, store.encode), settings.ingest.batch_size)
        ready = _always
    context = store.transaction() if strict else nullcontext()
    try:
        with context:
            _store(chunks, ready, store, report, dedupe, progress)
            if strict and report.rejected:
                raise StrictAbort
    except StrictAbort:
        report.stored = False
        report.inserted = report.updated = 0
    report.seconds = time.perf_counter() - started
    return report


_Source = tuple[Path, str, str]  # a file or folder to read, its format, the source name of its records


def _plan(paths: list[Path], format: str) -> list[_Source]:
    """What to read: each path with its format and default source name; a folder that a reader of files is
    to read becomes its files (their source name is the folder's)."""
    if format != "auto":
        get_reader(format)  # unknown formats fail before any write
    plan: list[_Source] = []
    for path in paths:
        fmt = detect(path) if format == "auto" else format  # detect: a missing path fails here
        if not path.exists():
            raise UnreadableSource(f"{path}: no such file or folder")
        if not path.is_dir():
            plan.append((path, fmt, slug(path.stem, "local")))
            continue
        name = slug(path.name, "local")
        if fmt == "parquet" and is_export(path):  # the export's articles, not its enrichments or vectors
            plan.append((path, fmt, name))
            continue
        if fmt == "textdir" and (format == "textdir" or next(path.rglob("*.txt"), None) is not None):
            plan.append((path, fmt, name))
            continue
        files = folder_files(path, format)
        if not files and format != "auto":
            raise UnreadableSource(f"{path}: no {format} files in this folder")
        plan.extend((file, file_format, name) for file, file_format in files)
        if not files:  # nothing detected: read as a text folder, as before (no records)
            plan.append((path, "textdir", name))
    return plan


def _input_bytes(plan: list[_Source], enough: int) -> int:
    """Bytes of input, counted until ``enough`` is reached (a folder of thousands of files is not walked
    to the end to learn that it is big)."""
    total = 0
    for path, _, _ in plan:
        files = path.rglob("*") if path.is_dir() else [path]
        for f in files:
            if f.is_file():
                total += f.stat().st_size
                if total >= enough:
                    return total
    return total


_FIRST_CHUNK = 50
_GROUP_SECONDS = 1.0  # a transaction takes more batches only while it has been open less than this
_Pending = tuple[EncodedArticle, str]  # an article to store, and where it was read


@dataclass(frozen=True, slots=True)
class _Said:
    """What a reader said about a record besides its fields (the schema it passed, a note). Sent just before
    the record's own item; not a record itself."""

    validated: Validated | None
    note: Note | None


_Item = _Pending | Duplicate | Skipped | list[FieldError] | _Said  # what a record became
_Chunk = tuple[str, list[_Item]]


def _always() -> bool:
    return True


def _store(
    chunks: Iterator[_Chunk],
    ready: Callable[[], bool],
    store: ArticleStore,
    report: IngestReport,
    dedupe: bool,
    progress: Progress | None,
) -> None:
    """Write every chunk, in order, each whole in one transaction with the chunks next to it.

    The first chunk is committed on its own; each later transaction takes chunks until it holds twice the
    rows of the one before, has been open ``_GROUP_SECONDS``, or the next chunk is not ``ready`` (the writer
    would wait for the reader: commit now, while that costs nothing). Fewer commits: each one writes out
    the pages of every index it touched, and FTS5 flushes its pending terms into a new segment that later
    merges rewrite.

    A failure while waiting for the next chunk (a reader error, an interrupt) commits the chunks already
    written before it propagates, as when every chunk was its own transaction; one while writing rolls the
    whole transaction back, so no chunk is ever stored in part.
    """
    limit = 0
    failure: BaseException | None = None
    it = iter(chunks)
    for name, chunk in it:  # the first chunk of a transaction arrives before the lock is taken
        rows = 0
        with store.transaction():
            opened = time.monotonic()
            while True:
                _write(name, chunk, store, report, dedupe)
                if progress:
                    progress(name, report.read)
                rows += len(chunk)
                if rows >= limit or time.monotonic() - opened >= _GROUP_SECONDS or not ready():
                    break
                try:
                    name, chunk = next(it)
                except StopIteration:
                    break
                except BaseException as exc:  # raised again below, once the written chunks are kept
                    failure = exc
                    break
        if failure is not None:
            raise failure
        limit = 2 * rows


def _write(
    name: str, chunk: list[_Item], store: ArticleStore, report: IngestReport, dedupe: bool
) -> None:
    read = len(chunk)
    batch: list[_Pending] = []
    for item in chunk:
        if type(item) is tuple:
            batch.append(item)
        elif isinstance(item, Duplicate):
            report.duplicates.append(item)
        elif isinstance(item, Skipped):
            report.skipped_records.append(item)
        elif isinstance(item, _Said):
            read -= 1
            if item.validated is not None:
                report.validated.append(item.validated)
            if item.note is not None:
                report.notes.append(item.note)
        else:
            assert isinstance(item, list)
            report.rejected += 1
            report.errors.extend(item)
    report.read += read
    if batch:
        _flush(name, batch, store, report, dedupe)


def _checked(
    plan: list[_Source], options: ReaderOptions, settings: Settings, encode: Encode
) -> Iterator[tuple[str, _Item]]:
    """(source name, item) per record read: an article to store, a duplicate, a skip, or the record's
    errors; before it, what the reader said about it, if anything."""
    for path, fmt, source_name in plan:
        reader = get_reader(fmt)
        name = str(path)
        default_source = options.source or source_name
        seen: dict[str, tuple[str, str]] = {}  # id -> (content hash, location) within this source
        try:
            for record in reader.read(path, options):
                if record.validated_as is not None or record.note is not None:
                    yield name, _said(record, name)
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
    if record.skip is not None:
        return Skipped(name, record.location, record.skip)
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
        return (encode(article), record.location)
    if first[0] == article.content_hash:
        return Duplicate(name, record.location, article.id, article.id)
    message = f"duplicate id '{article.id}' in this source (first at {first[1]}) with different content"
    return [FieldError(name, record.location, "source_id", message, article.source_id)]


def _said(record: RawRecord, name: str) -> _Said:
    return _Said(
        Validated(name, record.location, record.validated_as) if record.validated_as else None,
        Note(name, record.location, record.note) if record.note else None,
    )


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
    plan: list[_Source], options: ReaderOptions, settings: Settings, encode: Encode
) -> tuple[Iterator[_Chunk], Callable[[], bool]]:
    """Parse and validate in one child process while this process writes.

    Python work and SQLite work then run on two cores instead of taking turns on one (a thread would
    fight this one for the GIL on every row). Errors raised in the child are raised again here. Returns
    the chunks (the child starts with the first request for one) and a function that says whether the
    next message from the child has arrived, so taking it would not wait.
    """
    ctx = multiprocessing.get_context("fork")
    queue: Any = ctx.Queue(maxsize=8)
    return _from_child(ctx, queue, plan, options, settings, encode), lambda: not queue.empty()


def _from_child(
    ctx: Any,
    queue: Any,
    plan: list[_Source],
    options: ReaderOptions,
    settings: Settings,
    encode: Encode,
) -> Iterator[_Chunk]:
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
    plan: list[_Source],
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


def _flush(
    name: str, batch: list[_Pending], store: ArticleStore, report: IngestReport, dedupe: bool
) -> None:
    outcomes = store.upsert_encoded([article for article, _ in batch], dedupe=dedupe)
    inserted = updated = unchanged = 0
    for (_, location), outcome in zip(batch, outcomes, strict=True):
        status = outcome.status
        if status == "inserted":
            inserted += 1
        elif status == "updated":
            updated += 1
        elif status == "unchanged":
            unchanged += 1
        else:
            report.duplicates.append(Duplicate(name, location, outcome.id, outcome.duplicate_of or ""))
    report.inserted += inserted
    report.updated += updated
    report.unchanged += unchanged


def _show(value: object, limit: int = 120) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else repr(value)
    if not text.isprintable():  # unpaired surrogates cannot be printed or written as UTF-8
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 3] + "..."
