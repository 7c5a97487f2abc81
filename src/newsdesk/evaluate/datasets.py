"""Loaders for the benchmark datasets the evaluation tasks use (formats described in each SOURCE.md).

Every loader takes the dataset's folder or file and an optional ``limit`` and raises
:class:`~newsdesk.errors.UnreadableSource` naming what it expected when the layout is wrong.
"""

from __future__ import annotations

import csv
import hashlib
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from newsdesk.errors import UnreadableSource

__all__ = [
    "AgNewsItem",
    "BbcItem",
    "ConllSentence",
    "ReutersDoc",
    "XsumItem",
    "load_ag_news",
    "load_bbc",
    "load_conll",
    "load_reuters_modapte",
    "load_xsum",
]


@dataclass(frozen=True, slots=True)
class BbcItem:
    id: str  # "<section>/<NNN>"
    section: str
    headline: str
    body: str
    summary: str | None  # the reference extractive summary, when the Summaries folder is there

    @property
    def text(self) -> str:
        return f"{self.headline}\n\n{self.body}"


def _bbc_root(path: Path) -> tuple[Path, Path | None]:
    if (path / "News Articles").is_dir():
        summaries = path / "Summaries"
        return path / "News Articles", summaries if summaries.is_dir() else None
    if path.is_dir() and any(p.is_dir() for p in path.iterdir()):
        sibling = path.parent / "Summaries"
        return path, sibling if sibling.is_dir() else None
    raise UnreadableSource(
        f"{path}: expected the BBC News Summary folder (with 'News Articles/<section>/NNN.txt')"
    )


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # sport/199.txt has one Latin-1 pound sign


def load_bbc(path: Path, *, limit: int | None = None, dedupe: bool = True) -> list[BbcItem]:
    """BBC articles (and summaries), in section/file order; byte-identical duplicates dropped (2,225 files
    give 2,127 articles), keeping the first."""
    articles, summaries = _bbc_root(path)
    seen: set[str] = set()
    items: list[BbcItem] = []
    for file in sorted(articles.glob("*/*.txt")):
        raw = file.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if dedupe and digest in seen:
            continue
        seen.add(digest)
        text = _read_text(file)
        headline, _, body = text.strip().partition("\n")
        summary = None
        if summaries is not None:
            sfile = summaries / file.parent.name / file.name
            if sfile.exists():
                summary = _read_text(sfile).strip()
        items.append(
            BbcItem(
                f"{file.parent.name}/{file.stem}", file.parent.name, headline.strip(), body.strip(), summary
            )
        )
    if not items:
        raise UnreadableSource(f"{articles}: no '<section>/NNN.txt' files")
    return _limited(items, limit)


@dataclass(frozen=True, slots=True)
class AgNewsItem:
    label: int  # 1 World, 2 Sports, 3 Business, 4 Sci/Tech
    title: str
    description: str

    @property
    def text(self) -> str:
        return f"{self.title}. {self.description}"


AG_CLASSES = {1: "World", 2: "Sports", 3: "Business", 4: "Sci/Tech"}


def _clean_ag(text: str) -> str:
    text = text.replace("\\n", " ").replace("\\", " ")
    text = re.sub(r"#(\d+);", r"&#\1;", text)
    return " ".join(html.unescape(text).split())


def load_ag_news(path: Path, *, limit: int | None = None) -> list[AgNewsItem]:
    """AG News rows (class, title, description); a folder means its ``test-dev.csv`` or ``test.csv``."""
    if path.is_dir():
        candidates = [path / "test-dev.csv", path / "test.csv"]
        path = next((c for c in candidates if c.exists()), candidates[0])
    if not path.exists():
        raise UnreadableSource(f"{path}: expected an AG News CSV (class, title, description)")
    items: list[AgNewsItem] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.reader(handle), start=1):
            if len(row) != 3 or row[0] not in ("1", "2", "3", "4"):
                raise UnreadableSource(f"{path}:{line}: expected 3 columns with class 1-4, got {row[:3]!r}")
            items.append(AgNewsItem(int(row[0]), _clean_ag(row[1]), _clean_ag(row[2])))
    return _limited(items, limit)


@dataclass(frozen=True, slots=True)
class ConllSentence:
    tokens: list[str]
    tags: list[str]  # IOB1 as in the file (I-PER, B-PER only between two adjacent entities)
    doc: int = -1  # index of its ``-DOCSTART-`` document in the file (-1: a sentence on its own)


def load_conll(path: Path, *, limit: int | None = None) -> list[ConllSentence]:
    """Sentences of a CoNLL-2003 file (token POS chunk NER per line); each records the index of its
    ``-DOCSTART-`` document (``doc``; 0 before the first marker), so document context stays usable."""
    if not path.is_file():
        raise UnreadableSource(f"{path}: expected a CoNLL-2003 file such as eng.testa")
    sentences: list[ConllSentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    doc = 0
    seen_marker = False
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            parts = line.split()
            if not parts or parts[0] == "-DOCSTART-":
                if tokens:
                    sentences.append(ConllSentence(tokens, tags, doc))
                    tokens, tags = [], []
                if parts and parts[0] == "-DOCSTART-":
                    if seen_marker or sentences:
                        doc += 1
                    seen_marker = True
                continue
            tokens.append(parts[0])
            tags.append(parts[-1])
    if tokens:
        sentences.append(ConllSentence(tokens, tags, doc))
    return _limited(sentences, limit)


@dataclass(slots=True)
class ReutersDoc:
    newid: str
    split: str  # "train" or "test" (ModApte)
    text: str
    topics: list[str] = field(default_factory=list)


def load_reuters_modapte(path: Path, *, limit: int | None = None) -> list[ReutersDoc]:
    """The ModApte split of Reuters-21578: LEWISSPLIT TRAIN/TEST with TOPICS="YES" and at least one topic
    (7,775 train and 3,019 test documents)."""
    from newsdesk.ingest.readers import ReaderOptions
    from newsdesk.ingest.readers.reuters import ReutersSgmlReader

    files = sorted(path.glob("reut2-*.sgm")) if path.is_dir() else [path]
    if not files or not files[0].exists():
        raise UnreadableSource(f"{path}: expected the Reuters-21578 folder with reut2-*.sgm files")
    reader = ReutersSgmlReader()
    docs: list[ReutersDoc] = []
    for file in files:
        for record in reader.read(file, ReaderOptions(source="reuters")):
            fields = record.fields
            if fields is None:
                continue
            extra = fields["extra"]
            split = {"TRAIN": "train", "TEST": "test"}.get(extra.get("lewissplit") or "")
            topics = [s.split(":", 1)[1] for s in fields["subjects"]]
            if split is None or extra.get("topics_flag") != "YES" or not topics:
                continue
            text = f"{fields.get('headline') or ''}\n{fields.get('body') or ''}"
            docs.append(ReutersDoc(str(fields["source_id"]), split, text, topics))
    return _limited(docs, limit)


@dataclass(frozen=True, slots=True)
class XsumItem:
    id: str  # the BBC article id
    document: str  # sentences separated by newlines
    summary: str  # one abstractive sentence


def load_xsum(path: Path, *, limit: int | None = None) -> list[XsumItem]:
    """XSum records (JSON Lines with ``id``, ``document``, ``summary``); a folder means its ``dev.jsonl``.
    Records with an empty document or summary are left out."""
    import json

    if path.is_dir():
        path = path / "dev.jsonl"
    if not path.exists():
        raise UnreadableSource(f"{path}: expected XSum JSON Lines (id, document, summary)")
    items: list[XsumItem] = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                item = XsumItem(str(row["id"]), str(row["document"]).strip(), str(row["summary"]).strip())
            except (ValueError, KeyError, TypeError) as exc:
                raise UnreadableSource(f"{path}:{line_no}: not an XSum record ({exc})") from None
            if item.document and item.summary:
                items.append(item)
    return _limited(items, limit)


def _limited(items: list, limit: int | None) -> list:  # type: ignore[type-arg]
    return items if limit is None else items[:limit]
