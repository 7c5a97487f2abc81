"""Format readers, one module each, registered by name in :data:`readers`; :func:`detect` picks one, and
:func:`folder_files` lists the files of a folder that a reader of files should read."""

from __future__ import annotations

from pathlib import Path

from newsdesk.errors import UnknownFormat, UnreadableSource
from newsdesk.ingest.readers import delimited, feed, html, jsonl, ninjs, parquet, reuters, textdir
from newsdesk.ingest.readers.base import RawRecord, Reader, ReaderOptions, readers, slug
from newsdesk.store.parquet import is_export

__all__ = [
    "FORMATS",
    "RawRecord",
    "Reader",
    "ReaderOptions",
    "detect",
    "folder_files",
    "get_reader",
    "readers",
    "slug",
]

_ = (delimited, feed, html, jsonl, ninjs, parquet, reuters, textdir)  # imported to register them
FORMATS = ("auto", "jsonl", "csv", "ninjs", "rss", "html", "textdir", "reuters", "parquet")


def get_reader(name: str) -> Reader:
    """An instance of the reader registered as ``name``."""
    if name not in readers.names():
        raise UnknownFormat(f"unknown format '{name}'; expected one of: auto, {', '.join(readers.names())}")
    return readers.get(name)()


def detect(path: Path) -> str:
    """The format of ``path``: a folder is ``textdir`` (``parquet`` when ``newsdesk export`` wrote it); a
    file by its suffix, else by its first bytes."""
    if not path.exists():
        raise UnreadableSource(f"{path}: no such file or folder")
    if path.is_dir():
        return "parquet" if is_export(path) else "textdir"
    try:
        with path.open("rb") as fh:
            head = fh.read(8192)
    except OSError as exc:
        raise UnreadableSource(f"{path}: cannot read ({exc.strerror})") from exc
    suffix = "".join(path.suffixes[-2:]).lower()
    for name in readers.names():
        reader = readers.get(name)()
        if any(suffix.endswith(s) for s in reader.suffixes):
            if name == "jsonl" and ninjs.NinjsReader().sniff(path, head):
                return "ninjs"
            return name
    if path.suffix.lower() == ".json":
        return "ninjs" if ninjs.NinjsReader().sniff(path, head) else "jsonl"
    if path.suffix.lower() == ".txt":
        raise UnknownFormat(
            f"{path}: a single .txt file has no known layout; pass its folder (textdir format)"
        )
    for name in ("parquet", "rss", "html", "reuters", "ninjs", "jsonl"):
        if readers.get(name)().sniff(path, head):
            return name
    raise UnknownFormat(
        f"{path}: cannot detect the format; pass --format with one of {', '.join(FORMATS[1:])}"
    )


def folder_files(folder: Path, format: str = "auto") -> list[tuple[Path, str]]:
    """The files under ``folder`` in ``format`` (by suffix, else detected), sorted, each with its format;
    with ``"auto"``, every file whose format can be detected. Hidden files and folders are left out.

    Every format but ``textdir`` reads one file at a time: this is how such a format reads a folder.
    """
    reader = None if format == "auto" else get_reader(format)
    found: list[tuple[Path, str]] = []
    for path in sorted(folder.rglob("*")):
        if any(part.startswith(".") for part in path.relative_to(folder).parts) or not path.is_file():
            continue
        suffix = "".join(path.suffixes[-2:]).lower()
        if reader is not None and any(suffix.endswith(s) for s in reader.suffixes):
            found.append((path, format))
            continue
        try:
            detected = detect(path)
        except (UnknownFormat, UnreadableSource):
            continue
        if reader is None or detected == format:
            found.append((path, detected))
    return found
