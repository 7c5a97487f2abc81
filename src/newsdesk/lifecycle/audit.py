"""A tamper-evident audit trail of what was done to models, by whom and why.

Every lifecycle action (train, register, evaluate, promote, forced promotion, rollback, refusal, alias move)
appends one JSON line to ``<home>/audit/audit.jsonl``. Each entry carries the SHA-256 hash of its own
content and of the entry before it (``prev_hash``), so changing, removing, inserting or reordering an entry
breaks the chain and :meth:`AuditLog.verify` names the line. The chain makes edits evident, not impossible:
whoever can rewrite the whole file can recompute every hash, so keep the head hash somewhere else too (an
MLflow tag, a ticket) when that matters.

Appends are safe across processes: each takes an exclusive ``flock`` on a sidecar ``audit.jsonl.lock``
while it reads the last entry and writes its line (one ``write``, then ``fsync``). A log whose last line was
cut short by a crash is reported by ``verify``, and ``append`` refuses to chain past it.

>>> import pathlib, tempfile
>>> log = AuditLog(pathlib.Path(tempfile.mkdtemp()) / "audit.jsonl")
>>> first = log.append("register", actor="ana", model="sections", version="3")
>>> second = log.append("promote", actor="ana", model="sections", version="3", reason="beats champion")
>>> second.seq, second.prev_hash == first.hash
(1, True)
>>> result = log.verify()
>>> result.ok, result.entries, result.head == second.hash
(True, 2, True)
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsdesk.errors import AuditTampered, InvalidInput

if TYPE_CHECKING:
    from newsdesk.settings import Settings

__all__ = [
    "ACTIONS",
    "GENESIS_HASH",
    "AuditEntry",
    "AuditLog",
    "AuditVerification",
    "audit_log",
    "default_actor",
]

ACTIONS = (
    "train",
    "register",
    "evaluate",
    "promote",
    "force_promote",
    "rollback",
    "refused",
    "alias",
    # an experiment's decisions (newsdesk.experiments.service); ``model`` is ``experiment/<id>``
    "experiment_create",
    "experiment_start",
    "experiment_stop",
    "experiment_winner",
    "experiment_override",
    # reader privacy (newsdesk.recommend.readers): counts of what was deleted, never the reader's id
    "reader_forget",
    "reader_purge",
)
GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first entry."""

_TAIL_CHUNK = 8192
_TEXT_FIELDS = ("at", "actor", "action", "prev_hash", "hash")
_OPTIONAL_TEXT_FIELDS = ("model", "version", "reason", "report_hash")


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log. ``hash`` covers every other field, ``prev_hash`` included."""

    seq: int
    at: str
    actor: str
    action: str
    model: str | None
    version: str | None
    reason: str | None
    details: dict[str, Any]
    report_hash: str | None
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        """Every field, as stored on the entry's line."""
        return asdict(self)

    def expected_hash(self) -> str:
        """The hash this entry's content should have (differs from ``hash`` when the entry was edited)."""
        return _content_hash({k: v for k, v in self.to_dict().items() if k != "hash"})


@dataclass
class AuditVerification:
    """What :meth:`AuditLog.verify` found: ``ok`` when the whole chain holds."""

    ok: bool
    entries: int
    problems: list[str] = field(default_factory=list)
    head: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class AuditLog:
    """An append-only, hash-chained JSON-lines log at ``path`` (created with its folder on first append)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def lock_path(self) -> Path:
        """The sidecar file locked while appending (``audit.jsonl.lock``)."""
        return self.path.with_name(self.path.name + ".lock")

    def append(
        self,
        action: str,
        *,
        actor: str,
        model: str | None = None,
        version: str | None = None,
        reason: str | None = None,
        details: Mapping[str, Any] | None = None,
        report_hash: str | None = None,
    ) -> AuditEntry:
        """Append one entry, chained to the last one, and return it.

        Refuses an unknown ``action``, an empty ``actor`` and ``details`` that are not JSON
        (:class:`InvalidInput`), and a log whose last line is unreadable (:class:`AuditTampered`).
        """
        fields: dict[str, Any] = {
            "actor": _actor(actor),
            "action": _action(action),
            "model": _optional_text("model", model),
            "version": _optional_text("version", version),
            "reason": _optional_text("reason", reason),
            "details": _details(details),
            "report_hash": _optional_text("report_hash", report_hash),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked(exclusive=True):
            last = self._last_entry()
            content = {
                "seq": 0 if last is None else last.seq + 1,
                "at": datetime.now(UTC).isoformat(timespec="microseconds"),
                **fields,
                "prev_hash": GENESIS_HASH if last is None else last.hash,
            }
            entry = AuditEntry(**content, hash=_content_hash(content))
            self._write_line(_line(entry))
        return entry

    def entries(self, *, model: str | None = None, action: str | None = None) -> list[AuditEntry]:
        """The entries in order, optionally only one model's or one action's.

        Does not check the hashes (that is :meth:`verify`), but raises :class:`AuditTampered` on a line that
        is not an entry at all.
        """
        if action is not None:
            _action(action)
        found = []
        for number, raw in self._lines():
            entry = _parse(raw)
            if isinstance(entry, str):
                raise AuditTampered(f"{self.path}: line {number}: {entry}; run `newsdesk audit verify`")
            if (model is None or entry.model == model) and (action is None or entry.action == action):
                found.append(entry)
        return found

    def verify(self) -> AuditVerification:
        """Check every line: it parses, ``seq`` counts up from 0, ``prev_hash`` links, the hash recomputes.

        A missing or empty log verifies, with 0 entries.
        """
        problems: list[str] = []
        previous: AuditEntry | None = None
        previous_line: int | None = None
        count = 0
        for number, raw in self._lines():
            entry = _parse(raw)
            if isinstance(entry, str):
                problems.append(f"line {number}: {entry}")
                previous, previous_line = None, number
                continue
            count += 1
            problems.extend(_check(number, entry, previous, previous_line))
            previous, previous_line = entry, number
        head = previous.hash if previous is not None else None
        return AuditVerification(ok=not problems, entries=count, problems=problems, head=head)

    def verify_or_raise(self) -> AuditVerification:
        """:meth:`verify`, raising :class:`AuditTampered` (listing every problem) unless the chain holds."""
        result = self.verify()
        if not result.ok:
            raise AuditTampered(f"audit log {self.path} does not verify: " + "; ".join(result.problems))
        return result

    @contextmanager
    def _locked(self, *, exclusive: bool) -> Iterator[None]:
        with self.lock_path.open("a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def _lines(self) -> Iterator[tuple[int, bytes]]:
        """(1-based line number, raw line) under a shared lock; a last line lacking its newline stays so."""
        if not self.path.exists():
            return
        with self._locked(exclusive=False), self.path.open("rb") as f:
            yield from enumerate(f, start=1)

    def _last_entry(self) -> AuditEntry | None:
        """The last entry, read from the end of the file; refuses a last line that does not verify alone."""
        raw = _last_line(self.path)
        if raw is None:
            return None
        entry = _parse(raw)
        if isinstance(entry, str):
            raise AuditTampered(
                f"audit log {self.path}: the last line is unreadable ({entry}); "
                "not appending past it: run `newsdesk audit verify`"
            )
        if entry.hash != entry.expected_hash():
            raise AuditTampered(
                f"audit log {self.path}: the last entry (seq {entry.seq}) does not match its hash; "
                "not appending past it: run `newsdesk audit verify`"
            )
        return entry

    def _write_line(self, data: bytes) -> None:
        created = not self.path.exists()
        with self.path.open("ab") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if created:
            _fsync_dir(self.path.parent)


def audit_log(settings: Settings) -> AuditLog:
    """The workspace's audit log (``<home>/audit/audit.jsonl``)."""
    return AuditLog(settings.audit_path)


def default_actor() -> str:
    """Who is acting: ``NEWSDESK_ACTOR``, else the login name, else ``"unknown"``.

    >>> import os
    >>> os.environ["NEWSDESK_ACTOR"] = "release-bot"
    >>> default_actor()
    'release-bot'
    >>> del os.environ["NEWSDESK_ACTOR"]
    """
    actor = os.environ.get("NEWSDESK_ACTOR", "").strip()
    if actor:
        return actor
    try:
        return getpass.getuser().strip() or "unknown"
    except (KeyError, OSError, ImportError):
        return "unknown"


def _canonical(content: Mapping[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _content_hash(content: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``content``.

    >>> _content_hash({"b": 1, "a": "é"}) == _content_hash({"a": "é", "b": 1})
    True
    """
    return hashlib.sha256(_canonical(content).encode("utf-8")).hexdigest()


def _line(entry: AuditEntry) -> bytes:
    return (_canonical(entry.to_dict()) + "\n").encode("utf-8")


def _actor(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("actor", value, "a non-empty string naming who acted")
    return value.strip()


def _action(value: Any) -> str:
    if value not in ACTIONS:
        raise InvalidInput("action", value, "one of " + ", ".join(ACTIONS))
    return str(value)


def _optional_text(name: str, value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidInput(name, value, "a string or None")
    return value


def _details(value: Any) -> dict[str, Any]:
    """A JSON round-trip copy of ``details``, so the stored entry and the returned one are equal."""
    if value is None:
        return {}
    allowed = "a JSON-serialisable mapping with string keys"
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise InvalidInput("details", value, allowed)
    try:
        copy: dict[str, Any] = json.loads(_canonical(value))
    except (TypeError, ValueError) as exc:
        raise InvalidInput("details", value, allowed) from exc
    return copy


def _parse(raw: bytes) -> AuditEntry | str:
    """The entry on one raw line, or what is wrong with the line."""
    if not raw.endswith(b"\n"):
        return "incomplete: the line has no end — a write was cut short"
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return "not valid JSON — the line was cut short or edited" if raw.strip() else "blank line"
    if not isinstance(data, dict):
        return "not an audit entry (not a JSON object)"
    wrong = _shape_problem(data)
    return f"not an audit entry ({wrong})" if wrong else AuditEntry(**data)


def _shape_problem(data: dict[str, Any]) -> str | None:
    expected = set(AuditEntry.__dataclass_fields__)
    if set(data) != expected:
        missing, extra = sorted(expected - set(data)), sorted(set(data) - expected)
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unexpected {', '.join(extra)}"] if extra else []
        )
        return "; ".join(parts)
    if not isinstance(data["seq"], int) or isinstance(data["seq"], bool) or data["seq"] < 0:
        return "seq is not a non-negative integer"
    if not isinstance(data["details"], dict):
        return "details is not an object"
    for name in _TEXT_FIELDS:
        if not isinstance(data[name], str):
            return f"{name} is not a string"
    for name in _OPTIONAL_TEXT_FIELDS:
        if data[name] is not None and not isinstance(data[name], str):
            return f"{name} is not a string or null"
    return None


def _check(
    number: int, entry: AuditEntry, previous: AuditEntry | None, previous_line: int | None
) -> list[str]:
    """What is wrong with one parsed entry, given the line before it (``None`` when unreadable)."""
    where = f"line {number} (seq {entry.seq})"
    problems = []
    if entry.hash != entry.expected_hash():
        problems.append(f"{where}: hash does not match its content — the entry was changed")
    if previous_line is None:
        if entry.seq != 0:
            problems.append(f"{where}: the first entry should have seq 0 — entries before it were removed")
        if entry.prev_hash != GENESIS_HASH:
            problems.append(
                f"{where}: prev_hash of the first entry is not {GENESIS_HASH[:12]}… — entries before it "
                "were removed"
            )
        return problems
    if previous is None:
        return problems  # the line before is unreadable and already reported
    if entry.seq != previous.seq + 1:
        problems.append(
            f"{where}: seq should be {previous.seq + 1} after line {previous_line}'s seq {previous.seq} — "
            "an entry was removed, inserted or moved"
        )
    if entry.prev_hash != previous.hash:
        problems.append(
            f"{where}: prev_hash does not match line {previous_line}'s hash — an entry was removed or "
            "inserted"
        )
    return problems


def _last_line(path: Path) -> bytes | None:
    """The file's last line (with its newline, if it has one), read backwards from the end."""
    if not path.exists():
        return None
    with path.open("rb") as f:
        end = f.seek(0, os.SEEK_END)
        if end == 0:
            return None
        f.seek(end - 1)
        complete = f.read(1) == b"\n"
        stop = end - 1 if complete else end
        tail, pos = b"", stop
        while pos > 0:
            step = min(_TAIL_CHUNK, pos)
            pos -= step
            f.seek(pos)
            tail = f.read(step) + tail
            cut = tail.rfind(b"\n")
            if cut >= 0:
                tail = tail[cut + 1 :]
                break
        return tail + (b"\n" if complete else b"")


def _fsync_dir(folder: Path) -> None:
    """Make a new file's directory entry durable (best effort: not every filesystem allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
