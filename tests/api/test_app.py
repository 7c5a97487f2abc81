"""The factory: nothing built at import time, heavy dependencies imported lazily, routers in one list."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from newsdesk.api import ROUTERS, create_app
from newsdesk.settings import Settings


def test_importing_newsdesk_does_not_import_the_service() -> None:
    code = (
        "import sys, newsdesk, newsdesk.cli.app\n"
        "heavy = [m for m in ('fastapi', 'starlette', 'uvicorn', 'prometheus_client', 'newsdesk.api') "
        "if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_app_at_import_time() -> None:
    import newsdesk.api.app as module

    assert not any(isinstance(v, FastAPI) for v in vars(module).values())


def test_factory_reads_the_environment(monkeypatch: object, tmp_path: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path))
    monkeypatch.setenv("NEWSDESK_API__MAX_REQUEST_BYTES", "4096")
    app = create_app()
    assert app.state.newsdesk.settings.api.max_request_bytes == 4096
    assert app.state.newsdesk.settings.home == tmp_path


def test_apps_are_independent(api_settings: Settings) -> None:
    assert create_app(api_settings) is not create_app(api_settings)


def test_routers_are_a_list_of_modules(api_settings: Settings) -> None:
    assert ROUTERS[0] == "newsdesk.api.routers.health"
    app = create_app(api_settings, routers=["newsdesk.api.routers.health"])
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/taxonomy/topics").status_code == 404


def test_store_is_closed_at_shutdown(api_settings: Settings) -> None:
    app = create_app(api_settings)
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        assert app.state.newsdesk._store is not None
    assert app.state.newsdesk._store is None


def test_concurrent_requests(client: TestClient, keys: object) -> None:
    """Sync routes run in a thread pool over one store connection: reads and writes interleave safely."""
    from concurrent.futures import ThreadPoolExecutor

    from apihelpers import Keys

    assert isinstance(keys, Keys)
    editor = keys.header("editor")

    def write(i: int) -> int:
        batch = {
            "articles": [
                {"source_id": f"c{i}-{j}", "headline": f"Story {i} {j}", "body": f"{i} {j}"} for j in range(5)
            ]
        }
        return client.post("/articles", json=batch, headers=editor).json()["inserted"]

    def read(i: int) -> int:
        return client.get("/articles", params={"limit": 5}, headers=editor).status_code

    with ThreadPoolExecutor(8) as pool:
        inserted = list(pool.map(write, range(12)))
        statuses = list(pool.map(read, range(24)))
    assert inserted == [5] * 12 and set(statuses) == {200}
    assert client.get("/articles", headers=editor).json()["total"] == 5 + 60


def test_request_threads_follow_the_setting(tmp_path: Path) -> None:
    """api.threads caps the thread pool that blocking routes run in, per process."""
    import anyio.to_thread

    for threads in (1, 7):
        settings = Settings(home=tmp_path, api={"threads": threads, "preload": False})
        with TestClient(create_app(settings)) as client:
            limiter = client.portal.call(anyio.to_thread.current_default_thread_limiter)
            assert limiter.total_tokens == threads


def test_a_service_app_freezes_its_heap_and_queues_its_logs(tmp_path: Path) -> None:
    """`newsdesk serve`'s app moves what startup loaded out of the collector's reach and writes uvicorn's
    log lines from a thread, every line kept; other apps do neither."""
    import gc
    import io
    import logging
    from logging.handlers import QueueHandler

    access = logging.getLogger("uvicorn.access")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    saved, access.handlers, level = access.handlers, [handler], access.level
    access.setLevel(logging.INFO)
    gc.unfreeze()
    settings = Settings(home=tmp_path)
    try:
        with TestClient(create_app(settings)) as client:
            assert client.get("/healthz").status_code == 200
            assert gc.get_freeze_count() == 0 and access.handlers == [handler]
        with TestClient(create_app(settings, service_process=True)) as client:
            assert client.get("/healthz").status_code == 200
            assert gc.get_freeze_count() > 1000
            assert all(isinstance(h, QueueHandler) for h in access.handlers)
            for i in range(200):
                access.info("line %d of %s", i, "200")
        assert access.handlers == [handler]  # put back at shutdown, after the queue was written out
        assert stream.getvalue().splitlines() == [f"line {i} of 200" for i in range(200)]
    finally:
        gc.unfreeze()  # this test process builds many apps: keep its collector whole
        access.handlers = saved
        access.setLevel(level)
