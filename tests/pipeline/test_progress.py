"""Enrichment progress: per component counts from the store, the background job's state from its file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdesk.ingest import ingest
from newsdesk.nlp import DEFAULT_COMPONENTS
from newsdesk.pipeline import enrich
from newsdesk.pipeline.progress import FEATURES, JobRecorder, JobRunning, enrich_status, job_paths, job_status
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore

DATA = Path(__file__).parents[1] / "data"


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_counts_follow_the_store(store: ArticleStore, settings: Settings) -> None:
    status = enrich_status(settings, store)  # type: ignore[arg-type]
    assert status.articles == 0 and status.job.state == "not_started"
    assert list(status.features) == list(FEATURES) and not any(status.features.values())
    ingest([DATA / "valley-herald.jsonl"], store, settings=settings)
    enrich(store, settings, only=["language"])
    status = enrich_status(settings, store)  # type: ignore[arg-type]
    n = store.count()
    assert [c.name for c in status.components] == list(DEFAULT_COMPONENTS)
    by_name = {c.name: c for c in status.components}
    assert by_name["language"].done == n == by_name["language"].total and by_name["language"].ready
    assert by_name["embedding"].done == 0 and not by_name["embedding"].ready
    assert status.features["search_text"] and not status.features["search_vector"]
    data = json.loads(json.dumps(status.to_dict()))
    assert data["components"][0] == {"name": "language", "done": n, "total": n, "ready": True}
    assert data["job"]["state"] == "not_started" and set(data["features"]) == set(FEATURES)


def test_a_job_records_its_steps_and_its_end(settings: Settings) -> None:
    with JobRecorder(settings) as job:
        running = job_status(settings)
        assert running.state == "running" and running.pid == os.getpid() and running.step == "starting"
        job.step("enriching: embedding 64/100")
        job.step("enriching: embedding 65/100", False)  # a tick right after a write: kept for the next one
        assert job_status(settings).step == "enriching: embedding 64/100"
        with pytest.raises(JobRunning):  # one job at a time
            JobRecorder(settings).__enter__()
    done = job_status(settings)
    assert done.state == "finished" and done.step == "done" and done.finished_at is not None
    assert done.log == str(job_paths(settings)[2])


def test_a_failed_or_interrupted_job_says_so(settings: Settings) -> None:
    with pytest.raises(RuntimeError), JobRecorder(settings) as job:
        job.step("stories")
        raise RuntimeError("no stories today")
    failed = job_status(settings)
    assert failed.state == "failed" and failed.step == "stories"
    assert failed.error == "RuntimeError: no stories today"
    with pytest.raises(KeyboardInterrupt), JobRecorder(settings):
        raise KeyboardInterrupt
    assert job_status(settings).state == "interrupted"


def test_a_job_whose_process_is_gone_or_silent_is_interrupted(settings: Settings) -> None:
    state_file, _, _ = job_paths(settings)
    with JobRecorder(settings):
        pass
    record = json.loads(state_file.read_text())
    record.update(state="running", pid=_dead_pid())
    state_file.write_text(json.dumps(record))
    assert job_status(settings).state == "interrupted"  # killed: the file still says running
    record.update(pid=os.getpid(), heartbeat_at=datetime.now(UTC).isoformat())
    state_file.write_text(json.dumps(record))
    assert job_status(settings).state == "running"
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert job_status(settings, now=later).state == "interrupted"  # no heartbeat for minutes
    state_file.write_text("not json")
    assert job_status(settings).state == "not_started"


def test_a_job_stops_when_its_parent_is_gone(settings: Settings) -> None:
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), JobRecorder(settings, heartbeat_s=0.05, parent=_dead_pid()):
        while time.monotonic() - started < 10:
            time.sleep(0.01)
    assert time.monotonic() - started < 5
    status = job_status(settings)
    assert status.state == "interrupted" and status.error is not None and "is gone" in status.error
