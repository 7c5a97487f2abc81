"""An ingest killed with SIGKILL half-way: the database stays sound, holds whole batches, no reader process
is left behind, and running the same ingest again finishes the job without duplicates."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists() or not hasattr(signal, "SIGKILL"),
    reason="needs SIGKILL and /proc (Linux)",
)

N = 20_000
BATCH = 200


@pytest.fixture(scope="module")
def articles_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("resume") / "wire.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(N):
            fh.write(json.dumps({
                "id": f"w{i:05d}",
                "headline": f"Synthetic story {i}",
                "body": f"Story {i} body. " + "The council met again to discuss the budget. " * 4,
                "published_at": "2024-05-01T08:00:00Z",
                "keywords": ["council", f"k{i % 50}"],
            }) + "\n")
    return path


def _env(parallel: str, batch: int = BATCH) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    env.update(NEWSDESK_INGEST__BATCH_SIZE=str(batch), NEWSDESK_INGEST__PARALLEL=parallel)
    return env


def _start(home: Path, path: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "newsdesk.cli.app", "--home", str(home), "ingest", str(path), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def _count(db: Path) -> int:
    """Rows committed so far, through a read-only connection (never takes the writer's lock)."""
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.OperationalError:  # schema not committed yet
        return 0
    finally:
        conn.close()


def _state(pid: int) -> str | None:
    """The process's state letter, or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == parent]
        found += kids
        frontier += kids
    return found


def _assert_gone(pids: list[int], within: float = 5.0) -> None:
    """Each process exits by itself (a zombie waiting for a reaper counts as exited)."""
    deadline = time.monotonic() + within
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [p for p in alive if _state(p) not in (None, "Z", "X")]
    for pid in alive:  # do not leave them behind for the rest of the suite
        os.kill(pid, signal.SIGKILL)
    assert not alive, f"reader process(es) {alive} outlived the killed ingest by {within}s"


def _assert_sound(db: Path) -> None:
    conn = sqlite3.connect(db, timeout=5)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        # Raises sqlite3.DatabaseError (SQLITE_CORRUPT_VTAB) if the index and the table disagree.
        conn.execute("INSERT INTO articles_fts(articles_fts) VALUES('integrity-check')")
        n = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        indexed = conn.execute(
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'council'"
        ).fetchone()[0]
        assert indexed == n
    finally:
        conn.close()


def _batch_ends(n: int, size: int) -> set[int]:
    """Row counts at which one batch ends: ingest writes each chunk of its reader in one transaction."""
    from newsdesk.ingest.run import _chunks  # the chunking rule itself (its first chunks are smaller)

    ends, total = set(), 0
    for _, chunk in _chunks((("f", i) for i in range(n)), size):
        total += len(chunk)
        ends.add(total)
    return ends


def _max_index(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT max(CAST(substr(source_id, 2) AS INTEGER)) FROM articles").fetchone()
        return int(row[0])
    finally:
        conn.close()


@pytest.fixture
def reap() -> Iterator[list[subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


@pytest.mark.parametrize("parallel", ["off", "process"])
def test_killed_ingest_resumes(
    parallel: str, articles_file: Path, tmp_path: Path, reap: list[Any]
) -> None:
    home = tmp_path / "home"
    db = home / "newsdesk.sqlite3"
    proc = _start(home, articles_file, _env(parallel))
    reap.append(proc)

    deadline = time.monotonic() + 60
    seen = 0
    while seen < N // 5:  # some batches in (a fifth), well before the end
        assert proc.poll() is None, f"finished before it could be killed: {proc.communicate()}"
        assert time.monotonic() < deadline, "no progress"
        time.sleep(0.005)
        seen = _count(db)
    readers = _descendants(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    if parallel == "process":
        assert readers, "no reader process was running"
    _assert_gone(readers)
    _assert_sound(db)
    partial = _count(db)
    assert 0 < partial < N, partial
    assert partial in _batch_ends(N, BATCH), f"{partial} rows: a batch was stored in part"
    assert _max_index(db) == partial - 1, "stored rows are not the first ones read"

    again = subprocess.run(
        [sys.executable, "-m", "newsdesk.cli.app", "--home", str(home), "ingest", str(articles_file),
         "--json"],
        capture_output=True, text=True, env=_env(parallel), timeout=120, check=False,
    )
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["read"] == N
    assert report["inserted"] + report["unchanged"] == N
    assert (report["unchanged"], report["inserted"]) == (partial, N - partial)
    assert (report["updated"], report["rejected"], report["duplicates"]) == (0, 0, 0)
    assert _count(db) == N
    _assert_sound(db)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert conn.execute("SELECT count(DISTINCT source_id) FROM articles").fetchone()[0] == N
        assert conn.execute("SELECT max(revision) FROM articles").fetchone()[0] == 1
    finally:
        conn.close()


def test_reader_exits_when_the_writer_is_killed_while_it_flushes(
    tmp_path: Path, reap: list[Any], backend: str
) -> None:
    """The reader has parsed everything and waits to hand over its last chunks (the pipe to the writer
    is full) when the writer dies: it must still exit, not wait forever for a reader that is gone."""
    if backend != "sqlite":
        pytest.skip("holds the writer back with an SQLite file lock")
    from newsdesk.settings import Settings
    from newsdesk.store import open_store

    home = tmp_path / "home"
    open_store(Settings(home=home)).close()  # create the schema, then keep the writer waiting on a lock
    path = tmp_path / "few.jsonl"
    with path.open("w") as fh:  # 5 batches of 200 articles of ~2 kB: a few MB, far over a pipe's buffer
        for i in range(1000):
            fh.write(json.dumps({"id": i, "headline": f"H {i}", "body": f"{i} " + "text " * 400}) + "\n")
    lock = sqlite3.connect(home / "newsdesk.sqlite3", isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    try:
        proc = _start(home, path, _env("process"))
        reap.append(proc)
        deadline = time.monotonic() + 30
        while not (readers := _descendants(proc.pid)):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the reader process never started"
            time.sleep(0.02)
        time.sleep(1.5)  # the reader parses all of it; the writer waits for the lock
        assert proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    _assert_gone(readers)
    assert _count(home / "newsdesk.sqlite3") == 0
