"""A first run answers within a minute: what ``make run`` starts (``newsdesk --home H demo --serve --host
--port``), on a fresh workspace, answers a search with results well before the enrichment is done.

The measured time to first answer is printed and written to ``$NEWSDESK_ARTIFACTS/first-run.json``
(``artifacts/first-run.json`` without the variable). The service and its background worker are one process
group, stopped at the end whatever happens, and the test checks that none of them is left.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

LIMIT_S = 90.0
QUERY = "mobile phone sales"
ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _newsdesk() -> list[str]:
    script = Path(sys.executable).parent / "newsdesk"
    return [str(script)] if script.exists() else [sys.executable, "-m", "newsdesk.cli.app"]


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group is still running (zombies waiting for their reaper do not count)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _get(url: str, key: str | None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"X-API-Key": key} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class _Lines:
    """The process's output, read by a thread (so the pipe never fills)."""

    def __init__(self, stream: Iterator[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=lambda: self.lines.extend(stream), daemon=True)
        self._thread.start()

    def key(self, role: str) -> str | None:
        for line in list(self.lines):
            if line.startswith(f"{role} key "):
                return line.split()[-1]
        return None

    def text(self) -> str:
        return "".join(self.lines)


def _stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM to the whole group (the service and its worker), SIGKILL what is left after 30 s."""
    pgid = process.pid
    for sig, wait_s in ((signal.SIGTERM, 30.0), (signal.SIGKILL, 10.0)):
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(pgid, sig)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            process.poll()  # reaps the service
            if process.returncode is not None and not _group_alive(pgid):
                return
            time.sleep(0.2)


def _artifact() -> Path:
    folder = os.environ.get("NEWSDESK_ARTIFACTS")
    return (Path(folder) if folder else ROOT / "artifacts") / "first-run.json"


def test_first_run_answers_a_search_within_a_minute(tmp_path: Path) -> None:
    home, port = tmp_path / "demo", _free_port()
    command = [
        *_newsdesk(),
        "--home",
        str(home),
        "demo",
        "--serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}  # a fresh machine's setup
    env["HF_HUB_OFFLINE"] = "1"
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own group: the service and the worker it starts, stopped together
    )
    assert process.stdout is not None
    output = _Lines(process.stdout)
    try:
        first: float | None = None
        page: dict[str, object] = {}
        while time.monotonic() - started < LIMIT_S and process.poll() is None:
            key = output.key("reader")
            if key is not None:
                try:
                    code, body = _get(f"{base}/search?q={QUERY.replace(' ', '+')}", key)
                except OSError:  # not listening yet
                    code, body = 0, b""
                if code == 200:
                    page = json.loads(body)
                    if page.get("results"):
                        first = time.monotonic() - started
                        break
                assert code in (0, 200), body
            time.sleep(0.25)
        assert first is not None, f"no search answer within {LIMIT_S:.0f} s:\n{output.text()}"
        print(f"\nfirst run: first search answer after {first:.1f} s (retrievers {page.get('retrievers')})")
        artifact = _artifact()
        artifact.parent.mkdir(parents=True, exist_ok=True)
        artifact.write_text(
            json.dumps(
                {
                    "seconds_to_first_answer": round(first, 2),
                    "limit_seconds": LIMIT_S,
                    "command": ["newsdesk", *command[len(_newsdesk()) :]],
                    "query": QUERY,
                    "retrievers": page.get("retrievers"),
                    "measured_at": datetime.now(UTC).isoformat(),
                },
                indent=2,
            )
            + "\n"
        )
        assert first < LIMIT_S
        # the admin key for the web console signs in too, and progress is visible while the worker runs
        admin = output.key("admin")
        assert admin is not None and admin != output.key("reader")
        code, body = _get(f"{base}/enrich/status", admin)
        assert code == 200, body
        status = json.loads(body)
        assert status["articles"] == 5094 and status["features"]["search_text"] is True
        assert status["job"]["state"] in ("running", "finished"), status["job"]
        assert status["job"]["pid"] != process.pid
        # the console's home shows the same progress, and so does the CLI
        code, body = _get(f"{base}/", admin)
        assert code == 200 and b"5,094" in body and b"embedding" in body, body[:2000]
        shown = subprocess.run(
            [*_newsdesk(), "--home", str(home), "status", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["articles"] == 5094
    finally:
        _stop(process)
    assert not _group_alive(process.pid), "a process of the first run outlived it"
    job = json.loads((home / "jobs" / "demo-worker.json").read_text())
    assert job["state"] in ("interrupted", "finished"), job
