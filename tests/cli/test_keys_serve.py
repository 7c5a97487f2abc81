"""``newsdesk keys create|list|revoke`` and ``newsdesk serve``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from newsdesk.auth import verify_key
from newsdesk.cli.app import app
from newsdesk.settings import Settings
from newsdesk.store import open_store

runner = CliRunner()


def run(home: Path, *args: str) -> Any:
    return runner.invoke(app, ["--home", str(home), *args])


def test_create_prints_the_key_once(tmp_path: Path) -> None:
    result = run(tmp_path, "keys", "create", "--role", "editor", "--name", "wire desk")
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    assert secret.startswith("nd_")
    store = open_store(Settings(home=tmp_path))
    try:
        key = verify_key(store, secret)
        assert key is not None and key.role.label == "editor" and key.name == "wire desk"
    finally:
        store.close()
    listed = run(tmp_path, "keys", "list")
    assert listed.exit_code == 0 and key.id in listed.stdout and "wire desk" in listed.stdout
    assert secret not in listed.stdout and secret[3:20] not in listed.stdout


def test_create_json_list_json_and_revoke(tmp_path: Path) -> None:
    created = json.loads(run(tmp_path, "keys", "create", "--role", "reader", "--json").stdout)
    assert set(created) == {"id", "name", "role", "key", "created_at", "revoked_at", "last_used_at"}
    assert created["role"] == "reader" and created["key"].startswith("nd_")
    listed = json.loads(run(tmp_path, "keys", "list", "--json").stdout)
    assert [k["id"] for k in listed] == [created["id"]] and "key" not in listed[0]
    revoked = run(tmp_path, "keys", "revoke", created["id"])
    assert revoked.exit_code == 0 and created["id"] in revoked.stdout
    listed = json.loads(run(tmp_path, "keys", "list", "--json").stdout)
    assert listed[0]["revoked_at"] is not None
    assert json.loads(run(tmp_path, "keys", "list", "--active", "--json").stdout) == []


def test_bad_role_is_a_usage_error(tmp_path: Path) -> None:
    result = run(tmp_path, "keys", "create", "--role", "owner")
    assert result.exit_code == 2
    assert "role" in result.stderr and "'owner'" in result.stderr and "reader, editor, admin" in result.stderr


def test_revoking_an_unknown_key(tmp_path: Path) -> None:
    result = run(tmp_path, "keys", "revoke", "nope")
    assert result.exit_code == 4 and "no API key" in result.stderr


def test_serve_runs_uvicorn_on_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn
    from fastapi import FastAPI

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    assert run(tmp_path, "serve").exit_code == 0
    assert run(tmp_path, "serve", "--host", "0.0.0.0", "--port", "9001").exit_code == 0
    first, second = calls
    assert isinstance(first["app"], FastAPI) and (first["host"], first["port"]) == ("127.0.0.1", 8000)
    assert (second["host"], second["port"]) == ("0.0.0.0", 9001)
    assert first["app"].state.newsdesk.settings.home == tmp_path


def test_serve_with_two_workers_answers_searches(archive_copy: Path) -> None:
    """A real `newsdesk serve --workers 2` process tree: both workers build their app from the workspace
    given by --home (passed on as NEWSDESK_HOME), preload the indexes, and answer the same search alike."""
    import os
    import signal
    import time

    import httpx

    from servehelpers import served

    secret = run(archive_copy, "keys", "create", "--role", "reader").stdout.strip().splitlines()[-1]
    with served(archive_copy) as (proc, base):
        workers = _children(proc.pid)
        assert len(workers) >= 2, workers
        # each worker's model threads are capped at its share of the cores (unless the caller set them)
        share = os.environ.get("OMP_NUM_THREADS") or str(max(1, len(os.sched_getaffinity(0)) // 2))
        assert all(_environ(pid).get("OMP_NUM_THREADS") == share for pid in workers)
        before = {pid: _cpu_ticks(pid) for pid in workers}
        tops = set()
        # fresh connections: each worker listens on its own socket (SO_REUSEPORT) and the kernel spreads
        # connections over them by the client's port, so both workers get a share
        for _ in range(24):
            response = httpx.get(
                f"{base}/search",
                params={"q": "invisible ink elections"},
                headers={"X-API-Key": secret},
                timeout=60,  # a worker's first query may embed it (model warm-up): correctness, not speed
            )
            assert response.status_code == 200, response.text
            tops.add(response.json()["results"][0]["id"])
        assert tops == {"bbc:tech/001"}
        busy = sorted(_cpu_ticks(pid) - before[pid] for pid in workers)
        assert busy[-2] >= 2, f"one worker did (nearly) all the work: CPU ticks {busy}"
        assert httpx.get(f"{base}/search", params={"q": "x"}).status_code == 401
        # a worker that dies is replaced, and the service keeps answering meanwhile
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 120
        while workers[0] in _children(proc.pid) or len(_children(proc.pid)) < len(workers):
            assert time.monotonic() < deadline, "the dead worker was not replaced"
            time.sleep(0.5)
        for _ in range(6):
            assert httpx.get(f"{base}/healthz", timeout=60).status_code == 200
        assert all(_environ(pid).get("OMP_NUM_THREADS") == share for pid in _children(proc.pid))


def _children(pid: int) -> list[int]:
    """The service worker processes under ``pid`` (not multiprocessing's resource tracker)."""
    from pathlib import Path

    out = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                out.append(int(child))
        except OSError:  # exited meanwhile
            continue
    return out


def _environ(pid: int) -> dict[str, str]:
    from pathlib import Path

    pairs = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace").split("\0")
    return dict(p.split("=", 1) for p in pairs if "=" in p)


def _cpu_ticks(pid: int) -> int:
    from pathlib import Path

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def test_workers_refuse_a_taken_port() -> None:
    """The supervisor checks the address once, before starting any worker, and says why it cannot serve."""
    import socket

    from newsdesk.api.workers import reuseport_supported, serve_workers

    if not reuseport_supported():
        pytest.skip("no SO_REUSEPORT on this platform")
    with socket.socket() as taken:  # an ordinary listener (no SO_REUSEPORT): nobody else may bind
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert serve_workers("127.0.0.1", port, 2, {"log_level": "warning"}) == 1
