"""Where a workspace's enrichment stands: per component, how many articles have an output; the background
job's state (the demo's worker, see :mod:`newsdesk.demo`); and which features are ready.

The job records itself in ``<home>/jobs/demo-worker.json`` through a :class:`JobRecorder`: its state, pid,
start, a heartbeat every few seconds and the step it is on (``"enriching: embedding 640/5094"``). A reader
(``newsdesk status``, ``GET /enrich/status``, the web console) calls :func:`enrich_status`, which reads that
file and counts outputs in the store: nothing is asked of the job itself, so it works from any process.

A job whose file says ``running`` but whose process is gone (killed, machine restarted) or whose heartbeat
is older than :data:`STALE_AFTER` reads as ``interrupted``; starting it again resumes it, since the
enrichment run skips what is already done.

>>> import tempfile, pathlib
>>> from newsdesk.settings import Settings
>>> from newsdesk.store import open_store
>>> s = Settings(home=pathlib.Path(tempfile.mkdtemp()))
>>> status = enrich_status(s, open_store(s))
>>> status.job.state, status.articles, status.features["search_text"]
('not_started', 0, False)
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from newsdesk.settings import Settings
    from newsdesk.store import Backend

__all__ = [
    "FEATURES",
    "STALE_AFTER",
    "ComponentProgress",
    "EnrichStatus",
    "JobRecorder",
    "JobRunning",
    "JobState",
    "JobStatus",
    "enrich_status",
    "job_paths",
    "job_status",
]

JobState = Literal["not_started", "running", "finished", "failed", "interrupted"]
STALE_AFTER = timedelta(seconds=30)  # a running job writes its heartbeat every 2 s
FEATURES: tuple[str, ...] = (
    "search_text",
    "search_vector",
    "tags",
    "entities",
    "stories",
    "trends",
    "recommendations",
    "briefs",
)
"""The keys of :attr:`EnrichStatus.features`, in the order a first run makes them ready (roughly)."""


@dataclass(frozen=True, slots=True)
class ComponentProgress:
    """One enrichment component: ``done`` of the workspace's ``total`` articles have its output."""

    name: str
    done: int
    total: int

    @property
    def ready(self) -> bool:
        return self.total > 0 and self.done >= self.total

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "done": self.done, "total": self.total, "ready": self.ready}


@dataclass(frozen=True, slots=True)
class JobStatus:
    """The background job, as its file and its process tell."""

    state: JobState
    pid: int | None = None
    started_at: datetime | None = None
    heartbeat_at: datetime | None = None
    finished_at: datetime | None = None
    step: str = ""
    error: str | None = None
    log: str | None = None

    def to_dict(self) -> dict[str, Any]:
        def iso(when: datetime | None) -> str | None:
            return when.isoformat() if when else None

        return {
            "state": self.state,
            "pid": self.pid,
            "started_at": iso(self.started_at),
            "heartbeat_at": iso(self.heartbeat_at),
            "finished_at": iso(self.finished_at),
            "step": self.step,
            "error": self.error,
            "log": self.log,
        }


@dataclass(frozen=True, slots=True)
class EnrichStatus:
    """What :func:`enrich_status` returns."""

    articles: int
    components: list[ComponentProgress]
    job: JobStatus
    features: dict[str, bool] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "components": [c.to_dict() for c in self.components],
            "job": self.job.to_dict(),
            "features": dict(self.features),
        }


class JobRunning(Exception):
    """Another process holds the job's lock (it is running)."""


def job_paths(settings: Settings) -> tuple[Path, Path, Path]:
    """(state file, lock file, log file) of the workspace's background job."""
    home = Path(settings.home)
    return (
        home / "jobs" / "demo-worker.json",
        home / "jobs" / "demo-worker.lock",
        home / "logs" / "demo-worker.log",
    )


def _when(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    except OSError:
        return False
    return True


def job_status(settings: Settings, *, now: datetime | None = None) -> JobStatus:
    """The background job's state from its file (``not_started`` when there is none)."""
    state_file, _, _ = job_paths(settings)
    try:
        raw = json.loads(state_file.read_text("utf-8"))
    except (OSError, ValueError):
        return JobStatus(state="not_started")
    if not isinstance(raw, dict):
        return JobStatus(state="not_started")
    recorded = raw.get("state")
    state: JobState = "interrupted"  # an unknown state: not running, and not known to have finished
    if recorded in ("running", "finished", "failed"):
        state = recorded
    pid = raw.get("pid") if isinstance(raw.get("pid"), int) else None
    heartbeat = _when(raw.get("heartbeat_at"))
    if state == "running":
        now = now or datetime.now(UTC)
        same_host = raw.get("host") == socket.gethostname()
        if (pid is not None and same_host and not _alive(pid)) or (
            heartbeat is not None and now - heartbeat > STALE_AFTER
        ):
            state = "interrupted"
    return JobStatus(
        state=state,
        pid=pid,
        started_at=_when(raw.get("started_at")),
        heartbeat_at=heartbeat,
        finished_at=_when(raw.get("finished_at")),
        step=str(raw.get("step") or ""),
        error=raw.get("error") if isinstance(raw.get("error"), str) else None,
        log=raw.get("log") if isinstance(raw.get("log"), str) else None,
    )


@runtime_checkable
class _Counts(Protocol):
    """A store that counts its current outputs per component in one query."""

    def enrichment_counts(self) -> dict[str, int]: ...


def _counts(store: Backend, names: list[str]) -> dict[str, int]:
    if isinstance(store, _Counts):
        return store.enrichment_counts()
    # every backend: walk each component's outputs (tens of milliseconds for the demo's 5,000 articles)
    return {name: sum(1 for _ in store.enrichment_values(name)) for name in names}


def _features(settings: Settings, store: Backend, articles: int, ready: dict[str, bool]) -> dict[str, bool]:
    from newsdesk.recommend.store import open_events
    from newsdesk.stories.service import list_stories

    try:
        stories = bool(list_stories(settings, store, limit=1))
    except Exception:  # a backend without stories yet: not ready
        stories = False
    try:
        events = open_events(store, settings.store_url).count_events() > 0
    except Exception:
        events = False
    return {
        "search_text": articles > 0,
        "search_vector": ready.get("embedding", False),
        "tags": ready.get("iptc", False),
        "entities": ready.get("entities", False),
        "stories": stories,
        "trends": stories and all(ready.get(c, False) for c in ("iptc", "entities", "keyphrases")),
        "recommendations": events,
        "briefs": ready.get("summary", False),
    }


def enrich_status(settings: Settings, store: Backend) -> EnrichStatus:
    """Per component, how many of the workspace's articles have its output; the background job; and which
    features are ready (:data:`FEATURES`: a feature is ready when the enrichments it needs cover every
    article, stories when some are built, recommendations when there are reader events)."""
    from newsdesk.nlp import DEFAULT_COMPONENTS

    names = list(DEFAULT_COMPONENTS)
    articles = store.count()
    counts = _counts(store, names)
    components = [ComponentProgress(n, min(counts.get(n, 0), articles), articles) for n in names]
    ready = {c.name: c.ready for c in components}
    return EnrichStatus(
        articles=articles,
        components=components,
        job=job_status(settings),
        features=_features(settings, store, articles, ready),
    )


class JobRecorder:
    """The background job's side: holds the job's lock, writes its state file, beats every
    ``heartbeat_s`` seconds from a thread, and on exit records ``finished``, ``failed`` (with the error) or
    ``interrupted``. With ``parent`` (a pid), the job stops (``KeyboardInterrupt`` in the main thread, at
    its next Python instruction) once that process is gone, so a worker does not outlive the service that
    started it.

    >>> import tempfile, pathlib
    >>> from newsdesk.settings import Settings
    >>> s = Settings(home=pathlib.Path(tempfile.mkdtemp()))
    >>> with JobRecorder(s) as job:
    ...     job.step("enriching: embedding 64/100")
    ...     job_status(s).step
    'enriching: embedding 64/100'
    >>> job_status(s).state
    'finished'
    """

    def __init__(self, settings: Settings, *, heartbeat_s: float = 2.0, parent: int | None = None) -> None:
        self.settings = settings
        self.heartbeat_s = heartbeat_s
        self.parent = parent
        self.state_file, self.lock_file, self.log_file = job_paths(settings)
        self._record: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock_fd: int | None = None
        self._written = 0.0
        self._sigint: Any = None

    # -- the lock ------------------------------------------------------------------------------------------
    def _acquire(self) -> None:
        self.lock_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover - not POSIX: the state file alone guards
            pass
        except OSError:
            os.close(fd)
            raise JobRunning(f"another process runs the job (see {self.state_file})") from None
        self._lock_fd = fd

    def _release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing drops the flock
            self._lock_fd = None

    # -- the file --------------------------------------------------------------------------------------------
    def _write(self, **changes: Any) -> None:
        with self._lock:
            self._record.update(changes, heartbeat_at=datetime.now(UTC).isoformat())
            tmp = self.state_file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self._record), "utf-8")
            os.replace(tmp, self.state_file)
            self._written = time.monotonic()

    def step(self, text: str, force: bool = True) -> None:
        """Record the step the job is on; with ``force=False`` at most twice a second (progress ticks)."""
        if force or time.monotonic() - self._written >= 0.5:
            self._write(step=text)
        else:
            with self._lock:
                self._record["step"] = text

    def _beat(self) -> None:
        import _thread

        parent = self.parent
        child = parent is not None and os.getppid() == parent
        while not self._stop.wait(self.heartbeat_s):
            self._write()
            # gone: no such process, or (when it is our parent) we were handed to another one
            if parent is not None and (not _alive(parent) or (child and os.getppid() != parent)):
                self._write(error=f"stopped: the process that started it ({parent}) is gone")
                _thread.interrupt_main()  # KeyboardInterrupt in the main thread (see __enter__)
                return

    # -- the context ----------------------------------------------------------------------------------------
    def __enter__(self) -> JobRecorder:
        self._acquire()
        if self.parent is not None and threading.current_thread() is threading.main_thread():
            # a process started in the background by a shell ignores SIGINT, and then interrupt_main()
            # does nothing: give SIGINT back its KeyboardInterrupt
            self._sigint = signal.signal(signal.SIGINT, signal.default_int_handler)
        self._record = {
            "state": "running",
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": datetime.now(UTC).isoformat(),
            "finished_at": None,
            "step": "starting",
            "error": None,
            "log": str(self.log_file),
        }
        self._write()
        self._thread = threading.Thread(target=self._beat, name="job-heartbeat", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        finished = datetime.now(UTC).isoformat()
        if exc is None:
            self._write(state="finished", step="done", finished_at=finished)
        elif isinstance(exc, KeyboardInterrupt | SystemExit):
            self._write(state="interrupted", finished_at=finished)
        else:
            self._write(state="failed", finished_at=finished, error=f"{type(exc).__name__}: {exc}")
        self._release()
        if self._sigint is not None:
            signal.signal(signal.SIGINT, self._sigint)
            self._sigint = None
